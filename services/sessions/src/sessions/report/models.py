"""Session reports (procès-verbaux), signed once; a revocation keeps the revoked one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from sessions.db import SessionsBase


class Report(SessionsBase):
    """A signed report: per registration, attendance and per-block results."""

    __tablename__ = "report"
    __table_args__ = (
        # One report in force per session: a second signature needs a revocation first.
        Index(
            "ix_report_in_force",
            "session_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("exam_session.id", ondelete="CASCADE")
    )
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signed_by: Mapped[str] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revocation_reason: Mapped[str | None] = mapped_column(String(2000))
