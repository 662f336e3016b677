"""Endpoints of jurors and their habilitations."""

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
from sessions.centre.schemas import RncpCode
from sessions.dependencies import Admin, Catalog, CentreOrAdmin, CurrentSettings
from sessions.errors import (
    CatalogUnavailableError,
    CertificationInactiveError,
    CertificationUnknownError,
    JurorExperienceTooShortError,
    JurorLeftTradeTooLongAgoError,
    JurorNotFoundError,
)
from sessions.juror import service as juror_service
from sessions.juror.schemas import (
    HABILITATION_CREATE_EXAMPLE,
    HABILITATION_READ_EXAMPLE,
    JUROR_CREATE_EXAMPLE,
    JUROR_READ_EXAMPLE,
    HabilitationCreate,
    HabilitationRead,
    JurorCreate,
    JurorRead,
)
from sessions.openapi import examples, success

router = APIRouter(prefix="/v1/jurors", tags=["jurors"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=JurorRead,
    summary="Register a juror (membre de jury)",
    description="Exam centres and administrators register jurors: name, contact, profile, "
    "trade, years in it, and when they left it.",
    responses={
        **success(
            201,
            "The juror, with no habilitation yet.",
            "Une membre de jury, professionnelle du métier",
            {**JUROR_READ_EXAMPLE, "habilitations": []},
        ),
        **problem_responses(*_AUTH),
    },
)
async def create_juror(
    payload: Annotated[
        JurorCreate,
        Body(
            openapi_examples=examples(
                "Une professionnelle du métier (membre de jury)",
                JUROR_CREATE_EXAMPLE,
                "Twelve years in the trade, still practising it.",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    response: Response,
) -> JurorRead:
    created = await juror_service.create_juror(db, payload)
    response.headers["Location"] = f"/v1/jurors/{created.id}"
    return created


@router.get(
    "",
    response_model=Page[JurorRead],
    summary="List jurors",
    description="Jurors (membres de jury); with `rncp_code`, those habilitated (at any time) "
    "for that certification.",
    responses={
        **success(
            200,
            "A page of jurors.",
            "Les membres de jury habilités pour un titre",
            {"items": [JUROR_READ_EXAMPLE], "next_cursor": None},
        ),
        **problem_responses(*_AUTH, InvalidCursorError),
    },
)
async def list_jurors(
    request: Request,
    response: Response,
    db: DbSession,
    principal: CentreOrAdmin,
    rncp_code: Annotated[RncpCode | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[JurorRead]:
    items, next_cursor = await juror_service.list_jurors(
        db, rncp_code=rncp_code, cursor=cursor, limit=limit
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[JurorRead](items=items, next_cursor=next_cursor)


@router.get(
    "/{juror_id}",
    response_model=JurorRead,
    summary="Get a juror",
    description="A juror (membre de jury) and their habilitations.",
    responses={
        **success(200, "The juror.", "Une membre de jury", JUROR_READ_EXAMPLE),
        **problem_responses(*_AUTH, JurorNotFoundError),
    },
)
async def get_juror(
    juror_id: uuid.UUID, db: DbSession, principal: CentreOrAdmin
) -> JurorRead:
    return await juror_service.get_juror(db, juror_id)


@router.post(
    "/{juror_id}/habilitations",
    status_code=status.HTTP_201_CREATED,
    response_model=HabilitationRead,
    summary="Record a habilitation (habilitation d'un membre de jury)",
    description="The departmental authority (DDETS) habilitates a juror for a certification. "
    "Refused unless the juror has at least three years in the trade and has not left it for "
    "more than five years at the habilitation date; valid at most until the certification's "
    "end date (refused once it has ended). Recorded by administrators.",
    responses={
        **success(
            201,
            "The habilitation.",
            "Une habilitation de la DDETS",
            HABILITATION_READ_EXAMPLE,
        ),
        **problem_responses(
            *_AUTH,
            JurorNotFoundError,
            JurorExperienceTooShortError,
            JurorLeftTradeTooLongAgoError,
            CertificationUnknownError,
            CertificationInactiveError,
            juror_service.HabilitationAlreadyExistsError,
            CatalogUnavailableError,
        ),
    },
)
async def grant_habilitation(
    juror_id: uuid.UUID,
    payload: Annotated[
        HabilitationCreate,
        Body(
            openapi_examples=examples(
                "Habilitation d'un juré pour un titre professionnel",
                HABILITATION_CREATE_EXAMPLE,
                "Valid until the certification's end date when `valid_until` is omitted.",
            )
        ),
    ],
    db: DbSession,
    principal: Admin,
    catalog: Catalog,
    settings: CurrentSettings,
) -> HabilitationRead:
    return await juror_service.grant_habilitation(
        db,
        juror_id,
        payload,
        catalog=catalog,
        min_years=settings.juror_min_years_in_trade,
        max_years_out=settings.juror_max_years_out_of_trade,
    )
