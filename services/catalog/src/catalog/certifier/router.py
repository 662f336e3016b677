"""Endpoints of certifiers (public reads)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from catalog.certification.cache import Rendered
from catalog.certifier import service as certifier_service
from catalog.certifier.schemas import CertifierRead
from catalog.dependencies import ReadDb
from catalog.errors import CertifierNotFoundError
from catalog.http import conditional_json
from catalog.openapi import CERTIFIER_EXAMPLE, example_responses
from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    InvalidCursorError,
    Page,
    next_link,
    problem_responses,
)

router = APIRouter(tags=["certifiers"])


@router.get(
    "/v1/certifiers",
    response_model=Page[CertifierRead],
    summary="List certifiers",
    description="The certifiers (certificateurs) named by the catalog's certifications, by name.",
    responses={
        **example_responses(200, {"items": [CERTIFIER_EXAMPLE], "next_cursor": None}),
        **problem_responses(InvalidCursorError),
    },
)
async def list_certifiers(
    request: Request,
    db: ReadDb,
    q: Annotated[
        str | None,
        Query(max_length=100, description="Part of the name.", examples=["UIMM"]),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    items, next_cursor = await certifier_service.list_certifiers(
        db, q=q, cursor=cursor, limit=limit
    )
    body = (
        Page[CertifierRead](items=items, next_cursor=next_cursor)
        .model_dump_json()
        .encode()
    )
    response = conditional_json(request, Rendered.of(body))
    response.headers.update(next_link(request.url, next_cursor))
    return response


@router.get(
    "/v1/certifiers/{certifier_id}",
    response_model=CertifierRead,
    summary="Get a certifier",
    description="A certifier (certificateur) by its id, with how many certifications of the catalog it owns.",
    responses={
        **example_responses(200, CERTIFIER_EXAMPLE),
        **problem_responses(CertifierNotFoundError),
    },
)
async def get_certifier(certifier_id: uuid.UUID, db: ReadDb) -> CertifierRead:
    return await certifier_service.get_certifier(db, certifier_id)
