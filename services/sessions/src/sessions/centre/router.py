"""Endpoints of exam centres, their sites and approvals (agréments)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

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
    APPROVAL_CREATE_EXAMPLE,
    APPROVAL_READ_EXAMPLE,
    CENTRE_CREATE_EXAMPLE,
    CENTRE_READ_EXAMPLE,
    SITE_EXAMPLE,
    SITE_READ_EXAMPLE,
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
from sessions.openapi import examples, success

router = APIRouter(prefix="/v1/exam-centres", tags=["exam-centres"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExamCentreRead,
    summary="Register an exam centre (centre d'examen)",
    description="Administrators register a centre and its sites. Give `id` to match the "
    "organisation id of the centre's API client.",
    responses={
        **success(
            201,
            "The exam centre, with its sites.",
            "Un centre d'examen et son plateau technique",
            CENTRE_READ_EXAMPLE,
        ),
        **problem_responses(*_AUTH, centre_service.ExamCentreAlreadyExistsError),
    },
)
async def create_centre(
    payload: Annotated[
        ExamCentreCreate,
        Body(
            openapi_examples=examples(
                "Un centre d'examen AFPA et un site",
                CENTRE_CREATE_EXAMPLE,
                "A centre (centre d'examen) with its SIRET, région, département and one "
                "site (plateau technique).",
            )
        ),
    ],
    db: DbSession,
    principal: Admin,
    response: Response,
) -> ExamCentreRead:
    created = await centre_service.create_centre(db, payload)
    response.headers["Location"] = f"/v1/exam-centres/{created.id}"
    return created


@router.get(
    "",
    response_model=Page[ExamCentreRead],
    summary="List exam centres",
    description="Centres (centres d'examen) and their sites, by région or département.",
    responses={
        **success(
            200,
            "A page of exam centres.",
            "Les centres d'examen d'une région",
            {"items": [CENTRE_READ_EXAMPLE], "next_cursor": None},
        ),
        **problem_responses(*_AUTH, InvalidCursorError),
    },
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
    description="An exam centre (centre d'examen) and its sites (plateaux techniques).",
    responses={
        **success(200, "The exam centre.", "Un centre d'examen", CENTRE_READ_EXAMPLE),
        **problem_responses(*_AUTH, ExamCentreNotFoundError),
    },
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
    description="The centre itself or an administrator adds a site (plateau technique) where "
    "tests (épreuves) take place.",
    responses={
        **success(201, "The site.", "Un plateau technique", SITE_READ_EXAMPLE),
        **problem_responses(*_AUTH, ExamCentreNotFoundError),
    },
)
async def add_site(
    centre_id: uuid.UUID,
    payload: Annotated[
        SiteCreate,
        Body(
            openapi_examples=examples(
                "Un plateau technique de soudure",
                SITE_EXAMPLE,
                "Name, address, postal code, city and département of the site.",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
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
    responses={
        **success(
            201,
            "The approval.",
            "Un agrément de la DREETS pour un titre professionnel",
            APPROVAL_READ_EXAMPLE,
        ),
        **problem_responses(
            *_AUTH,
            ExamCentreNotFoundError,
            SiteNotFoundError,
            CertificationUnknownError,
            ApprovalBeyondCertificationEndError,
            CatalogUnavailableError,
        ),
    },
)
async def add_approval(
    centre_id: uuid.UUID,
    payload: Annotated[
        ApprovalCreate,
        Body(
            openapi_examples=examples(
                "Agrément d'un site pour une certification",
                APPROVAL_CREATE_EXAMPLE,
                "The DREETS approves (agrée) the site for RNCP38077 until the "
                "certification's end date.",
            )
        ),
    ],
    db: DbSession,
    principal: Admin,
    catalog: Catalog,
) -> ApprovalRead:
    return await centre_service.add_approval(db, centre_id, payload, catalog=catalog)


@router.get(
    "/{centre_id}/approvals",
    response_model=list[ApprovalRead],
    summary="A centre's approvals",
    description="The approvals (agréments) of the centre's sites, withdrawn ones included.",
    responses={
        **success(
            200,
            "The centre's approvals.",
            "Les agréments d'un centre d'examen",
            [APPROVAL_READ_EXAMPLE],
        ),
        **problem_responses(*_AUTH, ExamCentreNotFoundError),
    },
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
    responses={
        **success(
            200,
            "The withdrawn approval.",
            "Un agrément retiré",
            {**APPROVAL_READ_EXAMPLE, "withdrawn_at": "2027-01-20T10:00:00Z"},
        ),
        **problem_responses(*_AUTH, ExamCentreNotFoundError),
    },
)
async def withdraw_approval(
    centre_id: uuid.UUID, approval_id: uuid.UUID, db: DbSession, principal: Admin
) -> ApprovalRead:
    return await centre_service.withdraw_approval(db, centre_id, approval_id)
