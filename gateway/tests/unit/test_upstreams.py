"""The breaker's trial slot, the pool's view of alternatives, and the readiness probe."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import aiohttp
import pytest
from aiohttp import web

from common.testing import free_port
from gateway.proxy.upstreams import (
    BreakerState,
    CircuitBreaker,
    Upstream,
    UpstreamPool,
    Upstreams,
)


def opened(at: float = 0.0) -> CircuitBreaker:
    """A breaker (threshold 1, pause 10 s) opened at ``at``."""
    breaker = CircuitBreaker(failure_threshold=1, reset_seconds=10)
    breaker.record_failure(at)
    return breaker


class TestWouldAllow:
    def test_tells_what_allows_would_say_without_taking_the_trial(self) -> None:
        breaker = opened()
        assert not breaker.would_allow(5.0)
        assert breaker.would_allow(10.0) and breaker.would_allow(10.0)
        assert breaker.state is BreakerState.OPEN
        assert breaker.allows(10.0)
        assert not breaker.would_allow(10.1), "the trial is taken"


class TestAbandonTrial:
    def test_frees_the_trial_of_a_request_that_ended_without_a_verdict(self) -> None:
        breaker = opened()
        assert breaker.allows(10.0) and not breaker.allows(10.1)
        breaker.abandon_trial()
        assert breaker.allows(10.2)

    def test_changes_nothing_outside_half_open(self) -> None:
        breaker = opened()
        breaker.abandon_trial()
        assert not breaker.allows(5.0)
        closed = CircuitBreaker(failure_threshold=1, reset_seconds=10)
        closed.abandon_trial()
        assert closed.allows(0.0)


class TestHasAlternative:
    def test_counts_only_ready_upstreams_whose_breaker_would_allow(self) -> None:
        healthy = Upstream("http://a", CircuitBreaker(1, 10))
        unready = Upstream("http://b", CircuitBreaker(1, 10), ready=False)
        broken = Upstream("http://c", opened())
        pool = UpstreamPool("catalog", [healthy, unready, broken])
        assert pool.has_alternative(5.0, set())
        assert not pool.has_alternative(5.0, {"http://a"})
        assert pool.has_alternative(10.0, {"http://a"}), "c may take its trial"
        assert broken.breaker.state is BreakerState.OPEN


class TestReadinessProbe:
    """The probe against a real HTTP server: slow answers are tolerated a while, silence and
    refusals are not, and a process back from the dead gets its trial at once."""

    @staticmethod
    async def serve(readyz: Callable[[], Awaitable[web.Response]]) -> web.AppRunner:
        async def handler(_: web.Request) -> web.Response:
            return await readyz()

        app = web.Application()
        app.router.add_get("/readyz", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        return runner

    @pytest.mark.asyncio
    async def test_a_busy_upstream_stays_ready_until_three_probes_in_a_row_go_unanswered(
        self,
    ) -> None:
        slow = True

        async def readyz() -> web.Response:
            if slow:
                await asyncio.sleep(0.3)
            return web.Response(text="ok")

        runner = await self.serve(readyz)
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        upstreams = Upstreams(
            {"catalog": [f"http://127.0.0.1:{port}"]},
            failure_threshold=1,
            reset_seconds=10,
            probe_timeout=0.1,
        )
        upstream = upstreams.pools["catalog"].upstreams[0]
        try:
            async with aiohttp.ClientSession() as session:
                readiness = []
                for _ in range(3):
                    await upstreams.probe(session)
                    readiness.append(upstream.ready)
                slow = False
                await upstreams.probe(session)
                readiness.append(upstream.ready)
        finally:
            await runner.cleanup()
        assert readiness == [True, True, False, True]

    @pytest.mark.asyncio
    async def test_a_refused_connection_is_unready_at_once_and_its_return_half_opens(
        self,
    ) -> None:
        async def readyz() -> web.Response:
            return web.Response(text="ok")

        port = free_port()
        upstreams = Upstreams(
            {"catalog": [f"http://127.0.0.1:{port}"]},
            failure_threshold=1,
            reset_seconds=10,
            probe_timeout=0.5,
        )
        upstream = upstreams.pools["catalog"].upstreams[0]
        upstream.breaker.record_failure(time.monotonic())
        async with aiohttp.ClientSession() as session:
            await upstreams.probe(session)
            assert not upstream.ready
            assert not upstream.breaker.allows(time.monotonic())
            runner = await self.serve(readyz)
            await web.TCPSite(runner, "127.0.0.1", port).start()
            try:
                await upstreams.probe(session)
            finally:
                await runner.cleanup()
        assert upstream.ready
        assert upstream.breaker.state is BreakerState.HALF_OPEN
        assert upstream.breaker.allows(time.monotonic()), (
            "the trial, before the pause ends"
        )
