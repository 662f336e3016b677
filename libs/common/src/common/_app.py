"""What every service's FastAPI app shares beyond errors and observability."""

from __future__ import annotations

from fastapi.routing import APIRoute


def operation_id(route: APIRoute) -> str:
    """OpenAPI operation ids from the tag and the handler (``candidacies-submit_candidacy``),
    unique across services once the gateway merges their documents."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name
