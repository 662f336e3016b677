"""The gateway's uvicorn protocol: the same bytes as uvicorn's, the head and first body in one
write; keep-alive as uvicorn keeps it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from common.testing import free_port
from gateway.server import GatewayHttpProtocol, OneWriteCycle

pytestmark = pytest.mark.asyncio

DEFAULT_HEADERS = [(b"server", b"uvicorn"), (b"date", b"Fri, 27 Nov 2026 12:00:00 GMT")]
Message = dict[str, Any]


class RecordingTransport:
    """What a cycle writes, call by call."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def writelines(self, parts: list[bytes]) -> None:
        self.writes.append(b"".join(parts))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def cycle(
    kind: type[RequestResponseCycle], method: str = "GET", *, keep_alive: bool = True
) -> tuple[RequestResponseCycle, RecordingTransport, list[str]]:
    transport = RecordingTransport()
    completed: list[str] = []
    instance = kind(
        scope={"type": "http", "method": method},  # type: ignore[typeddict-item]
        transport=transport,  # type: ignore[arg-type]
        flow=FlowControl(transport),  # type: ignore[arg-type]
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=DEFAULT_HEADERS,
        message_event=asyncio.Event(),
        expect_100_continue=False,
        keep_alive=keep_alive,
        on_response=lambda: completed.append("done"),
    )
    if isinstance(instance, OneWriteCycle):
        instance.loop = asyncio.get_running_loop()
    return instance, transport, completed


def start(
    status: int = 200, headers: list[tuple[bytes, bytes]] | None = None
) -> Message:
    return {"type": "http.response.start", "status": status, "headers": headers or []}


def body(content: bytes = b"", more: bool = False) -> Message:
    return {"type": "http.response.body", "body": content, "more_body": more}


SMALL = b'{"hello": "world"}'
LENGTH = [(b"content-type", b"application/json"), (b"content-length", b"18")]
ANSWERS: dict[str, tuple[str, bool, list[Message]]] = {
    "with a length": ("GET", True, [start(200, LENGTH), body(SMALL)]),
    "streamed": ("GET", True, [start(200), body(b"one", True), body(b"two", True), body()]),
    "streamed, empty first part": ("GET", True, [start(200), body(b"", True), body(b"x")]),
    "to HEAD": ("HEAD", True, [start(200, LENGTH), body()]),
    "no content": ("DELETE", True, [start(204), body()]),
    "closing": ("GET", False, [start(200, LENGTH), body(SMALL)]),
    "closing by header": ("GET", True, [start(200, [*LENGTH, (b"connection", b"close")]), body(SMALL)]),
    "large": ("GET", True, [start(200, [(b"content-length", b"100000")]), body(b"y" * 100_000)]),
}  # fmt: skip


class TestOneWriteCycle:
    @pytest.mark.parametrize("name", ANSWERS)
    async def test_writes_what_uvicorn_writes(self, name: str) -> None:
        method, keep_alive, messages = ANSWERS[name]
        theirs, their_transport, their_completion = cycle(
            RequestResponseCycle, method, keep_alive=keep_alive
        )
        ours, our_transport, our_completion = cycle(
            OneWriteCycle, method, keep_alive=keep_alive
        )
        for message in messages:
            await theirs.send(message)
            await ours.send(message)
        assert b"".join(our_transport.writes) == b"".join(their_transport.writes)
        assert our_transport.closed == their_transport.closed
        assert our_completion == their_completion == ["done"]
        assert ours.response_complete and ours.keep_alive == theirs.keep_alive

    async def test_writes_the_head_and_the_first_part_at_once(self) -> None:
        ours, transport, _ = cycle(OneWriteCycle)
        await ours.send(start(200, LENGTH))
        assert transport.writes == []
        await ours.send(body(SMALL))
        [written] = transport.writes
        assert written.startswith(b"HTTP/1.1 200 OK\r\n") and written.endswith(
            b"\r\n\r\n" + SMALL
        )
        await asyncio.sleep(0)  # the held head's fallback finds nothing left to write
        assert len(transport.writes) == 1

    async def test_a_late_first_part_does_not_hold_the_head_back(self) -> None:
        ours, transport, _ = cycle(OneWriteCycle)
        await ours.send(start(200))
        await asyncio.sleep(0)  # one turn of the event loop without a body
        [head] = transport.writes
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and head.endswith(b"\r\n\r\n")
        await ours.send(body(b"late", True))
        await ours.send(body())
        assert transport.writes[1:] == [b"4\r\nlate\r\n", b"0\r\n\r\n"]

    @pytest.mark.parametrize(
        ("header", "error"),
        [
            ((b"bad name", b"x"), "Invalid HTTP header name."),
            ((b"x-injected", b"a\r\nset-cookie: b"), "Invalid HTTP header value."),
        ],
    )
    async def test_refuses_the_headers_uvicorn_refuses(
        self, header: tuple[bytes, bytes], error: str
    ) -> None:
        for kind in (RequestResponseCycle, OneWriteCycle):
            instance, transport, _ = cycle(kind)
            with pytest.raises(RuntimeError, match=error):
                await instance.send(start(200, [*LENGTH, header]))
            assert transport.writes == []

    async def test_refuses_a_body_longer_than_its_length(self) -> None:
        ours, _, _ = cycle(OneWriteCycle)
        await ours.send(start(200, [(b"content-length", b"2")]))
        with pytest.raises(RuntimeError, match="longer than Content-Length"):
            await ours.send(body(b"three"))

    async def test_writes_nothing_once_the_caller_left(self) -> None:
        ours, transport, _ = cycle(OneWriteCycle)
        await ours.send(start(200, LENGTH))
        ours.disconnected = True
        await ours.send(body(SMALL))
        await asyncio.sleep(0)
        assert transport.writes == []


async def hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send(start(200, [(b"content-length", b"2")]))
    await send(body(b"ok"))


class TestKeepAlive:
    async def test_closes_idle_connections_and_keeps_busy_ones(self) -> None:
        port = free_port()
        config = uvicorn.Config(
            hello, host="127.0.0.1", port=port, http=GatewayHttpProtocol,
            timeout_keep_alive=1, lifespan="off", log_level="warning",
        )  # fmt: skip
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(10):
                while not server.started:  # noqa: ASYNC110 - uvicorn exposes only a flag
                    await asyncio.sleep(0.01)
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                request = b"GET / HTTP/1.1\r\nhost: test\r\n\r\n"
                # Busy for 2.4 s, longer than the 1 s keep-alive delay: never closed.
                for _ in range(6):
                    writer.write(request)
                    answer = await reader.readuntil(b"\r\n\r\nok")
                    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
                    await asyncio.sleep(0.4)
                # Then idle: closed about a second after the last answer.
                idle_from = asyncio.get_running_loop().time()
                assert await reader.read() == b""
                idle = asyncio.get_running_loop().time() - idle_from
                assert 0.5 <= idle < 3.0, idle
        finally:
            if writer is not None:
                writer.close()
            server.should_exit = True
            await asyncio.wait_for(serving, 10)
