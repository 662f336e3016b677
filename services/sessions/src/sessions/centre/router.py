"""Endpoints of exam centres, their sites and approvals (agréments)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuthenticationError,
    DbSession,
    InvalidCursorError,
    Page,
    PermissionDeniedError,
    next_link,
    problem_responses,
)
from sessions.centre import service as centre_service
from sessions.centre.schemas import (
    ApprovalCreate,
    ApprovalRead,
    Department,
    ExamCentreCreate,
    ExamCentreRead,
    Region,
    SiteCreate,
    SiteRead,
)
from sessions.dependencies import Admin, AnyRole, Catalog, CentreOrAdmin
from sessions.errors import (
    ApprovalBeyondCertificationEndError,
    CatalogUnavailableError,
    CertificationUnknownError,
    ExamCentreNotFoundError,
    SiteNotFoundError,
)

router = APIRouter(prefix="/v1/exam-centres", tags=["exam-centres"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExamCentreRead,
    summary="Register an exam centre (centre d'examen)",
    description="Administrators register a centre and its sites. Give `id` to match the "
    "organisation id of the centre's API client.",
    responses=problem_responses(*_AUTH, centre_service.ExamCentreAlreadyExistsError),
)
async def create_centre(
    payload: ExamCentreCreate, db: DbSession, principal: Admin, response: Response
) -> ExamCentreRead:
    created = await centre_service.create_centre(db, payload)
    response.headers["Location"] = f"/v1/exam-centres/{created.id}"
    return created


@router.get(
    "",
    response_model=Page[ExamCentreRead],
    summary="List exam centres",
    description="Centres and their sites, by region or département.",
    responses=problem_responses(*_AUTH, InvalidCursorError),
)
async def list_centres(
    request: Request,
    response: Response,
    db: DbSession,
    principal: AnyRole,
    region: Annotated[Region | None, Query()] = None,
    department: Annotated[Department | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ExamCentreRead]:
    items, next_cursor = await centre_service.list_centres(
        db, region=region, department=department, cursor=cursor, limit=limit
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[ExamCentreRead](items=items, next_cursor=next_cursor)


@router.get(
    "/{centre_id}",
    response_model=ExamCentreRead,
    summary="Get an exam centre",
    responses=problem_responses(*_AUTH, ExamCentreNotFoundError),
)
async def get_centre(
    centre_id: uuid.UUID, db: DbSession, principal: AnyRole
) -> ExamCentreRead:
    return await centre_service.get_centre(db, centre_id)


@router.post(
    "/{centre_id}/sites",
    status_code=status.HTTP_201_CREATED,
    response_model=SiteRead,
    summary="Add a site (plateau technique)",
    description="The centre itself or an administrator adds a site where tests take place.",
    responses=problem_responses(*_AUTH, ExamCentreNotFoundError),
)
async def add_site(
    centre_id: uuid.UUID, payload: SiteCreate, db: DbSession, principal: CentreOrAdmin
) -> SiteRead:
    return await centre_service.add_site(db, principal, centre_id, payload)


@router.post(
    "/{centre_id}/approvals",
    status_code=status.HTTP_201_CREATED,
    response_model=ApprovalRead,
    summary="Record an approval (agrément)",
    description="The regional authority (DREETS) approves a site for one certification over a "
    "period that may not run past the certification's end date (checked with the catalog). "
    "Recorded by administrators.",
    responses=problem_responses(
        *_AUTH,
        ExamCentreNotFoundError,
        SiteNotFoundError,
        CertificationUnknownError,
        ApprovalBeyondCertificationEndError,
        CatalogUnavailableError,
    ),
)
async def add_approval(
    centre_id: uuid.UUID,
    payload: ApprovalCreate,
    db: DbSession,
    principal: Admin,
    catalog: Catalog,
) -> ApprovalRead:
    return await centre_service.add_approval(db, centre_id, payload, catalog=catalog)


@router.get(
    "/{centre_id}/approvals",
    response_model=list[ApprovalRead],
    summary="A centre's approvals",
    responses=problem_responses(*_AUTH, ExamCentreNotFoundError),
)
async def list_approvals(
    centre_id: uuid.UUID, db: DbSession, principal: AnyRole
) -> list[ApprovalRead]:
    return await centre_service.list_approvals(db, centre_id)


@router.post(
    "/{centre_id}/approvals/{approval_id}/withdrawal",
    response_model=ApprovalRead,
    summary="Withdraw an approval (retrait d'agrément)",
    description="Sessions not yet scheduled can no longer rely on it.",
    responses=problem_responses(*_AUTH, ExamCentreNotFoundError),
)
async def withdraw_approval(
    centre_id: uuid.UUID, approval_id: uuid.UUID, db: DbSession, principal: Admin
) -> ApprovalRead:
    return await centre_service.withdraw_approval(db, centre_id, approval_id)
