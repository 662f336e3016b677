"""The ``report.signed`` event the sessions service publishes, as this service reads it."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, Field

from candidacy.candidacy.rules import Attendance, BlockResult

REPORT_SIGNED = "fr.vae.sessions.report-signed.v1"


class ReportBlockLine(BaseModel):
    """The jury's result for one block of one candidate."""

    block_code: str = Field(pattern=r"^RNCP\d{1,6}BC\d{1,3}$")
    result: BlockResult


class ReportCandidateLine(BaseModel):
    """One candidate's lines of the report (procès-verbal)."""

    candidacy_id: uuid.UUID
    attendance: Attendance
    blocks: list[ReportBlockLine] = Field(default_factory=list, max_length=60)


class ReportSigned(BaseModel):
    """The data of a ``fr.vae.sessions.report-signed.v1`` event."""

    report_id: str = Field(min_length=1, max_length=64)
    session_id: str | None = Field(default=None, max_length=64)
    rncp_code: str = Field(pattern=r"^RNCP\d{1,6}$")
    jury_date: date = Field(
        description="Last day of the session: the date blocks are acquired."
    )
    signed_at: datetime
    results: list[ReportCandidateLine] = Field(max_length=10_000)


class EventReceipt(BaseModel):
    """What this service did with a delivered event."""

    event_id: str
    duplicate: bool = Field(description="Already handled: nothing changed.")
    ignored: bool = Field(
        default=False, description="A type this service does not handle."
    )
    applied: list[uuid.UUID] = Field(default_factory=list)
    skipped: dict[str, str] = Field(
        default_factory=dict,
        description="Candidacy id → why its lines were not applied.",
    )
