"""The registry of API clients and their keys (stored only as keyed hashes)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from gateway.db import GatewayBase


class ApiClient(GatewayBase):
    """A partner system, certifier, exam centre or administrator calling the API."""

    __tablename__ = "api_client"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    organisation_id: Mapped[str | None] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    rate_limit: Mapped[str | None] = mapped_column(String(64))
    # Public part of the key, to find the client; the secret part is kept only as an HMAC.
    key_id: Mapped[str] = mapped_column(String(32), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
