"""Endpoint of the Certif Info import (administrators only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from catalog.certif_info import service as certif_info_service
from catalog.certif_info.schemas import CertifInfoImportRead
from catalog.dependencies import Admin, Cache, CurrentSettings, Runner
from catalog.errors import (
    CertifInfoFileInvalidError,
    ImportAlreadyRunningError,
    ImportFileEmptyError,
    ImportFileTooLargeError,
)
from catalog.openapi import CERTIF_INFO_CSV_EXAMPLE, example_responses
from common import (
    AuthenticationError,
    DbSession,
    PermissionDeniedError,
    problem_responses,
)

router = APIRouter(tags=["imports"])

_CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "The correspondence as published: the Certif Info open data "
            "(`opendata-certifinfo-*.csv`, Latin-1, `;`, columns `Code_Diplome` and `Code_RNCP` "
            "among others) or Onisep's table de passage (`certif_info_ci_identifiant`, "
            "`ci_code_rncp`). UTF-8, with or without BOM, is read too."
        ),
        "content": {
            "text/csv": {
                "schema": {"type": "string", "format": "binary"},
                "example": CERTIF_INFO_CSV_EXAMPLE,
            }
        },
    }
}


@router.post(
    "/v1/imports/certif-info",
    response_model=CertifInfoImportRead,
    summary="Import the Certif Info correspondence (admin)",
    description=(
        "Links certifications to their **code Certif Info** from the correspondence table "
        "Certif Info ↔ RNCP (table de correspondance), in one transaction: a file that cannot be "
        "read changes nothing. Runs while the upload streams in and answers the report "
        "(synchronous: the file is a few MB and only its code pairs are kept).\n\n"
        "Conflicts are reported, never applied silently: a code named with two RNCP codes (or "
        "the reverse) is left out; a link that would replace one already in the catalog is left "
        "out unless `overwrite=true`. Links the file does not mention are kept. Importing the "
        "same file again changes nothing. Each certification whose code changes gets a new "
        "version and a `fr.vae.catalog.certification-updated.v1` event."
    ),
    openapi_extra=_CSV_BODY,
    responses={
        **example_responses(200, CertifInfoImportRead),
        **problem_responses(
            CertifInfoFileInvalidError,
            ImportFileEmptyError,
            ImportFileTooLargeError,
            ImportAlreadyRunningError,
            AuthenticationError,
            PermissionDeniedError,
        ),
    },
)
async def import_certif_info(
    request: Request,
    db: DbSession,
    cache: Cache,
    runner: Runner,
    settings: CurrentSettings,
    _admin: Admin,
    overwrite: Annotated[
        bool,
        Query(
            description="Replace links already in the catalog that the file contradicts (they are reported as conflicts otherwise)."
        ),
    ] = False,
) -> Response:
    limit = settings.certif_info_max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ImportFileTooLargeError(
            f"The file is larger than the {limit:,}-byte limit of this server."
        )
    report = await certif_info_service.import_certif_info(
        db,
        request.stream(),
        overwrite=overwrite,
        max_bytes=limit,
        cache=cache,
        ensure_idle=runner.ensure_idle,
    )
    body = CertifInfoImportRead.model_validate(report.as_dict())
    return Response(body.model_dump_json().encode(), media_type="application/json")
