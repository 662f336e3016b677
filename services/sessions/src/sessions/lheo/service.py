"""The LHEO export use case: the public calendar, read in short batches and written as it goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sessions.clients.catalog import CatalogCertification, CatalogClient
from sessions.lheo.repository import CalendarRow, LheoRepository
from sessions.lheo.writer import write_calendar
from sessions.session.service import CalendarFilters, SessionRules

BATCH_SIZE = 500
# Certifications asked of the catalog at once (its answers are cached a minute).
_CATALOG_CONCURRENCY = 8


async def export_calendar(
    read_sessions: async_sessionmaker[AsyncSession],
    filters: CalendarFilters,
    *,
    catalog: CatalogClient,
    now: datetime,
    rules: SessionRules,
    batch_size: int = BATCH_SIZE,
) -> AsyncGenerator[bytes, None] | None:
    """Prepares the LHEO export of the public calendar; None when no session matches.

    Everything that can fail cleanly fails before the first byte: the first batch of sessions
    is read and the catalog is asked for the certifications' blocks (one call per
    certification, cached). The stream then reads the next batches one short read at a time
    (keyset order, no transaction held while the client reads), so a slow client pins no
    connection and memory does not grow with the calendar. It takes a sessionmaker rather
    than a session for that reason.

    Raises
    ------
    CatalogUnavailableError
        The catalog could not be asked for the certifications' blocks.
    """
    conditions = filters.conditions()
    async with read_sessions() as db, db.begin():
        repository = LheoRepository(db)
        first = await repository.calendar_batch(
            conditions, after=None, limit=batch_size
        )
        codes = await repository.certification_codes(conditions) if first else []
    if not first:
        # LHEO needs at least one formation, with an action and a session: nothing to write.
        return None
    certifications = await _certifications(catalog, codes)
    return write_calendar(
        _rows(read_sessions, conditions, first, batch_size),
        certifications,
        now=now,
        convocation_months=rules.convocation_months,
    )


async def _certifications(
    catalog: CatalogClient, codes: Sequence[str]
) -> dict[str, CatalogCertification | None]:
    """The catalog's view of each certification (None for one it no longer knows)."""
    limit = asyncio.Semaphore(_CATALOG_CONCURRENCY)

    async def one(code: str) -> tuple[str, CatalogCertification | None]:
        async with limit:
            return code, await catalog.get_certification(code)

    return dict(await asyncio.gather(*(one(code) for code in codes)))


async def _rows(
    read_sessions: async_sessionmaker[AsyncSession],
    conditions: Sequence[ColumnElement[bool]],
    first: list[CalendarRow],
    batch_size: int,
) -> AsyncIterator[CalendarRow]:
    """The public sessions in offer order, one batch (one short read) at a time."""
    batch = first
    while True:
        for row in batch:
            yield row
        if len(batch) < batch_size:
            return
        async with read_sessions() as db, db.begin():
            batch = await LheoRepository(db).calendar_batch(
                conditions, after=batch[-1].key, limit=batch_size
            )
