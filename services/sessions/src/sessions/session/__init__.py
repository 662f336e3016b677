"""Exam sessions (sessions d'examen), their state machine and their juries."""
