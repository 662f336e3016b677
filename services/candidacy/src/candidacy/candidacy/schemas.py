"""Request and response models of the candidacy endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from candidacy.candidacy.rules import (
    Action,
    Attendance,
    BlockResult,
    Decision,
    JuryResult,
    State,
)

RncpCode = Annotated[
    str,
    Field(
        pattern=r"^RNCP\d{1,6}$",
        description="Numéro de fiche RNCP.",
        examples=["RNCP38077"],
    ),
]
BlockCode = Annotated[
    str, Field(pattern=r"^RNCP\d{1,6}BC\d{1,3}$", examples=["RNCP38077BC01"])
]


class CandidacyCreate(BaseModel):
    """A new candidacy (candidature) of a candidate for a certification, whole or some blocks."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "candidate_id": "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10",
                    "rncp_code": "RNCP38077",
                    "block_codes": None,
                }
            ]
        },
    )

    candidate_id: uuid.UUID
    rncp_code: RncpCode
    block_codes: list[BlockCode] | None = Field(
        default=None,
        max_length=60,
        description="Blocs visés; omitted or null: the whole certification.",
    )


class CandidacyUpdate(BaseModel):
    """Changes to a candidacy still in DRAFT or INCOMPLETE."""

    model_config = ConfigDict(extra="forbid")

    rncp_code: RncpCode | None = None
    block_codes: list[BlockCode] | None = Field(
        default=None,
        max_length=60,
        description="Blocs visés; null: the whole certification. Omit to keep.",
    )


class AdmissibilityDecisionCreate(BaseModel):
    """The certifier's admissibility decision (décision de recevabilité)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"decision": "ADMISSIBLE", "reasons": []},
                {
                    "decision": "INCOMPLETE",
                    "reasons": ["Attestations d'employeur manquantes pour 2019–2021."],
                },
            ]
        },
    )

    decision: Decision
    reasons: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list,
        max_length=20,
        description="Motifs; required for NOT_ADMISSIBLE and INCOMPLETE.",
    )


class ReasonCreate(BaseModel):
    """Why an act is taken (withdrawal, revocation)."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class SnapshotBlock(BaseModel):
    """A block as the catalog described it at submission."""

    code: str
    title: str


class CertificationSnapshot(BaseModel):
    """What the catalog said of the certification when the candidacy was submitted."""

    title: str
    kind: str
    level: int | None
    version: int
    end_date: date | None
    retention_policy: str
    retention_years: int | None
    blocks: list[SnapshotBlock]
    certifier_ids: list[str]
    already_acquired_block_codes: list[str] = Field(
        description="Blocks held and valid at submission, left out of the target."
    )


class Admissibility(BaseModel):
    """The admissibility decision."""

    decision: Decision
    reasons: list[str]
    decided_at: datetime


class JuryOutcomeRead(BaseModel):
    """What a signed jury report said about the candidacy (résultat du jury)."""

    report_id: str
    session_id: str | None
    jury_date: date
    attendance: Attendance
    block_results: dict[str, BlockResult]
    result: JuryResult
    recorded_at: datetime


class CandidacyRead(BaseModel):
    """A candidacy, its state, and what its caller may do with it now."""

    id: uuid.UUID
    candidate_id: uuid.UUID
    organisation_id: str
    rncp_code: str
    requested_block_codes: list[str] | None = Field(
        description="Blocks asked for; null: the whole certification."
    )
    target_block_codes: list[str] | None = Field(
        description="Blocks the jury will assess, fixed at submission."
    )
    state: State
    snapshot: CertificationSnapshot | None
    submitted_at: datetime | None
    admissibility: Admissibility | None
    jury_result: JuryResult | None = Field(
        description="Latest jury result, in France VAE's vocabulary."
    )
    jury_date: date | None
    allowed_actions: list[Action] = Field(
        description="What the caller may do now, per the state machine."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class TransitionRead(BaseModel):
    """One step of a candidacy's history."""

    action: Action
    from_state: State | None
    to_state: State
    actor_role: str
    actor_id: str = Field(description="The API client (or `system`) that acted.")
    details: dict[str, Any] | None
    occurred_at: datetime
