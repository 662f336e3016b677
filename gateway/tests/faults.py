"""A fault-injecting TCP proxy for resilience tests, run inside the test's event loop.

It listens on 127.0.0.1 (a free port) and relays bytes both ways to a target host and port.
Its fault can be switched while it runs; the new fault applies to new connections and to the
next bytes of the connections already open (an HTTP client keeps its connections alive, so a
fault that only hit new connections would be dodged by the pool):

- ``PASS``: relays as is.
- ``delay(seconds)``: holds each answer of the target that long before relaying it.
- ``RESET``: closes the client's connection abruptly with a TCP RST (``SO_LINGER`` 0).
- ``BLACKHOLE``: accepts, swallows what the client sends and never answers.
- ``REFUSE``: stops listening (connections are refused) and resets the open ones.

Every task it starts is tracked and cancelled by :meth:`FaultProxy.close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass
from enum import StrEnum
from types import TracebackType
from typing import Self

_CHUNK = 65_536


class Mode(StrEnum):
    """What the proxy does to the traffic."""

    PASS = "pass"
    DELAY = "delay"
    RESET = "reset"
    BLACKHOLE = "blackhole"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class Fault:
    """A mode and, for ``DELAY``, how long each answer is held."""

    mode: Mode
    seconds: float = 0.0


PASS = Fault(Mode.PASS)
RESET = Fault(Mode.RESET)
BLACKHOLE = Fault(Mode.BLACKHOLE)
REFUSE = Fault(Mode.REFUSE)


def delay(seconds: float) -> Fault:
    """The fault that holds each answer of the target for ``seconds``."""
    return Fault(Mode.DELAY, seconds)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Closes a connection with a TCP RST rather than a FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
            )
    writer.transport.abort()


class _Connection:
    """One client connection and its connection to the target."""

    def __init__(
        self, client: tuple[asyncio.StreamReader, asyncio.StreamWriter]
    ) -> None:
        self.reader, self.writer = client
        self.upstream: asyncio.StreamWriter | None = None
        # Bytes went to the target and none came back yet: the next ones start an answer.
        self.answer_pending = False

    def reset(self) -> None:
        """Resets the client's side and drops the target's side."""
        _reset(self.writer)
        if self.upstream is not None:
            self.upstream.transport.abort()


class FaultProxy:
    """A TCP proxy in front of ``target_host:target_port`` whose fault can be switched at run time.

    Use it as an async context manager, or call :meth:`start` and :meth:`close`.
    """

    def __init__(
        self, target_host: str, target_port: int, *, fault: Fault = PASS
    ) -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.fault = fault
        self.port = 0
        self.accepted = 0  # connections accepted so far, whatever became of them
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """The proxy's base URL, to configure as an HTTP upstream."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        """Takes a free port, kept for the proxy's whole life, and listens unless REFUSE."""
        await self._listen()
        if self.fault.mode is Mode.REFUSE:
            await self._stop_listening()

    async def set(self, fault: Fault) -> None:
        """Switches the fault: REFUSE closes the listening socket; any other fault after it
        listens again, on the same port."""
        self.fault = fault
        if fault.mode is Mode.REFUSE:
            await self._stop_listening()
        elif self._server is None:
            await self._listen()
        elif fault.mode is Mode.RESET:
            for connection in list(self._connections):
                connection.reset()

    async def close(self) -> None:
        """Stops listening, resets every connection and cancels every task."""
        await self._stop_listening()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _stop_listening(self) -> None:
        """Closes the listening socket and resets the open connections."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for connection in list(self._connections):
            connection.reset()
        if server is not None:
            await server.wait_closed()

    async def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.accepted += 1
        connection = _Connection((reader, writer))
        self._connections.add(connection)
        try:
            await self._serve(connection)
        except (OSError, asyncio.IncompleteReadError):
            pass  # a side went away: so does the other one
        finally:
            self._connections.discard(connection)
            if connection.upstream is not None:
                connection.upstream.transport.abort()
            writer.transport.abort()

    async def _serve(self, connection: _Connection) -> None:
        mode = self.fault.mode
        if mode in (Mode.RESET, Mode.REFUSE):
            connection.reset()
            return
        if mode is Mode.BLACKHOLE:
            await self._swallow(connection.reader)
            return
        upstream_reader, connection.upstream = await asyncio.open_connection(
            self.target_host, self.target_port
        )
        answers = asyncio.create_task(self._relay_answers(connection, upstream_reader))
        self._tasks.add(answers)
        answers.add_done_callback(self._tasks.discard)
        try:
            await self._relay_requests(connection)
        finally:
            answers.cancel()
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await answers

    async def _relay_requests(self, connection: _Connection) -> None:
        assert connection.upstream is not None
        while data := await connection.reader.read(_CHUNK):
            mode = self.fault.mode
            if mode in (Mode.RESET, Mode.REFUSE):
                connection.reset()
                return
            if mode is Mode.BLACKHOLE:
                await self._swallow(connection.reader)
                return
            connection.answer_pending = True
            connection.upstream.write(data)
            await connection.upstream.drain()

    async def _relay_answers(
        self, connection: _Connection, upstream_reader: asyncio.StreamReader
    ) -> None:
        while data := await upstream_reader.read(_CHUNK):
            fault = self.fault
            if fault.mode in (Mode.RESET, Mode.REFUSE):
                connection.reset()
                return
            if fault.mode is Mode.BLACKHOLE:
                continue
            if fault.mode is Mode.DELAY and connection.answer_pending:
                await asyncio.sleep(fault.seconds)
            connection.answer_pending = False
            connection.writer.write(data)
            await connection.writer.drain()
        # The target closed its side: so does the proxy, gracefully.
        connection.writer.close()

    @staticmethod
    async def _swallow(reader: asyncio.StreamReader) -> None:
        while await reader.read(_CHUNK):
            pass
