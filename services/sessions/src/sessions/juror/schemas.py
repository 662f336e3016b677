"""Request and response models of jurors and habilitations."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from sessions.centre.schemas import RncpCode
from sessions.session.rules import Profile


class JurorCreate(BaseModel):
    """A juror (membre de jury): minimal personal data and their standing in the trade."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "given_name": "Nadia",
                    "family_name": "Roux",
                    "email": "nadia.roux@example.org",
                    "profile": "PROFESSIONAL",
                    "trade": "Soudeuse industrielle",
                    "years_in_trade": 12,
                    "left_trade_on": None,
                }
            ]
        },
    )

    given_name: str = Field(min_length=1, max_length=100)
    family_name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = None
    profile: Profile = Field(
        description="PROFESSIONAL (professionnel du métier) or TEACHER_TRAINER (enseignant ou formateur)."
    )
    trade: str = Field(min_length=2, max_length=200, description="Métier exercé.")
    years_in_trade: int = Field(
        ge=0, le=60, description="Years of experience in the trade."
    )
    left_trade_on: date | None = Field(
        default=None,
        description="When they left the trade; null while they practise it.",
    )


class HabilitationCreate(BaseModel):
    """A habilitation of the departmental authority (DDETS) for one certification."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rncp_code": "RNCP38077",
                    "granted_on": "2026-03-01",
                    "authority": "DDETS du Rhône",
                }
            ]
        },
    )

    rncp_code: RncpCode
    granted_on: date
    valid_until: date | None = Field(
        default=None,
        description="At most the certification's end date (the default).",
    )
    authority: str = Field(min_length=2, max_length=200)

    @model_validator(mode="after")
    def _valid_after_granted(self) -> Self:
        if self.valid_until is not None and self.valid_until < self.granted_on:
            raise ValueError("valid_until must not be before granted_on")
        return self


class HabilitationRead(BaseModel):
    """A juror's habilitation for a certification."""

    id: uuid.UUID
    rncp_code: str
    granted_on: date
    valid_until: date
    authority: str
    created_at: datetime


class JurorRead(BaseModel):
    """A juror with their habilitations."""

    id: uuid.UUID
    given_name: str
    family_name: str
    email: str | None
    profile: Profile
    trade: str
    years_in_trade: int
    left_trade_on: date | None
    habilitations: list[HabilitationRead]
    version: int
    created_at: datetime
    updated_at: datetime


# Examples of the OpenAPI document (one juror and their habilitation).
JUROR_CREATE_EXAMPLE: dict[str, object] = {
    "given_name": "Nadia",
    "family_name": "Roux",
    "email": "nadia.roux@example.org",
    "profile": "PROFESSIONAL",
    "trade": "Soudeuse industrielle",
    "years_in_trade": 12,
    "left_trade_on": None,
}
HABILITATION_CREATE_EXAMPLE: dict[str, object] = {
    "rncp_code": "RNCP38077",
    "granted_on": "2026-03-01",
    "authority": "DDETS du Rhône",
}
HABILITATION_READ_EXAMPLE: dict[str, object] = {
    "id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c66",
    "rncp_code": "RNCP38077",
    "granted_on": "2026-03-01",
    "valid_until": "2028-09-28",
    "authority": "DDETS du Rhône",
    "created_at": "2026-03-02T08:00:00Z",
}
JUROR_READ_EXAMPLE: dict[str, object] = {
    "id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c55",
    **JUROR_CREATE_EXAMPLE,
    "habilitations": [HABILITATION_READ_EXAMPLE],
    "version": 1,
    "created_at": "2026-03-02T07:55:00Z",
    "updated_at": "2026-03-02T08:00:00Z",
}
