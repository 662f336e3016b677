"""Events other services deliver here: a candidate's erasure (RGPD)."""
