"""Endpoints of certifications and blocks: public reads, administrator writes."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Path, Query, Request, status
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.responses import Response

from catalog.certification import service as certification_service
from catalog.certification.cache import Rendered, list_key
from catalog.certification.repository import SearchFilters
from catalog.certification.rules import BLOCK_CODE_PATTERN, RNCP_CODE_PATTERN, Kind
from catalog.certification.schemas import (
    BlockRead,
    CertificationRead,
    CertificationSummary,
    CertificationWrite,
    LineageRead,
    Partner,
    RetentionWrite,
)
from catalog.dependencies import Admin, Cache, ReadDb
from catalog.errors import (
    BlockNotFoundError,
    CertificationAlreadyExistsError,
    CertificationManagedByRncpError,
    CertificationNotFoundError,
    CertificationVersionMismatchError,
    CertifInfoCodeNotFoundError,
    IfMatchRequiredError,
)
from catalog.http import conditional_json
from catalog.openapi import (
    BLOCK_EXAMPLE,
    CERTIFICATION_EXAMPLE,
    LINEAGE_EXAMPLE,
    PARTNERS_EXAMPLE,
    SUMMARY_PAGE_EXAMPLE,
    body_examples,
    example_responses,
    model_example,
)
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

router = APIRouter(tags=["certifications"])


# The fixed paths beside `/v1/certifications/{rncp_code}` (LHEO export, Certif Info lookup).
_SIBLINGS = ("lheo", "by-certif-info")


class _RncpCodeConvertor(StringConvertor):
    """Routes every segment but the fixed siblings to `/v1/certifications/{rncp_code}`: a wrong
    method on `/v1/certifications/lheo` gets 405 (with Allow), not the code's validation error,
    while a malformed code still gets a 422 that says what an RNCP code looks like."""

    regex = "(?!(?:" + "|".join(_SIBLINGS) + ")(?:/|$))[^/]+"


register_url_convertor("rncp", _RncpCodeConvertor())


RncpCodePath = Annotated[
    str,
    Path(
        pattern=RNCP_CODE_PATTERN,
        description="Numéro de fiche RNCP, e.g. RNCP38362.",
        examples=["RNCP38362"],
    ),
]
AsOf = Annotated[
    QueryDate | None,
    Query(
        description="Date at which « active » is evaluated (YYYY-MM-DD); today in Europe/Paris by default."
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        description="The ETag of the certification as last read (required: a stale one gets 412)."
    ),
]
_ADMIN_ERRORS = (AuthenticationError, PermissionDeniedError)
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is current."}
}
WriteBody = Annotated[
    CertificationWrite,
    Body(
        openapi_examples=body_examples(
            "A CQPM that the RNCP export does not carry",
            model_example(CertificationWrite),
        )
    ),
]


@router.get(
    "/v1/certifications",
    response_model=Page[CertificationSummary],
    summary="Search certifications",
    description=(
        "Lists the certifications of the catalog (fiches RNCP), filtered and searched. `q` is a "
        "French-aware full-text search over titles, abbreviations and code labels: accents and case "
        "are ignored and words match by prefix (`educ spe` finds « Éducateur spécialisé »). "
        "Without `q` the list is sorted by RNCP code; with `q`, by relevance. "
        "`certif_info_id` finds the certification a code Certif Info names."
    ),
    responses={
        **example_responses(200, SUMMARY_PAGE_EXAMPLE),
        **problem_responses(InvalidCursorError),
    },
)
async def list_certifications(
    request: Request,
    db: ReadDb,
    cache: Cache,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Words to search for.",
            examples=["éducateur spécialisé"],
        ),
    ] = None,
    kind: Annotated[Kind | None, Query(description="Kind of certification.")] = None,
    level: Annotated[
        int | None, Query(ge=1, le=8, description="European level (niveau), 1 to 8.")
    ] = None,
    certifier: Annotated[
        uuid.UUID | None, Query(description="Id of a certifier (see /v1/certifiers).")
    ] = None,
    nsf: Annotated[
        str | None, Query(pattern=r"^\d{3}[a-z]?$", description="NSF code, e.g. 332t.")
    ] = None,
    rome: Annotated[
        str | None, Query(pattern=r"^[A-Z]\d{4}$", description="ROME code, e.g. K1207.")
    ] = None,
    formacode: Annotated[
        str | None, Query(pattern=r"^\d{5}$", description="Formacode, e.g. 44028.")
    ] = None,
    active: Annotated[
        bool | None,
        Query(description="Only certifications active (or not) on `as_of`."),
    ] = None,
    vae_eligible: Annotated[
        bool | None, Query(description="Only certifications open (or not) to VAE.")
    ] = None,
    certif_info_id: Annotated[
        int | None,
        Query(
            ge=1,
            le=9_999_999_999,
            description="Code Certif Info (`code-CERTIFINFO` in LHEO).",
            examples=[990006],
        ),
    ] = None,
    as_of: AsOf = None,
    sort: Annotated[
        Literal[
            "relevance", "rncp_code", "-rncp_code", "title", "-title", "level", "-level"
        ]
        | None,
        Query(description="Sort order; `relevance` needs `q`."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None,
        Query(max_length=500, description="`next_cursor` of the previous page."),
    ] = None,
) -> Response:
    filters = SearchFilters(
        q=q,
        kind=kind,
        level=level,
        certifier_id=certifier,
        nsf=nsf,
        rome=rome,
        formacode=formacode,
        active=active,
        vae_eligible=vae_eligible,
        as_of=as_of,
        certif_info_id=certif_info_id,
    )
    if sort == "relevance" and not q:
        sort = None
    key = list_key(
        request.scope["query_string"], certification_service.today_in_paris()
    )
    if (rendered := cache.get(key)) is None:
        generation = cache.generation
        items, next_cursor = await certification_service.list_certifications(
            db, filters, sort=sort, cursor=cursor, limit=limit
        )
        body = (
            Page[CertificationSummary](items=items, next_cursor=next_cursor)
            .model_dump_json()
            .encode()
        )
        rendered = Rendered.of(body, next_link(request.url, next_cursor).get("Link"))
        cache.put(key, rendered, generation)
    return conditional_json(request, rendered)


@router.get(
    "/v1/certifications/{rncp_code:rncp}",
    response_model=CertificationRead,
    summary="Get a certification",
    description="A certification (fiche RNCP) with its blocks of competences, codes, certifiers, registration dates, VAE eligibility, retention policy and code Certif Info. Send If-None-Match to revalidate.",
    responses={
        **example_responses(200, CERTIFICATION_EXAMPLE),
        **_NOT_MODIFIED,
        **problem_responses(CertificationNotFoundError),
    },
)
async def get_certification(
    request: Request,
    rncp_code: RncpCodePath,
    db: ReadDb,
    cache: Cache,
    as_of: AsOf = None,
) -> Response:
    rendered = await certification_service.get_certification(
        db,
        rncp_code,
        as_of=as_of or certification_service.today_in_paris(),
        cache=cache,
    )
    return conditional_json(request, rendered)


@router.get(
    "/v1/certifications/by-certif-info/{certif_info_id}",
    response_model=CertificationRead,
    summary="Get a certification by its code Certif Info",
    description=(
        "The certification (fiche RNCP) that carries a **code Certif Info**, for partners "
        "(Carif-Oref) who identify certifications by it and sometimes send no RNCP number. "
        "Answers the certification's document itself (the same as `GET "
        "/v1/certifications/{rncp_code}`, same ETag), not a redirect; `Content-Location` names "
        "its canonical URL."
    ),
    responses={
        **example_responses(200, CERTIFICATION_EXAMPLE),
        **_NOT_MODIFIED,
        **problem_responses(CertifInfoCodeNotFoundError),
    },
)
async def get_certification_by_certif_info(
    request: Request,
    certif_info_id: Annotated[
        int,
        Path(
            ge=1,
            le=9_999_999_999,
            description="Code Certif Info (1 to 10 digits).",
            examples=[990006],
        ),
    ],
    db: ReadDb,
    cache: Cache,
    as_of: AsOf = None,
) -> Response:
    rncp_code, rendered = await certification_service.get_certification_by_certif_info(
        db,
        certif_info_id,
        as_of=as_of or certification_service.today_in_paris(),
        cache=cache,
    )
    response = conditional_json(request, rendered)
    response.headers["Content-Location"] = f"/v1/certifications/{rncp_code}"
    return response


@router.get(
    "/v1/certifications/{rncp_code}/blocks",
    response_model=list[BlockRead],
    summary="List a certification's blocks",
    description="The blocks of competences (blocs de compétences) of a certification, in code order.",
    responses={
        **example_responses(200, [BLOCK_EXAMPLE]),
        **_NOT_MODIFIED,
        **problem_responses(CertificationNotFoundError),
    },
)
async def list_certification_blocks(
    request: Request, rncp_code: RncpCodePath, db: ReadDb, cache: Cache
) -> Response:
    return conditional_json(
        request, await certification_service.list_blocks(db, rncp_code, cache=cache)
    )


@router.get(
    "/v1/certifications/{rncp_code}/partners",
    response_model=list[Partner],
    summary="List a certification's partner organisations",
    description="The organisations the certifier habilitates to prepare candidates and/or organise the assessment (organismes partenaires habilités), with the state of their habilitation, as the RNCP publishes them.",
    responses={
        **example_responses(200, PARTNERS_EXAMPLE),
        **_NOT_MODIFIED,
        **problem_responses(CertificationNotFoundError),
    },
)
async def list_certification_partners(
    request: Request, rncp_code: RncpCodePath, db: ReadDb, cache: Cache
) -> Response:
    return conditional_json(
        request, await certification_service.list_partners(db, rncp_code, cache=cache)
    )


@router.get(
    "/v1/certifications/{rncp_code}/lineage",
    response_model=LineageRead,
    summary="Get a certification's lineage",
    description="Earlier and later versions of a certification (anciennes / nouvelles certifications), the whole chain, with the block correspondences (correspondances) declared between them.",
    responses={
        **example_responses(200, LINEAGE_EXAMPLE),
        **problem_responses(CertificationNotFoundError),
    },
)
async def get_certification_lineage(rncp_code: RncpCodePath, db: ReadDb) -> LineageRead:
    return await certification_service.get_lineage(db, rncp_code)


@router.get(
    "/v1/blocks/{block_code}",
    response_model=BlockRead,
    summary="Get a block",
    description="A block of competences (bloc de compétences) by its RNCP code, e.g. RNCP38362BC01.",
    responses={
        **example_responses(200, BLOCK_EXAMPLE),
        **_NOT_MODIFIED,
        **problem_responses(BlockNotFoundError),
    },
)
async def get_block(
    request: Request,
    block_code: Annotated[
        str, Path(pattern=BLOCK_CODE_PATTERN, examples=["RNCP38362BC01"])
    ],
    db: ReadDb,
    cache: Cache,
) -> Response:
    return conditional_json(
        request, await certification_service.get_block(db, block_code, cache=cache)
    )


@router.post(
    "/v1/certifications",
    status_code=status.HTTP_201_CREATED,
    response_model=CertificationRead,
    summary="Create a certification (admin)",
    description="Adds a certification that the RNCP export does not carry (some CQP). Administrators only. If the RNCP export later carries the same number, the export takes it over.",
    responses={
        **example_responses(201, CERTIFICATION_EXAMPLE),
        **problem_responses(CertificationAlreadyExistsError, *_ADMIN_ERRORS),
    },
)
async def create_certification(
    request: Request,
    payload: WriteBody,
    db: DbSession,
    read_db: ReadDb,
    cache: Cache,
    _admin: Admin,
) -> Response:
    await certification_service.create_certification(db, payload, cache=cache)
    return await _written(
        request, payload.rncp_code, read_db, cache, status.HTTP_201_CREATED
    )


@router.put(
    "/v1/certifications/{rncp_code:rncp}",
    response_model=CertificationRead,
    summary="Replace a certification (admin)",
    description="Replaces a certification that an administrator keeps. `If-Match` is required. Certifications from the RNCP export cannot be replaced (the next import would undo it).",
    responses={
        **example_responses(200, CERTIFICATION_EXAMPLE),
        **problem_responses(
            CertificationNotFoundError,
            CertificationManagedByRncpError,
            CertificationVersionMismatchError,
            IfMatchRequiredError,
            *_ADMIN_ERRORS,
        ),
    },
)
async def replace_certification(
    request: Request,
    rncp_code: RncpCodePath,
    payload: WriteBody,
    db: DbSession,
    read_db: ReadDb,
    cache: Cache,
    _admin: Admin,
    if_match: IfMatch = None,
) -> Response:
    await certification_service.replace_certification(
        db, rncp_code, payload, if_match=if_match, cache=cache
    )
    return await _written(request, rncp_code, read_db, cache, status.HTTP_200_OK)


@router.put(
    "/v1/certifications/{rncp_code}/retention-policy",
    response_model=CertificationRead,
    summary="Set the retention policy of acquired blocks (admin)",
    description="Sets how long a partially validated block stays acquired (durée de conservation des blocs acquis): a fixed number of years, until the certification's end date, or forever. Later RNCP imports keep it. `If-Match` is required.",
    responses={
        **example_responses(200, CERTIFICATION_EXAMPLE),
        **problem_responses(
            CertificationNotFoundError,
            CertificationVersionMismatchError,
            IfMatchRequiredError,
            *_ADMIN_ERRORS,
        ),
    },
)
async def set_retention_policy(
    request: Request,
    rncp_code: RncpCodePath,
    payload: Annotated[
        RetentionWrite,
        Body(
            openapi_examples=body_examples(
                "Blocks kept five years", model_example(RetentionWrite)
            )
        ),
    ],
    db: DbSession,
    read_db: ReadDb,
    cache: Cache,
    _admin: Admin,
    if_match: IfMatch = None,
) -> Response:
    await certification_service.set_retention(
        db, rncp_code, payload, if_match=if_match, cache=cache
    )
    return await _written(request, rncp_code, read_db, cache, status.HTTP_200_OK)


async def _written(
    request: Request, rncp_code: str, read_db: ReadDb, cache: Cache, status_code: int
) -> Response:
    rendered = await certification_service.get_certification(
        read_db, rncp_code, as_of=certification_service.today_in_paris(), cache=cache
    )
    return Response(
        rendered.body,
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": rendered.etag, "Location": f"/v1/certifications/{rncp_code}"},
    )
