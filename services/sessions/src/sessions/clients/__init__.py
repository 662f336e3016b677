"""Typed clients of the services the sessions service calls."""
