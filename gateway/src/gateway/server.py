"""uvicorn's httptools protocol, writing each answer's head and first body part in one write.

Served with ``uvicorn --factory gateway.main:app --http gateway.server:GatewayHttpProtocol``
(plain ``--http httptools`` serves the same answers, only with more CPU per request).

Why a subclass: py-spy puts a third of the gateway's CPU in uvicorn's
``RequestResponseCycle.send`` (bench/GATEWAY.md). It writes the status line and headers in one
``transport.write`` and the body in another: two system calls per answer, each waking the
caller on its own, where one would do. It also runs two regular expressions per header. An
ASGI app cannot change either, and uvicorn has no option for it; so this cycle holds the head
until the first body message and writes both at once, and checks all the names, then all the
values, with one search each (the same expressions, so the same headers are refused). Every
later message goes through uvicorn's own ``send``. Measured behind the hello-world app
(bench/GATEWAY.md): about 4 µs less system time per answer, and the caller woken once.

A head is never held for long: if no body message follows within the same turn of the event
loop (a streamed answer whose first part is slow to come), it is written on its own, as
uvicorn would have done.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn._types import ASGI3Application, ASGISendEvent
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

# uvicorn's ``--http`` option (or ``http=`` argument) that serves the gateway.
UVICORN_HTTP = "gateway.server:GatewayHttpProtocol"

# A body up to this size is copied behind the head (one ``write``); a larger one is handed to
# ``writelines`` (one ``writev``, no copy).
_JOINED_BODY_MAX = 16_384


class OneWriteCycle(RequestResponseCycle):
    """A request-response cycle whose answer head goes out with the first part of its body."""

    _held_head: bytes | None = None
    # Set by GatewayHttpProtocol: asyncio.get_running_loop() costs a getpid() system call.
    loop: asyncio.AbstractEventLoop

    async def send(self, message: ASGISendEvent) -> None:
        if self.response_started:
            head = self._held_head
            if head is None:
                await super().send(message)
                return
            self._held_head = None
            if self.flow.write_paused and not self.disconnected:
                await (
                    self.flow.drain()
                )  # pragma: no cover - a fresh head cannot fill buffers
            if self.disconnected:
                return
            if message["type"] != "http.response.body":
                self.transport.write(head)
                await super().send(message)  # raises uvicorn's own error
                return
            self._write_first_body(head, message)
            return
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        if message["type"] != "http.response.start":
            raise RuntimeError(
                f"Expected ASGI message 'http.response.start', but got '{message['type']}'."
            )
        self.response_started = True
        self.waiting_for_100_continue = False
        self._held_head = self._render_head(message)
        # A streamed answer whose first part is late still gets its head at once.
        self.loop.call_soon(self._write_held_head)

    def _render_head(self, message: Any) -> bytes:
        """Status line and headers, with uvicorn's checks and framing (``send``'s first half)."""
        status_code: int = message["status"]
        headers: list[tuple[bytes, bytes]] = self.default_headers + list(
            message.get("headers", [])
        )
        if HEADER_RE.search(b"".join([name for name, _ in headers])):
            raise RuntimeError("Invalid HTTP header name.")
        if HEADER_VALUE_RE.search(b"".join([value for _, value in headers])):
            raise RuntimeError("Invalid HTTP header value.")
        content = [STATUS_LINE[status_code]]
        has_connection_close = False
        for name, value in headers:
            name = name.lower()
            if name == b"content-length" and self.chunked_encoding is None:
                self.expected_content_length = int(value.decode())
                self.chunked_encoding = False
            elif name == b"transfer-encoding" and value.lower() == b"chunked":
                self.expected_content_length = 0
                self.chunked_encoding = True
            elif name == b"connection":
                tokens = [token.lower().strip() for token in value.split(b",")]
                if b"close" in tokens:
                    self.keep_alive = False
                    has_connection_close = True
            content.extend((name, b": ", value, b"\r\n"))
        if not self.keep_alive and not has_connection_close:
            content.append(b"connection: close\r\n")
        if (
            self.chunked_encoding is None
            and self.scope["method"] != "HEAD"
            and status_code not in (204, 304)
        ):
            self.chunked_encoding = True
            content.append(b"transfer-encoding: chunked\r\n")
        content.append(b"\r\n")
        return b"".join(content)

    def _write_held_head(self) -> None:
        head = self._held_head
        if head is not None:
            self._held_head = None
            if self.disconnected or self.transport.is_closing():
                return
            self.transport.write(head)

    def _write_first_body(self, head: bytes, message: Any) -> None:
        """The head and the first body message in one write (``send``'s second half)."""
        body: bytes = message.get("body", b"")
        more_body: bool = message.get("more_body", False)
        parts = [head]
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
        elif self.chunked_encoding:
            if body:
                parts += (b"%x\r\n" % len(body), body, b"\r\n")
            if not more_body:
                parts.append(b"0\r\n\r\n")
        else:
            if len(body) > self.expected_content_length:
                self.transport.write(head)
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= len(body)
            parts.append(body)
        if len(body) <= _JOINED_BODY_MAX:
            self.transport.write(b"".join(parts))
        else:
            self.transport.writelines(parts)
        if not more_body:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.message_event.set()
            if not self.keep_alive:
                self.transport.close()
            self.on_response()


class GatewayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose request-response cycles are ``OneWriteCycle``s."""

    def _start_asgi_task(
        self, cycle: RequestResponseCycle, app: ASGI3Application
    ) -> None:
        # uvicorn builds the cycle inside on_headers_complete, which has no hook; it is ours
        # to change until its task starts (OneWriteCycle only overrides methods).
        cycle.__class__ = OneWriteCycle
        assert isinstance(cycle, OneWriteCycle)
        cycle.loop = self.loop
        super()._start_asgi_task(cycle, app)
