"""Response models of the import endpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class SkippedFicheRead(BaseModel):
    """A fiche the import left out, and why."""

    rncp_code: str | None
    reason: str = Field(
        examples=["DATE_FIN_ENREGISTREMENT '31/02/2028' is not a date JJ/MM/AAAA"]
    )


class ImportReportRead(BaseModel):
    """What an import did."""

    version: str | None = Field(
        description="VERSION_FLUX of the export.", examples=["4.1"]
    )
    fiches_read: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    skipped_fiches: list[SkippedFicheRead] = Field(
        description="The first 1,000 skipped fiches with their reason."
    )
    duration_seconds: float


class ImportProgressRead(BaseModel):
    """How far a running import has gone."""

    fiches_read: int
    bytes_read: int
    total_bytes: int
    percent: float = Field(examples=[42.5])


class ImportJobRead(BaseModel):
    """An import of the RNCP export (import du flux RNCP de France compétences)."""

    id: uuid.UUID
    status: Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED"]
    file_name: str | None
    progress: ImportProgressRead
    report: ImportReportRead | None = Field(
        description="Set once the import has succeeded."
    )
    error: str | None = Field(
        description="Why the import failed; the catalog was left as it was."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
