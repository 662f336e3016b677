"""Every SQL statement about exam centres, sites and approvals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from common import RepositoryBase
from sessions.centre.models import Approval, ExamCentre, ExamSite


class CentreRepository(RepositoryBase):
    """Exam centres and what hangs off them."""

    async def get(self, centre_id: uuid.UUID) -> ExamCentre | None:
        """Gets a centre."""
        return await self.db.get(ExamCentre, centre_id)

    async def list(
        self,
        *,
        region: str | None,
        department: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[ExamCentre]:
        """Lists centres in id order, with filters."""
        statement = select(ExamCentre)
        if region is not None:
            statement = statement.where(ExamCentre.region == region)
        if department is not None:
            statement = statement.where(ExamCentre.department == department)
        if after is not None:
            statement = statement.where(ExamCentre.id > after)
        return (
            await self.db.scalars(statement.order_by(ExamCentre.id).limit(limit))
        ).all()

    async def sites_of(self, centre_ids: Sequence[uuid.UUID]) -> Sequence[ExamSite]:
        """The sites of some centres."""
        return (
            await self.db.scalars(
                select(ExamSite)
                .where(ExamSite.centre_id.in_(centre_ids))
                .order_by(ExamSite.id)
            )
        ).all()

    async def get_site(
        self, centre_id: uuid.UUID, site_id: uuid.UUID
    ) -> ExamSite | None:
        """Gets a site of a centre."""
        return await self.db.scalar(
            select(ExamSite).where(
                ExamSite.id == site_id, ExamSite.centre_id == centre_id
            )
        )

    async def approvals_of(self, centre_id: uuid.UUID) -> Sequence[Approval]:
        """The centre's approvals, newest first."""
        return (
            await self.db.scalars(
                select(Approval)
                .where(Approval.centre_id == centre_id)
                .order_by(Approval.start_date.desc(), Approval.id)
            )
        ).all()

    async def get_approval(
        self, centre_id: uuid.UUID, approval_id: uuid.UUID
    ) -> Approval | None:
        """Gets an approval of a centre."""
        return await self.db.scalar(
            select(Approval).where(
                Approval.id == approval_id, Approval.centre_id == centre_id
            )
        )

    async def covering_approval(
        self, site_id: uuid.UUID, rncp_code: str, first_day: date, last_day: date
    ) -> Approval | None:
        """An approval in force for this site and certification over every day of a period."""
        return await self.db.scalar(
            select(Approval)
            .where(
                Approval.site_id == site_id,
                Approval.rncp_code == rncp_code,
                Approval.withdrawn_at.is_(None),
                Approval.start_date <= first_day,
                Approval.end_date >= last_day,
            )
            .limit(1)
        )
