"""Builds one OpenAPI 3.1 document from the gateway's own and every service's.

Services describe their operations with an ``internalToken`` scheme (the gateway's token);
callers of the platform use API keys, so security is rewritten to ``apiKey``. Internal-only
routes are left out, operation ids are kept unique, and schemas whose names clash with a
different shape are renamed with the service's name.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog

logger = structlog.get_logger(__name__)

API_KEY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "API key issued by an administrator of the platform: `Authorization: Bearer vae_…`. "
    "Public catalog reads need none.",
}
DESCRIPTION = """
**API de la plateforme VAE** — the open backend for VAE (*Validation des Acquis de l'Expérience*).

One front door for every service: the **catalog** of certifications and their blocks
(*blocs de compétences*), **candidacies** (*candidatures*, *recevabilité*, acquired blocks) and
**exam sessions** (*sessions d'examen*, juries, *procès-verbaux*).

- Authenticate with `Authorization: Bearer <API key>` (« Authorize » above); catalog reads are public.
- Errors are `application/problem+json` (RFC 9457) with a stable `code`.
- Lists take `limit` and an opaque `cursor`, and answer `next_cursor` and a `Link: rel="next"` header.
- Limits: `429` with `Retry-After` and `RateLimit-*` headers.
"""

Fetch = Callable[[str], Awaitable[dict[str, Any] | None]]


def _is_internal(path: str, operation: dict[str, Any]) -> bool:
    return (
        "/internal" in path
        or not path.startswith("/v1/")
        or bool(operation.get("x-internal"))
    )


def _rename_schemas(
    document: dict[str, Any], renames: dict[str, str]
) -> dict[str, Any]:
    if not renames:
        return document
    text = orjson.dumps(document).decode()
    for old, new in renames.items():
        text = text.replace(
            f'"#/components/schemas/{old}"', f'"#/components/schemas/{new}"'
        )
    renamed: dict[str, Any] = orjson.loads(text)
    schemas = renamed.get("components", {}).get("schemas", {})
    for old, new in renames.items():
        if old in schemas:
            schemas[new] = schemas.pop(old)
    return renamed


def merge(own: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merges the gateway's document with the services' (by service name)."""
    merged = copy.deepcopy(own)
    merged["info"] = {
        "title": "VAE platform API",
        "version": own.get("info", {}).get("version", "1"),
        "description": DESCRIPTION,
    }
    merged["servers"] = [{"url": "/", "description": "this gateway"}]
    components = merged.setdefault("components", {})
    schemas: dict[str, Any] = components.setdefault("schemas", {})
    components["securitySchemes"] = {"apiKey": API_KEY_SCHEME}
    paths: dict[str, Any] = merged.setdefault("paths", {})
    operation_ids = {
        op.get("operationId")
        for item in paths.values()
        for op in item.values()
        if isinstance(op, dict)
    }
    tags: list[dict[str, Any]] = list(merged.get("tags", []))
    for service, document in sorted(services.items()):
        incoming = document.get("components", {}).get("schemas", {})
        renames = {
            name: f"{service.capitalize()}{name}"
            for name, schema in incoming.items()
            if name in schemas and schemas[name] != schema
        }
        document = _rename_schemas(document, renames)
        schemas.update(document.get("components", {}).get("schemas", {}))
        for path, item in document.get("paths", {}).items():
            kept: dict[str, Any] = {}
            for method, operation in item.items():
                if not isinstance(operation, dict) or _is_internal(path, operation):
                    continue
                operation = dict(operation)
                if operation.get("security"):
                    operation["security"] = [{"apiKey": []}]
                if operation.get("operationId") in operation_ids:
                    operation["operationId"] = f"{service}-{operation['operationId']}"
                operation_ids.add(operation.get("operationId"))
                kept[method] = operation
            if kept:
                paths.setdefault(path, {}).update(kept)
        known = {tag["name"] for tag in tags}
        tags += [
            tag for tag in document.get("tags", []) if tag.get("name") not in known
        ]
    if tags:
        merged["tags"] = tags
    return merged


class MergedOpenApi:
    """Keeps the merged document, refreshed from the services; a service that does not answer
    keeps its last known description."""

    def __init__(
        self, own: Callable[[], dict[str, Any]], services: list[str], fetch: Fetch
    ) -> None:
        self._own = own
        self._services = services
        self._fetch = fetch
        self._known: dict[str, dict[str, Any]] = {}
        self.document: bytes = b""

    async def refresh(self) -> None:
        """Fetches every service's document and rebuilds the merged one."""
        for service in self._services:
            try:
                fetched = await self._fetch(service)
            except Exception:  # a service that is down keeps its last description
                logger.warning("openapi_fetch_failed", service=service, exc_info=True)
                fetched = None
            if fetched is not None:
                self._known[service] = fetched
        self.document = orjson.dumps(merge(self._own(), self._known))
