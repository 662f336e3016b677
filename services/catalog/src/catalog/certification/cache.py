"""Rendered documents of the read-mostly catalog, kept in memory and dropped on any write.

Every write moves the catalog revision in the database; each replica polls it and clears its
cache when it moves, so a replica serves a stale document for at most one poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date

import structlog
from cachetools import TTLCache

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Rendered:
    """A serialised representation with its entity tag (and a Link header for pages)."""

    body: bytes
    etag: str
    link: str | None = None

    @classmethod
    def of(cls, body: bytes, link: str | None = None) -> Rendered:
        """Wraps a body, deriving a strong ETag from its bytes."""
        return cls(body, f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"', link)


def certification_key(rncp_code: str, as_of: date) -> Hashable:
    """Cache key of a certification's document as of a date."""
    return ("certification", rncp_code, as_of)


def list_key(query_string: bytes, today: date) -> Hashable:
    """Cache key of a page of the certification list, by its exact query string."""
    return ("list", query_string, today)


def partners_key(rncp_code: str) -> Hashable:
    """Cache key of a certification's list of partner organisations."""
    return ("partners", rncp_code)


def blocks_key(rncp_code: str) -> Hashable:
    """Cache key of a certification's list of blocks."""
    return ("blocks", rncp_code)


def block_key(block_code: str) -> Hashable:
    """Cache key of a block's document."""
    return ("block", block_code)


class DocumentCache:
    """An LRU of rendered documents that knows the catalog revision it reflects."""

    def __init__(self, *, max_entries: int, max_age_seconds: int) -> None:
        self._entries: TTLCache[Hashable, Rendered] = TTLCache(
            maxsize=max_entries, ttl=max_age_seconds
        )
        self.revision: int | None = None
        # Moves on every clear, so a render that started before a clear is not stored after it.
        self.generation = 0

    def get(self, key: Hashable) -> Rendered | None:
        """Returns a cached document, if any."""
        return self._entries.get(key)

    def put(self, key: Hashable, value: Rendered, generation: int) -> None:
        """Stores a document rendered during ``generation``, unless the cache was cleared since."""
        if generation == self.generation:
            self._entries[key] = value

    def clear(self) -> None:
        """Drops every document."""
        self._entries.clear()
        self.generation += 1

    def observe_revision(self, revision: int) -> None:
        """Clears the cache if the catalog revision moved."""
        if revision != self.revision:
            if self.revision is not None:
                logger.info("catalog_cache_cleared", revision=revision)
            self.clear()
            self.revision = revision

    async def follow(
        self,
        read_revision: Callable[[], Awaitable[int]],
        interval: float,
        stop: asyncio.Event,
    ) -> None:
        """Polls the catalog revision until ``stop`` is set."""
        while not stop.is_set():
            try:
                self.observe_revision(await read_revision())
            except Exception:
                logger.exception("catalog_revision_poll_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
