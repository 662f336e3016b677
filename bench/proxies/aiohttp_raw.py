"""Benchmark proxy: plain ASGI, one aiohttp ClientSession (the gateway's choice).

Served by ``uvicorn --factory aiohttp_raw:app --app-dir bench/proxies``; forwards every
request to ``$BENCH_UPSTREAM`` (see ``_asgi.py`` for what all the proxies share). The session
is configured as the gateway's (``gateway/src/gateway/main.py``).
"""

from __future__ import annotations

import aiohttp
from _asgi import CONNECTIONS, ProxyApp, RawHeaders

SKIPPED_AUTO_HEADERS = ("User-Agent", "Accept-Encoding", "Content-Type")


def session() -> aiohttp.ClientSession:
    """An aiohttp session set up as the gateway's."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=0, limit_per_host=CONNECTIONS, keepalive_timeout=30
        ),
        auto_decompress=False,
        skip_auto_headers=SKIPPED_AUTO_HEADERS,
    )


class AiohttpClientTransport:
    """aiohttp's client, used directly."""

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Creates the session."""
        self.session = session()

    async def stop(self) -> None:
        """Closes the session."""
        if self.session is not None:
            await self.session.close()

    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, RawHeaders, bytes]:
        """Sends one request and reads the whole answer."""
        assert self.session is not None
        async with self.session.request(
            method, url, headers=headers, data=body or None, allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=10.0),
        ) as answer:  # fmt: skip
            return answer.status, list(answer.raw_headers), await answer.read()


def app() -> ProxyApp:
    """Factory for ``uvicorn --factory``."""
    return ProxyApp(AiohttpClientTransport())
