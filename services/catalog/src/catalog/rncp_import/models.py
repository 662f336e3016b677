"""Import jobs: one run of the RNCP export import, its progress and its report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import CatalogBase
from common import UtcDateTime


class ImportJob(CatalogBase):
    """An import of an RNCP export, queued, running, or finished."""

    __tablename__ = "import_job"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(
        String(16)
    )  # QUEUED | RUNNING | SUCCEEDED | FAILED
    # 1 while queued or running, NULL once finished: the unique constraint allows one active
    # import at a time, whatever the number of replicas (NULLs never collide).
    active_slot: Mapped[int | None] = mapped_column(Integer, unique=True)
    file_name: Mapped[str | None] = mapped_column(String(300))
    file_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    fiches_read: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
