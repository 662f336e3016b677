"""Benchmark proxy: a FastAPI catch-all route forwarding with aiohttp (the routing layer's cost).

Served by ``uvicorn --factory fastapi_aiohttp:app --app-dir bench/proxies``; forwards every
request to ``$BENCH_UPSTREAM``. The same transport as ``aiohttp_raw.py`` and the same header
handling (``_asgi.py``), but through FastAPI's routing, ``Request`` and ``Response``: the
difference between the two rows is what the framework adds per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from _asgi import request_headers, response_headers, target, upstream
from aiohttp_raw import session
from fastapi import FastAPI, Request, Response

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def app() -> FastAPI:
    """Factory for ``uvicorn --factory``."""
    base = upstream()
    clients: dict[str, aiohttp.ClientSession] = {}

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[None]:
        clients["session"] = session()
        try:
            yield
        finally:
            await clients["session"].close()

    application = FastAPI(
        lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )

    @application.api_route("/{path:path}", methods=METHODS)
    async def forward(request: Request, path: str) -> Response:
        body = await request.body()
        try:
            async with clients["session"].request(
                request.method, target(base, request.scope), headers=request_headers(request.scope),
                data=body or None, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=10.0),
            ) as answer:  # fmt: skip
                content = await answer.read()
                status, raw = answer.status, list(answer.raw_headers)
        except (aiohttp.ClientError, TimeoutError):
            return Response(b"upstream failed", status_code=502)
        response = Response(content, status_code=status)
        response.raw_headers = response_headers(raw)
        return response

    return application
