"""Request and response models of the ledger of acquired blocks."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from candidacy.ledger.rules import BlockStatus, Source


class AcquiredBlockRead(BaseModel):
    """A block the candidate acquired (bloc de compétences acquis), with its expiry."""

    id: uuid.UUID
    block_code: str = Field(examples=["RNCP38077BC01"])
    block_title: str | None
    rncp_code: str = Field(examples=["RNCP38077"])
    certification_version: int | None
    acquired_on: date = Field(description="Date of the jury (or of the equivalence).")
    expires_on: date | None = Field(
        description="First day the block is no longer held; null when it never expires."
    )
    source: Source
    candidacy_id: uuid.UUID | None
    status: BlockStatus = Field(
        description="On `as_of`: VALID, EXPIRING (within the horizon) or EXPIRED."
    )
    created_at: datetime


class HeldBlock(BaseModel):
    """A block of a certification that the candidate holds on `as_of`."""

    block_code: str
    expires_on: date | None
    status: BlockStatus
    via_block_codes: list[str] = Field(
        description="Empty when acquired directly; else the blocks of another version that grant it (correspondance)."
    )


class CertificationProgress(BaseModel):
    """Where the candidate stands on one certification: blocks held and blocks remaining."""

    rncp_code: str
    title: str | None = Field(
        description="Null when the catalog no longer holds the fiche."
    )
    active: bool | None
    blocks_total: int
    held: list[HeldBlock]
    remaining_block_codes: list[str]
    obtained: bool = Field(
        description="Every block is held and valid on `as_of`: the certification is obtained."
    )


class LedgerRead(BaseModel):
    """A candidate's acquired blocks and, per certification, what remains to obtain."""

    candidate_id: uuid.UUID
    as_of: date
    expiring_horizon_days: int
    blocks: list[AcquiredBlockRead]
    certifications: list[CertificationProgress]


class ExpiringBlockRead(BaseModel):
    """An acquired block that expires soon, for the organisation following the candidate."""

    id: uuid.UUID
    candidate_id: uuid.UUID
    block_code: str
    rncp_code: str
    acquired_on: date
    expires_on: date


class EquivalenceCreate(BaseModel):
    """A block granted by equivalence (dispense, équivalence de bloc), recorded by its certifier."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rncp_code": "RNCP41936",
                    "block_code": "RNCP41936BC01",
                    "acquired_on": "2026-05-12",
                    "reference": "Décision DREETS 2026-118",
                }
            ]
        },
    )

    rncp_code: str = Field(pattern=r"^RNCP\d{1,6}$")
    block_code: str = Field(pattern=r"^RNCP\d{1,6}BC\d{1,3}$")
    acquired_on: date
    reference: str = Field(
        min_length=1, max_length=80, description="The decision that grants the block."
    )
