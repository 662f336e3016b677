"""Upstream failures through a real gateway: problem details within the deadline, and the breaker.

Each scenario has its own service name, routed to the echo process through its own fault proxy,
so that one gateway serves every test of the module without their breakers meeting. The
gateway probes readiness only at start here: the faults must reach the request path, not make
the upstream look unready (``TestUnreadyUpstream`` covers readiness with its own gateway).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from faults import BLACKHOLE, PASS, REFUSE, RESET, FaultProxy, delay
from gateway_processes import (
    EchoProcess,
    GatewayLauncher,
    RunningGateway,
    eventually,
    start_echo,
)

pytestmark = pytest.mark.asyncio

FAILURE_THRESHOLD = 3
RESET_SECONDS = 1.0
SCENARIOS = (
    "breaker-opens",
    "breaker-closes",
    "breaker-reopens",
    "refused",
    "reset",
    "blackhole",
    "slow",
    "cut",
)


@pytest_asyncio.fixture(scope="module")
async def faults(echo: EchoProcess) -> AsyncIterator[dict[str, FaultProxy]]:
    """One fault proxy in front of the echo per scenario."""
    proxies = {name: FaultProxy("127.0.0.1", echo.port) for name in SCENARIOS}
    for proxy in proxies.values():
        await proxy.start()
    yield proxies
    for proxy in proxies.values():
        await proxy.close()


@pytest_asyncio.fixture(scope="module")
async def gateway(
    gateways: GatewayLauncher, echo: EchoProcess, faults: dict[str, FaultProxy]
) -> RunningGateway:
    """A gateway with small breaker settings and a 1 s deadline (0.5 s on /v1/slow, 2.5 s
    on /v1/slow/export)."""
    upstreams = {name: [proxy.url] for name, proxy in faults.items()}
    # The cut scenario has a healthy second upstream, where a wrong retry would land.
    upstreams["cut"].append(echo.url)
    return await gateways.start(
        {"catalog": [gateways.catalog.url], **upstreams},
        extra_routes={name: name for name in SCENARIOS},
        public_read_segments=list(SCENARIOS),
        breaker_failure_threshold=FAILURE_THRESHOLD,
        breaker_reset_seconds=RESET_SECONDS,
        timeout_seconds=1.0,
        route_timeouts={"slow": 0.5, "slow/export": 2.5},
        readiness_interval_seconds=3600,
    )


@pytest_asyncio.fixture
async def client(gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert response.headers["retry-after"] == "5"


async def open_circuit(
    client: httpx.AsyncClient, service: str, proxy: FaultProxy
) -> None:
    """Makes the upstream reset connections until its breaker opens."""
    await proxy.set(RESET)
    for _ in range(FAILURE_THRESHOLD):
        assert_problem(
            await client.get(f"/v1/{service}/x"), 502, "UPSTREAM_UNREACHABLE"
        )


async def read_while_cutting(
    client: httpx.AsyncClient, path: str, proxy: FaultProxy
) -> None:
    """Reads a slowly streamed answer, resetting the upstream's connection after the first chunk."""
    params = {"chunks": 4, "pause": 0.3}
    async with client.stream("GET", path, params=params) as response:
        assert response.status_code == 200
        async for _ in response.aiter_raw():
            await proxy.set(RESET)


class TestCircuitBreaker:
    async def test_opens_after_the_threshold_and_then_fails_fast(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        proxy = faults["breaker-opens"]
        assert (await client.get("/v1/breaker-opens/x")).status_code == 200
        before = proxy.accepted
        await open_circuit(client, "breaker-opens", proxy)
        # aiohttp itself reconnects once for an idempotent request whose connection resets
        # (RFC 9112 §9.3.1), so each failed request made one or two connections.
        accepted = proxy.accepted
        assert accepted >= before + FAILURE_THRESHOLD

        started = time.monotonic()
        response = await client.get("/v1/breaker-opens/x")
        elapsed = time.monotonic() - started
        assert_problem(response, 503, "UPSTREAM_UNAVAILABLE")
        assert "circuit is open" in response.json()["detail"]
        assert proxy.accepted == accepted
        assert elapsed < 1.0

    async def test_lets_one_trial_through_when_half_open_and_closes_on_success(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        proxy = faults["breaker-closes"]
        await open_circuit(client, "breaker-closes", proxy)
        await proxy.set(delay(0.6))  # the trial is still running when the others come
        await asyncio.sleep(RESET_SECONDS + 0.1)
        accepted = proxy.accepted
        responses = await asyncio.gather(
            *(client.get("/v1/breaker-closes/x") for _ in range(4))
        )
        trials = [r for r in responses if r.status_code == 200]
        refused = [r for r in responses if r.status_code != 200]
        assert len(trials) == 1 and len(refused) == 3
        for response in refused:
            assert_problem(response, 503, "UPSTREAM_UNAVAILABLE")
        assert proxy.accepted == accepted + 1

        await proxy.set(PASS)
        closed = await asyncio.gather(
            *(client.get("/v1/breaker-closes/x") for _ in range(5))
        )
        assert [response.status_code for response in closed] == [200] * 5

    async def test_reopens_when_the_trial_fails(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        proxy = faults["breaker-reopens"]
        await open_circuit(client, "breaker-reopens", proxy)
        await asyncio.sleep(RESET_SECONDS + 0.1)
        accepted = proxy.accepted
        trial = await client.get("/v1/breaker-reopens/x")
        assert_problem(trial, 502, "UPSTREAM_UNREACHABLE")
        assert proxy.accepted > accepted
        accepted = proxy.accepted

        await proxy.set(PASS)  # healthy again, but the circuit waits its pause anew
        reopened = await client.get("/v1/breaker-reopens/x")
        assert_problem(reopened, 503, "UPSTREAM_UNAVAILABLE")
        assert proxy.accepted == accepted


class TestUpstreamFailureAnswers:
    async def test_a_refused_connection_is_a_502(
        self,
        gateway: RunningGateway,
        client: httpx.AsyncClient,
        faults: dict[str, FaultProxy],
    ) -> None:
        await faults["refused"].set(REFUSE)
        for method in ("GET", "POST"):
            response = await client.request(
                method, "/v1/refused/x", headers=gateway.admin()
            )
            assert_problem(response, 502, "UPSTREAM_UNREACHABLE")

    async def test_a_reset_connection_is_a_502(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        await faults["reset"].set(RESET)
        response = await client.get("/v1/reset/x")
        assert_problem(response, 502, "UPSTREAM_UNREACHABLE")

    async def test_a_silent_upstream_is_a_504_at_the_deadline(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        await faults["blackhole"].set(BLACKHOLE)
        started = time.monotonic()
        response = await client.get("/v1/blackhole/x")
        elapsed = time.monotonic() - started
        assert_problem(response, 504, "UPSTREAM_TIMEOUT")
        assert elapsed < 2.5

    async def test_a_route_timeout_bounds_a_slow_upstream(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        await faults["slow"].set(delay(0.05))
        assert (await client.get("/v1/slow/x")).status_code == 200
        await faults["slow"].set(delay(3.0))
        started = time.monotonic()
        response = await client.get("/v1/slow/x")
        elapsed = time.monotonic() - started
        assert_problem(response, 504, "UPSTREAM_TIMEOUT")
        assert "0.5 s" in response.json()["detail"]
        assert elapsed < 1.5

    async def test_a_deeper_route_has_its_own_timeout(
        self, client: httpx.AsyncClient, faults: dict[str, FaultProxy]
    ) -> None:
        await faults["slow"].set(delay(1.0))
        exported = await client.get("/v1/slow/export", params={"format": "lheo"})
        other = await client.get("/v1/slow/x")
        assert exported.status_code == 200, exported.text
        assert_problem(other, 504, "UPSTREAM_TIMEOUT")
        assert "0.5 s" in other.json()["detail"]

    async def test_an_answer_cut_midway_is_cut_for_the_caller_and_not_retried(
        self,
        client: httpx.AsyncClient,
        faults: dict[str, FaultProxy],
        echo: EchoProcess,
    ) -> None:
        seen = await echo.seen()
        with pytest.raises(httpx.RemoteProtocolError):
            await read_while_cutting(client, "/v1/cut/x", faults["cut"])
        await faults["cut"].set(PASS)
        assert await echo.seen() == seen + 1
        assert (await client.get("/v1/cut/x")).status_code == 200


@pytest_asyncio.fixture(scope="class")
async def lonely_echo() -> AsyncIterator[list[EchoProcess]]:
    """An echo of its own (in a list: a test replaces it when it restarts it)."""
    processes = [await start_echo()]
    yield processes
    for process in processes:
        process.stop()


@pytest_asyncio.fixture(scope="class")
async def probing_gateway(
    gateways: GatewayLauncher, lonely_echo: list[EchoProcess]
) -> RunningGateway:
    """A gateway that probes its upstreams' readiness every 0.2 s."""
    return await gateways.start(
        {"catalog": [gateways.catalog.url], "lonely": [lonely_echo[0].url]},
        extra_routes={"lonely": "lonely"},
        public_read_segments=["lonely"],
    )


async def gateway_readiness(gateway: RunningGateway) -> int:
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        return (await client.get("/readyz")).status_code


class TestUnreadyUpstream:
    async def test_an_unready_upstream_is_a_503_until_it_is_ready_again(
        self, probing_gateway: RunningGateway, lonely_echo: list[EchoProcess]
    ) -> None:
        upstream = lonely_echo[0]
        async with httpx.AsyncClient(base_url=probing_gateway.url) as client:
            assert (await client.get("/v1/lonely/x")).status_code == 200
            assert await gateway_readiness(probing_gateway) == 200

            await upstream.set_ready(False)
            await eventually(lambda: _readiness_is(probing_gateway, 503))
            response = await client.get("/v1/lonely/x")
            assert_problem(response, 503, "UPSTREAM_UNAVAILABLE")
            assert "not ready" in response.json()["detail"]

            await upstream.set_ready(True)
            await eventually(lambda: _readiness_is(probing_gateway, 200))
            assert (await client.get("/v1/lonely/x")).status_code == 200

    async def test_a_stopped_upstream_is_a_503_until_it_is_back(
        self, probing_gateway: RunningGateway, lonely_echo: list[EchoProcess]
    ) -> None:
        stopped = lonely_echo[0]
        stopped.stop()
        async with httpx.AsyncClient(base_url=probing_gateway.url) as client:
            await eventually(lambda: _readiness_is(probing_gateway, 503))
            response = await client.get("/v1/lonely/x")
            assert_problem(response, 503, "UPSTREAM_UNAVAILABLE")

            lonely_echo[0] = await start_echo(stopped.port)
            await eventually(lambda: _readiness_is(probing_gateway, 200))
            assert (await client.get("/v1/lonely/x")).status_code == 200


async def _readiness_is(gateway: RunningGateway, status: int) -> bool:
    return await gateway_readiness(gateway) == status
