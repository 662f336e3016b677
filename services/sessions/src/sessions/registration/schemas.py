"""Request and response models of registrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from sessions.session.rules import Attendance


class RegistrationCreate(BaseModel):
    """A partner registers one of its candidates' admissible candidacies in a session."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"candidacy_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c99"}]
        },
    )

    candidacy_id: uuid.UUID
    block_codes: list[str] | None = Field(
        default=None,
        max_length=60,
        description="Blocks to be assessed; omitted: those of the session the candidacy aims at.",
    )


class AttendanceWrite(BaseModel):
    """What the session manager records (émargement)."""

    model_config = ConfigDict(extra="forbid")

    attendance: Attendance


class RegistrationRead(BaseModel):
    """A candidacy registered in a session."""

    id: uuid.UUID
    session_id: uuid.UUID
    candidacy_id: uuid.UUID
    candidate_id: uuid.UUID
    organisation_id: str
    candidate_name: str | None
    block_codes: list[str]
    attendance: Attendance | None
    created_at: datetime
