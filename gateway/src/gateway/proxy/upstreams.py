"""Upstream pools: round robin over ready upstreams, a circuit breaker each, a retry budget.

The circuit breaker is written here rather than taken from a library: the ones available
(purgatory, aiobreaker) dispatch messages through a bus or unit of work on every call, which
costs more than the proxying itself on this hot path; the state machine is twenty lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from enum import StrEnum

import aiohttp
import structlog

logger = structlog.get_logger(__name__)

# Readiness probes in a row without an answer in time before an upstream counts as unready.
_SLOW_PROBES_TO_UNREADY = 3


class BreakerState(StrEnum):
    """Circuit breaker states."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass
class CircuitBreaker:
    """Opens after consecutive failures; after a pause lets one trial through (half-open)."""

    failure_threshold: int
    reset_seconds: float
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: float = 0.0
    trial_in_flight: bool = False

    def allows(self, now: float) -> bool:
        """Tells whether a request may go to this upstream now (and takes the trial slot)."""
        if self.state is BreakerState.CLOSED:
            return True
        if (
            self.state is BreakerState.OPEN
            and now - self.opened_at >= self.reset_seconds
        ):
            self.state = BreakerState.HALF_OPEN
            self.trial_in_flight = False
        if self.state is BreakerState.HALF_OPEN and not self.trial_in_flight:
            self.trial_in_flight = True
            return True
        return False

    def would_allow(self, now: float) -> bool:
        """Tells whether ``allows`` would let a request through now, without taking the trial."""
        if self.state is BreakerState.CLOSED:
            return True
        if self.state is BreakerState.OPEN:
            return now - self.opened_at >= self.reset_seconds
        return not self.trial_in_flight

    def abandon_trial(self) -> None:
        """A request ended without telling whether the upstream works (the caller left, its
        body was too large): the half-open trial slot is free again."""
        if self.state is BreakerState.HALF_OPEN:
            self.trial_in_flight = False

    def upstream_back(self) -> None:
        """The upstream became ready again (a restarted process): an open circuit lets its
        trial through now rather than at the end of its pause."""
        if self.state is BreakerState.OPEN:
            self.state, self.trial_in_flight = BreakerState.HALF_OPEN, False

    def record_success(self) -> None:
        """A request succeeded: the circuit closes."""
        if self.state is not BreakerState.CLOSED:
            logger.info("circuit_closed")
        self.state, self.failures, self.trial_in_flight = BreakerState.CLOSED, 0, False

    def record_failure(self, now: float) -> None:
        """A request failed (refused, reset, timed out, 502/503/504)."""
        self.failures += 1
        if (
            self.state is BreakerState.HALF_OPEN
            or self.failures >= self.failure_threshold
        ):
            if self.state is not BreakerState.OPEN:
                logger.warning("circuit_opened", failures=self.failures)
            self.state, self.opened_at, self.trial_in_flight = (
                BreakerState.OPEN,
                now,
                False,
            )


@dataclass
class Upstream:
    """One upstream process of a service."""

    url: str
    breaker: CircuitBreaker
    ready: bool = True
    # Readiness probes in a row that got no answer in time.
    slow_probes: int = 0


@dataclass
class UpstreamPool:
    """The upstreams of one service, used in turn."""

    service: str
    upstreams: list[Upstream]
    _next: int = 0

    def pick(
        self, now: float, exclude: set[str] | frozenset[str] = frozenset()
    ) -> Upstream | None:
        """Returns the next ready upstream whose breaker lets a request through."""
        count = len(self.upstreams)
        for offset in range(count):
            upstream = self.upstreams[(self._next + offset) % count]
            if upstream.url in exclude or not upstream.ready:
                continue
            if upstream.breaker.allows(now):
                self._next = (self._next + offset + 1) % count
                return upstream
        return None

    def has_alternative(self, now: float, exclude: set[str]) -> bool:
        """Tells whether another upstream than those excluded could take a request now."""
        return any(
            upstream.ready
            and upstream.url not in exclude
            and upstream.breaker.would_allow(now)
            for upstream in self.upstreams
        )

    def unavailable_reason(self) -> str:
        """Says why no upstream can take a request."""
        if not self.upstreams:
            return f"The {self.service} service is not deployed behind this gateway."
        if not any(u.ready for u in self.upstreams):
            return f"The {self.service} service is not ready; retry in a few seconds."
        return f"The {self.service} service is failing and its circuit is open; retry in a few seconds."


@dataclass
class RetryBudget:
    """Retries may add at most `ratio` of the traffic (plus a small floor), so they never pile on."""

    ratio: float
    capacity: float = 10.0
    tokens: float = field(default=10.0)

    def deposit(self) -> None:
        """Each request earns a fraction of a retry."""
        self.tokens = min(self.capacity, self.tokens + self.ratio)

    def withdraw(self) -> bool:
        """Takes one retry if the budget allows it."""
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Upstreams:
    """Every service's pool, with a background readiness probe of each upstream."""

    def __init__(
        self,
        urls: dict[str, list[str]],
        *,
        failure_threshold: int,
        reset_seconds: float,
        probe_timeout: float = 1.5,
    ) -> None:
        self.probe_timeout = probe_timeout
        self.pools = {
            service: UpstreamPool(
                service,
                [
                    Upstream(
                        url.rstrip("/"),
                        CircuitBreaker(failure_threshold, reset_seconds),
                    )
                    for url in service_urls
                ],
            )
            for service, service_urls in urls.items()
        }

    async def probe(self, session: aiohttp.ClientSession) -> None:
        """Checks every upstream's /readyz once."""

        async def check(upstream: Upstream) -> None:
            try:
                async with session.get(
                    f"{upstream.url}/readyz",
                    timeout=aiohttp.ClientTimeout(total=self.probe_timeout),
                ) as answer:
                    ready = answer.status == 200
                upstream.slow_probes = 0
            except TimeoutError:
                # A saturated upstream answers late, yet serves: taking it out at the first
                # slow probe would turn an overload into an outage. Only a silence that lasts
                # does; a refused connection or a 503 counts at once.
                upstream.slow_probes += 1
                ready = (
                    upstream.ready and upstream.slow_probes < _SLOW_PROBES_TO_UNREADY
                )
            except aiohttp.ClientError:
                ready = False
            if ready != upstream.ready:
                logger.info(
                    "upstream_readiness_changed", upstream=upstream.url, ready=ready
                )
                if ready:
                    upstream.breaker.upstream_back()
            upstream.ready = ready

        await asyncio.gather(
            *(check(u) for pool in self.pools.values() for u in pool.upstreams)
        )

    async def follow(
        self, session: aiohttp.ClientSession, interval: float, stop: asyncio.Event
    ) -> None:
        """Probes every ``interval`` until ``stop`` is set (the first probe is the caller's)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
            if not stop.is_set():
                await self.probe(session)

    def status(self) -> dict[str, list[dict[str, object]]]:
        """Readiness and breaker state of every upstream."""
        now = time.monotonic()
        return {
            service: [
                {
                    "url": u.url,
                    "ready": u.ready,
                    "circuit": u.breaker.state.value
                    if not (
                        u.breaker.state is BreakerState.OPEN
                        and now - u.breaker.opened_at >= u.breaker.reset_seconds
                    )
                    else BreakerState.HALF_OPEN.value,
                }
                for u in pool.upstreams
            ]
            for service, pool in self.pools.items()
        }
