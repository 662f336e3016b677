"""Every SQL statement about registrations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select

from common import RepositoryBase, is_postgresql
from sessions.registration.models import Registration
from sessions.session.models import ExamSession
from sessions.session.rules import State


class RegistrationRepository(RepositoryBase):
    """Registrations of candidacies in sessions."""

    async def of_session(
        self, session_id: uuid.UUID, *, organisation_id: str | None = None
    ) -> Sequence[Registration]:
        """The session's registrations (only one partner's, if given), oldest first."""
        statement = select(Registration).where(Registration.session_id == session_id)
        if organisation_id is not None:
            statement = statement.where(Registration.organisation_id == organisation_id)
        return (await self.db.scalars(statement.order_by(Registration.id))).all()

    async def get(
        self, session_id: uuid.UUID, registration_id: uuid.UUID
    ) -> Registration | None:
        """Gets a registration of a session."""
        return await self.db.scalar(
            select(Registration).where(
                Registration.id == registration_id,
                Registration.session_id == session_id,
            )
        )

    async def lock_candidate(self, candidate_id: uuid.UUID) -> None:
        """Serialises the registrations of one candidate until the transaction ends.

        Two registrations of the same candidate in two overlapping sessions lock no common
        row, so under READ COMMITTED both would find no overlap and both commit; a
        transaction-scoped advisory lock per candidate makes the second wait and see the
        first. SQLite needs none: BEGIN IMMEDIATE already serialises every writer.
        """
        if is_postgresql(self.db):
            key = int.from_bytes(candidate_id.bytes[:8], "big", signed=True)
            await self.db.execute(select(func.pg_advisory_xact_lock(key)))

    async def overlapping(
        self, candidate_id: uuid.UUID, starts_at: datetime, ends_at: datetime
    ) -> Registration | None:
        """A registration of the candidate in another live session that overlaps these dates."""
        return await self.db.scalar(
            select(Registration)
            .join(ExamSession, ExamSession.id == Registration.session_id)
            .where(
                Registration.candidate_id == candidate_id,
                Registration.starts_at < ends_at,
                Registration.ends_at > starts_at,
                ExamSession.state != State.CANCELLED,
            )
            .limit(1)
        )

    async def remove(self, registration: Registration) -> None:
        """Deletes a registration."""
        await self.db.execute(
            delete(Registration).where(Registration.id == registration.id)
        )
