"""Endpoint of the LHEO export of the catalog (public read)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query
from starlette.responses import Response, StreamingResponse

from catalog.certification import service as certification_service
from catalog.certification.repository import SearchFilters
from catalog.certification.rules import Kind
from catalog.dependencies import ReadDb, ReadSessions
from catalog.http import READ_CACHE_CONTROL
from catalog.lheo import service as lheo_service
from catalog.lheo.writer import MEDIA_TYPE
from catalog.openapi import LHEO_EXAMPLE
from common import QueryDate

router = APIRouter(tags=["certifications"])


class XmlResponse(Response):
    """An XML answer (documents the media type in OpenAPI)."""

    media_type = "application/xml"


_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The LHEO 2.3 document (`http://lheo.gouv.fr/2.3`), written as it is sent.",
        "content": {
            "application/xml": {
                "schema": {"type": "string"},
                "example": LHEO_EXAMPLE,
            }
        },
        "headers": {
            "ETag": {
                "description": "Weak ETag of the export: moves with any write to the catalog.",
                "schema": {"type": "string"},
            }
        },
    },
    204: {
        "description": "No certification open to VAE matches: LHEO cannot carry an empty `offres`, so nothing is sent."
    },
    304: {"description": "Not modified: the If-None-Match ETag is current."},
}


@router.get(
    "/v1/certifications/lheo",
    response_class=XmlResponse,
    summary="Export the VAE offer as LHEO",
    description=(
        "The certifications open to VAE, as an **LHEO 2.3** offer document (*Langage Harmonisé "
        "d'Échange d'informations sur l'Offre de formation*, the format of the Carif-Oref and "
        "Onisep): each certification is one `formation`, the VAE route to it, carrying "
        "`certification/code-RNCP` (bare number), `code-CERTIFINFO` when known, "
        "`code-niveau-sortie` on the 2019 scale (11–18), its blocks of competences "
        "(`session/blocs-competences`) and its certifier as `organisme-formation-responsable`.\n\n"
        "Filters are those of `GET /v1/certifications`; `vae_eligible` is implied, and `active` "
        "defaults to `true` (a VAE route leads only to a registered certification). "
        "Certifications none of whose certifiers has a SIRET cannot name the responsible body "
        "LHEO requires and are left out. The document is streamed (whole catalog included) and "
        "valid against the official XSD; an empty selection answers 204."
    ),
    responses=_RESPONSES,
)
async def export_lheo(
    db: ReadDb,
    read_sessions: ReadSessions,
    q: Annotated[
        str | None,
        Query(
            max_length=200, description="Words to search for.", examples=["commerce"]
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
        str | None, Query(pattern=r"^\d{3}[a-z]?$", description="NSF code, e.g. 312.")
    ] = None,
    rome: Annotated[
        str | None, Query(pattern=r"^[A-Z]\d{4}$", description="ROME code, e.g. D1502.")
    ] = None,
    formacode: Annotated[
        str | None, Query(pattern=r"^\d{5}$", description="Formacode, e.g. 34566.")
    ] = None,
    certif_info_id: Annotated[
        int | None,
        Query(
            ge=1, le=9_999_999_999, description="Code Certif Info.", examples=[990006]
        ),
    ] = None,
    active: Annotated[
        bool | None,
        Query(
            description="Only certifications active (or, with false, no longer active) on `as_of`."
        ),
    ] = True,
    as_of: Annotated[
        QueryDate | None,
        Query(
            description="Date at which « active » is evaluated (YYYY-MM-DD); today in Europe/Paris by default."
        ),
    ] = None,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    today = certification_service.today_in_paris()
    export = await lheo_service.export_lheo(
        db,
        read_sessions,
        SearchFilters(
            q=q,
            kind=kind,
            level=level,
            certifier_id=certifier,
            nsf=nsf,
            rome=rome,
            formacode=formacode,
            active=active,
            as_of=as_of,
            certif_info_id=certif_info_id,
        ),
        today=today,
        if_none_match=if_none_match,
    )
    headers = {"ETag": export.etag, "Cache-Control": READ_CACHE_CONTROL}
    if export.not_modified:
        return Response(status_code=304, headers=headers)
    if export.chunks is None:
        return Response(status_code=204, headers=headers)
    return StreamingResponse(export.chunks, media_type=MEDIA_TYPE, headers=headers)
