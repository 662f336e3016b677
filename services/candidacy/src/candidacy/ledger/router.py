"""Endpoints of the ledger of acquired blocks."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from candidacy.candidacy.service import today_in_paris
from candidacy.dependencies import (
    Catalog,
    CertifierOrAdmin,
    CurrentSettings,
    Owner,
    Reader,
)
from candidacy.errors import (
    BlocksNotInCertificationError,
    CandidateNotFoundError,
    CatalogUnavailableError,
    CertificationUnknownError,
)
from candidacy.ledger import examples
from candidacy.ledger import service as ledger_service
from candidacy.ledger.schemas import (
    AcquiredBlockRead,
    EquivalenceCreate,
    ExpiringBlockRead,
    LedgerRead,
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
    QueryDate,
    next_link,
    problem_responses,
)

router = APIRouter(tags=["acquired-blocks"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.get(
    "/v1/candidates/{candidate_id}/blocks",
    response_model=LedgerRead,
    summary="A candidate's acquired blocks (blocs acquis) and what remains",
    description="Every block acquired, with its expiry computed from the certification's "
    "retention policy (five years for a diploma; the certification's lifetime for a titre "
    "professionnel; none) and its status on `as_of`: VALID, EXPIRING (within the horizon) or "
    "EXPIRED. Per certification — those of the blocks and their newer versions, which inherit "
    "blocks through the catalog's correspondences — the blocks held, those remaining, and "
    "whether the certification is obtained.",
    responses={
        **success(200, "The candidate's ledger.", **examples.LEDGER_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError, CatalogUnavailableError),
    },
)
async def get_ledger(
    candidate_id: uuid.UUID,
    db: DbSession,
    principal: Reader,
    catalog: Catalog,
    settings: CurrentSettings,
    as_of: Annotated[
        QueryDate | None,
        Query(description="Date of the standing; today (Europe/Paris) by default."),
    ] = None,
    horizon_days: Annotated[
        int | None,
        Query(
            ge=1, le=3650, description="EXPIRING means expiring within this many days."
        ),
    ] = None,
) -> LedgerRead:
    return await ledger_service.get_ledger(
        db,
        principal,
        candidate_id,
        catalog=catalog,
        as_of=as_of or today_in_paris(),
        horizon_days=horizon_days or settings.expiring_horizon_days,
    )


@router.post(
    "/v1/candidates/{candidate_id}/blocks",
    status_code=status.HTTP_201_CREATED,
    response_model=AcquiredBlockRead,
    summary="Record a block granted by equivalence (équivalence, dispense)",
    description="A certifier of the block's certification (or an administrator) records a block "
    "granted outside a jury of this system (équivalence, dispense). Its expiry follows the "
    "certification's retention policy. Recording the same reference twice changes nothing.",
    responses={
        **success(201, "The acquired block.", **examples.EQUIVALENCE_ANSWER),
        **problem_responses(
            *_AUTH,
            CandidateNotFoundError,
            CertificationUnknownError,
            BlocksNotInCertificationError,
            CatalogUnavailableError,
        ),
    },
)
async def record_equivalence(
    candidate_id: uuid.UUID,
    payload: Annotated[
        EquivalenceCreate, Body(openapi_examples=examples.EQUIVALENCE_BODY)
    ],
    db: DbSession,
    principal: CertifierOrAdmin,
    catalog: Catalog,
    settings: CurrentSettings,
) -> AcquiredBlockRead:
    return await ledger_service.record_equivalence(
        db,
        principal,
        candidate_id,
        payload,
        catalog=catalog,
        as_of=today_in_paris(),
        horizon_days=settings.expiring_horizon_days,
    )


@router.get(
    "/v1/acquired-blocks",
    response_model=Page[ExpiringBlockRead],
    summary="Blocks of my candidates that expire soon (blocs acquis bientôt caducs)",
    description="The acquired blocks (blocs de compétences acquis) of the caller's candidates "
    "that expire after `after` (today by default) and by `until` (the horizon by default), "
    "soonest first: whom to call before a validation partielle is lost.",
    responses={
        **success(200, "A page of expiring blocks.", **examples.EXPIRING_ANSWER),
        **problem_responses(*_AUTH, InvalidCursorError),
    },
)
async def list_expiring_blocks(
    request: Request,
    response: Response,
    db: DbSession,
    principal: Owner,
    settings: CurrentSettings,
    after: Annotated[QueryDate | None, Query()] = None,
    until: Annotated[QueryDate | None, Query()] = None,
    rncp_code: Annotated[str | None, Query(pattern=r"^RNCP\d{1,6}$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ExpiringBlockRead]:
    start = after or today_in_paris()
    items, next_cursor = await ledger_service.list_expiring(
        db,
        principal,
        after=start,
        until=until or start + timedelta(days=settings.expiring_horizon_days),
        rncp_code=rncp_code,
        cursor=cursor,
        limit=limit,
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[ExpiringBlockRead](items=items, next_cursor=next_cursor)
