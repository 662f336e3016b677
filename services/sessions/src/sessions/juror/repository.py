"""Every SQL statement about jurors and habilitations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from common import RepositoryBase, is_postgresql
from sessions.juror.models import Habilitation, Juror


class JurorRepository(RepositoryBase):
    """Jurors and their habilitations."""

    async def get(self, juror_id: uuid.UUID) -> Juror | None:
        """Gets a juror."""
        return await self.db.get(Juror, juror_id)

    async def get_many(
        self, ids: Sequence[uuid.UUID], *, lock: bool = False
    ) -> Sequence[Juror]:
        """Gets jurors; ``lock`` holds their rows until the transaction ends (PostgreSQL)."""
        statement = select(Juror).where(Juror.id.in_(ids)).order_by(Juror.id)
        if lock and is_postgresql(self.db):
            statement = statement.with_for_update()
        return (await self.db.scalars(statement)).all()

    async def list(
        self, *, rncp_code: str | None, after: uuid.UUID | None, limit: int
    ) -> Sequence[Juror]:
        """Lists jurors in id order, optionally those habilitated for a certification."""
        statement = select(Juror)
        if rncp_code is not None:
            statement = statement.where(
                Juror.id.in_(
                    select(Habilitation.juror_id).where(
                        Habilitation.rncp_code == rncp_code
                    )
                )
            )
        if after is not None:
            statement = statement.where(Juror.id > after)
        return (await self.db.scalars(statement.order_by(Juror.id).limit(limit))).all()

    async def habilitations_of(
        self, ids: Sequence[uuid.UUID]
    ) -> Sequence[Habilitation]:
        """The habilitations of some jurors."""
        return (
            await self.db.scalars(
                select(Habilitation)
                .where(Habilitation.juror_id.in_(ids))
                .order_by(Habilitation.granted_on)
            )
        ).all()

    async def habilitated(
        self, ids: Sequence[uuid.UUID], rncp_code: str, first_day: date, last_day: date
    ) -> set[uuid.UUID]:
        """Which of these jurors hold a habilitation for the certification over a period."""
        rows = await self.db.scalars(
            select(Habilitation.juror_id).where(
                Habilitation.juror_id.in_(ids),
                Habilitation.rncp_code == rncp_code,
                Habilitation.granted_on <= first_day,
                Habilitation.valid_until >= last_day,
            )
        )
        return set(rows.all())
