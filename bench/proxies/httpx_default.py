"""Benchmark proxy: plain ASGI, httpx.AsyncClient with its default transport (httpcore).

Served by ``uvicorn --factory httpx_default:app --app-dir bench/proxies``; forwards every
request to ``$BENCH_UPSTREAM`` (see ``_asgi.py`` for what all the proxies share).
"""

from __future__ import annotations

import httpx
from _asgi import CONNECTIONS, ProxyApp, RawHeaders


class HttpxDefaultTransport:
    """httpx's own connection pool (httpcore); the pool keeps every connection alive."""

    def __init__(self) -> None:
        self.client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Creates the client."""
        limits = httpx.Limits(
            max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS
        )
        self.client = httpx.AsyncClient(limits=limits, timeout=10.0)

    async def stop(self) -> None:
        """Closes the client."""
        if self.client is not None:
            await self.client.aclose()

    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, RawHeaders, bytes]:
        """Sends one request and reads the whole answer."""
        assert self.client is not None
        answer = await self.client.request(method, url, headers=headers, content=body)
        return answer.status_code, list(answer.headers.raw), answer.content


def app() -> ProxyApp:
    """Factory for ``uvicorn --factory``."""
    return ProxyApp(HttpxDefaultTransport())
