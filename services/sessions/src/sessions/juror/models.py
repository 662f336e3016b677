"""Jurors (membres de jury) and their habilitations per certification."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from sessions.db import SessionsBase


class Juror(SessionsBase):
    """A professional or teacher who may sit on juries (minimal personal data)."""

    __tablename__ = "juror"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    profile: Mapped[str] = mapped_column(String(20))
    trade: Mapped[str] = mapped_column(String(200))
    years_in_trade: Mapped[int] = mapped_column(SmallInteger)
    left_trade_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @property
    def full_name(self) -> str:
        """Given and family names."""
        return f"{self.given_name} {self.family_name}"


class Habilitation(SessionsBase):
    """The authority's habilitation of a juror for a certification, until a date."""

    __tablename__ = "habilitation"
    __table_args__ = (UniqueConstraint("juror_id", "rncp_code", "granted_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    juror_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("juror.id", ondelete="CASCADE"), index=True
    )
    rncp_code: Mapped[str] = mapped_column(String(20))
    granted_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    authority: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
