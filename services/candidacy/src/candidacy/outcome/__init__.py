"""Jury outcomes, received as report.signed events from the sessions service."""
