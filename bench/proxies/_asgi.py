"""What the benchmark's standalone proxies share: a plain ASGI app around one HTTP client.

Each proxy module supplies a :class:`Transport` (one client library, created at startup on the
server's event loop) and a factory ``app()`` for ``uvicorn --factory``. Everything else is the
same for all of them, so that the figures differ by the client alone:

- the request goes to ``$BENCH_UPSTREAM`` + the same path and query string, with the same
  method, body (read whole) and headers, less the hop-by-hop ones and ``Host``;
- the answer is read whole and sent back in one ASGI message, with its status and headers,
  less the hop-by-hop ones and ``Date``/``Server`` (uvicorn writes its own);
- a transport error answers 502 (the benchmark reports any non-2xx answer).

No authentication, limits, retries or logging: these proxies measure a transport's floor.
"""

from __future__ import annotations

import os
from typing import Protocol

from starlette.types import Receive, Scope, Send

HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
     "trailer", "trailers", "transfer-encoding", "upgrade", "host"}
)  # fmt: skip
RESPONSE_DROPPED = HOP_BY_HOP | {"date", "server"}
CONNECTIONS = (
    256  # pooled upstream connections at most: never the limit at 32 in flight
)

RawHeaders = list[tuple[bytes, bytes]]


class Transport(Protocol):
    """One HTTP client library, as the proxy uses it."""

    async def start(self) -> None:
        """Creates the client (on the server's event loop)."""

    async def stop(self) -> None:
        """Closes the client and its connections."""

    async def request(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, RawHeaders, bytes]:
        """Sends one request; returns the status, the raw headers and the whole body."""
        ...


def upstream() -> str:
    """The base URL everything is forwarded to (``BENCH_UPSTREAM``), loopback only."""
    url = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:8001").rstrip("/")
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError(f"BENCH_UPSTREAM must be on 127.0.0.1, not {url!r}")
    return url


def request_headers(scope: Scope) -> dict[str, str]:
    """The client's headers to forward."""
    headers: dict[str, str] = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        if key not in HOP_BY_HOP:
            headers[key] = value.decode("latin-1")
    return headers


def response_headers(raw: RawHeaders) -> RawHeaders:
    """The upstream's headers to send back."""
    return [
        (name.lower(), value)
        for name, value in raw
        if name.lower().decode("latin-1") not in RESPONSE_DROPPED
    ]


def target(base: str, scope: Scope) -> str:
    """The upstream URL of a request: same path, same query string."""
    query = scope["query_string"].decode("latin-1")
    return f"{base}{scope['path']}?{query}" if query else f"{base}{scope['path']}"


async def read_body(receive: Receive) -> bytes:
    """The whole request body."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


class ProxyApp:
    """A plain ASGI app forwarding every HTTP request through one transport."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.base = upstream()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        try:
            status, raw, content = await self.transport.request(
                scope["method"], target(self.base, scope), request_headers(scope), body
            )
        except Exception:  # noqa: BLE001 - any transport failure is a 502, which wrk counts
            status, raw, content = 502, [], b"upstream failed"
        headers = response_headers(raw)
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": content})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.transport.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.transport.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return
