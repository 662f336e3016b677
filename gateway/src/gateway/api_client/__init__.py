"""API clients: who may call the platform, with which role, bound to which organisation."""
