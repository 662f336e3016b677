"""A tiny upstream for the gateway's tests: it answers what it received, as JSON.

Served as a real process (``uvicorn --factory echo_app:create_app``, from this folder):

- ``GET /readyz``: 200, or 503 after ``PUT /_control/ready?value=false``.
- ``GET /_control/seen``: how many requests it has answered outside ``/readyz`` and ``/_control``,
  and the size of the last request body and whether it came whole (or the connection dropped).
- any other request: its method, path, query, headers (as received, in order), body size and
  the port it was served on. ``?status=NNN`` answers that status; the request header
  ``x-echo-hop-by-hop`` makes it answer hop-by-hop headers too, ``x-echo-set-cookie`` a cookie; ``?chunks=N&pause=S`` streams
  N chunks, S seconds apart; ``?delay=S`` answers after S seconds.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

# Answered when the request asks for them: every one must be dropped by the gateway.
HOP_BY_HOP_ANSWER = [
    (b"connection", b"x-bar"),
    (b"x-bar", b"named by connection"),
    (b"keep-alive", b"timeout=5"),
    (b"proxy-authenticate", b'Basic realm="upstream"'),
    (b"upgrade", b"h2c"),
]


class EchoApp:
    """The echo upstream (a plain ASGI app: nothing between the socket and the answer)."""

    def __init__(self) -> None:
        self.ready = True
        self.seen = 0
        self.last_body = {"bytes": 0, "whole": True}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        path: str = scope["path"]
        query = {k: v[-1] for k, v in parse_qs(scope["query_string"].decode()).items()}
        if path == "/readyz":
            await self._json(send, 200 if self.ready else 503, {"ready": self.ready})
        elif path == "/_control/ready":
            self.ready = query.get("value", "true") == "true"
            await self._json(send, 200, {"ready": self.ready})
        elif path == "/_control/seen":
            await self._json(
                send, 200, {"seen": self.seen, "last_body": self.last_body}
            )
        else:
            self.seen += 1
            await self._echo(scope, receive, send, query)

    async def _echo(
        self, scope: Scope, receive: Receive, send: Send, query: dict[str, str]
    ) -> None:
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.last_body = {"bytes": size, "whole": False}
                return
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        self.last_body = {"bytes": size, "whole": True}
        await asyncio.sleep(float(query.get("delay", "0")))
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        report = {
            "port": scope["server"][1],
            "method": scope["method"],
            "path": scope["path"],
            "raw_path": scope.get("raw_path", b"").decode("latin-1"),
            "query": scope["query_string"].decode(),
            "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
            "body_bytes": size,
        }
        extra = [(b"x-echo-kept", b"end-to-end")]
        if any(name == b"x-echo-hop-by-hop" for name, _ in headers):
            extra += HOP_BY_HOP_ANSWER
        if any(name == b"x-echo-set-cookie" for name, _ in headers):
            extra.append((b"set-cookie", b"upstream-session=secret; Path=/"))
        status = int(query.get("status", "200"))
        chunks = int(query.get("chunks", "0"))
        if not chunks:
            await self._json(send, status, report, extra)
            return
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/plain"), *extra],
            }
        )
        for index in range(chunks):
            await send(
                {
                    "type": "http.response.body",
                    "body": f"chunk {index}\n".encode(),
                    "more_body": True,
                }
            )
            await asyncio.sleep(float(query.get("pause", "0")))
        await send({"type": "http.response.body", "body": b""})

    @staticmethod
    async def _json(
        send: Send,
        status: int,
        content: object,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        body = json.dumps(content).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            *(extra or []),
        ]
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def create_app() -> EchoApp:
    """Factory for ``uvicorn --factory echo_app:create_app``."""
    return EchoApp()
