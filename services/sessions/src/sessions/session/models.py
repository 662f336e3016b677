"""Exam sessions and the jurors who sit on them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from sessions.db import SessionsBase


class ExamSession(SessionsBase):
    """A dated, approved evaluation (session d'examen) of one certification at one site."""

    __tablename__ = "exam_session"
    __table_args__ = (
        # The database itself never lets a session hold more candidates than seats.
        CheckConstraint("seats_taken >= 0 AND seats_taken <= capacity", name="seats"),
        Index("ix_exam_session_calendar", "rncp_code", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_centre.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("exam_site.id"))
    rncp_code: Mapped[str] = mapped_column(String(20))
    certification_title: Mapped[str] = mapped_column(String(1000))
    kind: Mapped[str] = mapped_column(String(20))
    block_codes: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    test_hours: Mapped[float] = mapped_column(Float)
    capacity: Mapped[int] = mapped_column(Integer)
    seats_taken: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), index=True)
    region: Mapped[str] = mapped_column(String(2))
    department: Mapped[str] = mapped_column(String(3))
    # The session manager (responsable de session) and supervisors: {full_name, email}.
    manager: Mapped[dict[str, Any]] = mapped_column(JSON)
    supervisors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    cancelled_reason: Mapped[str | None] = mapped_column(String(2000))
    convocations_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExamSessionCertifier(SessionsBase):
    """A certifier of the session's certification: it sees the whole session."""

    __tablename__ = "exam_session_certifier"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_session.id", ondelete="CASCADE"), primary_key=True
    )
    certifier_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class JuryMember(SessionsBase):
    """A juror's seat on a session's jury, and their own declaration of links."""

    __tablename__ = "jury_member"
    __table_args__ = (Index("ix_jury_member_juror_period", "juror_id", "starts_at"),)

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_session.id", ondelete="CASCADE"), primary_key=True
    )
    juror_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("juror.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))
    # Copied from the session, so that double bookings are one indexed query.
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Candidacies the juror declared a link with (déclaration sur l'honneur), and when.
    declared_candidacy_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    declared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
