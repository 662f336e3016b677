"""Request and response models of the certification endpoints."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from catalog.certification.rules import (
    BLOCK_CODE_PATTERN,
    FORMACODE_PATTERN,
    NSF_PATTERN,
    RNCP_CODE_PATTERN,
    ROME_PATTERN,
    SIRET_PATTERN,
    Kind,
    RegistrationType,
    RetentionPolicy,
    Source,
)

RncpCode = Annotated[
    str,
    Field(
        pattern=RNCP_CODE_PATTERN,
        description="Numéro de fiche RNCP: `RNCP` followed by digits.",
        examples=["RNCP38362"],
    ),
]
BlockCode = Annotated[
    str,
    Field(
        pattern=BLOCK_CODE_PATTERN,
        description="Code du bloc de compétences.",
        examples=["RNCP38362BC01"],
    ),
]


class Code(BaseModel):
    """A classification code with its label."""

    code: str = Field(examples=["312"])
    label: str | None = Field(default=None, examples=["Commerce, vente"])


class Abbreviation(BaseModel):
    """The RNCP's abbreviation (abrégé) of the certification type."""

    code: str = Field(examples=["BTS"])
    label: str | None = Field(default=None, examples=["Brevet de technicien supérieur"])


class Registration(BaseModel):
    """Registration at the RNCP (enregistrement): when it took effect and when it ends."""

    start_date: date | None = Field(description="Date d'effet (or date de décision).")
    end_date: date | None = Field(
        description="Date de fin d'enregistrement; past it the certification is inactive."
    )
    delivery_deadline_date: date | None = Field(
        description="Date limite de délivrance of the certificate."
    )
    decision_date: date | None = Field(
        description="Date de décision of France compétences (sur demande)."
    )


class Retention(BaseModel):
    """How long a partially validated block stays acquired (durée de conservation des blocs acquis)."""

    policy: RetentionPolicy = Field(
        description="FIXED_YEARS: kept `years` years; UNTIL_END_DATE: until the certification's end date; NONE: never expires."
    )
    years: int | None = Field(default=None, ge=1, le=50, examples=[5])
    source: str = Field(
        description="DEFAULT (derived from the kind) or MANUAL (set by an administrator)."
    )


class CertifierRef(BaseModel):
    """A certifier (certificateur) of the certification."""

    id: uuid.UUID
    name: str = Field(examples=["MINISTERE DE L'EDUCATION NATIONALE ET DE LA JEUNESSE"])
    siret: str | None = Field(default=None, examples=["11004301500012"])
    active: bool = Field(
        description="Whether the RNCP lists this certifier as active for this certification."
    )


class BlockRead(BaseModel):
    """A block of competences (bloc de compétences)."""

    rncp_code: str = Field(examples=["RNCP38362"])
    code: str = Field(examples=["RNCP38362BC01"])
    title: str = Field(
        examples=["Développer la relation client et assurer la vente conseil"]
    )
    competences: list[str] = Field(
        description="Compétences, split from the RNCP's free text."
    )
    competences_text: str | None = Field(
        description="The RNCP's text of the competences, as published."
    )
    evaluation_modalities: str | None = Field(description="Modalités d'évaluation.")


class Partner(BaseModel):
    """An organisation the certifier habilitates (organisme partenaire habilité)."""

    name: str = Field(examples=["AFPA"])
    siret: str | None = Field(default=None, examples=["82422814200658"])
    habilitation: str | None = Field(
        default=None,
        description="TRAIN (préparer à la certification), ASSESS (organiser l'évaluation) or TRAIN_AND_ASSESS.",
        examples=["TRAIN_AND_ASSESS"],
    )
    state: str | None = Field(
        default=None, description="ACTIVE, INACTIVE or REMOVED (habilitation retirée)."
    )


class Statistic(BaseModel):
    """Yearly figures of the certification (statistiques des promotions)."""

    year: int
    certified: int | None = None
    certified_by_vae: int | None = Field(
        default=None, description="Certifiés par la voie de la VAE."
    )
    employment_rate_6_months: int | None = None
    job_employment_rate_2_years: int | None = None


class CertificationSummary(BaseModel):
    """A certification in a list."""

    rncp_code: str = Field(examples=["RNCP38362"])
    title: str = Field(examples=["BTS - Management commercial opérationnel"])
    kind: Kind
    level: int | None = Field(
        description="Niveau du cadre national (1–8).", examples=[5]
    )
    abbreviation_code: str | None = Field(examples=["BTS"])
    active: bool = Field(
        description="Registered and active at the RNCP on `as_of` (today by default)."
    )
    vae_eligible: bool = Field(
        description="Open to VAE (voie d'accès « par expérience »)."
    )
    end_date: date | None
    certif_info_id: int | None = Field(
        default=None,
        description="Code Certif Info of the certification, when the catalog knows it.",
        examples=[92891],
    )


class CertificationRead(BaseModel):
    """A certification (fiche RNCP) with its blocks."""

    rncp_code: str = Field(examples=["RNCP38362"])
    title: str
    kind: Kind = Field(
        description="Diplôme, titre professionnel, CQP, CQPM (métallurgie), TPM or other."
    )
    level: int | None = Field(description="Niveau européen (1–8).")
    abbreviation: Abbreviation | None
    registration_type: RegistrationType | None
    fiche_state: str | None = Field(
        description="État de la fiche at the RNCP, e.g. « Publiée »."
    )
    source: Source
    certif_info_id: int | None = Field(
        default=None,
        description=(
            "Code Certif Info (référentiel des Carif-Oref et de l'Onisep; `code-CERTIFINFO` in "
            "LHEO, `Code_Diplome` in its open data), set by the Certif Info import."
        ),
        examples=[92891],
    )
    registration: Registration
    rncp_active: bool = Field(description="The RNCP's ACTIF flag at the last import.")
    active: bool = Field(description="Registered and active on `as_of`.")
    as_of: date
    vae_eligible: bool
    vae_jury_composition: str | None = Field(description="Composition du jury VAE.")
    retention: Retention
    nsf_codes: list[Code]
    rome_codes: list[Code]
    formacodes: list[Code]
    certifiers: list[CertifierRef]
    blocks: list[BlockRead]
    activities: str | None = Field(description="Activités visées.")
    capabilities: str | None = Field(description="Capacités attestées.")
    sectors: str | None = Field(description="Secteurs d'activité.")
    job_types: str | None = Field(description="Types d'emplois accessibles.")
    description_urls: list[str]
    statistics: list[Statistic]
    partners_count: int = Field(
        description="Organismes partenaires habilités (to train or to assess)."
    )
    previous_codes: list[str] = Field(
        description="RNCP numbers this certification replaces."
    )
    next_codes: list[str] = Field(
        description="RNCP numbers that replace this certification."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class LineageNode(BaseModel):
    """A certification in a lineage, with its distance from the one asked for."""

    rncp_code: str
    title: str | None = Field(
        description="Null when the catalog does not hold that fiche."
    )
    active: bool | None
    vae_eligible: bool | None
    distance: int = Field(
        description="Steps away: 1 for the direct predecessor or successor."
    )


class Correspondence(BaseModel):
    """Equivalence of blocks between two certifications (correspondance)."""

    declared_by: str = Field(examples=["RNCP37674"])
    source_block_codes: list[str] = Field(
        description="Blocks of the declaring certification; empty means all of it."
    )
    destination_rncp_code: str
    destination_block_codes: list[str] = Field(
        description="Blocks of the destination; empty means the whole certification."
    )


class LineageRead(BaseModel):
    """Versions before and after a certification, and the block correspondences between them."""

    rncp_code: str
    predecessors: list[LineageNode]
    successors: list[LineageNode]
    correspondences: list[Correspondence]


class CodeWrite(BaseModel):
    """A code in a write request."""

    model_config = ConfigDict(extra="forbid")

    code: str
    label: str | None = Field(default=None, max_length=500)


class BlockWrite(BaseModel):
    """A block in a write request."""

    model_config = ConfigDict(extra="forbid")

    code: BlockCode
    title: str = Field(min_length=1, max_length=1000)
    competences: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list, max_length=100
    )
    evaluation_modalities: str | None = Field(default=None, max_length=30_000)


class StatisticWrite(BaseModel):
    """Yearly figures in a write request."""

    model_config = ConfigDict(extra="forbid")

    year: int = Field(ge=1990, le=2100)
    certified: int | None = Field(default=None, ge=0)
    certified_by_vae: int | None = Field(default=None, ge=0)


class CertifierWrite(BaseModel):
    """A certifier named by a write request."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=500)
    siret: str | None = Field(default=None, pattern=SIRET_PATTERN)


class CorrespondenceWrite(BaseModel):
    """Blocks of this certification equivalent to blocks of another (correspondance)."""

    model_config = ConfigDict(extra="forbid")

    source_block_codes: list[BlockCode] = Field(
        default_factory=list,
        max_length=60,
        description="Blocks of this certification; empty means the whole certification.",
    )
    destination_rncp_code: RncpCode
    destination_block_codes: list[BlockCode] = Field(
        default_factory=list,
        max_length=60,
        description="Blocks of the other certification; empty means the whole certification.",
    )


class CertificationWrite(BaseModel):
    """A certification kept by an administrator (one not in the RNCP export, e.g. some CQP)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "rncp_code": "RNCP90001",
                    "title": "CQP Agent de maintenance en portes automatiques",
                    "kind": "CQPM",
                    "level": 3,
                    "registration_type": "ON_REQUEST",
                    "start_date": "2024-01-01",
                    "end_date": "2029-01-01",
                    "vae_eligible": True,
                    "certifiers": [{"name": "UIMM", "siret": None}],
                    "blocks": [
                        {
                            "code": "RNCP90001BC01",
                            "title": "Réaliser la maintenance préventive des portes automatiques",
                            "competences": [
                                "Diagnostiquer un dysfonctionnement",
                                "Remplacer un organe défectueux",
                            ],
                        }
                    ],
                }
            ]
        },
    )

    rncp_code: RncpCode
    title: str = Field(min_length=3, max_length=1000)
    kind: Kind | None = Field(
        default=None,
        description="Derived from the abbreviation and certifiers when omitted.",
    )
    abbreviation: Abbreviation | None = None
    level: int | None = Field(default=None, ge=1, le=8)
    registration_type: RegistrationType | None = None
    start_date: date | None = None
    end_date: date | None = None
    delivery_deadline_date: date | None = None
    vae_eligible: bool = True
    vae_jury_composition: str | None = Field(default=None, max_length=30_000)
    nsf_codes: list[CodeWrite] = Field(default_factory=list, max_length=20)
    rome_codes: list[CodeWrite] = Field(default_factory=list, max_length=20)
    formacodes: list[CodeWrite] = Field(default_factory=list, max_length=20)
    certifiers: list[CertifierWrite] = Field(default_factory=list, max_length=20)
    activities: str | None = Field(default=None, max_length=100_000)
    capabilities: str | None = Field(default=None, max_length=100_000)
    statistics: list[StatisticWrite] = Field(default_factory=list, max_length=50)
    previous_codes: list[RncpCode] = Field(default_factory=list, max_length=20)
    blocks: list[BlockWrite] = Field(default_factory=list, max_length=60)
    correspondences: list[CorrespondenceWrite] = Field(
        default_factory=list,
        max_length=20,
        description="Block equivalences with other certifications (blocs en correspondance).",
    )

    @model_validator(mode="after")
    def _check_consistency(self) -> CertificationWrite:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        codes = [block.code for block in self.blocks]
        if len(set(codes)) != len(codes):
            raise ValueError("block codes must be unique")
        for block in self.blocks:
            if not block.code.isdigit() and not block.code.startswith(
                self.rncp_code + "BC"
            ):
                raise ValueError(
                    f"block {block.code} must start with {self.rncp_code}BC"
                )
        for scheme, pattern, codes_of in (
            ("nsf_codes", NSF_PATTERN, self.nsf_codes),
            ("rome_codes", ROME_PATTERN, self.rome_codes),
            ("formacodes", FORMACODE_PATTERN, self.formacodes),
        ):
            for item in codes_of:
                if not re.match(pattern, item.code):
                    raise ValueError(
                        f"{scheme}: {item.code!r} does not match {pattern}"
                    )
        return self


class RetentionWrite(BaseModel):
    """An administrator's retention policy for a certification's acquired blocks."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"policy": "FIXED_YEARS", "years": 5}]},
    )

    policy: RetentionPolicy
    years: int | None = Field(default=None, ge=1, le=50)

    @model_validator(mode="after")
    def _years_only_for_fixed(self) -> RetentionWrite:
        if (self.policy is RetentionPolicy.FIXED_YEARS) != (self.years is not None):
            raise ValueError(
                "years is required with FIXED_YEARS and must be omitted otherwise"
            )
        return self
