"""Per-client rate limits (sliding window, from the ``limits`` library), shared through Redis if set."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import structlog
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

logger = structlog.get_logger(__name__)

# A store that is down or silent must not hold requests: Redis calls time out quickly and are
# not retried, and after a failure the store is left alone for a moment (requests go through).
STORE_TIMEOUT_SECONDS = 0.5
STORE_PAUSE_SECONDS = 1.0


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
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


@lru_cache(maxsize=1024)
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


class RateLimiter:
    """Counts requests per identity; a failing store lets requests through (and says so in logs)."""

    def __init__(self, storage_url: str) -> None:
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
        # A sliding window of two counters: O(1) per request, unlike the moving window, whose
        # memory store keeps (and shifts) one timestamp per request of the window.
        self._limiter = SlidingWindowCounterRateLimiter(self._storage)
        self._paused_until = 0.0

    async def check(self, identity: str, limit: str) -> RateDecision | None:
        """Counts one request; None when the store failed or is paused (the request is let through)."""
        if self._paused_until and time.monotonic() < self._paused_until:
            return None
        item = _item(limit)
        try:
            allowed = await self._limiter.hit(item, identity)
            stats = await self._limiter.get_window_stats(item, identity)
        except Exception:  # the limiter's store failing must never fail a request
            self._paused_until = time.monotonic() + STORE_PAUSE_SECONDS
            logger.warning("rate_limit_store_failed", exc_info=True)
            return None
        self._paused_until = 0.0
        reset = max(0, int(stats.reset_time - time.time()) + 1)
        return RateDecision(allowed, item.amount, max(0, stats.remaining), reset)

    async def reset(self) -> None:
        """Clears every counter (tests)."""
        await self._storage.reset()
