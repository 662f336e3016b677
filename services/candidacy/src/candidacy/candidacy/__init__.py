"""Candidacies (candidatures): submission, admissibility and their state machine."""
