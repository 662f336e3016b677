"""Benchmark proxy: plain ASGI, httpx.AsyncClient on the aiohttp transport (httpx-aiohttp).

Served by ``uvicorn --factory httpx_on_aiohttp:app --app-dir bench/proxies``; forwards every
request to ``$BENCH_UPSTREAM`` (see ``_asgi.py`` for what all the proxies share). httpx's API
and models, aiohttp's connection pool and HTTP parser underneath.
"""

from __future__ import annotations

import aiohttp
import httpx
from _asgi import CONNECTIONS, ProxyApp, RawHeaders
from httpx_aiohttp import AiohttpTransport


class HttpxAiohttpTransport:
    """httpx's client with the aiohttp transport over one aiohttp session."""

    def __init__(self) -> None:
        self.client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        """Creates the aiohttp session and the httpx client on top of it."""
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CONNECTIONS, keepalive_timeout=30),
            auto_decompress=False,
        )
        self.client = httpx.AsyncClient(
            transport=AiohttpTransport(client=session), timeout=10.0
        )

    async def stop(self) -> None:
        """Closes the client (and the session)."""
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
    return ProxyApp(HttpxAiohttpTransport())
