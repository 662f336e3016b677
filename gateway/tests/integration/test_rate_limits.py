"""Rate limits under a burst, through real gateway processes: exact counts, shared budgets, fail-open.

Each test uses its own API client, hence its own budget; the anonymous budget is per IP.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from faults import BLACKHOLE, PASS, REFUSE, FaultProxy
from gateway_processes import EchoProcess, GatewayLauncher, RunningGateway, eventually

from common import Role

pytestmark = pytest.mark.asyncio

REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ECHO_ROUTES = {"echo": "echo"}


def echo_upstreams(
    gateways: GatewayLauncher, echo: EchoProcess
) -> dict[str, list[str]]:
    return {"catalog": [gateways.catalog.url], "echo": [echo.url]}


async def burst(
    urls: list[str], count: int, headers: dict[str, str] | None = None
) -> list[httpx.Response]:
    """Sends ``count`` concurrent GETs of /v1/echo/burst, spread over the gateways in turn."""
    async with httpx.AsyncClient(
        limits=httpx.Limits(max_connections=count), timeout=10
    ) as client:
        return list(
            await asyncio.gather(
                *(
                    client.get(f"{urls[i % len(urls)]}/v1/echo/burst", headers=headers)
                    for i in range(count)
                )
            )
        )


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


def assert_rate_limited(response: httpx.Response, limit: int) -> None:
    """A 429 as API.md says: problem details, Retry-After and the RateLimit-* headers."""
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "RATE_LIMITED"
    assert response.headers["ratelimit-limit"] == str(limit)
    assert response.headers["ratelimit-remaining"] == "0"
    reset = int(response.headers["ratelimit-reset"])
    assert 1 <= reset <= 61
    assert int(response.headers["retry-after"]) == reset


@pytest_asyncio.fixture(scope="module")
async def gateway(gateways: GatewayLauncher, echo: EchoProcess) -> RunningGateway:
    """A gateway counting in memory, with a small anonymous budget."""
    return await gateways.start(
        echo_upstreams(gateways, echo),
        extra_routes=ECHO_ROUTES,
        public_read_segments=["echo"],
        anonymous_rate_limit="5/minute",
    )


@pytest_asyncio.fixture(scope="class")
async def replicas(
    gateways: GatewayLauncher, echo: EchoProcess
) -> list[RunningGateway]:
    """Two gateway replicas counting in the same Redis."""
    return [
        await gateways.start(
            echo_upstreams(gateways, echo),
            extra_routes=ECHO_ROUTES,
            rate_limit_storage_url=f"async+redis://{REDIS_HOST}:{REDIS_PORT}/0",
        )
        for _ in range(2)
    ]


@pytest_asyncio.fixture(scope="class")
async def redis() -> AsyncIterator[FaultProxy]:
    """The test Redis behind a fault proxy."""
    async with FaultProxy(REDIS_HOST, REDIS_PORT) as proxy:
        yield proxy


@pytest_asyncio.fixture(scope="class")
async def flaky_gateway(
    gateways: GatewayLauncher, echo: EchoProcess, redis: FaultProxy
) -> RunningGateway:
    """A gateway whose limiter counts in that Redis."""
    return await gateways.start(
        echo_upstreams(gateways, echo),
        extra_routes=ECHO_ROUTES,
        rate_limit_storage_url=f"async+redis://127.0.0.1:{redis.port}/0",
    )


class TestClientBurst:
    async def test_admits_exactly_the_limit_of_a_concurrent_burst(
        self, gateway: RunningGateway
    ) -> None:
        key = await gateway.client_key(Role.PARTNER, rate_limit="10/minute")
        responses = await burst([gateway.url], 25, {"Authorization": f"Bearer {key}"})
        assert statuses(responses) == {200: 10, 429: 15}
        for response in responses:
            if response.status_code == 429:
                assert_rate_limited(response, 10)
            else:
                assert response.headers["ratelimit-limit"] == "10"
                assert 0 <= int(response.headers["ratelimit-remaining"]) < 10

    async def test_each_client_has_its_own_budget(
        self, gateway: RunningGateway
    ) -> None:
        first = await gateway.client_key(Role.PARTNER, rate_limit="3/minute")
        second = await gateway.client_key(Role.PARTNER, rate_limit="3/minute")
        spent = await burst([gateway.url], 5, {"Authorization": f"Bearer {first}"})
        fresh = await burst([gateway.url], 3, {"Authorization": f"Bearer {second}"})
        assert statuses(spent) == {200: 3, 429: 2}
        assert statuses(fresh) == {200: 3}


class TestAnonymousBurst:
    async def test_admits_the_anonymous_limit_per_ip(
        self, gateway: RunningGateway
    ) -> None:
        # The test client is on 127.0.0.1, which uvicorn trusts as a proxy: X-Forwarded-For
        # stands for the caller's address, as a load balancer in front would set it.
        first = await burst([gateway.url], 8, {"X-Forwarded-For": "198.51.100.1"})
        second = await burst([gateway.url], 6, {"X-Forwarded-For": "198.51.100.2"})
        assert statuses(first) == {200: 5, 429: 3}
        assert statuses(second) == {200: 5, 429: 1}
        for response in first + second:
            if response.status_code == 429:
                assert_rate_limited(response, 5)

    async def test_wrong_keys_spend_the_anonymous_budget(
        self, gateway: RunningGateway
    ) -> None:
        wrong = {
            "X-Forwarded-For": "198.51.100.3",
            "Authorization": "Bearer vae_0123456789abcdef_" + "x" * 43,
        }
        answers = await burst([gateway.url], 7, wrong)
        assert statuses(answers) == {401: 5, 429: 2}, "guessing keys must not be free"
        after = await burst([gateway.url], 1, {"X-Forwarded-For": "198.51.100.3"})
        assert statuses(after) == {429: 1}


class TestSharedRedisBudget:
    async def test_two_replicas_share_one_budget(
        self, replicas: list[RunningGateway]
    ) -> None:
        key = await replicas[0].client_key(Role.PARTNER, rate_limit="10/minute")
        responses = await burst(
            [replica.url for replica in replicas],
            24,
            {"Authorization": f"Bearer {key}"},
        )
        assert statuses(responses) == {200: 10, 429: 14}
        for response in responses:
            if response.status_code == 429:
                assert_rate_limited(response, 10)


class TestFailingLimiterStore:
    """The limiter's Redis behind a fault proxy: down, silent, then back."""

    async def test_a_redis_that_is_down_lets_requests_through(
        self, flaky_gateway: RunningGateway, redis: FaultProxy
    ) -> None:
        key = await flaky_gateway.client_key(Role.PARTNER, rate_limit="3/minute")
        await redis.set(REFUSE)
        try:
            started = time.monotonic()
            responses = await burst(
                [flaky_gateway.url], 6, {"Authorization": f"Bearer {key}"}
            )
            elapsed = time.monotonic() - started
        finally:
            await redis.set(PASS)
        assert statuses(responses) == {200: 6}
        assert all("ratelimit-limit" not in r.headers for r in responses)
        assert elapsed < 3.0

    async def test_a_redis_that_never_answers_lets_requests_through(
        self, flaky_gateway: RunningGateway, redis: FaultProxy
    ) -> None:
        key = await flaky_gateway.client_key(Role.PARTNER, rate_limit="3/minute")
        await redis.set(BLACKHOLE)
        try:
            started = time.monotonic()
            responses = await burst(
                [flaky_gateway.url], 6, {"Authorization": f"Bearer {key}"}
            )
            elapsed = time.monotonic() - started
        finally:
            await redis.set(PASS)
        assert statuses(responses) == {200: 6}
        assert elapsed < 3.0

    async def test_limits_apply_again_once_redis_is_back(
        self, flaky_gateway: RunningGateway, redis: FaultProxy
    ) -> None:
        key = await flaky_gateway.client_key(Role.PARTNER, rate_limit="3/minute")
        probe = await flaky_gateway.client_key(Role.PARTNER)
        await redis.set(REFUSE)
        await burst([flaky_gateway.url], 2, {"Authorization": f"Bearer {key}"})
        await redis.set(PASS)

        async def counting_again() -> bool:
            (response,) = await burst(
                [flaky_gateway.url], 1, {"Authorization": f"Bearer {probe}"}
            )
            return "ratelimit-limit" in response.headers

        await eventually(counting_again, within=5.0)
        responses = await burst(
            [flaky_gateway.url], 5, {"Authorization": f"Bearer {key}"}
        )
        assert statuses(responses) == {200: 3, 429: 2}
