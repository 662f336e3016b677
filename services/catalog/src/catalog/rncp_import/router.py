"""Endpoints of RNCP imports (administrators only)."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, Request, status
from starlette.responses import Response

from catalog.dependencies import Admin, CurrentSettings, Runner
from catalog.errors import (
    ImportAlreadyRunningError,
    ImportFileEmptyError,
    ImportFileTooLargeError,
    ImportNotFoundError,
)
from catalog.openapi import (
    IMPORT_JOB_EXAMPLE,
    RNCP_EXPORT_XML_EXAMPLE,
    example_responses,
)
from catalog.rncp_import.models import ImportJob
from catalog.rncp_import.schemas import (
    ImportJobRead,
    ImportProgressRead,
    ImportReportRead,
)
from catalog.rncp_import.service import ImportProgress
from common import AuthenticationError, PermissionDeniedError, problem_responses

router = APIRouter(tags=["imports"])

_EXPORT_DATASET = "https://www.data.gouv.fr/fr/datasets/repertoire-national-des-certifications-professionnelles-et-repertoire-specifique/"
# Inline, never `externalValue`: the documentation pages would fetch it from another host,
# which their Content-Security-Policy forbids (and closed networks cannot reach).
_ZIP_EXAMPLES = {
    "export": {
        "summary": "The zip France compétences publishes every day",
        "description": f"Download it from data.gouv.fr: {_EXPORT_DATASET}",
        "value": "export-fiches-rncp-v4-1-2026-11-27.zip (binary)",
    }
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "The RNCP export as published by France compétences: the zip (export-fiches-rncp-v4-1-AAAA-MM-JJ.zip) or its XML.",
        "content": {
            "application/zip": {
                "schema": {"type": "string", "format": "binary"},
                "examples": _ZIP_EXAMPLES,
            },
            "application/xml": {
                "schema": {"type": "string", "format": "binary"},
                "example": RNCP_EXPORT_XML_EXAMPLE,
            },
            "application/octet-stream": {
                "schema": {"type": "string", "format": "binary"},
                "examples": _ZIP_EXAMPLES,
            },
        },
    }
}
_QUEUED_JOB = {
    **IMPORT_JOB_EXAMPLE,
    "status": "QUEUED",
    "progress": {
        **IMPORT_JOB_EXAMPLE["progress"],
        "fiches_read": 0,
        "bytes_read": 0,
        "percent": 0.0,
    },
    "report": None,
    "started_at": None,
    "finished_at": None,
}


def _read(job: ImportJob, live: ImportProgress | None) -> ImportJobRead:
    fiches, done = (
        (live.fiches_read, live.bytes_read)
        if live
        else (job.fiches_read, job.bytes_read)
    )
    if job.status == "SUCCEEDED":
        done = job.file_bytes
    return ImportJobRead(
        id=job.id,
        status=job.status,
        file_name=job.file_name,
        progress=ImportProgressRead(
            fiches_read=fiches,
            bytes_read=done,
            total_bytes=job.file_bytes,
            percent=round(100 * done / job.file_bytes, 1) if job.file_bytes else 0.0,
        ),
        report=ImportReportRead.model_validate(job.report) if job.report else None,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


IMPORTS_PATH = "/v1/imports"


@router.post(
    IMPORTS_PATH,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobRead,
    summary="Import an RNCP export (admin)",
    description=(
        "Uploads the RNCP open-data export (XML v4.x, plain or zipped) and imports it in the background: "
        "fiches are upserted by NUMERO_FICHE, all or nothing. Follow the job at the returned Location. "
        "One import runs at a time. Safe to retry without an Idempotency-Key (none is kept for "
        "this upload): while an import runs another is refused with a 409, and importing the "
        "same file again leaves every fiche unchanged."
    ),
    openapi_extra=_UPLOAD_BODY,
    responses={
        **example_responses(202, _QUEUED_JOB),
        **problem_responses(
            ImportAlreadyRunningError,
            ImportFileTooLargeError,
            ImportFileEmptyError,
            AuthenticationError,
            PermissionDeniedError,
        ),
    },
)
async def create_import(
    request: Request,
    runner: Runner,
    settings: CurrentSettings,
    admin: Admin,
    file_name: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=r"^[\w.\- ]+$",
            description="Name of the uploaded file, kept on the job.",
        ),
    ] = None,
) -> Response:
    limit = settings.import_max_upload_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ImportFileTooLargeError(
            f"The file is larger than the {limit:,}-byte limit of this server."
        )
    directory = settings.import_work_dir or Path(tempfile.gettempdir())
    await anyio.Path(directory).mkdir(parents=True, exist_ok=True)
    path = directory / f"rncp-import-{uuid.uuid4().hex}.upload"
    size = 0
    try:
        async with await anyio.open_file(path, "wb") as upload:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ImportFileTooLargeError(
                        f"The file is larger than the {limit:,}-byte limit of this server."
                    )
                await upload.write(chunk)
        if size == 0:
            raise ImportFileEmptyError(
                "The request body is empty: send the RNCP export (zip or XML) as the body."
            )
        job = await runner.submit(
            path, size=size, file_name=file_name, requested_by=admin.client_id
        )
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    body = _read(job, None).model_dump_json().encode()
    return Response(
        body,
        status_code=202,
        media_type="application/json",
        headers={"Location": f"/v1/imports/{job.id}"},
    )


@router.get(
    "/v1/imports",
    response_model=list[ImportJobRead],
    summary="List recent imports (admin)",
    description="The latest RNCP imports, newest first, with their status, progress and report.",
    responses={
        **example_responses(200, [IMPORT_JOB_EXAMPLE]),
        **problem_responses(AuthenticationError, PermissionDeniedError),
    },
)
async def list_imports(
    runner: Runner, _admin: Admin, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[ImportJobRead]:
    return [
        _read(job, runner.live.get(job.id)) for job in await runner.list_recent(limit)
    ]


@router.get(
    "/v1/imports/{import_id:uuid}",
    response_model=ImportJobRead,
    summary="Follow an import (admin)",
    description="Status, progress and, once finished, the report (created / updated / unchanged / skipped with reasons) or the error.",
    responses={
        **example_responses(200, IMPORT_JOB_EXAMPLE),
        **problem_responses(
            ImportNotFoundError, AuthenticationError, PermissionDeniedError
        ),
    },
)
async def get_import(
    import_id: uuid.UUID, runner: Runner, _admin: Admin
) -> ImportJobRead:
    job, live = await runner.get(import_id)
    return _read(job, live)
