"""Request and response models of the session report (procès-verbal)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sessions.session.rules import Attendance, BlockResult


class BlockLine(BaseModel):
    """The jury's result for one block."""

    model_config = ConfigDict(extra="forbid")

    block_code: str
    result: BlockResult


class ReportLine(BaseModel):
    """One registered candidate's lines: attendance and the result of each assessed block."""

    model_config = ConfigDict(extra="forbid")

    registration_id: uuid.UUID
    attendance: Attendance | None = Field(
        default=None, description="Omitted: as recorded by the session manager."
    )
    blocks: list[BlockLine] = Field(default_factory=list, max_length=60)


class ReportWrite(BaseModel):
    """The report to sign: a line for every registered candidate."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "lines": [
                        {
                            "registration_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d01",
                            "attendance": "PRESENT",
                            "blocks": [
                                {"block_code": "RNCP38077BC01", "result": "VALIDATED"},
                                {
                                    "block_code": "RNCP38077BC02",
                                    "result": "NOT_VALIDATED",
                                },
                            ],
                        }
                    ]
                }
            ]
        },
    )

    lines: list[ReportLine] = Field(max_length=1000)


class RevocationWrite(BaseModel):
    """Why a signed report is revoked."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)


class ReportLineRead(BaseModel):
    """A candidate's lines in a signed report."""

    registration_id: uuid.UUID
    candidacy_id: uuid.UUID
    attendance: Attendance
    blocks: list[BlockLine]


class ReportRead(BaseModel):
    """A signed report (and, after a revocation, the revoked ones)."""

    id: uuid.UUID
    session_id: uuid.UUID
    lines: list[ReportLineRead]
    signed_at: datetime
    signed_by: str
    revoked_at: datetime | None
    revocation_reason: str | None


# Examples of the OpenAPI document: the procès-verbal of a session with two candidates.
REPORT_WRITE_EXAMPLE: dict[str, object] = {
    "lines": [
        {
            "registration_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d01",
            "attendance": "PRESENT",
            "blocks": [
                {"block_code": "RNCP38077BC01", "result": "VALIDATED"},
                {"block_code": "RNCP38077BC02", "result": "NOT_VALIDATED"},
            ],
        },
        {
            "registration_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d02",
            "attendance": "ABSENT",
        },
    ]
}
REPORT_READ_EXAMPLE: dict[str, object] = {
    "id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1e10",
    "session_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d40",
    "lines": [
        {
            "registration_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d01",
            "candidacy_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c99",
            "attendance": "PRESENT",
            "blocks": [
                {"block_code": "RNCP38077BC01", "result": "VALIDATED"},
                {"block_code": "RNCP38077BC02", "result": "NOT_VALIDATED"},
            ],
        },
        {
            "registration_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d02",
            "candidacy_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c97",
            "attendance": "ABSENT",
            "blocks": [],
        },
    ],
    "signed_at": "2027-03-17T11:00:00Z",
    "signed_by": "centre-afpa-lyon",
    "revoked_at": None,
    "revocation_reason": None,
}
REVOCATION_EXAMPLE: dict[str, object] = {
    "reason": "Erreur de saisie du résultat du bloc RNCP38077BC02 : procès-verbal à refaire."
}
