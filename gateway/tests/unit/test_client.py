"""The proxy's HTTP/1.1 client against a scripted raw HTTP server in the same event loop."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest

from gateway.proxy.client import (
    UpstreamBusyError,
    UpstreamClient,
    UpstreamConnectionError,
)

pytestmark = pytest.mark.asyncio

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """Counts connections and keeps what each request looked like."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""
        self.close_after = False  # close each connection after its first answer


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request head and its body (by Content-Length or chunked), as raw bytes."""
    head = await reader.readuntil(b"\r\n\r\n")
    lowered = head.lower()
    if b"content-length:" in lowered:
        length = int(lowered.split(b"content-length:")[1].split(b"\r\n")[0])
        return head + await reader.readexactly(length)
    if b"transfer-encoding: chunked" in lowered:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            body += (await reader.readexactly(size + 2))[:-2]
            if size == 0:
                return head + body
    return head


@asynccontextmanager
async def serve(
    answer: Callable[[Server, int, bytes], bytes | None],
) -> AsyncIterator[Server]:
    """A server answering each request with ``answer(server, index, request)``; None closes."""
    server = Server()

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        server.connections += 1
        try:
            while True:
                request = await read_request(reader)
                server.requests.append(request)
                reply = answer(server, len(server.requests) - 1, request)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if server.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    listener = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    server.url = f"http://127.0.0.1:{port}"
    try:
        yield server
    finally:
        listener.close()


def soon(seconds: float = 5.0) -> float:
    return time.monotonic() + seconds


async def get(
    client: UpstreamClient, url: str, method: bytes = b"GET"
) -> tuple[int, bytes]:
    answer = await client.request(
        url, method, b"/x", [(b"accept", b"*/*")], b"", soon()
    )
    try:
        return answer.status, await answer.read()
    finally:
        answer.release()


async def test_sends_the_request_as_given_and_reuses_the_connection() -> None:
    client = UpstreamClient()
    async with serve(lambda *_: OK) as server:
        assert await get(client, server.url) == (200, b"ok")
        assert await get(client, server.url) == (200, b"ok")
    assert server.connections == 1
    head = server.requests[0]
    assert head.startswith(b"GET /x HTTP/1.1\r\nhost: 127.0.0.1:")
    assert b"\r\naccept: */*\r\n" in head
    assert b"content-length" not in head.lower()
    client.close()


async def test_a_buffered_body_gets_its_length() -> None:
    client = UpstreamClient()
    async with serve(lambda *_: OK) as server:
        answer = await client.request(
            server.url, b"POST", b"/x?a=%20b", [], b"hello", soon()
        )
        answer.release()
        empty = await client.request(server.url, b"POST", b"/x", [], b"", soon())
        empty.release()
    assert server.requests[0].startswith(b"POST /x?a=%20b HTTP/1.1\r\n")
    assert server.requests[0].endswith(b"content-length: 5\r\n\r\nhello")
    assert server.requests[1].endswith(b"content-length: 0\r\n\r\n")


async def test_a_streamed_body_is_sent_chunked() -> None:
    async def body() -> AsyncIterator[bytes]:
        for part in (b"ab", b"cde", b"f"):
            yield part

    client = UpstreamClient()
    async with serve(lambda *_: OK) as server:
        answer = await client.request(server.url, b"POST", b"/x", [], body(), soon())
        assert answer.status == 200
        answer.release()
    assert b"transfer-encoding: chunked" in server.requests[0]
    assert server.requests[0].endswith(b"\r\n\r\nabcdef")


async def test_a_stale_pooled_connection_is_replaced_for_an_idempotent_request() -> (
    None
):
    # The server drops the connection on the second request without answering, as when its
    # keep-alive timeout ends while the request is on its way.
    def answer(server: Server, index: int, request: bytes) -> bytes | None:
        return None if index == 1 else OK

    client = UpstreamClient()
    async with serve(answer) as server:
        assert await get(client, server.url) == (200, b"ok")
        assert await get(client, server.url) == (200, b"ok")
    assert server.connections == 2


async def test_a_post_on_a_dropped_connection_is_not_sent_again() -> None:
    def answer(server: Server, index: int, request: bytes) -> bytes | None:
        return None if index == 1 else OK

    client = UpstreamClient()
    async with serve(answer) as server:
        assert await get(client, server.url) == (200, b"ok")
        with pytest.raises(UpstreamConnectionError):
            await client.request(server.url, b"POST", b"/x", [], b"once", soon())
    assert len(server.requests) == 2


async def test_head_answers_end_with_their_headers() -> None:
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"
    client = UpstreamClient()
    async with serve(lambda *_: reply) as server:
        assert await get(client, server.url, b"HEAD") == (200, b"")
        assert await get(client, server.url, b"HEAD") == (200, b"")
    assert server.connections == 2  # not reused: the parser expected a body


async def test_interim_answers_are_skipped() -> None:
    reply = b"HTTP/1.1 100 Continue\r\n\r\n" + OK
    client = UpstreamClient()
    async with serve(lambda *_: reply) as server:
        assert await get(client, server.url) == (200, b"ok")


async def test_a_chunked_answer_streams_and_the_connection_is_reused() -> None:
    big = b"z" * 700_000
    reply = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"%x\r\n%b\r\n" % (len(big), big)
        + b"3\r\nend\r\n0\r\n\r\n"
    )
    client = UpstreamClient()
    async with serve(lambda *_: reply) as server:
        for _ in range(2):
            answer = await client.request(server.url, b"GET", b"/x", [], b"", soon())
            assert answer.length is None
            received = b""
            async for chunk in answer.chunks():
                received += chunk
                await asyncio.sleep(0)  # a slow caller: reading pauses meanwhile
            answer.release()
            assert received == big + b"end"
    assert server.connections == 1


async def test_a_body_ending_with_the_connection_is_read_whole() -> None:
    reply = b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc"
    client = UpstreamClient()
    async with serve(lambda *_: reply) as server:
        server.close_after = True
        assert await get(client, server.url) == (200, b"abc")
        assert await get(client, server.url) == (200, b"abc")
    assert server.connections == 2


async def test_a_silent_upstream_times_out_at_the_deadline() -> None:
    client = UpstreamClient()
    async with serve(lambda *_: b"") as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            await client.request(server.url, b"GET", b"/x", [], b"", soon(0.3))
        assert 0.25 < time.monotonic() - started < 2.0


async def test_a_refused_connection_is_an_upstream_connection_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(UpstreamConnectionError):
        await UpstreamClient().request(
            f"http://127.0.0.1:{port}", b"GET", b"/x", [], b"", soon()
        )


async def test_a_malformed_answer_is_an_upstream_connection_error() -> None:
    async with serve(lambda *_: b"HTCPCP/1.0 418 teapot\r\n\r\n") as server:
        with pytest.raises(UpstreamConnectionError):
            await UpstreamClient().request(server.url, b"GET", b"/x", [], b"", soon())


async def test_an_answer_cut_midway_fails_the_read() -> None:
    reply = b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"
    async with serve(lambda *_: reply) as server:
        server.close_after = True
        answer = await UpstreamClient().request(
            server.url, b"GET", b"/x", [], b"", soon()
        )
        with pytest.raises(UpstreamConnectionError):
            await answer.read()
        answer.release()


async def test_requests_past_the_connection_limit_wait_for_a_connection() -> None:
    client = UpstreamClient(max_in_flight=2)
    async with serve(lambda *_: OK) as server:
        first = await client.request(server.url, b"GET", b"/x", [], b"", soon())
        second = await client.request(server.url, b"GET", b"/x", [], b"", soon())
        with pytest.raises(TimeoutError):
            await client.request(server.url, b"GET", b"/x", [], b"", soon(0.1))
        third = asyncio.ensure_future(
            client.request(server.url, b"GET", b"/x", [], b"", soon())
        )
        await asyncio.sleep(0.05)
        assert not third.done()
        assert await first.read() == b"ok"
        first.release()
        first.release()  # a second release changes nothing
        answer = await third
        assert await answer.read() == b"ok"
        answer.release()
        second.release()
    assert server.connections == 2


async def test_a_request_waits_in_line_no_longer_than_the_queue_allows() -> None:
    client = UpstreamClient(max_in_flight=1, queue_seconds=0.1)
    async with serve(lambda *_: OK) as server:
        held = await client.request(server.url, b"GET", b"/x", [], b"", soon())
        started = time.monotonic()
        with pytest.raises(UpstreamBusyError):
            await client.request(server.url, b"GET", b"/x", [], b"", soon())
        assert 0.09 <= time.monotonic() - started < 1.0
        # A deadline shorter than the queue wait is a timeout, as before.
        with pytest.raises(TimeoutError):
            await client.request(server.url, b"GET", b"/x", [], b"", soon(0.05))
        assert client.in_flight(server.url) == 1
        waiting = asyncio.ensure_future(
            client.request(server.url, b"GET", b"/x", [], b"", soon())
        )
        await asyncio.sleep(0.02)
        held.release()  # the slot goes to the request in line
        answer = await waiting
        assert await answer.read() == b"ok"
        answer.release()
        assert client.in_flight(server.url) == 0


async def test_no_bound_when_max_in_flight_is_zero() -> None:
    client = UpstreamClient(max_in_flight=0, queue_seconds=0.0)
    async with serve(lambda *_: OK) as server:
        answers = [
            await client.request(server.url, b"GET", b"/x", [], b"", soon())
            for _ in range(300)
        ]
        assert client.in_flight(server.url) == 300
        for answer in answers:
            answer.release()
    assert client.in_flight(server.url) == 0
