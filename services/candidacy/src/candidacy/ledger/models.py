"""The ledger of acquired blocks (blocs de compétences acquis), with their expiry."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from candidacy.db import CandidacyBase
from common import UtcDateTime


class AcquiredBlock(CandidacyBase):
    """A block a candidate acquired, from a jury report or by equivalence, until its expiry."""

    __tablename__ = "acquired_block"
    __table_args__ = (
        # The same report (or equivalence) records a block once, however often it is delivered.
        UniqueConstraint("candidate_id", "block_code", "source_ref"),
        # "Which of my candidates' blocks expire soon": one range scan per organisation.
        Index("ix_acquired_block_organisation_expiry", "organisation_id", "expires_on"),
        # With the id, this index is larger than the partial ones below, so the planner never
        # prefers it for the sweep (bench/candidacy_bench.py measured 38 s against 10 s on a
        # million blocks); it also serves an administrator's (expires_on, id) keyset pages.
        Index("ix_acquired_block_expires_on", "expires_on", "id"),
        # The sweep reads only blocks not yet announced, however large the ledger grows.
        Index(
            "ix_acquired_block_expired_pending",
            "expires_on",
            postgresql_where=text("expired_notified_at IS NULL"),
            sqlite_where=text("expired_notified_at IS NULL"),
        ),
        Index(
            "ix_acquired_block_expiring_pending",
            "expires_on",
            postgresql_where=text(
                "expiring_notified_at IS NULL AND expired_notified_at IS NULL"
            ),
            sqlite_where=text(
                "expiring_notified_at IS NULL AND expired_notified_at IS NULL"
            ),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidate.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[str] = mapped_column(String(64))
    block_code: Mapped[str] = mapped_column(String(30))
    rncp_code: Mapped[str] = mapped_column(String(20))
    block_title: Mapped[str | None] = mapped_column(String(1000))
    certification_version: Mapped[int | None] = mapped_column(Integer)
    acquired_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    source_ref: Mapped[str] = mapped_column(String(100))
    candidacy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("candidacy.id", ondelete="SET NULL")
    )
    expiring_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expired_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
