"""Certifiers (certificateurs): ministries, universities, branches that own certifications."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import CatalogBase
from common import UtcDateTime


class Certifier(CatalogBase):
    """A certifier; its id is derived from its SIRET (or name), so it is stable across imports."""

    __tablename__ = "certifier"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    siret: Mapped[str | None] = mapped_column(String(14), index=True)
    name: Mapped[str] = mapped_column(String(500))
    website: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
