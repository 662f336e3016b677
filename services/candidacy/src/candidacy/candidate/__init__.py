"""Candidates (candidats): identity, experiences and declared links."""
