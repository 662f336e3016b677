"""Exam centres, their sites, and the approvals (agréments) that let them hold sessions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from sessions.db import SessionsBase


class ExamCentre(SessionsBase):
    """An exam centre (centre d'examen), e.g. an AFPA centre or a training organisation."""

    __tablename__ = "exam_centre"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    region: Mapped[str] = mapped_column(String(2))
    department: Mapped[str] = mapped_column(String(3))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExamSite(SessionsBase):
    """A site of a centre where sessions take place (plateau technique)."""

    __tablename__ = "exam_site"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_centre.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    postal_code: Mapped[str] = mapped_column(String(5))
    city: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Approval(SessionsBase):
    """An approval (agrément) of the regional authority: one certification, one site, a period."""

    __tablename__ = "approval"
    __table_args__ = (Index("ix_approval_site_certification", "site_id", "rncp_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    centre_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_centre.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_site.id", ondelete="CASCADE")
    )
    rncp_code: Mapped[str] = mapped_column(String(20))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
