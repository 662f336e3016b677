"""Per-client rate limits (sliding window, from the ``limits`` library), shared through Redis if set."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from math import floor, inf
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.aio import strategies as async_strategies
from limits.aio.storage import Storage
from limits.storage import storage_from_string
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = structlog.get_logger(__name__)

# A store that is down or silent must not hold requests: Redis calls time out quickly and are
# not retried, and after a failure the store is left alone for a moment (requests go through).
STORE_TIMEOUT_SECONDS = 0.5
STORE_PAUSE_SECONDS = 1.0
SWEEP_SECONDS = 10.0  # how often the in-memory store drops expired counters
_MEMORY_SCHEMES = frozenset({"async+memory", "memory"})
_MAX_KEYS = 100_000


class _SlidingWindows:
    """In-memory sliding-window counters: ``limits``' ``SlidingWindowCounterRateLimiter`` on
    its memory store, the same figures, written out for the in-memory case.

    Why not the library's store (still used with Redis): every call into ``MemoryStorage``
    goes through nested error-translating wrappers, reads each counter's expiry, and the
    strategy reads the window twice (the hit, then the figures of the headers); and
    ``MemoryStorage.incr`` starts a 10 ms timer thread to sweep whenever none is alive (under
    load, a new thread every 10 ms). That was 11–24 µs per request on this machine, and this
    is 2 µs. ``test_ratelimit.py`` checks the figures against the library's strategy.

    Per key: the index of the current window (``now // expiry``), its count, and the previous
    window's count, which weighs for the share of the current window still to run.
    """

    __slots__ = ("_windows",)

    def __init__(self) -> None:
        self._windows: dict[tuple[str, str], list[int]] = {}

    def hit(
        self, key: tuple[str, str], amount: int, expiry: int, now: float
    ) -> tuple[bool, int, int]:
        """Counts one hit if it fits; returns (allowed, remaining, reset in seconds)."""
        index = int(now // expiry)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = [index, 0, 0]
        elif window[0] != index:
            # The current window became the previous one, or both are over.
            window[2] = window[1] if window[0] == index - 1 else 0
            window[0], window[1] = index, 0
        previous, current = window[2], window[1]
        into = now % expiry  # seconds since the current window began
        previous_ttl = expiry - into if previous else 0.0
        weighted = previous * previous_ttl / expiry
        allowed = floor(weighted + current) + 1 <= amount
        if allowed:
            current = window[1] = current + 1
        remaining = max(0, amount - floor(weighted + current))
        # SlidingWindowCounterRateLimiter.get_window_stats: when the count next drops.
        previous_reset_in = previous_ttl % (expiry / previous) if previous else inf
        current_reset_in = (2 * expiry - into) % expiry if current else inf
        reset_in = min(previous_reset_in, current_reset_in)
        return allowed, remaining, 1 if reset_in == inf else int(reset_in) + 1

    def sweep(self, now: float) -> None:
        """Drops the counters of windows that no longer weigh (the memory of idle keys)."""
        for key, window in list(self._windows.items()):
            if window[0] < int(now // _expiry_of(key[0])) - 1:
                del self._windows[key]

    def clear(self) -> None:
        self._windows.clear()

    def __len__(self) -> int:
        return len(self._windows)


def _expiry_of(limit: str) -> int:
    return _item(limit).get_expiry()


@dataclass(frozen=True, slots=True)
class RateDecision:
    """Whether a request may go on, and what to tell the client (RateLimit-* headers)."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        """The ``RateLimit-*`` headers (IETF draft) of this decision."""
        return [
            (b"ratelimit-limit", _digits(self.limit)),
            (b"ratelimit-remaining", _digits(self.remaining)),
            (b"ratelimit-reset", _digits(self.reset_seconds)),
        ]


@lru_cache(maxsize=4096)
def _digits(value: int) -> bytes:
    return str(value).encode()


@lru_cache(maxsize=1024)
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


class RateLimiter:
    """Counts requests per identity; a failing store lets requests through (and says so in logs).

    In memory (one gateway), the counting is ``_SlidingWindows``, called without an await
    (``check_now``): the event loop runs one request at a time, so each call is atomic. With
    Redis (replicas share the budgets) ``limits``' asynchronous store and strategy are used,
    and a failing store lets requests through.
    """

    def __init__(self, storage_url: str) -> None:
        self._memory: _SlidingWindows | None = None
        self._limiter: async_strategies.SlidingWindowCounterRateLimiter | None = None
        # A sliding window of two counters: O(1) per request, unlike the moving window, whose
        # memory store keeps (and shifts) one timestamp per request of the window.
        if storage_url.partition("://")[0] in _MEMORY_SCHEMES:
            self._memory = _SlidingWindows()
            self._next_sweep = time.time() + SWEEP_SECONDS
        else:
            options: dict[str, Any] = {}
            if "redis" in storage_url:
                options = {
                    "implementation": "redispy",
                    "socket_timeout": STORE_TIMEOUT_SECONDS,
                    "socket_connect_timeout": STORE_TIMEOUT_SECONDS,
                    "retry": Retry(NoBackoff(), 0),
                }
            storage = storage_from_string(storage_url, **options)
            if not isinstance(storage, Storage):
                raise ValueError(
                    f"{storage_url} is not an asynchronous store: use async+memory:// or async+redis://…"
                )
            self._storage = storage
            self._limiter = async_strategies.SlidingWindowCounterRateLimiter(storage)
        self._paused_until = 0.0

    async def check(self, identity: str, limit: str) -> RateDecision | None:
        """Counts one request; None when the store failed or is paused (the request is let through)."""
        if self._memory is not None:
            return self.check_now(identity, limit)
        if self._paused_until and time.monotonic() < self._paused_until:
            return None
        item = _item(limit)
        assert self._limiter is not None
        try:
            allowed = await self._limiter.hit(item, identity)
            stats = await self._limiter.get_window_stats(item, identity)
        except Exception:  # the limiter's store failing must never fail a request
            self._paused_until = time.monotonic() + STORE_PAUSE_SECONDS
            logger.warning("rate_limit_store_failed", exc_info=True)
            return None
        self._paused_until = 0.0
        return _decision(item, allowed, stats.remaining, stats.reset_time)

    @property
    def synchronous(self) -> bool:
        """True when ``check_now`` can count (the in-memory store): no await needed."""
        return self._memory is not None

    def check_now(self, identity: str, limit: str) -> RateDecision | None:
        """``check`` for the in-memory store, as a plain call (expired windows swept every
        ``SWEEP_SECONDS``)."""
        windows = self._memory
        assert windows is not None
        item = _item(limit)
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_SECONDS
            windows.sweep(now)
        allowed, remaining, reset = windows.hit(
            (limit, identity), item.amount, item.get_expiry(), now
        )
        return RateDecision(allowed, item.amount, remaining, reset)

    async def reset(self) -> None:
        """Clears every counter (tests)."""
        if self._memory is not None:
            self._memory.clear()
        else:
            await self._storage.reset()


def _decision(
    item: RateLimitItem, allowed: bool, remaining: int, reset_time: float
) -> RateDecision:
    reset = max(0, int(reset_time - time.time()) + 1)
    return RateDecision(allowed, item.amount, max(0, remaining), reset)
