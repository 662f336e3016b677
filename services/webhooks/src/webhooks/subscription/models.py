"""A partner's subscription to the platform's events, and the types it subscribes to."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from common import UtcDateTime
from webhooks.db import WebhooksBase


class WebhookSubscription(WebhooksBase):
    """Where and what to deliver, for whom, signed with which secret (encrypted at rest)."""

    __tablename__ = "webhook_subscription"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The owner as the gateway named it at creation: who sees the subscription, and whose
    # rights decide which events it receives.
    owner_client_id: Mapped[str] = mapped_column(String(255), index=True)
    owner_role: Mapped[str] = mapped_column(String(20))
    owner_organisation_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(String(2000))
    # scheme://host:port of the URL: the unit of per-host concurrency.
    origin: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(String(500))
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Fernet tokens of the whsec_ secrets; the previous one signs too until it expires.
    secret_ciphertext: Mapped[str] = mapped_column(Text)
    previous_secret_ciphertext: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    event_types: Mapped[list[WebhookSubscriptionEventType]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="WebhookSubscriptionEventType.event_type",
    )

    # Every ORM update is conditional on the version it read: two writers holding one ETag
    # cannot both win (the second gets StaleDataError, answered 412).
    __mapper_args__: dict[str, Any] = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's declarative idiom

    def type_names(self) -> list[str]:
        """The event types subscribed to, sorted."""
        return [row.event_type for row in self.event_types]


class WebhookSubscriptionEventType(WebhooksBase):
    """One event type a subscription receives: indexed, so an event finds its subscribers."""

    __tablename__ = "webhook_subscription_event_type"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE"), primary_key=True
    )
    event_type: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)
