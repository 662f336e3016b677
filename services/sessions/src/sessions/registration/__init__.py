"""Registrations (inscriptions) of admissible candidacies in exam sessions."""
