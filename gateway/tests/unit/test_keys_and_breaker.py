"""Rules of the gateway without processes: API keys, the circuit breaker, the retry budget."""

from __future__ import annotations

from gateway.api_client.keys import hash_secret, issue_key, parse_key, secret_matches
from gateway.proxy.upstreams import (
    BreakerState,
    CircuitBreaker,
    RetryBudget,
    Upstream,
    UpstreamPool,
)


class TestApiKeys:
    def test_issues_keys_that_parse_and_match_their_hash(self) -> None:
        issued = issue_key("pepper")
        parsed = parse_key(issued.key)
        assert parsed is not None and parsed[0] == issued.key_id
        assert secret_matches(parsed[1], issued.key_hash, "pepper")
        assert (
            issued.key_hash == hash_secret(parsed[1], "pepper")
            and parsed[1] not in issued.key_hash
        )

    def test_another_pepper_or_secret_does_not_match(self) -> None:
        issued = issue_key("pepper")
        parsed = parse_key(issued.key)
        assert parsed is not None
        assert not secret_matches(parsed[1], issued.key_hash, "other pepper")
        assert not secret_matches(parsed[1][:-1] + "x", issued.key_hash, "pepper")

    def test_keys_are_unique(self) -> None:
        assert len({issue_key("p").key for _ in range(200)}) == 200

    def test_rejects_malformed_keys(self) -> None:
        for key in (
            "",
            "vae_",
            "vae_123_abc",
            "Bearer vae_0123456789abcdef_" + "a" * 43,
            "vae_0123456789ABCDEF_" + "a" * 43,
        ):
            assert parse_key(key) is None


def state(breaker: CircuitBreaker) -> BreakerState:
    """Reads the state afresh (mypy would keep an earlier narrowing of the attribute)."""
    return breaker.state


class TestCircuitBreaker:
    def test_opens_after_the_threshold_then_half_opens_then_closes(self) -> None:
        breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10)
        for now in (0.0, 1.0):
            breaker.record_failure(now)
            assert breaker.allows(now)
        breaker.record_failure(2.0)
        assert state(breaker) is BreakerState.OPEN and not breaker.allows(5.0)
        assert breaker.allows(12.0) and state(breaker) is BreakerState.HALF_OPEN
        assert not breaker.allows(12.1), "only one trial at a time while half-open"
        breaker.record_success()
        assert state(breaker) is BreakerState.CLOSED and breaker.allows(12.2)

    def test_a_failed_trial_reopens(self) -> None:
        breaker = CircuitBreaker(failure_threshold=1, reset_seconds=5)
        breaker.record_failure(0.0)
        assert breaker.allows(6.0)
        breaker.record_failure(6.0)
        assert (
            breaker.state is BreakerState.OPEN
            and not breaker.allows(8.0)
            and breaker.allows(11.0)
        )

    def test_a_success_resets_the_count(self) -> None:
        breaker = CircuitBreaker(failure_threshold=2, reset_seconds=5)
        breaker.record_failure(0.0)
        breaker.record_success()
        breaker.record_failure(1.0)
        assert state(breaker) is BreakerState.CLOSED


class TestUpstreamPool:
    def pool(self, count: int) -> UpstreamPool:
        return UpstreamPool(
            "catalog",
            [Upstream(f"http://u{i}", CircuitBreaker(1, 10)) for i in range(count)],
        )

    def test_goes_round_robin(self) -> None:
        pool = self.pool(3)
        picked = [pool.pick(0.0) for _ in range(6)]
        assert [u.url for u in picked if u] == [
            "http://u0",
            "http://u1",
            "http://u2",
        ] * 2

    def test_skips_unready_open_and_excluded_upstreams(self) -> None:
        pool = self.pool(3)
        pool.upstreams[0].ready = False
        pool.upstreams[1].breaker.record_failure(0.0)
        assert {pool.pick(1.0).url for _ in range(4)} == {"http://u2"}  # type: ignore[union-attr]
        assert pool.pick(1.0, exclude={"http://u2"}) is None
        assert (
            "circuit is open" in pool.unavailable_reason()
            or "not ready" in pool.unavailable_reason()
        )

    def test_says_why_nothing_is_available(self) -> None:
        assert "not deployed" in UpstreamPool("sessions", []).unavailable_reason()
        pool = self.pool(1)
        pool.upstreams[0].ready = False
        assert "not ready" in pool.unavailable_reason()


class TestRetryBudget:
    def test_allows_a_fraction_of_the_traffic(self) -> None:
        budget = RetryBudget(ratio=0.1, capacity=2.0, tokens=0.0)
        for _ in range(100):
            budget.deposit()
        retries = sum(budget.withdraw() for _ in range(100))
        assert retries == 2, "the capacity caps retries after a long calm"
        for _ in range(30):
            budget.deposit()
        assert sum(budget.withdraw() for _ in range(10)) == 2
