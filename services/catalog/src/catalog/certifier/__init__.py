"""Certifiers: who owns the certifications."""
