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
from limits.storage import MemoryStorage, storage_from_string
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


class _MemoryStorage(MemoryStorage):
    """``limits``' synchronous memory store, its expired counters swept by ``sweep()``.

    ``MemoryStorage.incr`` starts a 10 ms timer thread to sweep whenever none is alive: under
    load, a new thread every 10 ms, which (with the sweep's pass over every counter, holding
    the GIL) cost more than the counting itself. A counter that expired is reset when next
    read anyway; the sweep only frees the memory of those never read again, so the limiter
    runs it every ``SWEEP_SECONDS`` instead, on the event loop.
    """

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - MemoryStorage's hook
        return None

    def sweep(self) -> None:
        """Drops the expired counters."""
        self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


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

    In memory (one gateway), the counting is ``limits``' synchronous memory store, called
    without an await (``check_now``): the event loop runs one request at a time, so each call
    is atomic, and the asynchronous memory store would take an asyncio lock and schedule an
    expiry task on every hit. With Redis (replicas share the budgets) the asynchronous store
    and strategy are used, and a failing store lets requests through.
    """

    def __init__(self, storage_url: str) -> None:
        self._memory: _MemoryStorage | None = None
        self._limiter: async_strategies.SlidingWindowCounterRateLimiter | None = None
        # A sliding window of two counters: O(1) per request, unlike the moving window, whose
        # memory store keeps (and shifts) one timestamp per request of the window.
        if storage_url.partition("://")[0] in _MEMORY_SCHEMES:
            self._memory = _MemoryStorage()
            self._keys: dict[tuple[str, str], str] = {}
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
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
        """``check`` for the in-memory store, as a plain call.

        The hit is ``limits``' (``acquire_sliding_window_entry``, which decides); the figures of
        the headers are those of the strategy's ``get_window_stats``, read from the same
        store, with the counter's key built once per identity and limit.
        """
        storage = self._memory
        assert storage is not None
        key = self._keys.get((limit, identity))
        item = _item(limit)
        if key is None:
            if len(self._keys) >= _MAX_KEYS:
                self._keys.clear()
            key = self._keys[(limit, identity)] = item.key_for(identity)
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + SWEEP_SECONDS
            storage.sweep()
        expiry = item.get_expiry()
        amount = item.amount
        allowed = storage.acquire_sliding_window_entry(key, amount, expiry)
        previous, previous_expires_in, current, current_expires_in = (
            storage.get_sliding_window(key, expiry)
        )
        # SlidingWindowCounterRateLimiter.get_window_stats, on the figures just read.
        remaining = max(
            0, amount - floor(previous * previous_expires_in / expiry + current)
        )
        previous_reset_in = (
            previous_expires_in % (expiry / previous) if previous else inf
        )
        current_reset_in = current_expires_in % expiry if current else inf
        reset_in = min(previous_reset_in, current_reset_in)
        reset = 1 if reset_in == inf else int(reset_in) + 1
        return RateDecision(allowed, amount, remaining, reset)

    async def reset(self) -> None:
        """Clears every counter (tests)."""
        if self._memory is not None:
            self._memory.reset()
        else:
            await self._storage.reset()


def _decision(
    item: RateLimitItem, allowed: bool, remaining: int, reset_time: float
) -> RateDecision:
    reset = max(0, int(reset_time - time.time()) + 1)
    return RateDecision(allowed, item.amount, max(0, remaining), reset)
