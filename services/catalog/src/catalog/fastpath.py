"""Serves cached public reads straight from the document cache, before FastAPI's routing.

The catalog is read-mostly: once a document is rendered, answering it is a dictionary lookup.
Routing, dependency resolution and validation cost several times that, so cache hits of the
three document endpoints are answered here; everything else (misses, other parameters, other
routes) goes on to FastAPI, which stores what it renders for the next time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from catalog.certification.cache import (
    DocumentCache,
    Rendered,
    block_key,
    blocks_key,
    certification_key,
    list_key,
    partners_key,
)
from catalog.certification.service import today_in_paris
from catalog.http import READ_CACHE_CONTROL, if_none_match_matches


@dataclass(frozen=True, slots=True)
class _RouteLabel:
    """What the metrics middleware reads from ``scope["route"]``."""

    path: str


_ROUTES: list[tuple[re.Pattern[str], _RouteLabel, Callable[[str], Hashable]]] = [
    (
        re.compile(r"^/v1/certifications/(RNCP\d{1,6})$"),
        _RouteLabel("/v1/certifications/{rncp_code}"),
        lambda code: certification_key(code, today_in_paris()),
    ),
    (
        re.compile(r"^/v1/certifications/(RNCP\d{1,6})/blocks$"),
        _RouteLabel("/v1/certifications/{rncp_code}/blocks"),
        blocks_key,
    ),
    (
        re.compile(r"^/v1/certifications/(RNCP\d{1,6})/partners$"),
        _RouteLabel("/v1/certifications/{rncp_code}/partners"),
        partners_key,
    ),
    (
        re.compile(r"^/v1/blocks/(RNCP\d{1,6}BC\d{2})$"),
        _RouteLabel("/v1/blocks/{block_code}"),
        block_key,
    ),
]


_LIST = _RouteLabel("/v1/certifications")


class CachedReadsMiddleware:
    """Answers GET/HEAD of a cached document without entering the framework."""

    def __init__(self, app: ASGIApp, *, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            cache: DocumentCache | None = getattr(self.state, "cache", None)
            found = (
                _lookup(cache, scope["path"], scope["query_string"])
                if cache is not None
                else None
            )
            if found is not None:
                scope["route"], rendered = found
                await _answer(scope, send, rendered)
                return
        await self.app(scope, receive, send)


def _lookup(
    cache: DocumentCache, path: str, query_string: bytes
) -> tuple[_RouteLabel, Rendered] | None:
    if path == "/v1/certifications":
        rendered = cache.get(list_key(query_string, today_in_paris()))
        return (_LIST, rendered) if rendered is not None else None
    if query_string:
        return None
    for pattern, label, key in _ROUTES:
        match = pattern.match(path)
        if match is not None:
            rendered = cache.get(key(match.group(1)))
            return (label, rendered) if rendered is not None else None
    return None


async def _answer(scope: Scope, send: Send, rendered: Rendered) -> None:
    headers = [
        (b"etag", rendered.etag.encode()),
        (b"cache-control", READ_CACHE_CONTROL.encode()),
    ]
    if rendered.link is not None:
        headers.append((b"link", rendered.link.encode()))
    if_none_match = next(
        (value for name, value in scope["headers"] if name == b"if-none-match"), None
    )
    if if_none_match is not None and if_none_match_matches(
        if_none_match.decode("latin-1"), rendered.etag
    ):
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(rendered.body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send(
        {
            "type": "http.response.body",
            "body": b"" if scope["method"] == "HEAD" else rendered.body,
        }
    )
