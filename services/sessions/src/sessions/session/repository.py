"""Every SQL statement about exam sessions and their juries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, tuple_, update

from common import Principal, RepositoryBase, is_postgresql, utcnow
from sessions.access import sees_whole_session, session_visible_to
from sessions.juror.models import Juror
from sessions.session.models import ExamSession, ExamSessionCertifier, JuryMember
from sessions.session.rules import State


class SessionRepository(RepositoryBase):
    """Exam sessions and their juries."""

    async def get_visible(
        self, principal: Principal, session_id: uuid.UUID, *, lock: bool = False
    ) -> tuple[ExamSession, bool] | None:
        """Gets a session the caller may see, and whether they see it whole."""
        whole = sees_whole_session(principal).label("whole")
        statement = (
            select(ExamSession, whole)
            .where(ExamSession.id == session_id, session_visible_to(principal))
            .execution_options(populate_existing=True)
        )
        if lock and is_postgresql(self.db):
            statement = statement.with_for_update(of=ExamSession)
        row = (await self.db.execute(statement)).first()
        return (row[0], bool(row[1])) if row else None

    async def calendar(
        self,
        principal: Principal,
        *,
        filters: Sequence[ColumnElement[bool]],
        position: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> Sequence[tuple[ExamSession, bool]]:
        """The sessions the caller may see, soonest first, with whether each is seen whole."""
        statement = select(
            ExamSession, sees_whole_session(principal).label("whole")
        ).where(session_visible_to(principal), *filters)
        if position is not None:
            statement = statement.where(
                tuple_(ExamSession.starts_at, ExamSession.id) > tuple_(*position)
            )
        rows = await self.db.execute(
            statement.order_by(ExamSession.starts_at, ExamSession.id).limit(limit)
        )
        return [(row[0], bool(row[1])) for row in rows]

    async def set_certifiers(self, session_id: uuid.UUID, ids: Sequence[str]) -> None:
        """Records the certifiers who see the session whole."""
        if ids:
            await self.db.execute(
                insert(ExamSessionCertifier),
                [{"session_id": session_id, "certifier_id": i} for i in set(ids)],
            )

    async def certifiers_of(self, session_id: uuid.UUID) -> list[str]:
        """The ids of the session's certifiers, as recorded when it was created, in order."""
        rows = await self.db.scalars(
            select(ExamSessionCertifier.certifier_id)
            .where(ExamSessionCertifier.session_id == session_id)
            .order_by(ExamSessionCertifier.certifier_id)
        )
        return list(rows)

    async def change(
        self, session: ExamSession, expected_version: int | None, **values: Any
    ) -> bool:
        """Writes changes and moves the version on, unless another change came first."""
        statement = update(ExamSession).where(ExamSession.id == session.id)
        if expected_version is not None:
            statement = statement.where(ExamSession.version == expected_version)
        values.setdefault("updated_at", utcnow())
        result = await self.db.execute(
            statement.values(version=ExamSession.version + 1, **values).returning(
                ExamSession.version
            )
        )
        version = result.scalar_one_or_none()
        if version is None:
            return False
        session.version = version
        for name, value in values.items():
            setattr(session, name, value)
        return True

    async def take_seat(self, session_id: uuid.UUID) -> int | None:
        """Takes a seat if one is left and registrations are open; returns the seats taken.

        One conditional UPDATE: however many registrations race, the database hands out at
        most ``capacity`` seats.
        """
        result = await self.db.execute(
            update(ExamSession)
            .where(
                ExamSession.id == session_id,
                ExamSession.state == State.SCHEDULED,
                ExamSession.seats_taken < ExamSession.capacity,
            )
            .values(seats_taken=ExamSession.seats_taken + 1)
            .returning(ExamSession.seats_taken)
        )
        return result.scalar_one_or_none()

    async def release_seat(self, session_id: uuid.UUID) -> None:
        """Gives a seat back."""
        await self.db.execute(
            update(ExamSession)
            .where(ExamSession.id == session_id, ExamSession.seats_taken > 0)
            .values(seats_taken=ExamSession.seats_taken - 1)
        )

    async def jury_of(
        self, session_id: uuid.UUID
    ) -> Sequence[tuple[JuryMember, Juror]]:
        """The session's jury, with each juror."""
        rows = await self.db.execute(
            select(JuryMember, Juror)
            .join(Juror, Juror.id == JuryMember.juror_id)
            .where(JuryMember.session_id == session_id)
            .order_by(Juror.family_name, Juror.id)
        )
        return [(row[0], row[1]) for row in rows]

    async def replace_jury(
        self, session: ExamSession, seats: Sequence[tuple[uuid.UUID, str]]
    ) -> None:
        """Replaces the session's jury, keeping the declarations of jurors who stay."""
        kept = {member.juror_id: member for member, _ in await self.jury_of(session.id)}
        await self.db.execute(
            delete(JuryMember).where(JuryMember.session_id == session.id)
        )
        for juror_id, role in seats:
            previous = kept.get(juror_id)
            self.db.add(
                JuryMember(
                    session_id=session.id,
                    juror_id=juror_id,
                    role=role,
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    declared_candidacy_ids=previous.declared_candidacy_ids
                    if previous
                    else [],
                    declared_at=previous.declared_at if previous else None,
                )
            )
        await self.db.flush()

    async def double_bookings(
        self,
        juror_ids: Sequence[uuid.UUID],
        starts_at: datetime,
        ends_at: datetime,
        exclude: uuid.UUID,
    ) -> Sequence[tuple[uuid.UUID, uuid.UUID]]:
        """(juror, other session) pairs where these jurors sit in another overlapping session."""
        rows = await self.db.execute(
            select(JuryMember.juror_id, JuryMember.session_id)
            .join(ExamSession, ExamSession.id == JuryMember.session_id)
            .where(
                JuryMember.juror_id.in_(juror_ids),
                JuryMember.session_id != exclude,
                JuryMember.starts_at < ends_at,
                JuryMember.ends_at > starts_at,
                ExamSession.state != State.CANCELLED,
            )
        )
        return [(row[0], row[1]) for row in rows]

    async def set_dates_of_jury(self, session: ExamSession) -> None:
        """Copies the session's dates onto its jury seats (after the dates change)."""
        await self.db.execute(
            update(JuryMember)
            .where(JuryMember.session_id == session.id)
            .values(starts_at=session.starts_at, ends_at=session.ends_at)
        )
