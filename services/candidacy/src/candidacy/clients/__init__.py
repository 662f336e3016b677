"""Typed clients of the services the candidacy service calls."""
