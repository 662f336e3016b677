"""Every SQL statement about candidacies, their history, certifiers and yearly slots."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from uuid6 import uuid7

from candidacy.access import candidacy_visible_to
from candidacy.candidacy.models import (
    Candidacy,
    CandidacyCertifier,
    CandidacyTransition,
    JuryOutcome,
    SubmissionSlot,
)
from candidacy.candidate.models import Candidate
from common import Principal, RepositoryBase, utcnow


class CandidacyRepository(RepositoryBase):
    """Candidacies and their history."""

    async def get_visible(
        self, principal: Principal, candidacy_id: uuid.UUID
    ) -> Candidacy | None:
        """Gets a candidacy the caller may see."""
        return await self.db.scalar(
            select(Candidacy)
            .join(Candidate, Candidate.id == Candidacy.candidate_id)
            .where(Candidacy.id == candidacy_id, candidacy_visible_to(principal))
            .execution_options(populate_existing=True)
        )

    async def get(self, candidacy_id: uuid.UUID) -> Candidacy | None:
        """Gets a candidacy whoever owns it (the system's own use cases)."""
        return await self.db.scalar(
            select(Candidacy)
            .where(Candidacy.id == candidacy_id)
            .execution_options(populate_existing=True)
        )

    async def list_visible(
        self,
        principal: Principal,
        *,
        states: Collection[str] | None,
        rncp_code: str | None,
        candidate_id: uuid.UUID | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Candidacy]:
        """Lists the candidacies the caller may see, oldest first, in any of ``states``."""
        statement = (
            select(Candidacy)
            .join(Candidate, Candidate.id == Candidacy.candidate_id)
            .where(candidacy_visible_to(principal))
        )
        if states is not None:
            statement = statement.where(Candidacy.state.in_(sorted(states)))
        if rncp_code is not None:
            statement = statement.where(Candidacy.rncp_code == rncp_code)
        if candidate_id is not None:
            statement = statement.where(Candidacy.candidate_id == candidate_id)
        if after is not None:
            statement = statement.where(Candidacy.id > after)
        return (
            await self.db.scalars(statement.order_by(Candidacy.id).limit(limit))
        ).all()

    async def of_candidate(self, candidate_id: uuid.UUID) -> Sequence[Candidacy]:
        """The candidate's candidacies."""
        return (
            await self.db.scalars(
                select(Candidacy).where(Candidacy.candidate_id == candidate_id)
            )
        ).all()

    async def certifier_ids(self, candidacy_id: uuid.UUID) -> list[str]:
        """The certifiers who see the candidacy."""
        return list(
            (
                await self.db.scalars(
                    select(CandidacyCertifier.certifier_id).where(
                        CandidacyCertifier.candidacy_id == candidacy_id
                    )
                )
            ).all()
        )

    async def set_certifiers(self, candidacy_id: uuid.UUID, ids: Sequence[str]) -> None:
        """Replaces the certifiers who see the candidacy."""
        await self.db.execute(
            delete(CandidacyCertifier).where(
                CandidacyCertifier.candidacy_id == candidacy_id
            )
        )
        if ids:
            await self.db.execute(
                insert(CandidacyCertifier),
                [{"candidacy_id": candidacy_id, "certifier_id": i} for i in set(ids)],
            )

    async def change(
        self, candidacy: Candidacy, expected_version: int | None, **values: Any
    ) -> bool:
        """Writes changes and moves the version on, unless another change came first.

        The version check happens in the UPDATE itself, so two writers holding the same
        ETag cannot both succeed.
        """
        statement = update(Candidacy).where(Candidacy.id == candidacy.id)
        if expected_version is not None:
            statement = statement.where(Candidacy.version == expected_version)
        values.setdefault("updated_at", utcnow())
        result = await self.db.execute(
            statement.values(version=Candidacy.version + 1, **values).returning(
                Candidacy.version
            )
        )
        version = result.scalar_one_or_none()
        if version is None:
            return False
        candidacy.version = version
        for name, value in values.items():
            setattr(candidacy, name, value)
        return True

    def record_transition(
        self,
        candidacy_id: uuid.UUID,
        *,
        action: str,
        from_state: str | None,
        to_state: str,
        actor_id: str,
        actor_role: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Adds a step to the candidacy's history."""
        self.db.add(
            CandidacyTransition(
                id=uuid7(),
                candidacy_id=candidacy_id,
                action=action,
                from_state=from_state,
                to_state=to_state,
                actor_id=actor_id,
                actor_role=actor_role,
                details=details,
                occurred_at=utcnow(),
            )
        )

    async def history(self, candidacy_id: uuid.UUID) -> Sequence[CandidacyTransition]:
        """The candidacy's history, oldest first."""
        return (
            await self.db.scalars(
                select(CandidacyTransition)
                .where(CandidacyTransition.candidacy_id == candidacy_id)
                .order_by(CandidacyTransition.occurred_at, CandidacyTransition.id)
            )
        ).all()

    async def slots_used(self, candidate_id: uuid.UUID, year: int) -> dict[str, int]:
        """Per certification, how many requests the candidate made in a year."""
        rows = (
            await self.db.execute(
                select(SubmissionSlot.rncp_code, func.count())
                .where(
                    SubmissionSlot.candidate_id == candidate_id,
                    SubmissionSlot.year == year,
                )
                .group_by(SubmissionSlot.rncp_code)
            )
        ).all()
        return {code: int(count) for code, count in rows}

    async def has_slot(self, candidacy_id: uuid.UUID) -> bool:
        """Tells whether the candidacy was already counted (a resubmission is not)."""
        found = await self.db.scalar(
            select(SubmissionSlot.candidacy_id).where(
                SubmissionSlot.candidacy_id == candidacy_id
            )
        )
        return found is not None

    async def take_slot(self, candidacy: Candidacy, year: int, ordinal: int) -> None:
        """Counts the candidacy's request in the year (the primary key refuses a double)."""
        await self.db.execute(
            insert(SubmissionSlot).values(
                candidate_id=candidacy.candidate_id,
                year=year,
                rncp_code=candidacy.rncp_code,
                ordinal=ordinal,
                candidacy_id=candidacy.id,
            )
        )

    async def outcomes(self, candidacy_id: uuid.UUID) -> Sequence[JuryOutcome]:
        """The jury outcomes recorded for the candidacy, oldest first."""
        return (
            await self.db.scalars(
                select(JuryOutcome)
                .where(JuryOutcome.candidacy_id == candidacy_id)
                .order_by(JuryOutcome.recorded_at)
            )
        ).all()

    async def outcome_recorded(self, candidacy_id: uuid.UUID, report_id: str) -> bool:
        """Tells whether this report was already applied to the candidacy."""
        found = await self.db.scalar(
            select(JuryOutcome.id).where(
                JuryOutcome.candidacy_id == candidacy_id,
                JuryOutcome.report_id == report_id,
            )
        )
        return found is not None
