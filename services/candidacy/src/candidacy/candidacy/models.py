"""Candidacies, their history, the certifiers who see them and the yearly submission slots."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from candidacy.db import CandidacyBase
from common import UtcDateTime


class Candidacy(CandidacyBase):
    """One candidate aiming at one certification, whole or some blocks (candidature VAE)."""

    __tablename__ = "candidacy"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    # The partner that owns the candidate, kept here so that every list filters on one column.
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    rncp_code: Mapped[str] = mapped_column(String(20), index=True)
    # None: the whole certification; else the blocks chosen.
    requested_block_codes: Mapped[list[str] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(30), index=True)
    # What the catalog said at submission: title, kind, level, version, blocks, retention.
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The blocks the jury will assess: requested (or all) minus those already held.
    target_block_codes: Mapped[list[str] | None] = mapped_column(JSON)
    # Copied at submission for the anonymous statistics that survive erasure.
    department: Mapped[str | None] = mapped_column(String(3))
    level: Mapped[int | None] = mapped_column(SmallInteger)
    kind: Mapped[str | None] = mapped_column(String(30))
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submission_year: Mapped[int | None] = mapped_column(SmallInteger)
    decision: Mapped[str | None] = mapped_column(String(30))
    decision_reasons: Mapped[list[str] | None] = mapped_column(JSON)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    jury_result: Mapped[str | None] = mapped_column(String(60))
    jury_date: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CandidacyCertifier(CandidacyBase):
    """A certifier of the candidacy's certification: it sees and decides the candidacy."""

    __tablename__ = "candidacy_certifier"

    candidacy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidacy.id", ondelete="CASCADE"), primary_key=True
    )
    certifier_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class CandidacyTransition(CandidacyBase):
    """One step of a candidacy's history: who did what, when, from which state to which."""

    __tablename__ = "candidacy_transition"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    candidacy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidacy.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(20))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SubmissionSlot(CandidacyBase):
    """One admissibility request counted against the candidate's yearly limits.

    The primary key makes the database refuse a second request in the same slot, whatever the
    concurrency; the candidate row lock taken by submission keeps the counts exact.
    """

    __tablename__ = "submission_slot"

    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), primary_key=True
    )
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    rncp_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    ordinal: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    candidacy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidacy.id", ondelete="CASCADE"), unique=True
    )


class JuryOutcome(CandidacyBase):
    """What a signed jury report (procès-verbal) said about one candidacy."""

    __tablename__ = "jury_outcome"
    __table_args__ = (UniqueConstraint("candidacy_id", "report_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    candidacy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidacy.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[uuid.UUID]
    jury_date: Mapped[date] = mapped_column(Date)
    attendance: Mapped[str] = mapped_column(String(20))
    block_results: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    result: Mapped[str] = mapped_column(String(60))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
