"""Endpoints of candidates, their experiences and declared links."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from candidacy.candidate import examples
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
from candidacy.openapi import success
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
    responses={
        **success(201, "The candidate.", **examples.CANDIDATE_ANSWER),
        **problem_responses(*_AUTH),
    },
)
async def create_candidate(
    payload: Annotated[CandidateCreate, Body(openapi_examples=examples.CREATE_BODY)],
    db: DbSession,
    principal: Partner,
    response: Response,
) -> CandidateRead:
    created = await candidate_service.create_candidate(db, principal, payload)
    response.headers["Location"] = f"/v1/candidates/{created.id}"
    response.headers["ETag"] = version_etag(created.version)
    return created


@router.get(
    "",
    response_model=Page[CandidateSummary],
    summary="List candidates (candidats)",
    description="Lists the candidates the caller may see: a partner (organisme accompagnateur) "
    "its own, a certifier (certificateur) those with a candidature submitted for one of its "
    "certifications. Oldest first, by cursor.",
    responses={
        **success(200, "A page of candidates.", **examples.LIST_ANSWER),
        **problem_responses(*_AUTH, InvalidCursorError),
    },
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
    summary="Get a candidate (candidat)",
    description="A candidate with experiences (expériences) and declared links (personnes "
    "liées). Answers 404 for a candidate the caller may not see, as for one that does not exist.",
    responses={
        **success(200, "The candidate.", **examples.CANDIDATE_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError),
    },
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
    summary="Change a candidate's identity or contact (état civil, coordonnées)",
    description="Fields left out stay as they are. Honours If-Match.",
    responses={
        **success(200, "The changed candidate.", **examples.UPDATED_ANSWER),
        **problem_responses(
            *_AUTH, CandidateNotFoundError, CandidateVersionMismatchError
        ),
    },
)
async def update_candidate(
    candidate_id: uuid.UUID,
    payload: Annotated[CandidateUpdate, Body(openapi_examples=examples.UPDATE_BODY)],
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
    summary="Declare an experience (expérience)",
    description="An experience of any nature: salariée, non salariée, bénévole, aidant familial. "
    "A candidature cannot be submitted without one.",
    responses={
        **success(201, "The experience.", **examples.EXPERIENCE_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError),
    },
)
async def add_experience(
    candidate_id: uuid.UUID,
    payload: Annotated[
        ExperienceCreate, Body(openapi_examples=examples.EXPERIENCE_BODY)
    ],
    db: DbSession,
    principal: Owner,
) -> ExperienceRead:
    return await candidate_service.add_experience(db, principal, candidate_id, payload)


@router.get(
    "/{candidate_id}/experiences",
    response_model=list[ExperienceRead],
    summary="List a candidate's experiences (expériences)",
    description="Every experience the candidate declared, salariée or not.",
    responses={
        **success(200, "The experiences.", **examples.EXPERIENCES_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError),
    },
)
async def list_experiences(
    candidate_id: uuid.UUID, db: DbSession, principal: Reader
) -> list[ExperienceRead]:
    return await candidate_service.list_experiences(db, principal, candidate_id)


@router.delete(
    "/{candidate_id}/experiences/{experience_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an experience (expérience)",
    description="Removes an experience declared by mistake.",
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
    summary="Declare a person linked to the candidate (personne liée)",
    description="A trainer (formateur), internship tutor (tuteur), supervisor (encadrant), "
    "colleague or personal relation: such a person may not sit on the candidate's jury, "
    "supervise the tests or manage the session. The sessions service checks juries against "
    "these declarations.",
    responses={
        **success(201, "The declared link.", **examples.LINK_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError),
    },
)
async def add_link(
    candidate_id: uuid.UUID,
    payload: Annotated[LinkCreate, Body(openapi_examples=examples.LINK_BODY)],
    db: DbSession,
    principal: Owner,
) -> LinkRead:
    return await candidate_service.add_link(db, principal, candidate_id, payload)


@router.get(
    "/{candidate_id}/links",
    response_model=list[LinkRead],
    summary="List the people linked to a candidate (personnes liées)",
    description="The declared trainers, tutors, supervisors, colleagues and relations: none "
    "may sit on the candidate's jury.",
    responses={
        **success(200, "The declared links.", **examples.LINKS_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError),
    },
)
async def list_links(
    candidate_id: uuid.UUID, db: DbSession, principal: Reader
) -> list[LinkRead]:
    return await candidate_service.list_links(db, principal, candidate_id)


@router.delete(
    "/{candidate_id}/links/{link_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a declared link (personne liée)",
    description="Removes a link declared by mistake.",
    responses=problem_responses(*_AUTH, CandidateNotFoundError, LinkNotFoundError),
)
async def delete_link(
    candidate_id: uuid.UUID, link_id: uuid.UUID, db: DbSession, principal: Owner
) -> Response:
    await candidate_service.delete_link(db, principal, candidate_id, link_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
