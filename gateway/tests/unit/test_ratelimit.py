"""The in-memory rate limiter: limits' sliding window, counted without threads or awaits."""

from __future__ import annotations

import threading
import time

import pytest
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from gateway.ratelimit import RateLimiter


def test_admits_exactly_the_limit_then_refuses() -> None:
    limiter = RateLimiter("async+memory://")
    decisions = [limiter.check_now("client:a", "5/minute") for _ in range(8)]
    assert [d.allowed for d in decisions if d] == [True] * 5 + [False] * 3
    assert [d.remaining for d in decisions if d] == [4, 3, 2, 1, 0, 0, 0, 0]
    for decision in decisions:
        assert decision is not None
        assert decision.limit == 5
        assert 1 <= decision.reset_seconds <= 61


def test_each_identity_and_limit_counts_apart() -> None:
    limiter = RateLimiter("memory://")
    for _ in range(3):
        limiter.check_now("client:a", "3/minute")
    refused = limiter.check_now("client:a", "3/minute")
    other = limiter.check_now("client:b", "3/minute")
    larger = limiter.check_now("client:a", "10/minute")
    assert refused is not None and not refused.allowed
    assert other is not None and other.allowed and other.remaining == 2
    assert larger is not None and larger.allowed


def test_figures_match_the_strategy_of_the_library() -> None:
    limiter = RateLimiter("async+memory://")
    reference = SlidingWindowCounterRateLimiter(MemoryStorage())
    item = parse("4/second")
    for _ in range(6):
        ours = limiter.check_now("ip:198.51.100.1", "4/second")
        allowed = reference.hit(item, "ip:198.51.100.1")
        stats = reference.get_window_stats(item, "ip:198.51.100.1")
        assert ours is not None
        assert ours.allowed == allowed
        assert ours.remaining == stats.remaining
        assert ours.reset_seconds == max(0, int(stats.reset_time - time.time()) + 1)


def test_figures_match_the_library_across_windows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One clock for both (they read time.time()): hits over three windows and a gap of two.
    now = [1_000_000.05]
    monkeypatch.setattr(time, "time", lambda: now[0])
    limiter = RateLimiter("async+memory://")
    reference = SlidingWindowCounterRateLimiter(MemoryStorage())
    item = parse("5/10 seconds")
    for step in [0.0] * 7 + [
        2.5,
        4.0,
        0.3,
        1.2,
        3.3,
        0.1,
        0.1,
        21.0,
        0.4,
        7.7,
        1.9,
    ] * 3:
        now[0] += step
        ours = limiter.check_now("client:a", "5/10 seconds")
        allowed = reference.hit(item, "client:a")
        stats = reference.get_window_stats(item, "client:a")
        assert ours is not None
        assert (ours.allowed, ours.remaining) == (allowed, stats.remaining), now[0]
        assert ours.reset_seconds == max(0, int(stats.reset_time - now[0]) + 1), now[0]


@pytest.mark.asyncio
async def test_the_async_entry_point_counts_in_memory_too() -> None:
    limiter = RateLimiter("async+memory://")
    assert limiter.synchronous
    decisions = [await limiter.check("ip:x", "2/minute") for _ in range(3)]
    assert [d.allowed for d in decisions if d] == [True, True, False]


def test_counting_starts_no_thread() -> None:
    limiter = RateLimiter("async+memory://")
    time.sleep(0.05)  # the store's constructor starts one timer, which ends at once
    before = threading.active_count()
    for index in range(200):
        limiter.check_now(f"ip:{index}", "100/minute")
        time.sleep(0.0002)
    assert threading.active_count() <= before


def test_the_sweep_drops_expired_counters() -> None:
    limiter = RateLimiter("async+memory://")
    limiter.check_now("ip:gone", "1/second")
    limiter.check_now("ip:kept", "1/minute")
    windows = limiter._memory
    assert windows is not None and len(windows) == 2
    time.sleep(2.1)  # the current window's counter weighs for two windows
    windows.sweep(time.time())
    assert len(windows) == 1  # the per-minute counter still weighs
