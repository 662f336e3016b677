"""Events received, their deliveries to subscriptions, and each delivery's attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from common import UtcDateTime
from webhooks.db import WebhooksBase


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class WebhookEvent(WebhooksBase):
    """An event received (or a ping made) once: its id makes a relay's redelivery a no-op,
    and its CloudEvent document is what its deliveries send."""

    __tablename__ = "webhook_event"

    # The CloudEvent id: the webhook-id of every delivery, so receivers deduplicate on it.
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    # Null when nobody subscribed: only the id is kept, for deduplication.
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class WebhookDelivery(WebhooksBase):
    """One event to one subscription, attempted until delivered or failed."""

    __tablename__ = "webhook_delivery"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_subscription.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(
        ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    attempt_count: Mapped[int] = mapped_column(Integer)
    # Failed attempts since it was (re)queued: the position in the retry schedule.
    failures: Mapped[int] = mapped_column(Integer)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A worker's claim: nobody else sends it until locked_until.
    lease_id: Mapped[uuid.UUID | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error_kind: Mapped[str | None] = mapped_column(String(40))
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        # The worker's claim: due pending deliveries, soonest first.
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        # A subscription's log, newest first.
        Index("ix_webhook_delivery_log", "subscription_id", "id"),
        Index("ix_webhook_delivery_purge", "status", "updated_at"),
    )


class WebhookAttempt(WebhooksBase):
    """One POST of a delivery: when, how long, and what the endpoint answered."""

    __tablename__ = "webhook_attempt"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_delivery.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int] = mapped_column(Integer)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error_kind: Mapped[str | None] = mapped_column(String(40))
    error_detail: Mapped[str | None] = mapped_column(String(500))
    # The first KiB of the answer, as text.
    response_excerpt: Mapped[str | None] = mapped_column(Text)

    # The same attempt is never recorded twice, whatever the replicas do.
    __table_args__ = (UniqueConstraint("delivery_id", "number"),)
