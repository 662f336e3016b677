"""Candidate use cases: create, read, change, erase (RGPD), experiences and links."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from candidacy.access import owns
from candidacy.candidacy.repository import CandidacyRepository
from candidacy.candidacy.rules import OPEN_STATES, State
from candidacy.candidacy.service import publish, withdraw
from candidacy.candidate.models import Candidate, CandidateLink, Experience
from candidacy.candidate.repository import CandidateRepository
from candidacy.candidate.schemas import (
    CandidateCreate,
    CandidateRead,
    CandidateSummary,
    CandidateUpdate,
    ExperienceCreate,
    ExperienceRead,
    LinkCreate,
    LinkRead,
)
from candidacy.config import EVENT_SOURCE
from candidacy.db import OutboxEvent
from candidacy.errors import (
    CandidateNotFoundError,
    CandidateVersionMismatchError,
    ExperienceNotFoundError,
    LinkNotFoundError,
)
from candidacy.ledger.repository import LedgerRepository
from common import (
    Principal,
    add_event,
    cursor_position,
    keyset_page,
    utcnow,
)

_CURSOR = "candidate"


def _no_candidate(candidate_id: uuid.UUID) -> CandidateNotFoundError:
    return CandidateNotFoundError(
        f"No candidate {candidate_id} is visible to you: check the id."
    )


def _experience(candidate_id: uuid.UUID, payload: ExperienceCreate) -> Experience:
    return Experience(
        id=uuid7(),
        candidate_id=candidate_id,
        created_at=utcnow(),
        **payload.model_dump(),
    )


def _link(candidate_id: uuid.UUID, payload: LinkCreate) -> CandidateLink:
    return CandidateLink(
        id=uuid7(),
        candidate_id=candidate_id,
        created_at=utcnow(),
        **payload.model_dump(),
    )


def _read(
    candidate: Candidate,
    experiences: Sequence[Experience],
    links: Sequence[CandidateLink],
) -> CandidateRead:
    return CandidateRead(
        id=candidate.id,
        organisation_id=candidate.organisation_id,
        given_name=candidate.given_name or "",
        family_name=candidate.family_name or "",
        birth_date=candidate.birth_date,
        email=candidate.email,
        phone=candidate.phone,
        department=candidate.department,
        experiences=[
            ExperienceRead.model_validate(e, from_attributes=True) for e in experiences
        ],
        links=[LinkRead.model_validate(link, from_attributes=True) for link in links],
        version=candidate.version,
        created_at=candidate.created_at,
        updated_at=candidate.updated_at,
    )


async def create_candidate(
    db: AsyncSession, principal: Principal, payload: CandidateCreate
) -> CandidateRead:
    """Creates a candidate owned by the caller's organisation, with experiences and links."""
    assert (
        principal.organisation_id is not None
    )  # the router admits bound partners only
    now = utcnow()
    candidate = Candidate(
        id=uuid7(),
        organisation_id=principal.organisation_id,
        given_name=payload.given_name,
        family_name=payload.family_name,
        birth_date=payload.birth_date,
        email=payload.email,
        phone=payload.phone,
        department=payload.department,
        version=1,
        created_at=now,
        updated_at=now,
    )
    experiences = [_experience(candidate.id, e) for e in payload.experiences]
    links = [_link(candidate.id, link) for link in payload.links]
    async with db.begin():
        db.add(candidate)
        await db.flush()
        db.add_all([*experiences, *links])
    return _read(candidate, experiences, links)


async def _visible(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> Candidate:
    candidate = await CandidateRepository(db).get_visible(principal, candidate_id)
    if candidate is None:
        raise _no_candidate(candidate_id)
    return candidate


async def _owned(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> Candidate:
    candidate = await _visible(db, principal, candidate_id)
    if not owns(principal, candidate.organisation_id):
        # A certifier sees the candidates of its candidacies but changes nothing of them.
        raise _no_candidate(candidate_id)
    return candidate


async def get_candidate(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> CandidateRead:
    """Gets a candidate the caller may see, with experiences and links.

    Raises
    ------
    CandidateNotFoundError
        It does not exist, was erased, or is not visible to the caller.
    """
    async with db.begin():
        candidate = await _visible(db, principal, candidate_id)
        repository = CandidateRepository(db)
        experiences = await repository.experiences_of(candidate.id)
        links = await repository.links_of(candidate.id)
    return _read(candidate, experiences, links)


async def list_candidates(
    db: AsyncSession,
    principal: Principal,
    *,
    department: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CandidateSummary], str | None]:
    """Lists the candidates the caller may see, oldest first.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    after = cursor_position(cursor, _CURSOR, lambda values: uuid.UUID(str(values[0])))
    async with db.begin():
        rows = await CandidateRepository(db).list_visible(
            principal, department=department, after=after, limit=limit + 1
        )
    items, next_cursor = keyset_page(rows, limit, _CURSOR, lambda c: [str(c.id)])
    return [
        CandidateSummary(
            id=c.id,
            organisation_id=c.organisation_id,
            given_name=c.given_name or "",
            family_name=c.family_name or "",
            department=c.department,
            created_at=c.created_at,
        )
        for c in items
    ], next_cursor


async def update_candidate(
    db: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    payload: CandidateUpdate,
    *,
    expected_version: int | None,
) -> CandidateRead:
    """Changes a candidate's identity or contact.

    Raises
    ------
    CandidateNotFoundError
        Not the caller's candidate.
    CandidateVersionMismatchError
        The If-Match ETag is stale.
    """
    changes = payload.model_dump(exclude_unset=True)
    async with db.begin():
        candidate = await _owned(db, principal, candidate_id)
        repository = CandidateRepository(db)
        if not await repository.bump(
            candidate, expected_version, updated_at=utcnow(), **changes
        ):
            raise CandidateVersionMismatchError(
                "The candidate changed since you read it: read it again and retry."
            )
        experiences = await repository.experiences_of(candidate.id)
        links = await repository.links_of(candidate.id)
    return _read(candidate, experiences, links)


async def erase_candidate(
    db: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    *,
    expected_version: int | None,
) -> None:
    """Erases a candidate's personal data (droit à l'effacement, RGPD).

    Identity, contact, experiences, links and acquired blocks go; open candidacies are
    withdrawn; candidacies keep only what the anonymous statistics count (certification,
    level, kind, department, year, state, result).

    Raises
    ------
    CandidateNotFoundError
        Not the caller's candidate.
    CandidateVersionMismatchError
        The If-Match ETag is stale.
    """
    async with db.begin():
        candidate = await _owned(db, principal, candidate_id)
        repository = CandidateRepository(db)
        if not await repository.bump(
            candidate,
            expected_version,
            given_name=None,
            family_name=None,
            birth_date=None,
            email=None,
            phone=None,
            erased_at=utcnow(),
            updated_at=utcnow(),
        ):
            raise CandidateVersionMismatchError(
                "The candidate changed since you read it: read it again and retry."
            )
        await repository.erase_personal_data(candidate.id)
        await LedgerRepository(db).delete_of_candidate(candidate.id)
        candidacies = CandidacyRepository(db)
        for candidacy in await candidacies.of_candidate(candidate.id):
            if State(candidacy.state) in OPEN_STATES:
                await withdraw(candidacies, candidacy, principal, "erasure", None)
                publish(db, candidacy, "withdrawn")
            await candidacies.change(candidacy, None, decision_reasons=None)
        add_event(
            db,
            OutboxEvent,
            type="fr.vae.candidacy.candidate-erased.v1",
            source=EVENT_SOURCE,
            subject=str(candidate.id),
            data={
                "candidate_id": str(candidate.id),
                "organisation_id": candidate.organisation_id,
            },
        )


async def _touch(db: AsyncSession, candidate: Candidate) -> None:
    await CandidateRepository(db).bump(candidate, None, updated_at=utcnow())


async def add_experience(
    db: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    payload: ExperienceCreate,
) -> ExperienceRead:
    """Adds an experience to one of the caller's candidates.

    Raises
    ------
    CandidateNotFoundError
        Not the caller's candidate.
    """
    async with db.begin():
        candidate = await _owned(db, principal, candidate_id)
        experience = _experience(candidate.id, payload)
        db.add(experience)
        await _touch(db, candidate)
    return ExperienceRead.model_validate(experience, from_attributes=True)


async def list_experiences(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> list[ExperienceRead]:
    """Lists a visible candidate's experiences.

    Raises
    ------
    CandidateNotFoundError
        Not visible to the caller.
    """
    async with db.begin():
        candidate = await _visible(db, principal, candidate_id)
        rows = await CandidateRepository(db).experiences_of(candidate.id)
    return [ExperienceRead.model_validate(e, from_attributes=True) for e in rows]


async def delete_experience(
    db: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    experience_id: uuid.UUID,
) -> None:
    """Deletes an experience of one of the caller's candidates.

    Raises
    ------
    CandidateNotFoundError, ExperienceNotFoundError
        Not the caller's candidate; no such experience.
    """
    async with db.begin():
        candidate = await _owned(db, principal, candidate_id)
        if not await CandidateRepository(db).delete_experience(
            candidate.id, experience_id
        ):
            raise ExperienceNotFoundError(
                f"The candidate has no experience {experience_id}: list them with GET /v1/candidates/{candidate_id}/experiences."
            )
        await _touch(db, candidate)


async def add_link(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID, payload: LinkCreate
) -> LinkRead:
    """Declares a person linked to one of the caller's candidates.

    Raises
    ------
    CandidateNotFoundError
        Not the caller's candidate.
    """
    async with db.begin():
        candidate = await _owned(db, principal, candidate_id)
        link = _link(candidate.id, payload)
        db.add(link)
        await _touch(db, candidate)
    return LinkRead.model_validate(link, from_attributes=True)


async def list_links(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID
) -> list[LinkRead]:
    """Lists the people a visible candidate declared a link with.

    Raises
    ------
    CandidateNotFoundError
        Not visible to the caller.
    """
    async with db.begin():
        candidate = await _visible(db, principal, candidate_id)
        rows = await CandidateRepository(db).links_of(candidate.id)
    return [LinkRead.model_validate(link, from_attributes=True) for link in rows]


async def delete_link(
    db: AsyncSession, principal: Principal, candidate_id: uuid.UUID, link_id: uuid.UUID
) -> None:
    """Deletes a declared link of one of the caller's candidates.

    Raises
    ------
    CandidateNotFoundError, LinkNotFoundError
        Not the caller's candidate; no such link.
    """
    async with db.begin():
        candidate = await _owned(db, principal, candidate_id)
        if not await CandidateRepository(db).delete_link(candidate.id, link_id):
            raise LinkNotFoundError(
                f"The candidate has no declared link {link_id}: list them with GET /v1/candidates/{candidate_id}/links."
            )
        await _touch(db, candidate)
