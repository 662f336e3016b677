"""Every SQL statement of the LHEO export: the public calendar, in batches, in offer order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, tuple_

from common import RepositoryBase
from sessions.centre.models import ExamCentre, ExamSite
from sessions.session.models import ExamSession
from sessions.session.rules import State

# Drafts are private to their centre; cancelled sessions are no longer offered.
PUBLIC_STATES = (
    State.SCHEDULED,
    State.CONVOCATIONS_SENT,
    State.HELD,
    State.REPORT_SIGNED,
)


@dataclass(frozen=True, slots=True)
class CalendarRow:
    """One session of the public calendar with its site and centre: public fields only.

    The columns are chosen one by one: the session manager, supervisors, jury and candidates
    are never even read.
    """

    session_id: uuid.UUID
    rncp_code: str
    certification_title: str
    kind: str
    state: str
    block_codes: list[str]
    starts_at: datetime
    ends_at: datetime
    test_hours: float
    capacity: int
    seats_taken: int
    region: str
    created_at: datetime
    updated_at: datetime
    centre_id: uuid.UUID
    centre_name: str
    centre_siret: str
    site_id: uuid.UUID
    site_name: str
    site_address: str
    site_postal_code: str
    site_city: str
    site_department: str

    @property
    def key(self) -> tuple[str, uuid.UUID, uuid.UUID, datetime, uuid.UUID]:
        """Its place in the export: certification, centre, site, start, id."""
        return (
            self.rncp_code,
            self.centre_id,
            self.site_id,
            self.starts_at,
            self.session_id,
        )


_COLUMNS = (
    ExamSession.id,
    ExamSession.rncp_code,
    ExamSession.certification_title,
    ExamSession.kind,
    ExamSession.state,
    ExamSession.block_codes,
    ExamSession.starts_at,
    ExamSession.ends_at,
    ExamSession.test_hours,
    ExamSession.capacity,
    ExamSession.seats_taken,
    ExamSession.region,
    ExamSession.created_at,
    ExamSession.updated_at,
    ExamCentre.id,
    ExamCentre.name,
    ExamCentre.siret,
    ExamSite.id,
    ExamSite.name,
    ExamSite.address,
    ExamSite.postal_code,
    ExamSite.city,
    ExamSite.department,
)
# Every column of the order is fixed once a session leaves DRAFT (its dates included), so
# keyset batches neither skip nor repeat a session while the export runs.
_ORDER = (
    ExamSession.rncp_code,
    ExamSession.centre_id,
    ExamSession.site_id,
    ExamSession.starts_at,
    ExamSession.id,
)


class LheoRepository(RepositoryBase):
    """The public calendar as the LHEO export reads it."""

    async def certification_codes(
        self, filters: Sequence[ColumnElement[bool]]
    ) -> list[str]:
        """The RNCP codes of the public sessions these filters keep."""
        rows = await self.db.scalars(
            select(ExamSession.rncp_code)
            .where(ExamSession.state.in_(PUBLIC_STATES), *filters)
            .distinct()
            .order_by(ExamSession.rncp_code)
        )
        return list(rows)

    async def calendar_batch(
        self,
        filters: Sequence[ColumnElement[bool]],
        *,
        after: tuple[str, uuid.UUID, uuid.UUID, datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[CalendarRow]:
        """The next public sessions in offer order (certification, centre, site, start)."""
        statement = (
            select(*_COLUMNS)
            .join(ExamSite, ExamSite.id == ExamSession.site_id)
            .join(ExamCentre, ExamCentre.id == ExamSession.centre_id)
            .where(ExamSession.state.in_(PUBLIC_STATES), *filters)
        )
        if after is not None:
            statement = statement.where(tuple_(*_ORDER) > tuple_(*after))
        rows = await self.db.execute(statement.order_by(*_ORDER).limit(limit))
        return [CalendarRow(*tuple(row)) for row in rows]
