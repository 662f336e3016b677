"""Builds one OpenAPI 3.1 document from the gateway's own and every service's.

Services describe their operations with an ``internalToken`` scheme (the gateway's token);
callers of the platform use API keys, so security is rewritten to ``apiKey``. Internal-only
routes are left out, operation ids are kept unique, components whose names clash with a
different shape are renamed with the service's name, and the answers the gateway itself gives
in front of a service (429, 502, 503, 504…) are added to that service's operations.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Awaitable, Callable, Iterator
from http import HTTPStatus
from typing import Any

import orjson
import structlog

from common import AuthenticationError, ServiceError
from gateway.errors import (
    BodyTooLargeError,
    RateLimitedError,
    UpstreamOverloadedError,
    UpstreamRefusedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)

logger = structlog.get_logger(__name__)

API_KEY = "apiKey"
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
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
VALIDATION_ERROR_REF = "#/components/schemas/HTTPValidationError"
METHODS = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)
# Component sections merged by name; security schemes are the gateway's alone.
SECTIONS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
    "pathItems",
)
_RATE_LIMIT_HEADERS = {
    "Retry-After": "Seconds to wait before trying again.",
    "RateLimit-Limit": "Requests allowed in the current window.",
    "RateLimit-Remaining": "Requests left in the current window.",
    "RateLimit-Reset": "Seconds until the window resets.",
}

Fetch = Callable[[str], Awaitable[dict[str, Any] | None]]


def _problem(error: type[ServiceError], why: str) -> dict[str, Any]:
    """A problem+json answer of the gateway, described as common's ``problem_responses`` does."""
    return {
        "description": f"{HTTPStatus(error.status_code).phrase}: {error.code} — {why}",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


# What the gateway answers by itself in front of a service, whatever the service says.
GATEWAY_RESPONSES: dict[str, dict[str, Any]] = {
    "GatewayUnauthenticated": _problem(
        AuthenticationError,
        "the API key is missing (operations that need one), unknown or revoked.",
    ),
    "GatewayBodyTooLarge": _problem(
        BodyTooLargeError, "the body is larger than the gateway accepts for this route."
    ),
    "GatewayRateLimited": {
        **_problem(
            RateLimitedError,
            "the caller's rate limit is spent; retry after `Retry-After`.",
        ),
        "headers": {
            name: {"description": text, "schema": {"type": "integer"}}
            for name, text in _RATE_LIMIT_HEADERS.items()
        },
    },
    "GatewayUpstreamRefused": _problem(
        UpstreamRefusedError, "the service could not be reached."
    ),
    "GatewayUpstreamUnavailable": {
        "description": f"{HTTPStatus.SERVICE_UNAVAILABLE.phrase}: "
        f"{UpstreamUnavailableError.code}, {UpstreamOverloadedError.code} — the service is "
        f"not ready or its circuit breaker is open ({UpstreamUnavailableError.code}), or it "
        f"has too many requests in flight ({UpstreamOverloadedError.code}, answered at once); "
        "retry after `Retry-After`.",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before trying again.",
                "schema": {"type": "integer"},
            }
        },
    },
    "GatewayUpstreamTimeout": _problem(
        UpstreamTimeoutError, "the service did not answer within the route's deadline."
    ),
}


def _is_internal(path: str, operation: dict[str, Any]) -> bool:
    return (
        not path.startswith("/v1/")
        or "/internal/" in f"{path}/"
        or bool(operation.get("x-internal"))
    )


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS and isinstance(operation, dict):
                yield path, method, operation


def _refs(node: Any) -> Iterator[str]:
    """Every ``$ref`` inside a JSON value."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _rename(
    document: dict[str, Any], renames: dict[tuple[str, str], str]
) -> dict[str, Any]:
    """Renames components and rewrites every ``$ref`` to them."""
    if not renames:
        return document
    text = orjson.dumps(document).decode()
    for (section, old), new in renames.items():
        text = text.replace(
            f'"#/components/{section}/{old}"', f'"#/components/{section}/{new}"'
        )
    renamed: dict[str, Any] = orjson.loads(text)
    components = renamed.get("components", {})
    for (section, old), new in renames.items():
        component = components[section][new] = components[section].pop(old)
        if section == "schemas" and "title" in component:
            # Generators name types after the title: keep it as unique as the name.
            component["title"] = new
    return renamed


def _prefix(service: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", service))


def _without_clashes(
    document: dict[str, Any], service: str, known: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Renames the document's components that clash with a known one of another shape.

    Renaming one component can change the shape of another that refers to it, so this runs
    until nothing clashes any more.
    """
    renames: dict[tuple[str, str], str] = {}
    while True:
        candidate = _rename(document, renames)
        components = candidate.get("components", {})
        clashes = [
            (section, name)
            for section in SECTIONS
            for name, value in components.get(section, {}).items()
            if name in known.get(section, {}) and known[section][name] != value
        ]
        if not clashes:
            return candidate
        for section, name in clashes:
            taken = (
                set(known.get(section, {}))
                | set(components.get(section, {}))
                | {new for (s, _), new in renames.items() if s == section}
            )
            new, suffix = f"{_prefix(service)}{name}", 2
            while new in taken:
                new, suffix = f"{_prefix(service)}{name}{suffix}", suffix + 1
            renames[(section, name)] = new


def _security(
    requirements: list[dict[str, list[str]]],
) -> list[dict[str, list[str]]]:
    """Rewrites security requirements to the API key: any scheme a service declares is the
    gateway's internal token, which callers never see. ``{}`` (optional) is kept."""
    rewritten: list[dict[str, list[str]]] = []
    for requirement in requirements:
        replaced: dict[str, list[str]] = {API_KEY: []} if requirement else {}
        if replaced not in rewritten:
            rewritten.append(replaced)
    return rewritten


def _problem_answers(document: dict[str, Any]) -> None:
    """Documents the media type and codes the error handlers really answer with.

    FastAPI lists every response model under ``application/json`` too, and documents request
    validation as ``HTTPValidationError`` (or not at all when the operation declares its own
    422); common's handlers answer both as problem+json, request validation as
    ``VALIDATION_FAILED``.
    """
    if "Problem" not in document.get("components", {}).get("schemas", {}):
        return
    problem_content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}
    for _, _, operation in _operations(document):
        responses: dict[str, Any] = operation.get("responses", {})
        for response in responses.values():
            content = response.get("content", {})
            if content.get("application/json") == content.get(PROBLEM_MEDIA_TYPE):
                content.pop("application/json", None)
        invalid = responses.get("422", {})
        schema_ref = (
            invalid.get("content", {})
            .get("application/json", {})
            .get("schema", {})
            .get("$ref")
        )
        if schema_ref == VALIDATION_ERROR_REF:
            responses["422"] = {
                "description": "Unprocessable Entity: VALIDATION_FAILED",
                "content": problem_content,
            }
        elif (
            PROBLEM_MEDIA_TYPE in invalid.get("content", {})
            and (operation.get("parameters") or operation.get("requestBody"))
            and "VALIDATION_FAILED" not in invalid.get("description", "")
        ):
            invalid["description"] = (
                f"{invalid.get('description', 'Unprocessable Entity')}, VALIDATION_FAILED"
            )


def _add_gateway_answers(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    added = {
        "401": "GatewayUnauthenticated",
        "429": "GatewayRateLimited",
        "502": "GatewayUpstreamRefused",
        "503": "GatewayUpstreamUnavailable",
        "504": "GatewayUpstreamTimeout",
    }
    if "requestBody" in operation:
        added["413"] = "GatewayBodyTooLarge"
    for status, name in added.items():
        responses.setdefault(status, {"$ref": f"#/components/responses/{name}"})
    operation["responses"] = dict(sorted(responses.items()))


def _prune(document: dict[str, Any]) -> None:
    """Drops the components nothing reachable from the paths refers to (those of internal
    routes, FastAPI's ``HTTPValidationError``)."""
    components: dict[str, Any] = document.get("components", {})
    reached: set[str] = set()
    pending = list(_refs(document.get("paths", {})))
    while pending:
        ref = pending.pop()
        if ref in reached or not ref.startswith("#/components/"):
            continue
        reached.add(ref)
        section, _, name = ref.removeprefix("#/components/").partition("/")
        pending.extend(_refs(components.get(section, {}).get(name)))
    for section in SECTIONS:
        if section in components:
            components[section] = {
                name: value
                for name, value in components[section].items()
                if f"#/components/{section}/{name}" in reached
            }
            if not components[section]:
                del components[section]


def merge(own: dict[str, Any], services: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Merges the gateway's document with the services' (by service name)."""
    merged: dict[str, Any] = {
        "openapi": own.get("openapi", "3.1.0"),
        "info": {
            "title": "VAE platform API",
            "version": own.get("info", {}).get("version", "1"),
            "description": DESCRIPTION,
        },
        # Relative: Swagger UI's "Try it out" calls the gateway that served the page.
        "servers": [{"url": "/", "description": "this gateway"}],
        "paths": {},
        "components": {"responses": copy.deepcopy(GATEWAY_RESPONSES)},
    }
    components: dict[str, dict[str, Any]] = merged["components"]
    paths: dict[str, dict[str, Any]] = merged["paths"]
    operation_ids: set[str] = set()
    tags: list[dict[str, Any]] = []
    sources = [("gateway", own), *sorted(services.items())]
    for service, original in sources:
        document = copy.deepcopy(original)
        _problem_answers(document)
        document = _without_clashes(document, service, components)
        for section in SECTIONS:
            incoming = document.get("components", {}).get(section, {})
            if incoming:
                components.setdefault(section, {}).update(incoming)
        inherited = document.get("security", [])
        for path, method, operation in _operations(document):
            if _is_internal(path, operation):
                continue
            if method in paths.get(path, {}):
                logger.warning("openapi_operation_clash", path=path, method=method)
                continue
            operation["security"] = _security(operation.get("security", inherited))
            if not operation["security"]:
                del operation["security"]
            base = str(
                operation.get("operationId")
                or f"{method}{re.sub(r'[^A-Za-z0-9]+', '_', path)}"
            )
            unique = base if base not in operation_ids else f"{service}-{base}"
            suffix = 2
            while unique in operation_ids:
                unique, suffix = f"{service}-{base}-{suffix}", suffix + 1
            operation["operationId"] = unique
            operation_ids.add(unique)
            if service != "gateway":
                _add_gateway_answers(operation)
            # A service's own servers would send "Try it out" around the gateway.
            operation.pop("servers", None)
            item = paths.setdefault(path, {})
            item[method] = operation
            for key, value in document["paths"][path].items():
                if key not in METHODS and key != "servers":
                    item.setdefault(key, value)
        known = {tag["name"] for tag in tags}
        tags += [
            tag for tag in document.get("tags", []) if tag.get("name") not in known
        ]
    components["securitySchemes"] = {API_KEY: API_KEY_SCHEME}
    _prune(merged)
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
