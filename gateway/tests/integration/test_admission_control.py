"""Admission control through a real gateway: a bounded number of requests in flight per upstream.

One gateway, ``LIMIT`` requests in flight to its one upstream (the echo, behind a fault proxy)
and ``QUEUE_SECONDS`` of waiting for a slot. Each scenario ends the way a leak would show: a
burst of ``LIMIT`` slow requests and one more must give exactly ``LIMIT`` answers and one 503.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from faults import PASS, RESET, FaultProxy
from gateway_processes import EchoProcess, GatewayLauncher, RunningGateway

from common import Role

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

LIMIT = 4
QUEUE_SECONDS = 0.3
SLOW = 1.5  # seconds the echo takes to answer a slow request
SHORT_DEADLINE = 0.5  # the deadline of /v1/admission-short


@pytest_asyncio.fixture(scope="module")
async def proxy(echo: EchoProcess) -> AsyncIterator[FaultProxy]:
    async with FaultProxy("127.0.0.1", echo.port) as proxy:
        yield proxy


@pytest_asyncio.fixture(scope="module")
async def gateway(gateways: GatewayLauncher, proxy: FaultProxy) -> RunningGateway:
    """Both routes go to the same upstream URL, so they share its slots."""
    return await gateways.start(
        {"catalog": [gateways.catalog.url], "admission": [proxy.url]},
        extra_routes={"admission": "admission", "admission-short": "admission"},
        public_read_segments=["admission", "admission-short"],
        upstream_max_in_flight=LIMIT,
        upstream_queue_seconds=QUEUE_SECONDS,
        timeout_seconds=10.0,
        route_timeouts={"admission-short": SHORT_DEADLINE},
        # Failures here are the scenarios, not a reason to stop calling the upstream.
        breaker_failure_threshold=1000,
        readiness_interval_seconds=3600,
    )


@pytest_asyncio.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        yield client


async def timed_get(
    client: httpx.AsyncClient, path: str, **params: object
) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await client.get(path, params=params)
    return response, time.monotonic() - started


async def burst(
    client: httpx.AsyncClient, extra: int
) -> list[tuple[httpx.Response, float]]:
    """``LIMIT + extra`` slow requests at once."""
    return await asyncio.gather(
        *(
            timed_get(client, "/v1/admission/x", delay=SLOW)
            for _ in range(LIMIT + extra)
        )
    )


async def assert_bounded(client: httpx.AsyncClient, extra: int = 1) -> None:
    """Exactly ``extra`` of a burst are refused at once, the ``LIMIT`` others answered."""
    answers = await burst(client, extra)
    refused = [(r, took) for r, took in answers if r.status_code == 503]
    served = [r for r, _ in answers if r.status_code == 200]
    assert (len(served), len(refused)) == (LIMIT, extra), [
        r.status_code for r, _ in answers
    ]
    for response, took in refused:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["retry-after"] == "1"
        problem = response.json()
        assert problem["code"] == "UPSTREAM_OVERLOADED"
        assert "too many requests in flight" in problem["detail"]
        # Refused after the wait in line, long before the slow answers came.
        assert QUEUE_SECONDS * 0.9 <= took < SLOW, took


async def overloaded_count(client: httpx.AsyncClient) -> float:
    metrics = (await client.get("/metrics")).text
    for line in metrics.splitlines():
        if line.startswith('gateway_upstream_overloaded_total{service="admission"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class TestAdmissionControl:
    async def test_refuses_exactly_the_excess_fast_and_counts_it(
        self, client: httpx.AsyncClient
    ) -> None:
        before = await overloaded_count(client)
        await assert_bounded(client, extra=3)
        assert await overloaded_count(client) == before + 3
        # Nothing stays taken: a request alone goes through at once.
        response, _ = await timed_get(client, "/v1/admission/x")
        assert response.status_code == 200

    async def test_frees_the_slots_when_the_upstream_fails(
        self, client: httpx.AsyncClient, proxy: FaultProxy
    ) -> None:
        await proxy.set(RESET)
        try:
            answers = await burst(client, extra=2)
        finally:
            await proxy.set(PASS)
        statuses = {r.status_code for r, _ in answers}
        assert 502 in statuses and statuses <= {502, 503}, statuses
        await assert_bounded(client)

    async def test_frees_the_slots_at_the_deadline(
        self, client: httpx.AsyncClient
    ) -> None:
        answers = await asyncio.gather(
            *(
                timed_get(client, "/v1/admission-short/x", delay=SLOW)
                for _ in range(LIMIT)
            )
        )
        assert [r.status_code for r, _ in answers] == [504] * LIMIT
        # The echo is still sleeping on the abandoned requests: the slots are free anyway.
        await assert_bounded(client)

    async def test_frees_the_slots_when_callers_leave(
        self, client: httpx.AsyncClient, gateway: RunningGateway
    ) -> None:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=0.2) as impatient:
            left = await asyncio.gather(
                *(
                    impatient.get("/v1/admission/x", params={"delay": SLOW})
                    for _ in range(LIMIT)
                ),
                return_exceptions=True,
            )
        assert all(isinstance(result, httpx.ReadTimeout) for result in left), left
        # A caller that leaves in the middle of a streamed upload.
        key = await gateway.client_key(Role.PARTNER)
        await asyncio.to_thread(cut_upload, gateway.process.port, key)
        await asyncio.sleep(SLOW + 0.2)  # the upstream answers the abandoned requests
        await assert_bounded(client)


def cut_upload(port: int, key: str) -> None:
    """Starts a POST whose body is streamed to the upstream, and hangs up halfway."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(
            b"POST /v1/admission/upload HTTP/1.1\r\nhost: gateway\r\n"
            + f"authorization: Bearer {key}\r\n".encode()
            + b"content-type: application/octet-stream\r\ncontent-length: 100000\r\n\r\n"
            + b"x" * 20_000
        )
        time.sleep(0.3)  # the gateway has taken a slot and relays the body
