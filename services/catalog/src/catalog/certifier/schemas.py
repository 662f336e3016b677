"""Response models of the certifier endpoints."""

from __future__ import annotations

import uuid

from pydantic import BaseModel, Field


class CertifierRead(BaseModel):
    """A certifier (certificateur) and how many certifications it owns."""

    id: uuid.UUID = Field(
        description="Stable id, derived from the SIRET (or the name when the RNCP gives none)."
    )
    name: str = Field(
        examples=["MINISTERE DU TRAVAIL DU PLEIN EMPLOI ET DE L' INSERTION"]
    )
    siret: str | None = Field(examples=["11000007200014"])
    website: str | None
    certifications_count: int = Field(
        description="Certifications of the catalog it is a certifier of."
    )
