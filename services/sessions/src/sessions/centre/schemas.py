"""Request and response models of exam centres, sites and approvals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Department = Annotated[
    str,
    Field(
        # Corsica is 2A and 2B: there has been no département 20 since 1976.
        pattern=r"^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$",
        description="Département (INSEE code).",
        examples=["69"],
    ),
]
Region = Annotated[
    str,
    Field(
        pattern=r"^(0[1-6]|11|24|27|28|32|44|52|53|75|76|84|93|94)$",
        description="Région (INSEE code), e.g. 84 Auvergne-Rhône-Alpes.",
        examples=["84"],
    ),
]
RncpCode = Annotated[
    str,
    Field(
        pattern=r"^RNCP\d{1,6}$",
        description="Numéro de fiche RNCP.",
        examples=["RNCP38077"],
    ),
]


class SiteCreate(BaseModel):
    """A site of the centre where tests take place (plateau technique)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Plateau soudure",
                    "address": "12 rue des Forges",
                    "postal_code": "69007",
                    "city": "Lyon",
                    "department": "69",
                }
            ]
        },
    )

    name: str = Field(min_length=2, max_length=200)
    address: str = Field(min_length=2, max_length=300)
    postal_code: str = Field(pattern=r"^\d{5}$")
    city: str = Field(min_length=1, max_length=100)
    department: Department


class SiteRead(SiteCreate):
    """A site of an exam centre."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    created_at: datetime


class ExamCentreCreate(BaseModel):
    """A new exam centre (centre d'examen)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Centre AFPA de Lyon Vénissieux",
                    "siret": "82422814200658",
                    "region": "84",
                    "department": "69",
                    "sites": [
                        {
                            "name": "Plateau soudure",
                            "address": "12 rue des Forges",
                            "postal_code": "69200",
                            "city": "Vénissieux",
                            "department": "69",
                        }
                    ],
                }
            ]
        },
    )

    id: uuid.UUID | None = Field(
        default=None,
        description="Choose the id (e.g. the organisation id an API client is bound to); generated when omitted.",
    )
    name: str = Field(min_length=2, max_length=200)
    siret: str = Field(pattern=r"^\d{14}$", description="SIRET of the establishment.")
    region: Region
    department: Department
    sites: list[SiteCreate] = Field(default_factory=list, max_length=50)


class ExamCentreRead(BaseModel):
    """An exam centre with its sites."""

    id: uuid.UUID
    name: str
    siret: str
    region: str
    department: str
    sites: list[SiteRead]
    version: int
    created_at: datetime
    updated_at: datetime


class ApprovalCreate(BaseModel):
    """An approval (agrément) granted by the regional authority (DREETS)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "site_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31",
                    "rncp_code": "RNCP38077",
                    "start_date": "2026-01-01",
                    "end_date": "2028-09-28",
                    "authority": "DREETS Auvergne-Rhône-Alpes",
                    "reference": "AGR-2026-0142",
                }
            ]
        },
    )

    site_id: uuid.UUID
    rncp_code: RncpCode
    start_date: date
    end_date: date = Field(description="May not run past the certification's end date.")
    authority: str = Field(min_length=2, max_length=200, examples=["DREETS Occitanie"])
    reference: str | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


class ApprovalRead(BaseModel):
    """An approval of a centre's site for a certification."""

    id: uuid.UUID
    centre_id: uuid.UUID
    site_id: uuid.UUID
    rncp_code: str
    start_date: date
    end_date: date
    authority: str
    reference: str | None
    withdrawn_at: datetime | None
    created_at: datetime


# Examples of the OpenAPI document (one centre, its site, an approval).
CENTRE_ID = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20"
SITE_ID = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c31"
SITE_EXAMPLE: dict[str, object] = {
    "name": "Plateau soudure",
    "address": "12 rue des Forges",
    "postal_code": "69200",
    "city": "Vénissieux",
    "department": "69",
}
SITE_READ_EXAMPLE: dict[str, object] = {
    **SITE_EXAMPLE,
    "id": SITE_ID,
    "created_at": "2026-11-02T09:12:44Z",
}
CENTRE_CREATE_EXAMPLE: dict[str, object] = {
    "name": "Centre AFPA de Lyon Vénissieux",
    "siret": "82422814200658",
    "region": "84",
    "department": "69",
    "sites": [SITE_EXAMPLE],
}
CENTRE_READ_EXAMPLE: dict[str, object] = {
    "id": CENTRE_ID,
    "name": "Centre AFPA de Lyon Vénissieux",
    "siret": "82422814200658",
    "region": "84",
    "department": "69",
    "sites": [SITE_READ_EXAMPLE],
    "version": 1,
    "created_at": "2026-11-02T09:12:44Z",
    "updated_at": "2026-11-02T09:12:44Z",
}
APPROVAL_CREATE_EXAMPLE: dict[str, object] = {
    "site_id": SITE_ID,
    "rncp_code": "RNCP38077",
    "start_date": "2026-01-01",
    "end_date": "2028-09-28",
    "authority": "DREETS Auvergne-Rhône-Alpes",
    "reference": "AGR-2026-0142",
}
APPROVAL_READ_EXAMPLE: dict[str, object] = {
    **APPROVAL_CREATE_EXAMPLE,
    "id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c42",
    "centre_id": CENTRE_ID,
    "withdrawn_at": None,
    "created_at": "2026-11-03T14:05:00Z",
}
