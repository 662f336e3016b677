"""The breaker's trial slot and the pool's view of alternatives, without processes."""

from __future__ import annotations

from gateway.proxy.upstreams import BreakerState, CircuitBreaker, Upstream, UpstreamPool


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
