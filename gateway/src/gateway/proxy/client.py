"""The HTTP/1.1 client of proxied calls: pooled keep-alive connections, answers parsed by httptools.

Measured on this machine (bench/GATEWAY.md): for one proxied GET, aiohttp's ``ClientSession``
spends about three times the CPU of this client. Its request path builds a URL object, a
case-insensitive header dict (from strings: the caller's headers are decoded, then encoded
again), request and response objects, a cookie filter, timers and trace hooks. A proxy needs
none of that: the caller's request is parsed already, its headers go on as bytes, and the
answer is relayed as it comes. So the hot path writes the request in one ``write`` on a
pooled connection and lets httptools (llhttp, the parser uvicorn uses) read the answer.

What the gateway relies on:

- a deadline for the whole exchange (``TimeoutError``), and a connect timeout;
- ``UpstreamConnectionError`` for a refused, reset or closed connection and a malformed answer,
  raised before anything was relayed, or while an answer is read (the proxy then cuts it);
- an idempotent request whose reused keep-alive connection turns out closed before any answer
  is sent again once on a new connection (RFC 9112 §9.3.1), as aiohttp does;
- streamed request bodies (chunked, or as declared by Content-Length) with flow control, and
  streamed answers: reading pauses while more than ``HIGH_WATER`` bytes wait for the caller;
- a connection goes back to the pool only after a whole answer that allows keep-alive;
- admission control: at most ``max_in_flight`` exchanges per upstream at once (0: no bound);
  more requests wait in line for a slot, ``queue_seconds`` at most (and within their
  deadline), then fail with ``UpstreamBusyError``. A slot is held from the request until the
  answer is released, whatever ends the exchange.

aiohttp stays for the gateway's own low-volume calls (readiness probes, OpenAPI documents).
"""

from __future__ import annotations

import asyncio
import collections
import math
import ssl
import sys
import time
from collections.abc import AsyncIterable, AsyncIterator
from typing import cast
from urllib.parse import urlsplit

import httptools

HIGH_WATER = 262_144  # bytes of a streamed answer buffered before reading pauses
KEEPALIVE_SECONDS = (
    30.0  # an idle pooled connection older than this is closed, not reused
)
MAX_IN_FLIGHT = 256  # exchanges (so connections) per upstream, unless told otherwise
MAX_IDLE = 256  # idle connections kept per upstream
CONNECT_SECONDS = 2.0
_IDEMPOTENT = frozenset({b"GET", b"HEAD", b"OPTIONS", b"PUT", b"DELETE"})
_NEEDS_LENGTH = frozenset({b"POST", b"PUT", b"PATCH"})


def _has_length(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(name == b"content-length" for name, _ in headers)


class UpstreamConnectionError(ConnectionError):
    """The upstream refused, reset or closed the connection, or answered malformed HTTP."""


class UpstreamBusyError(Exception):
    """Every slot of the upstream stayed taken while the request waited in line for one."""


class _Connection(asyncio.Protocol):
    """One connection to an upstream; the httptools parser calls back as the answer arrives."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self.open = True
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self._drain: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._error: BaseException | None = None
        self._write_paused = False
        self._reading_paused = False
        self.head_only = False
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.length: int | None = None
        self._chunked = False
        self.headers_done = False
        self.complete = False
        self.received = False
        self._body: list[bytes] = []
        self._buffered = 0

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but have its methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(UpstreamConnectionError(f"malformed answer: {error}"))
        except httptools.HttpParserUpgrade:
            self._fail(UpstreamConnectionError("the upstream switched protocols"))

    def eof_received(self) -> bool | None:
        return None  # the transport closes; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if (
            self.headers_done
            and not self.complete
            and exc is None
            and self.length is None
            and not self._chunked
            and not self.head_only
        ):
            self.complete = True  # a body delimited by the end of the connection
            self._wake()
            return
        if not self.complete:
            self._fail(
                UpstreamConnectionError(
                    "the upstream closed the connection"
                    + ("" if exc is None else f": {exc!r}")
                ),
                close=False,
            )
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    # -- httptools callbacks ---------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))
        if len(name) == 14 and name.lower() == b"content-length":
            self.length = int(value)
        elif len(name) == 17 and name.lower() == b"transfer-encoding":
            self._chunked = b"chunked" in value.lower()

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if (
            100 <= status < 200
        ):  # 100 Continue and other interim answers: wait for the answer
            self.headers = []
            self.length = None
            self._chunked = False
            return
        self.status = status
        self.headers_done = True
        if self.head_only:
            # The answer to HEAD has no body, whatever its headers say; httptools cannot be
            # told so, so the connection is not reused (open = False) and the answer ends here.
            self.complete = True
            self.open = False
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self.head_only:
            return
        self._body.append(body)
        self._buffered += len(body)
        if self._buffered > HIGH_WATER and not self._reading_paused:
            self._reading_paused = True
            assert self.transport is not None
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self.headers_done:
            self.complete = True
            if not self._parser.should_keep_alive():
                self.open = False  # Connection: close, or HTTP/1.0
            self._wake()

    # -- exchange --------------------------------------------------------------------------

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: BaseException, *, close: bool = True) -> None:
        if self._error is None:
            self._error = error
        self.open = False
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)
        if close and self.transport is not None:
            self.transport.abort()

    def _on_deadline(self) -> None:
        self._timer = None
        self._fail(TimeoutError("the upstream did not answer before the deadline"))

    def start(self, deadline: float, head_only: bool) -> None:
        """Prepares for a new exchange, ending at ``deadline`` (event loop time)."""
        self.head_only = head_only
        self.status = 0
        self.headers = []
        self.length = None
        self._chunked = False
        self.headers_done = self.complete = self.received = False
        self._body = []
        self._buffered = 0
        self._error = None
        self._timer = self._loop.call_at(deadline, self._on_deadline)

    def finish(self) -> None:
        """The exchange is over (relayed, failed or abandoned)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def wait(self) -> None:
        """Waits for more of the answer; raises what failed the connection."""
        if self._error is not None:
            raise self._error
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    async def drain(self) -> None:
        """Waits until the transport takes more data (or raises what failed the connection)."""
        if self._error is not None:
            raise self._error
        if not self.open:
            raise UpstreamConnectionError("the upstream closed the connection")
        if self._write_paused:
            self._drain = self._loop.create_future()
            try:
                await self._drain
            finally:
                self._drain = None
            if self._error is not None:
                raise self._error

    @property
    def has_body(self) -> bool:
        """Whether body bytes wait to be taken."""
        return bool(self._body)

    def take_body(self) -> bytes:
        """The body received so far (all of it once ``complete``), resuming reading if paused."""
        body = self._body
        self._body = []
        self._buffered = 0
        if self._reading_paused and self.transport is not None:
            self._reading_paused = False
            self.transport.resume_reading()
        if len(body) == 1:
            return body[0]
        return b"".join(body)

    def close(self) -> None:
        """Closes the connection at once."""
        self.open = False
        self.finish()
        if self.transport is not None:
            self.transport.abort()


class Answer:
    """An upstream's answer: status and raw headers, then the body (whole or in chunks).

    Must end with ``release()``, which pools the connection if the answer was read whole and
    allows keep-alive, and closes it otherwise.
    """

    __slots__ = ("_connection", "_pool", "_released", "headers", "length", "status")

    def __init__(self, pool: _Pool, connection: _Connection) -> None:
        self._pool = pool
        self._connection = connection
        self._released = False
        self.status = connection.status
        self.headers = connection.headers
        self.length = connection.length

    async def read(self) -> bytes:
        """The whole body."""
        connection = self._connection
        while not connection.complete:
            await connection.wait()
        return connection.take_body()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body, as it arrives."""
        connection = self._connection
        while True:
            if connection.has_body:
                chunk = connection.take_body()
                if chunk:
                    yield chunk
            if connection.complete:
                return
            await connection.wait()

    def release(self) -> None:
        """Ends the exchange: the connection goes back to the pool or is closed."""
        if not self._released:
            self._released = True
            self._pool.release(self._connection)


class _Pool:
    """The idle keep-alive connections to one upstream (last in, first out), and its slots."""

    def __init__(self, url: str, max_in_flight: int, queue_seconds: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) upstream URL: {url}")
        self.host = parts.hostname
        self.ssl: ssl.SSLContext | None = (
            ssl.create_default_context() if parts.scheme == "https" else None
        )
        self.port = parts.port or (443 if self.ssl else 80)
        self.host_header = parts.netloc.encode("idna")
        self.prefix = parts.path.rstrip("/").encode("latin-1")
        self.idle: list[_Connection] = []
        self.max_in_flight = max_in_flight or sys.maxsize
        self.queue_seconds = queue_seconds
        self.busy = 0  # exchanges holding a slot (a connection, or about to open one)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def take_slot(self, deadline: float) -> None:
        """Takes a slot, waiting in line if all are taken: ``queue_seconds`` at most
        (``UpstreamBusyError``), and never past ``deadline`` (``TimeoutError``)."""
        if self.busy < self.max_in_flight and not self._waiters:
            self.busy += 1
            return
        remaining = deadline - time.monotonic()
        busy = self.queue_seconds < remaining
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(max(0.0, min(self.queue_seconds, remaining))):
                await waiter
        except BaseException as error:
            if waiter.done() and not waiter.cancelled():
                self.give_slot()  # handed over just as the wait ended: pass it on
            else:
                waiter.cancel()
            if busy and isinstance(error, TimeoutError):
                raise UpstreamBusyError(
                    f"{self.busy} requests in flight, none ended within {self.queue_seconds:g} s"
                ) from None
            raise

    def give_slot(self) -> None:
        """An exchange ended: its slot goes to the first waiting request, if any."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.busy -= 1

    async def connect(
        self, loop: asyncio.AbstractEventLoop, remaining: float
    ) -> _Connection:
        try:
            async with asyncio.timeout(min(CONNECT_SECONDS, remaining)):
                _, connection = await loop.create_connection(
                    lambda: _Connection(loop), self.host, self.port, ssl=self.ssl
                )
        except OSError as error:
            raise UpstreamConnectionError(f"cannot connect: {error}") from error
        return connection

    def pooled(self) -> _Connection | None:
        """An idle connection that is still open and fresh enough, or None."""
        idle = self.idle
        while idle:
            connection = idle.pop()
            if (
                connection.open
                and time.monotonic() - connection.idle_since < KEEPALIVE_SECONDS
            ):
                return connection
            connection.close()
        return None

    def release(self, connection: _Connection) -> None:
        self.give_slot()
        connection.finish()
        if not (connection.open and connection.complete) or len(self.idle) >= MAX_IDLE:
            connection.close()
            return
        connection.idle_since = time.monotonic()
        self.idle.append(connection)
        oldest = self.idle[0]
        if connection.idle_since - oldest.idle_since > KEEPALIVE_SECONDS:
            self.idle.pop(0).close()

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class UpstreamClient:
    """Sends requests to upstreams by base URL, over pooled keep-alive connections.

    ``max_in_flight`` bounds the exchanges per upstream (0: no bound); a request finding them
    all taken waits ``queue_seconds`` at most (by default, as long as its deadline allows).
    """

    def __init__(
        self, *, max_in_flight: int = MAX_IN_FLIGHT, queue_seconds: float = math.inf
    ) -> None:
        self._pools: dict[str, _Pool] = {}
        self._max_in_flight = max_in_flight
        self._queue_seconds = queue_seconds

    def _pool(self, base_url: str) -> _Pool:
        pool = self._pools.get(base_url)
        if pool is None:
            pool = self._pools[base_url] = _Pool(
                base_url, self._max_in_flight, self._queue_seconds
            )
        return pool

    def in_flight(self, base_url: str) -> int:
        """Exchanges holding a slot of this upstream now."""
        pool = self._pools.get(base_url)
        return 0 if pool is None else pool.busy

    async def request(
        self,
        base_url: str,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterable[bytes],
        deadline: float,
    ) -> Answer:
        """Sends a request and returns its answer once the status and headers are in.

        ``target`` is the path and query string, ``headers`` go as they are (plus ``Host``,
        and the body's length or chunking), ``deadline`` is in ``time.monotonic()`` time and
        bounds the whole exchange, reading the answer included.

        Raises
        ------
        UpstreamConnectionError
            Refused, reset or closed connection, or a malformed answer.
        UpstreamBusyError
            The upstream's slots stayed taken for the whole queue wait (nothing was sent).
        TimeoutError
            The deadline passed.
        """
        loop = asyncio.get_running_loop()
        pool = self._pool(base_url)
        lines = [
            method,
            b" ",
            pool.prefix,
            target,
            b" HTTP/1.1\r\nhost: ",
            pool.host_header,
        ]
        for name, value in headers:
            lines += (b"\r\n", name, b": ", value)
        if isinstance(body, bytes):
            streamed = has_length = False
            if (body or method in _NEEDS_LENGTH) and not _has_length(headers):
                lines += (b"\r\ncontent-length: ", str(len(body)).encode())
            lines += (b"\r\n\r\n", body)
        else:
            streamed = True
            has_length = _has_length(headers)
            if not has_length:
                lines.append(b"\r\ntransfer-encoding: chunked")
            lines.append(b"\r\n\r\n")
        request = b"".join(lines)
        # A reused connection may have been closed by the upstream meanwhile: an idempotent
        # request with its body at hand is sent again once, on a new connection.
        may_resend = not streamed and method in _IDEMPOTENT
        loop_deadline = loop.time() + (deadline - time.monotonic())
        await pool.take_slot(deadline)
        try:
            while True:
                connection = pool.pooled()
                reused = connection is not None
                if connection is None:
                    connection = await pool.connect(loop, deadline - time.monotonic())
                connection.start(loop_deadline, method == b"HEAD")
                try:
                    assert connection.transport is not None
                    connection.transport.write(request)
                    if streamed:
                        assert not isinstance(body, bytes)
                        await self._send_body(
                            connection,
                            body,
                            chunked=not has_length,
                            deadline=deadline,
                        )
                    while not connection.headers_done:
                        await connection.wait()
                except UpstreamConnectionError:
                    connection.close()
                    if reused and may_resend and not connection.received:
                        continue
                    raise
                except BaseException:
                    connection.close()
                    raise
                return Answer(pool, connection)
        except BaseException:
            pool.give_slot()
            raise

    async def _send_body(
        self,
        connection: _Connection,
        body: AsyncIterable[bytes],
        *,
        chunked: bool,
        deadline: float,
    ) -> None:
        transport = connection.transport
        assert transport is not None
        async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
            async for chunk in body:
                if connection.headers_done:  # answered early (a refusal): stop sending
                    connection.open = False
                    return
                if chunked:
                    transport.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                else:
                    transport.write(chunk)
                await connection.drain()
            if chunked:
                transport.write(b"0\r\n\r\n")

    def close(self) -> None:
        """Closes every idle connection."""
        for pool in self._pools.values():
            pool.close()
