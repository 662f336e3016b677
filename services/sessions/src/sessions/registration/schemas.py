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


# Examples of the OpenAPI document.
REGISTRATION_CREATE_EXAMPLE: dict[str, object] = {
    "candidacy_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c99",
    "block_codes": ["RNCP38077BC01", "RNCP38077BC02"],
}
REGISTRATION_READ_EXAMPLE: dict[str, object] = {
    "id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d01",
    "session_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d40",
    "candidacy_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c99",
    "candidate_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c98",
    "organisation_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1b10",
    "candidate_name": "Samia Benali",
    "block_codes": ["RNCP38077BC01", "RNCP38077BC02"],
    "attendance": None,
    "created_at": "2026-12-01T10:15:00Z",
}
ATTENDANCE_EXAMPLE: dict[str, object] = {"attendance": "PRESENT"}
CONVOCATION_EXAMPLE = (
    "BEGIN:VCALENDAR\r\n"
    "PRODID:-//VAE platform//sessions//FR\r\n"
    "VERSION:2.0\r\n"
    "METHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\n"
    "SUMMARY:Convocation : Soudeur assembleur industriel\r\n"
    "DTSTART:20270315T073000Z\r\n"
    "DTEND:20270316T160000Z\r\n"
    "DTSTAMP:20270210T090000Z\r\n"
    "UID:convocation-0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d01@vae-sessions\r\n"
    "DESCRIPTION:Convocation du candidat aux épreuves de validation des acquis\r\n"
    "  de l'expérience.\\nSession TITLE de RNCP38077 (11.5 h d'épreuves). Blocs \r\n"
    " : RNCP38077BC01\\, RNCP38077BC02.\r\n"
    "LOCATION:Plateau soudure\\, 12 rue des Forges\\, 69200 Vénissieux\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)
