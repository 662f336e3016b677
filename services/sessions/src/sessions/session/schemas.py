"""Request and response models of exam sessions and their juries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from sessions.centre.schemas import RncpCode
from sessions.session.rules import Action, JuryRole, Profile, SessionKind, State


class PersonWrite(BaseModel):
    """A session manager (responsable de session) or supervisor (surveillant)."""

    model_config = ConfigDict(extra="forbid")

    full_name: str = Field(min_length=2, max_length=200, examples=["Julien Bertrand"])
    email: EmailStr | None = None


class ExamSessionCreate(BaseModel):
    """A new exam session (session d'examen), in DRAFT until scheduled."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "centre_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20",
                    "site_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31",
                    "rncp_code": "RNCP38077",
                    "kind": "TITLE",
                    "starts_at": "2027-03-15T08:30:00+01:00",
                    "ends_at": "2027-03-16T17:00:00+01:00",
                    "test_hours": 11.5,
                    "capacity": 8,
                    "manager": {
                        "full_name": "Julien Bertrand",
                        "email": "j.bertrand@example.org",
                    },
                    "supervisors": [{"full_name": "Inès Garnier"}],
                }
            ]
        },
    )

    centre_id: uuid.UUID
    site_id: uuid.UUID
    rncp_code: RncpCode
    kind: SessionKind = Field(
        description="TITLE (session titre), CCP (blocks of a TP), CCS, DIPLOMA_JURY (jury VAE of a diploma)."
    )
    block_codes: list[str] | None = Field(
        default=None,
        max_length=60,
        description="Blocks assessed; omitted: every block of the certification.",
    )
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    test_hours: float = Field(
        gt=0,
        description="Hours of tests in all (épreuves), at most 12 over one or several days.",
    )
    capacity: int = Field(ge=1, le=500, description="Seats for candidates.")
    manager: PersonWrite
    supervisors: list[PersonWrite] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must come after starts_at")
        return self


def _never_null(schema: dict[str, Any]) -> None:
    """Documents an optional field as never null: its one non-null variant, no default."""
    variants = [v for v in schema.pop("anyOf", []) if v != {"type": "null"}]
    if len(variants) == 1:
        schema.update(variants[0])
    schema.pop("default", None)


class ExamSessionUpdate(BaseModel):
    """Changes to a session: its staff and capacity (and its dates while in DRAFT)."""

    model_config = ConfigDict(extra="forbid")

    # Optional but never null: a field left out keeps its value, an explicit null is refused
    # below. Plain `X | None` validates as one nullable type (errors name the field, not a
    # union branch); the schema hook documents it without null.
    starts_at: AwareDatetime | None = Field(default=None, json_schema_extra=_never_null)
    ends_at: AwareDatetime | None = Field(default=None, json_schema_extra=_never_null)
    test_hours: float | None = Field(default=None, gt=0, json_schema_extra=_never_null)
    capacity: int | None = Field(
        default=None, ge=1, le=500, json_schema_extra=_never_null
    )
    manager: PersonWrite | None = Field(default=None, json_schema_extra=_never_null)
    supervisors: list[PersonWrite] | None = Field(
        default=None, max_length=20, json_schema_extra=_never_null
    )

    @model_validator(mode="after")
    def _no_null(self) -> Self:
        nulls = sorted(
            name for name in self.model_fields_set if getattr(self, name) is None
        )
        if nulls:
            raise ValueError(
                f"{', '.join(nulls)} may not be null: leave a field out to keep its value"
            )
        return self


class JurySeatWrite(BaseModel):
    """A juror's seat."""

    model_config = ConfigDict(extra="forbid")

    juror_id: uuid.UUID
    role: JuryRole = Field(
        default=JuryRole.MEMBER,
        description="MEMBER for a TP jury; PRESIDENT, TEACHER_TRAINER or PROFESSIONAL for a diploma.",
    )


class JuryWrite(BaseModel):
    """The whole jury of a session (it replaces the previous one)."""

    model_config = ConfigDict(extra="forbid")

    members: list[JurySeatWrite] = Field(max_length=20)

    @field_validator("members")
    @classmethod
    def _each_juror_once(cls, members: list[JurySeatWrite]) -> list[JurySeatWrite]:
        ids = [seat.juror_id for seat in members]
        if len(set(ids)) != len(ids):
            raise ValueError("a juror takes one seat only")
        return members


class JuryDeclarationWrite(BaseModel):
    """A juror's own declaration of links with the session's candidates (sur l'honneur)."""

    model_config = ConfigDict(extra="forbid")

    linked_candidacy_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=500,
        description="Candidacies of candidates the juror knows (trainer, tutor, colleague…); empty: none.",
    )


class JurySeatRead(BaseModel):
    """A juror's seat in a session's jury."""

    juror_id: uuid.UUID
    full_name: str
    profile: Profile
    role: JuryRole
    declared_candidacy_ids: list[str]
    declared_at: datetime | None


class PersonRead(BaseModel):
    """A member of the session's staff."""

    full_name: str
    email: str | None = None


class SiteSummary(BaseModel):
    """Where the session takes place."""

    id: uuid.UUID
    name: str
    address: str
    postal_code: str
    city: str


class ExamSessionRead(BaseModel):
    """An exam session. Partners see the public calendar: no staff, no jury."""

    id: uuid.UUID
    centre_id: uuid.UUID
    site: SiteSummary
    rncp_code: str
    certification_title: str
    kind: SessionKind
    block_codes: list[str]
    starts_at: datetime
    ends_at: datetime
    test_hours: float
    capacity: int
    seats_left: int
    state: State
    region: str
    department: str
    registration_deadline: datetime = Field(
        description="Registrations close, and convocations are due, at this time (one month before, Europe/Paris)."
    )
    manager: PersonRead | None = Field(description="Hidden from partners.")
    supervisors: list[PersonRead] | None = Field(description="Hidden from partners.")
    jury: list[JurySeatRead] | None = Field(description="Hidden from partners.")
    cancelled_reason: str | None
    allowed_actions: list[Action]
    version: int
    created_at: datetime
    updated_at: datetime


class CancellationWrite(BaseModel):
    """Why a session is cancelled."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=2000)


# Examples of the OpenAPI document: one session of a titre professionnel, from draft to held.
SESSION_ID = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1d40"
JUROR_IDS = (
    "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c55",
    "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c56",
)
SESSION_CREATE_EXAMPLE: dict[str, object] = {
    "centre_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20",
    "site_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31",
    "rncp_code": "RNCP38077",
    "kind": "TITLE",
    "starts_at": "2027-03-15T08:30:00+01:00",
    "ends_at": "2027-03-16T17:00:00+01:00",
    "test_hours": 11.5,
    "capacity": 8,
    "manager": {"full_name": "Julien Bertrand", "email": "j.bertrand@example.org"},
    "supervisors": [{"full_name": "Inès Garnier"}],
}
SESSION_READ_EXAMPLE: dict[str, object] = {
    "id": SESSION_ID,
    "centre_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20",
    "site": {
        "id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31",
        "name": "Plateau soudure",
        "address": "12 rue des Forges",
        "postal_code": "69200",
        "city": "Vénissieux",
    },
    "rncp_code": "RNCP38077",
    "certification_title": "Soudeur assembleur industriel",
    "kind": "TITLE",
    "block_codes": ["RNCP38077BC01", "RNCP38077BC02"],
    "starts_at": "2027-03-15T07:30:00Z",
    "ends_at": "2027-03-16T16:00:00Z",
    "test_hours": 11.5,
    "capacity": 8,
    "seats_left": 5,
    "state": "SCHEDULED",
    "region": "84",
    "department": "69",
    "registration_deadline": "2027-02-15T00:00:00+01:00",
    "manager": {"full_name": "Julien Bertrand", "email": "j.bertrand@example.org"},
    "supervisors": [{"full_name": "Inès Garnier", "email": None}],
    "jury": [
        {
            "juror_id": JUROR_IDS[0],
            "full_name": "Nadia Roux",
            "profile": "PROFESSIONAL",
            "role": "MEMBER",
            "declared_candidacy_ids": [],
            "declared_at": "2027-01-05T10:00:00Z",
        },
        {
            "juror_id": JUROR_IDS[1],
            "full_name": "Marc Lefèvre",
            "profile": "PROFESSIONAL",
            "role": "MEMBER",
            "declared_candidacy_ids": [],
            "declared_at": None,
        },
    ],
    "cancelled_reason": None,
    "allowed_actions": ["UPDATE", "SET_JURY", "SEND_CONVOCATIONS", "CANCEL"],
    "version": 4,
    "created_at": "2026-11-02T09:30:00Z",
    "updated_at": "2026-11-10T16:20:00Z",
}
# As a partner sees it (the public calendar): no staff, no jury.
SESSION_PUBLIC_EXAMPLE: dict[str, object] = {
    **SESSION_READ_EXAMPLE,
    "manager": None,
    "supervisors": None,
    "jury": None,
    "allowed_actions": ["REGISTER"],
}
SESSION_UPDATE_EXAMPLE: dict[str, object] = {
    "capacity": 10,
    "supervisors": [{"full_name": "Inès Garnier"}, {"full_name": "Paul Moreau"}],
}
JURY_EXAMPLE: dict[str, object] = {
    "members": [{"juror_id": JUROR_IDS[0]}, {"juror_id": JUROR_IDS[1]}]
}
DECLARATION_EXAMPLE: dict[str, object] = {"linked_candidacy_ids": []}
CANCELLATION_EXAMPLE: dict[str, object] = {
    "reason": "Plateau technique indisponible (travaux) : session reportée."
}
