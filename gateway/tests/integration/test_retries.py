"""Retries and load spreading over several upstreams of a service, through a real gateway.

The catalog service has two upstreams: the real catalog behind a fault proxy (made to refuse
connections) and the real catalog itself. The gateway probes readiness only at start, so the
refusing upstream stays in the rotation and every request meets it in turn.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from faults import PASS, REFUSE, FaultProxy
from gateway_processes import EchoProcess, GatewayLauncher, RunningGateway

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture(scope="module")
async def dead(gateways: GatewayLauncher) -> AsyncIterator[FaultProxy]:
    """A fault proxy in front of the catalog, refusing connections during the tests."""
    async with FaultProxy("127.0.0.1", gateways.catalog.port) as proxy:
        yield proxy


@pytest_asyncio.fixture(scope="module")
async def gateway(
    gateways: GatewayLauncher,
    dead: FaultProxy,
    echo: EchoProcess,
    echo_b: EchoProcess,
) -> RunningGateway:
    return await gateways.start(
        {
            "catalog": [dead.url, gateways.catalog.url],
            "pair": [echo.url, echo_b.url],
            "solo": [echo.url],
        },
        extra_routes={"pair": "pair", "solo": "solo"},
        public_read_segments=["certifications", "pair", "solo"],
        breaker_failure_threshold=1000,
        readiness_interval_seconds=3600,
    )


@pytest_asyncio.fixture
async def client(
    gateway: RunningGateway, dead: FaultProxy
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the gateway while the first catalog upstream refuses connections."""
    await dead.set(REFUSE)
    async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as client:
        # Whichever upstream it starts on, this request leaves the rotation on the dead one.
        assert (await client.get("/v1/certifications/RNCP38077")).status_code == 200
        yield client
    await dead.set(PASS)


@pytest_asyncio.fixture(scope="class")
async def thrifty_gateway(
    gateways: GatewayLauncher, dead: FaultProxy
) -> RunningGateway:
    """A gateway whose retry budget never refills (ratio 0): ten retries in all."""
    return await gateways.start(
        {"catalog": [dead.url, gateways.catalog.url]},
        retry_budget_ratio=0,
        breaker_failure_threshold=1000,
        readiness_interval_seconds=3600,
    )


INVALID_CERTIFICATION = b"{}"


class TestIdempotentRetries:
    async def test_every_get_succeeds_on_the_other_upstream(
        self, client: httpx.AsyncClient
    ) -> None:
        responses = [
            await client.get("/v1/certifications", params={"q": "soudeur"})
            for _ in range(6)
        ]
        assert [r.status_code for r in responses] == [200] * 6
        assert {r.json()["items"][0]["rncp_code"] for r in responses} == {"RNCP38077"}

    async def test_a_post_without_idempotency_key_is_not_retried(
        self, gateway: RunningGateway, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/certifications",
            content=INVALID_CERTIFICATION,
            headers={**gateway.admin(), "Content-Type": "application/json"},
        )
        assert response.status_code == 502
        assert response.json()["code"] == "UPSTREAM_UNREACHABLE"

    async def test_a_post_with_an_idempotency_key_is_retried(
        self, gateway: RunningGateway, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/certifications",
            content=INVALID_CERTIFICATION,
            headers={
                **gateway.admin(),
                "Content-Type": "application/json",
                "Idempotency-Key": "retry-test-0001",
            },
        )
        # The catalog itself answered: the body reached it whole on the second upstream.
        assert response.status_code == 422
        assert response.json()["code"] == "VALIDATION_FAILED"


class TestUpstreamErrorAnswers:
    async def test_a_503_of_the_only_upstream_is_relayed_as_is(
        self, client: httpx.AsyncClient, echo: EchoProcess
    ) -> None:
        response = await client.get("/v1/solo/x", params={"status": "503"})
        assert response.status_code == 503
        assert response.json()["port"] == echo.port

    async def test_a_503_is_retried_once_on_the_other_upstream_then_relayed(
        self, client: httpx.AsyncClient, echo: EchoProcess, echo_b: EchoProcess
    ) -> None:
        seen = (await echo.seen(), await echo_b.seen())
        response = await client.get("/v1/pair/x", params={"status": "504"})
        assert response.status_code == 504
        assert response.json()["port"] in (echo.port, echo_b.port)
        assert (await echo.seen(), await echo_b.seen()) == (seen[0] + 1, seen[1] + 1)


class TestRoundRobin:
    async def test_spreads_requests_evenly_over_healthy_upstreams(
        self, client: httpx.AsyncClient, echo: EchoProcess, echo_b: EchoProcess
    ) -> None:
        ports = [(await client.get("/v1/pair/x")).json()["port"] for _ in range(10)]
        assert Counter(ports) == {echo.port: 5, echo_b.port: 5}
        assert all(a != b for a, b in itertools.pairwise(ports))


class TestRetryBudget:
    async def test_retries_stop_once_the_budget_is_spent(
        self, thrifty_gateway: RunningGateway, dead: FaultProxy
    ) -> None:
        await dead.set(REFUSE)
        try:
            async with httpx.AsyncClient(base_url=thrifty_gateway.url) as client:
                codes = [
                    (await client.get("/v1/certifications/RNCP38077")).status_code
                    for _ in range(12)
                ]
        finally:
            await dead.set(PASS)
        # Each request meets the refusing upstream first and retries on the other, until the
        # budget's ten retries are spent; then the refusal is answered, and the rotation moves.
        assert codes == [200] * 10 + [502, 200]
