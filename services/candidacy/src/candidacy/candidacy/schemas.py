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
from candidacy.candidacy.vocabulary import (
    FranceVaeFeasibilityDecision,
    FranceVaeInteropFeasibilityStatus,
    FranceVaeInteropJuryResult,
    FranceVaeJuryResult,
    FranceVaeStatus,
    Match,
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


class FranceVaeCandidacy(BaseModel):
    """The candidacy in France VAE's vocabulary (only with `vocabulary=france-vae`).

    Our own fields keep their meaning; this object says the same in France VAE's values.
    """

    status: FranceVaeStatus = Field(
        description="France VAE's `CandidacyStatusStep`. For a withdrawn candidacy, the step "
        "it had reached (France VAE keeps it and records the drop-out beside it)."
    )
    status_match: Match = Field(
        description="EXACT, or APPROXIMATE when France VAE has no exact equivalent of our "
        "state and `status` is the nearest step (GET /v1/candidacies/vocabulary says why)."
    )
    dropped_out: bool = Field(
        description="Candidature abandonnée: our WITHDRAWN, France VAE's `candidacyDropOut`."
    )
    feasibility_decision: FranceVaeFeasibilityDecision | None = Field(
        description="Décision sur le dossier de faisabilité (France VAE's `FeasibilityStatus`): "
        "PENDING once filed and undecided; null before the dossier is filed."
    )
    feasibility_status_interop: FranceVaeInteropFeasibilityStatus | None = Field(
        description="The same in France VAE's interop API (`StatutDossierDeFaisabilite`): "
        "EN_ATTENTE, RECEVABLE, IRRECEVABLE, INCOMPLET, or ABANDONNE once dropped out."
    )
    jury_result: FranceVaeJuryResult | None = Field(
        description="Résultat du jury (France VAE's `JuryResult`, the same values as ours)."
    )
    jury_result_interop: FranceVaeInteropJuryResult | None = Field(
        description="The same in France VAE's interop API (`ResultatJury`)."
    )


class FranceVaeTransition(BaseModel):
    """One step of the history in France VAE's vocabulary (only with `vocabulary=france-vae`)."""

    from_status: FranceVaeStatus | None = Field(
        description="France VAE status before the step; null for the creation."
    )
    to_status: FranceVaeStatus | None = Field(
        description="France VAE status after the step; a withdrawal keeps the status reached."
    )
    dropped_out: bool = Field(description="The step is an abandon (candidacyDropOut).")
    feasibility_decision: FranceVaeFeasibilityDecision | None = Field(
        description="For a décision de recevabilité, France VAE's `FeasibilityStatus`."
    )


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
    france_vae: FranceVaeCandidacy | None = Field(
        default=None,
        description="The same candidacy in France VAE's vocabulary; null unless the read asks "
        "`vocabulary=france-vae`.",
    )


class TransitionRead(BaseModel):
    """One step of a candidacy's history."""

    action: Action
    from_state: State | None
    to_state: State
    actor_role: str
    actor_id: str = Field(description="The API client (or `system`) that acted.")
    details: dict[str, Any] | None
    occurred_at: datetime
    france_vae: FranceVaeTransition | None = Field(
        default=None,
        description="The step in France VAE's vocabulary; null unless the read asks "
        "`vocabulary=france-vae`.",
    )


class EquivalentRead(BaseModel):
    """One of our values, its French term and its France VAE equivalent."""

    value: str
    french_term: str
    france_vae: list[str] = Field(
        description="France VAE's value(s) (GraphQL / database); empty when it has none."
    )
    france_vae_interop: list[str] = Field(
        description="The value(s) in France VAE's interop API, when it has some."
    )
    match: Match
    note: str | None


class FranceVaeValueRead(BaseModel):
    """A France VAE value, its French term and which of our values it stands for."""

    value: str
    french_term: str
    ours: list[str] = Field(
        description="Our values whose equivalent it is; empty when none is."
    )
    note: str | None = Field(description="Why none of ours matches, when none does.")


class GlossaryRead(BaseModel):
    """One of our enums beside the France VAE field it corresponds to."""

    enum: str = Field(examples=["State"])
    description: str
    france_vae_field: str = Field(examples=["CandidacyStatusStep"])
    values: list[EquivalentRead]
    france_vae_values: list[FranceVaeValueRead] = Field(
        description="Every value of the France VAE field, when it is an enum."
    )


class VocabularyRead(BaseModel):
    """Our candidacy vocabulary beside France VAE's, for partners' integration code."""

    sources: list[str] = Field(
        description="Where France VAE's values were read (SocialGouv/reva)."
    )
    enums: list[GlossaryRead]
