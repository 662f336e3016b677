"""Every SQL statement about candidates, experiences and links."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, func, select, update

from candidacy.access import candidate_visible_to
from candidacy.candidate.models import Candidate, CandidateLink, Experience
from common import Principal, RepositoryBase, is_postgresql


class CandidateRepository(RepositoryBase):
    """Candidates and what hangs off them."""

    async def get_visible(
        self, principal: Principal, candidate_id: uuid.UUID
    ) -> Candidate | None:
        """Gets a candidate the caller may see."""
        return await self.db.scalar(
            select(Candidate).where(
                Candidate.id == candidate_id, candidate_visible_to(principal)
            )
        )

    async def lock(self, candidate_id: uuid.UUID) -> Candidate | None:
        """Gets a candidate and locks its row until the transaction ends (PostgreSQL).

        On SQLite the transaction already holds the database's write lock (BEGIN IMMEDIATE).
        """
        statement = select(Candidate).where(Candidate.id == candidate_id)
        if is_postgresql(self.db):
            statement = statement.with_for_update()
        return await self.db.scalar(statement.execution_options(populate_existing=True))

    async def list_visible(
        self,
        principal: Principal,
        *,
        department: str | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Candidate]:
        """Lists the candidates the caller may see, oldest first (ids are time-ordered)."""
        statement = select(Candidate).where(candidate_visible_to(principal))
        if department is not None:
            statement = statement.where(Candidate.department == department)
        if after is not None:
            statement = statement.where(Candidate.id > after)
        return (
            await self.db.scalars(statement.order_by(Candidate.id).limit(limit))
        ).all()

    async def experiences_of(self, candidate_id: uuid.UUID) -> Sequence[Experience]:
        """The candidate's experiences, oldest first."""
        return (
            await self.db.scalars(
                select(Experience)
                .where(Experience.candidate_id == candidate_id)
                .order_by(Experience.start_date, Experience.id)
            )
        ).all()

    async def count_experiences(self, candidate_id: uuid.UUID) -> int:
        """How many experiences the candidate declared."""
        count = await self.db.scalar(
            select(func.count())
            .select_from(Experience)
            .where(Experience.candidate_id == candidate_id)
        )
        return int(count or 0)

    async def links_of(self, candidate_id: uuid.UUID) -> Sequence[CandidateLink]:
        """The people the candidate declared a link with."""
        return (
            await self.db.scalars(
                select(CandidateLink)
                .where(CandidateLink.candidate_id == candidate_id)
                .order_by(CandidateLink.id)
            )
        ).all()

    async def delete_experience(
        self, candidate_id: uuid.UUID, experience_id: uuid.UUID
    ) -> bool:
        """Deletes one experience of the candidate; tells whether it existed."""
        result = await self.db.execute(
            delete(Experience).where(
                Experience.id == experience_id, Experience.candidate_id == candidate_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def delete_link(self, candidate_id: uuid.UUID, link_id: uuid.UUID) -> bool:
        """Deletes one declared link of the candidate; tells whether it existed."""
        result = await self.db.execute(
            delete(CandidateLink).where(
                CandidateLink.id == link_id, CandidateLink.candidate_id == candidate_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def bump(
        self, candidate: Candidate, expected_version: int | None, **values: object
    ) -> bool:
        """Writes changes and moves the version on, unless another change came first."""
        statement = update(Candidate).where(Candidate.id == candidate.id)
        if expected_version is not None:
            statement = statement.where(Candidate.version == expected_version)
        result = await self.db.execute(
            statement.values(version=Candidate.version + 1, **values).returning(
                Candidate.version
            )
        )
        version = result.scalar_one_or_none()
        if version is None:
            return False
        candidate.version = version
        for name, value in values.items():
            setattr(candidate, name, value)
        return True

    async def erase_personal_data(self, candidate_id: uuid.UUID) -> None:
        """Removes the experiences and links; the identity is nulled by the caller."""
        await self.db.execute(
            delete(Experience).where(Experience.candidate_id == candidate_id)
        )
        await self.db.execute(
            delete(CandidateLink).where(CandidateLink.candidate_id == candidate_id)
        )
