"""Endpoints of candidates, their experiences and declared links."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from candidacy.candidate import service as candidate_service
from candidacy.candidate.schemas import (
    CandidateCreate,
    CandidateRead,
    CandidateSummary,
    CandidateUpdate,
    Department,
    ExperienceCreate,
    ExperienceRead,
    LinkCreate,
    LinkRead,
)
from candidacy.dependencies import IfMatch, Owner, Partner, Reader
from candidacy.errors import (
    CandidateNotFoundError,
    CandidateVersionMismatchError,
    ExperienceNotFoundError,
    LinkNotFoundError,
)
from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuthenticationError,
    DbSession,
    InvalidCursorError,
    Page,
    PermissionDeniedError,
    expected_version,
    next_link,
    problem_responses,
    version_etag,
)

router = APIRouter(prefix="/v1/candidates", tags=["candidates"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CandidateRead,
    summary="Create a candidate (candidat)",
    description="Creates a candidate followed by the calling partner organisation (organisme "
    "accompagnateur), optionally with their experiences and the people linked to them. The "
    "candidate belongs to that organisation: no other partner sees it.",
    responses=problem_responses(*_AUTH),
)
async def create_candidate(
    payload: CandidateCreate, db: DbSession, principal: Partner, response: Response
) -> CandidateRead:
    created = await candidate_service.create_candidate(db, principal, payload)
    response.headers["Location"] = f"/v1/candidates/{created.id}"
    response.headers["ETag"] = version_etag(created.version)
    return created


@router.get(
    "",
    response_model=Page[CandidateSummary],
    summary="List candidates",
    description="Lists the candidates the caller may see: a partner its own, a certifier those "
    "with a candidacy submitted for one of its certifications. Oldest first, by cursor.",
    responses=problem_responses(*_AUTH, InvalidCursorError),
)
async def list_candidates(
    request: Request,
    response: Response,
    db: DbSession,
    principal: Reader,
    department: Annotated[Department | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[CandidateSummary]:
    items, next_cursor = await candidate_service.list_candidates(
        db, principal, department=department, cursor=cursor, limit=limit
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[CandidateSummary](items=items, next_cursor=next_cursor)


@router.get(
    "/{candidate_id}",
    response_model=CandidateRead,
    summary="Get a candidate",
    description="A candidate with experiences and declared links. Answers 404 for a candidate "
    "the caller may not see, as for one that does not exist.",
    responses=problem_responses(*_AUTH, CandidateNotFoundError),
)
async def get_candidate(
    candidate_id: uuid.UUID, db: DbSession, principal: Reader, response: Response
) -> CandidateRead:
    candidate = await candidate_service.get_candidate(db, principal, candidate_id)
    response.headers["ETag"] = version_etag(candidate.version)
    return candidate


@router.patch(
    "/{candidate_id}",
    response_model=CandidateRead,
    summary="Change a candidate's identity or contact",
    description="Fields left out stay as they are. Honours If-Match.",
    responses=problem_responses(
        *_AUTH, CandidateNotFoundError, CandidateVersionMismatchError
    ),
)
async def update_candidate(
    candidate_id: uuid.UUID,
    payload: CandidateUpdate,
    db: DbSession,
    principal: Owner,
    response: Response,
    if_match: IfMatch = None,
) -> CandidateRead:
    candidate = await candidate_service.update_candidate(
        db,
        principal,
        candidate_id,
        payload,
        expected_version=expected_version(
            if_match, required=False, resource="candidate"
        ),
    )
    response.headers["ETag"] = version_etag(candidate.version)
    return candidate


@router.delete(
    "/{candidate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a candidate's personal data (RGPD)",
    description="Droit à l'effacement: identity, contact, experiences, links and acquired "
    "blocks are deleted and open candidacies withdrawn. Candidacies keep only anonymous "
    "fields (certification, level, kind, department, year, state, result) for statistics.",
    responses=problem_responses(
        *_AUTH, CandidateNotFoundError, CandidateVersionMismatchError
    ),
)
async def erase_candidate(
    candidate_id: uuid.UUID, db: DbSession, principal: Owner, if_match: IfMatch = None
) -> Response:
    await candidate_service.erase_candidate(
        db,
        principal,
        candidate_id,
        expected_version=expected_version(
            if_match, required=False, resource="candidate"
        ),
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{candidate_id}/experiences",
    status_code=status.HTTP_201_CREATED,
    response_model=ExperienceRead,
    summary="Declare an experience",
    description="An experience of any nature: salariée, non salariée, bénévole, aidant familial.",
    responses=problem_responses(*_AUTH, CandidateNotFoundError),
)
async def add_experience(
    candidate_id: uuid.UUID, payload: ExperienceCreate, db: DbSession, principal: Owner
) -> ExperienceRead:
    return await candidate_service.add_experience(db, principal, candidate_id, payload)


@router.get(
    "/{candidate_id}/experiences",
    response_model=list[ExperienceRead],
    summary="List a candidate's experiences",
    responses=problem_responses(*_AUTH, CandidateNotFoundError),
)
async def list_experiences(
    candidate_id: uuid.UUID, db: DbSession, principal: Reader
) -> list[ExperienceRead]:
    return await candidate_service.list_experiences(db, principal, candidate_id)


@router.delete(
    "/{candidate_id}/experiences/{experience_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an experience",
    responses=problem_responses(
        *_AUTH, CandidateNotFoundError, ExperienceNotFoundError
    ),
)
async def delete_experience(
    candidate_id: uuid.UUID, experience_id: uuid.UUID, db: DbSession, principal: Owner
) -> Response:
    await candidate_service.delete_experience(
        db, principal, candidate_id, experience_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{candidate_id}/links",
    status_code=status.HTTP_201_CREATED,
    response_model=LinkRead,
    summary="Declare a person linked to the candidate",
    description="A trainer (formateur), internship tutor (tuteur), supervisor (encadrant), "
    "colleague or personal relation: such a person may not sit on the candidate's jury, "
    "supervise the tests or manage the session. The sessions service checks juries against "
    "these declarations.",
    responses=problem_responses(*_AUTH, CandidateNotFoundError),
)
async def add_link(
    candidate_id: uuid.UUID, payload: LinkCreate, db: DbSession, principal: Owner
) -> LinkRead:
    return await candidate_service.add_link(db, principal, candidate_id, payload)


@router.get(
    "/{candidate_id}/links",
    response_model=list[LinkRead],
    summary="List the people linked to a candidate",
    responses=problem_responses(*_AUTH, CandidateNotFoundError),
)
async def list_links(
    candidate_id: uuid.UUID, db: DbSession, principal: Reader
) -> list[LinkRead]:
    return await candidate_service.list_links(db, principal, candidate_id)


@router.delete(
    "/{candidate_id}/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a declared link",
    responses=problem_responses(*_AUTH, CandidateNotFoundError, LinkNotFoundError),
)
async def delete_link(
    candidate_id: uuid.UUID, link_id: uuid.UUID, db: DbSession, principal: Owner
) -> Response:
    await candidate_service.delete_link(db, principal, candidate_id, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
