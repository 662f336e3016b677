"""The sessions service's declarative base, its outbox, idempotency keys and handled events."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from common import (
    Base,
    IdempotencyKeyMixin,
    OutboxEventMixin,
    UtcDateTime,
    new_metadata,
)


class SessionsBase(Base):
    """Base of every sessions-service model."""

    __abstract__ = True
    metadata = new_metadata()


class OutboxEvent(OutboxEventMixin, SessionsBase):
    """Events the service publishes (session scheduled, cancelled, convocations sent, report signed)."""


class IdempotencyKey(IdempotencyKeyMixin, SessionsBase):
    """Answers kept for replays of POST requests sent with an Idempotency-Key."""


class HandledEvent(SessionsBase):
    """An event from another service already applied: a redelivery changes nothing."""

    __tablename__ = "handled_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime)
