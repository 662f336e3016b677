"""Registrations (inscriptions) of candidacies in exam sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from sessions.db import SessionsBase


class Registration(SessionsBase):
    """An admissible candidacy registered in a session, for some of its blocks.

    The candidate's name, e-mail and declared links are copied from the candidacy service at
    registration: the convocation needs the first two, the conflict rules the links.
    """

    __tablename__ = "registration"
    __table_args__ = (
        # A candidacy is registered once in a session, whatever the concurrency.
        UniqueConstraint("session_id", "candidacy_id"),
        Index("ix_registration_candidate_period", "candidate_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_session.id", ondelete="CASCADE"), index=True
    )
    candidacy_id: Mapped[uuid.UUID]
    candidate_id: Mapped[uuid.UUID]
    organisation_id: Mapped[str] = mapped_column(String(64), index=True)
    block_codes: Mapped[list[str]] = mapped_column(JSON)
    candidate_name: Mapped[str | None] = mapped_column(String(200))
    candidate_email: Mapped[str | None] = mapped_column(String(254))
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attendance: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
