"""The proxy: upstream pools with readiness and circuit breakers, and the forwarding ASGI app."""
