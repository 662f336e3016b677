"""Request and response models of the candidate endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

Department = Annotated[
    str,
    Field(
        pattern=r"^(0[1-9]|[1-8][0-9]|9[0-5]|2[AB]|97[1-6])$",
        description="Département de résidence (INSEE code: 01–95, 2A, 2B, 971–976).",
        examples=["69"],
    ),
]
Phone = Annotated[
    str, Field(pattern=r"^\+?[0-9][0-9 .-]{5,19}$", examples=["+33 6 12 34 56 78"])
]
Name = Annotated[str, Field(min_length=1, max_length=100)]


class ExperienceNature(StrEnum):
    """Nature of an experience (salariée, non salariée, bénévole, aidant familial, autre)."""

    SALARIED = "SALARIED"
    SELF_EMPLOYED = "SELF_EMPLOYED"
    VOLUNTEER = "VOLUNTEER"
    FAMILY_CAREGIVER = "FAMILY_CAREGIVER"
    OTHER = "OTHER"


class LinkRelation(StrEnum):
    """A link that forbids sitting on the candidate's jury (formateur, tuteur, encadrant…)."""

    TRAINER = "TRAINER"
    INTERNSHIP_TUTOR = "INTERNSHIP_TUTOR"
    SUPERVISOR = "SUPERVISOR"
    COLLEAGUE = "COLLEAGUE"
    PERSONAL = "PERSONAL"


class ExperienceCreate(BaseModel):
    """An experience declared by the candidate."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "nature": "SALARIED",
                    "title": "Soudeur en chaudronnerie",
                    "description": "Soudage TIG et MIG d'ensembles en acier inoxydable.",
                    "start_date": "2016-03-01",
                    "end_date": None,
                    "weekly_hours": 35,
                }
            ]
        },
    )

    nature: ExperienceNature
    title: str = Field(
        min_length=2, max_length=300, description="Intitulé du poste ou de l'activité."
    )
    description: str | None = Field(default=None, max_length=10_000)
    start_date: date
    end_date: date | None = Field(default=None, description="Null while it goes on.")
    weekly_hours: int | None = Field(
        default=None, ge=1, le=99, description="Durée hebdomadaire."
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class ExperienceRead(ExperienceCreate):
    """An experience of a candidate."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    created_at: datetime


class LinkCreate(BaseModel):
    """A person linked to the candidate, who may therefore not sit on their jury."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "relation": "TRAINER",
                    "full_name": "Claire Martin",
                    "organisation": "AFPA Lyon",
                    "email": "claire.martin@example.org",
                }
            ]
        },
    )

    relation: LinkRelation
    full_name: str = Field(min_length=2, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    email: EmailStr | None = None
    juror_id: uuid.UUID | None = Field(
        default=None, description="The juror's id in the sessions service, when known."
    )


class LinkRead(LinkCreate):
    """A declared link."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    created_at: datetime


class CandidateCreate(BaseModel):
    """A new candidate, with (optionally) their experiences and links at once."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "given_name": "Samia",
                    "family_name": "Benali",
                    "email": "samia.benali@example.org",
                    "department": "69",
                    "experiences": [
                        {
                            "nature": "SALARIED",
                            "title": "Soudeuse en chaudronnerie",
                            "start_date": "2016-03-01",
                            "weekly_hours": 35,
                        }
                    ],
                }
            ]
        },
    )

    given_name: Name = Field(description="Prénom.")
    family_name: Name = Field(description="Nom de naissance ou d'usage.")
    birth_date: date | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    department: Department
    experiences: list[ExperienceCreate] = Field(default_factory=list, max_length=100)
    links: list[LinkCreate] = Field(default_factory=list, max_length=100)


class CandidateUpdate(BaseModel):
    """Changes to a candidate's identity or contact (fields left out stay as they are)."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: date | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    department: Department | None = None


class CandidateRead(BaseModel):
    """A candidate (candidat) with their experiences and declared links."""

    id: uuid.UUID
    organisation_id: str = Field(
        description="The partner organisation that follows the candidate."
    )
    given_name: str
    family_name: str
    birth_date: date | None
    email: str | None
    phone: str | None
    department: str | None
    experiences: list[ExperienceRead]
    links: list[LinkRead]
    version: int
    created_at: datetime
    updated_at: datetime


class CandidateSummary(BaseModel):
    """A candidate in a list."""

    id: uuid.UUID
    organisation_id: str
    given_name: str
    family_name: str
    department: str | None
    created_at: datetime
