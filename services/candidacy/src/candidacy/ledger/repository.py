"""Every SQL statement about acquired blocks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, select, tuple_, update

from candidacy.ledger.models import AcquiredBlock
from common import RepositoryBase, is_postgresql, upsert


class LedgerRepository(RepositoryBase):
    """The ledger of acquired blocks."""

    async def add(self, rows: Sequence[dict[str, Any]]) -> int:
        """Records blocks; one already recorded from the same source is left alone."""
        if not rows:
            return 0
        statement = upsert(self.db, AcquiredBlock.__table__).on_conflict_do_nothing(
            index_elements=["candidate_id", "block_code", "source_ref"]
        )
        result = await self.db.execute(statement, list(rows))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def of_candidate(self, candidate_id: uuid.UUID) -> Sequence[AcquiredBlock]:
        """Every block the candidate acquired, oldest first."""
        return (
            await self.db.scalars(
                select(AcquiredBlock)
                .where(AcquiredBlock.candidate_id == candidate_id)
                .order_by(AcquiredBlock.acquired_on, AcquiredBlock.block_code)
            )
        ).all()

    async def expiring(
        self,
        *,
        organisation_id: str | None,
        after: date,
        until: date,
        rncp_code: str | None,
        position: tuple[date, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[AcquiredBlock]:
        """Blocks expiring after one date and until another, soonest first.

        One range scan on (organisation_id, expires_on), or on expires_on for an administrator.
        """
        statement = select(AcquiredBlock).where(
            AcquiredBlock.expires_on > after, AcquiredBlock.expires_on <= until
        )
        if organisation_id is not None:
            statement = statement.where(
                AcquiredBlock.organisation_id == organisation_id
            )
        if rncp_code is not None:
            statement = statement.where(AcquiredBlock.rncp_code == rncp_code)
        if position is not None:
            statement = statement.where(
                tuple_(AcquiredBlock.expires_on, AcquiredBlock.id) > tuple_(*position)
            )
        return (
            await self.db.scalars(
                statement.order_by(AcquiredBlock.expires_on, AcquiredBlock.id).limit(
                    limit
                )
            )
        ).all()

    async def claim_expired(
        self, today: date, now: datetime, limit: int
    ) -> Sequence[Any]:
        """Marks up to ``limit`` blocks expired by ``today`` as announced, and returns them.

        Marking and returning is one statement: two sweeps at once never announce a block
        twice (rows another sweep holds are skipped on PostgreSQL; SQLite has one writer).
        """
        pending = and_(
            AcquiredBlock.expires_on <= today,
            AcquiredBlock.expired_notified_at.is_(None),
        )
        return await self._claim(pending, {"expired_notified_at": now}, limit)

    async def claim_expiring(
        self, today: date, until: date, now: datetime, limit: int
    ) -> Sequence[Any]:
        """Marks up to ``limit`` blocks expiring after ``today`` and by ``until`` as announced."""
        pending = and_(
            AcquiredBlock.expires_on > today,
            AcquiredBlock.expires_on <= until,
            AcquiredBlock.expiring_notified_at.is_(None),
            AcquiredBlock.expired_notified_at.is_(None),
        )
        return await self._claim(pending, {"expiring_notified_at": now}, limit)

    async def _claim(
        self, pending: Any, values: dict[str, Any], limit: int
    ) -> Sequence[Any]:
        ids = (
            select(AcquiredBlock.id)
            .where(pending)
            .order_by(AcquiredBlock.expires_on)
            .limit(limit)
        )
        if is_postgresql(self.db):
            ids = ids.with_for_update(skip_locked=True)
        result = await self.db.execute(
            update(AcquiredBlock)
            .where(AcquiredBlock.id.in_(ids.scalar_subquery()), pending)
            .values(**values)
            .returning(
                AcquiredBlock.id,
                AcquiredBlock.candidate_id,
                AcquiredBlock.organisation_id,
                AcquiredBlock.block_code,
                AcquiredBlock.rncp_code,
                AcquiredBlock.acquired_on,
                AcquiredBlock.expires_on,
            )
        )
        return result.all()

    async def delete_of_candidate(self, candidate_id: uuid.UUID) -> None:
        """Deletes the candidate's blocks (erasure)."""
        await self.db.execute(
            delete(AcquiredBlock).where(AcquiredBlock.candidate_id == candidate_id)
        )
