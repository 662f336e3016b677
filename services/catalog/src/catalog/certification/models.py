"""Certifications registered at the RNCP, their blocks, codes, certifiers and lineage."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import CatalogBase
from common import UtcDateTime


class Certification(CatalogBase):
    """A certification (fiche RNCP) keyed by its RNCP number."""

    __tablename__ = "certification"

    # A stable integer key: SQLite's full-text index (FTS5) points at rows by it.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rncp_code: Mapped[str] = mapped_column(String(16), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # RNCP_EXPORT | MANUAL
    source_id: Mapped[int | None] = mapped_column(
        Integer
    )  # ID_FICHE, technical id of the export
    # Code Certif Info (Code_Diplome of the open data, code-CERTIFINFO in LHEO): up to 10 digits,
    # hence 64 bits. A unique index, not a constraint: SQLite adds it without rebuilding the table
    # (a rebuild would drop the full-text triggers). Set only by the Certif Info import.
    certif_info_id: Mapped[int | None] = mapped_column(
        BigInteger, index=True, unique=True
    )
    title: Mapped[str] = mapped_column(String(1000))
    abbreviation_code: Mapped[str | None] = mapped_column(String(100))
    abbreviation_label: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(32), index=True)
    level: Mapped[int | None] = mapped_column(Integer, index=True)
    registration_type: Mapped[str | None] = mapped_column(String(16))
    fiche_state: Mapped[str | None] = mapped_column(String(100))
    rncp_active: Mapped[bool] = mapped_column(Boolean)
    vae_eligible: Mapped[bool] = mapped_column(Boolean, index=True)
    vae_jury_composition: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date, index=True)
    delivery_deadline_date: Mapped[date | None] = mapped_column(Date)
    decision_date: Mapped[date | None] = mapped_column(Date)
    activities: Mapped[str | None] = mapped_column(Text)
    capabilities: Mapped[str | None] = mapped_column(Text)
    sectors: Mapped[str | None] = mapped_column(Text)
    job_types: Mapped[str | None] = mapped_column(Text)
    description_urls: Mapped[list[str]] = mapped_column(JSON, default=list)
    statistics: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    partners: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    retention_policy: Mapped[str] = mapped_column(
        String(16)
    )  # FIXED_YEARS | UNTIL_END_DATE | NONE
    retention_years: Mapped[int | None] = mapped_column(Integer)
    retention_policy_source: Mapped[str] = mapped_column(String(16))  # DEFAULT | MANUAL
    # Words the full-text search indexes besides the title (codes' labels, abbreviation).
    search_text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    blocks: Mapped[list[Block]] = relationship(
        lazy="raise",
        order_by="Block.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    codes: Mapped[list[CertificationCode]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )
    certifier_links: Mapped[list[CertificationCertifier]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class Block(CatalogBase):
    """A block of competences (bloc de compétences), e.g. RNCP34691BC01."""

    __tablename__ = "block"

    rncp_code: Mapped[str] = mapped_column(
        ForeignKey("certification.rncp_code", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(1000))
    competences_text: Mapped[str | None] = mapped_column(Text)
    competences: Mapped[list[str]] = mapped_column(JSON, default=list)
    evaluation_modalities: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_block_code", "code"),)


class CertificationCode(CatalogBase):
    """A classification code of a certification: NSF, ROME or Formacode."""

    __tablename__ = "certification_code"

    rncp_code: Mapped[str] = mapped_column(
        ForeignKey("certification.rncp_code", ondelete="CASCADE"), primary_key=True
    )
    scheme: Mapped[str] = mapped_column(
        String(16), primary_key=True
    )  # NSF | ROME | FORMACODE
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    label: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_certification_code_scheme_code", "scheme", "code"),)


class CertificationCertifier(CatalogBase):
    """Links a certification to one of its certifiers."""

    __tablename__ = "certification_certifier"

    rncp_code: Mapped[str] = mapped_column(
        ForeignKey("certification.rncp_code", ondelete="CASCADE"), primary_key=True
    )
    certifier_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("certifier.id"), primary_key=True, index=True
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class LineageLink(CatalogBase):
    """Old → new RNCP numbers, as declared by one fiche (both sides usually declare it)."""

    __tablename__ = "lineage_link"

    declared_by: Mapped[str] = mapped_column(
        ForeignKey("certification.rncp_code", ondelete="CASCADE"), primary_key=True
    )
    previous_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)
    next_code: Mapped[str] = mapped_column(String(16), primary_key=True, index=True)


class BlockCorrespondence(CatalogBase):
    """An equivalence between blocks of one certification and blocks (or all) of another."""

    __tablename__ = "block_correspondence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    declared_by: Mapped[str] = mapped_column(
        ForeignKey("certification.rncp_code", ondelete="CASCADE"), index=True
    )
    source_block_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    destination_rncp_code: Mapped[str] = mapped_column(String(16), index=True)
    destination_block_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
