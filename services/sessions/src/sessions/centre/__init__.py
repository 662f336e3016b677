"""Exam centres (centres d'examen), their sites and approvals (agréments)."""
