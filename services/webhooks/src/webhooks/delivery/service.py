"""Use cases of deliveries: the log, a delivery's attempts, redeliveries and pings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import Principal, cursor_position, keyset_page
from webhooks.config import EVENT_SOURCE
from webhooks.delivery.models import DeliveryStatus, WebhookDelivery, WebhookEvent
from webhooks.delivery.repository import DeliveryRepository
from webhooks.delivery.schemas import AttemptRead, DeliveryDetail, DeliveryRead
from webhooks.errors import (
    DeliveryInFlightError,
    DeliveryNotFoundError,
    SubscriptionDisabledError,
    SubscriptionNotFoundError,
)
from webhooks.event_types import PING
from webhooks.subscription.models import WebhookSubscription
from webhooks.subscription.repository import SubscriptionRepository


def new_delivery(
    subscription_id: uuid.UUID, event_id: str, event_type: str, now: datetime
) -> dict[str, Any]:
    """The columns of a new delivery, due now."""
    return {
        "id": uuid7(),
        "subscription_id": subscription_id,
        "event_id": event_id,
        "event_type": event_type,
        "status": DeliveryStatus.PENDING,
        "attempt_count": 0,
        "failures": 0,
        "queued_at": now,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def to_read(delivery: WebhookDelivery) -> DeliveryRead:
    """The representation of a delivery."""
    return DeliveryRead.model_validate(delivery, from_attributes=True)


async def _subscription(
    db: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> WebhookSubscription:
    subscription = await SubscriptionRepository(db).get_visible(
        principal, subscription_id
    )
    if subscription is None:
        raise SubscriptionNotFoundError(
            f"No webhook subscription {subscription_id} is yours: check the id "
            "(GET /v1/webhook-subscriptions lists yours)."
        )
    return subscription


def _enabled(subscription: WebhookSubscription) -> None:
    if not subscription.enabled:
        raise SubscriptionDisabledError(
            f"The webhook subscription {subscription.id} is disabled"
            f"{': ' + subscription.disabled_reason if subscription.disabled_reason else ''} "
            "Enable it first (PATCH with enabled true).",
            disabled_reason=subscription.disabled_reason,
        )


def _no_delivery(delivery_id: uuid.UUID) -> DeliveryNotFoundError:
    return DeliveryNotFoundError(
        f"The subscription has no delivery {delivery_id}: check the id (GET "
        "…/deliveries lists them)."
    )


async def list_deliveries(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    status: DeliveryStatus | None,
    event_type: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[DeliveryRead], str | None]:
    """A subscription's deliveries, newest first.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    InvalidCursorError
        The cursor is not one this list made.
    """
    kind = f"deliveries:{status}:{event_type}"
    before = cursor_position(cursor, kind, lambda values: uuid.UUID(values[0]))
    async with db.begin():
        await _subscription(db, principal, subscription_id)
        rows = await DeliveryRepository(db).list_for(
            subscription_id,
            status=status,
            event_type=event_type,
            before=before,
            limit=limit,
        )
    items, next_cursor = keyset_page(rows, limit, kind, lambda d: [str(d.id)])
    return [to_read(d) for d in items], next_cursor


async def get_delivery(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    delivery_id: uuid.UUID,
) -> DeliveryDetail:
    """A delivery with the CloudEvent it sends and its attempts.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    DeliveryNotFoundError
        The subscription has no such delivery.
    """
    async with db.begin():
        await _subscription(db, principal, subscription_id)
        repository = DeliveryRepository(db)
        delivery = await repository.get(subscription_id, delivery_id)
        if delivery is None:
            raise _no_delivery(delivery_id)
        attempts = await repository.attempts(delivery_id)
        event = await repository.get_event(delivery.event_id)
    return DeliveryDetail(
        **to_read(delivery).model_dump(),
        event=(event.document if event is not None and event.document else {}),
        attempts=[
            AttemptRead.model_validate(a, from_attributes=True) for a in attempts
        ],
    )


async def redeliver(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    delivery_id: uuid.UUID,
    *,
    now: datetime,
) -> DeliveryRead:
    """Queues a delivery again now, whatever its state, with a fresh retry schedule.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    DeliveryNotFoundError
        The subscription has no such delivery.
    SubscriptionDisabledError
        The subscription is disabled: nothing would be sent.
    DeliveryInFlightError
        An attempt is being made right now.
    """
    async with db.begin():
        subscription = await _subscription(db, principal, subscription_id)
        _enabled(subscription)
        delivery = await DeliveryRepository(db).get(
            subscription_id, delivery_id, for_update=True
        )
        if delivery is None:
            raise _no_delivery(delivery_id)
        if delivery.locked_until is not None and delivery.locked_until > now:
            raise DeliveryInFlightError(
                f"Delivery {delivery_id} is being attempted right now: read its attempts in "
                "a few seconds, then redeliver it if it still needs to be.",
                headers={"Retry-After": "10"},
            )
        delivery.status = DeliveryStatus.PENDING
        delivery.failures = 0
        delivery.queued_at = now
        delivery.next_attempt_at = now
        delivery.delivered_at = None
        delivery.updated_at = now
    return to_read(delivery)


def ping_document(
    event_id: str, subscription_id: uuid.UUID, now: datetime
) -> dict[str, Any]:
    """The CloudEvent of a test ping."""
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": EVENT_SOURCE,
        "type": PING,
        "subject": str(subscription_id),
        "time": now.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "data": {
            "subscription_id": str(subscription_id),
            "message": "Test ping from the VAE platform: your endpoint receives its signed "
            "webhooks.",
        },
    }


async def queue_ping(
    db: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    now: datetime,
) -> DeliveryRead:
    """Queues a ``fr.vae.webhooks.ping.v1`` delivery to a subscription.

    Raises
    ------
    SubscriptionNotFoundError
        No such subscription, or another client's.
    SubscriptionDisabledError
        The subscription is disabled: nothing would be sent.
    """
    event_id = str(uuid7())
    async with db.begin():
        subscription = await _subscription(db, principal, subscription_id)
        _enabled(subscription)
        repository = DeliveryRepository(db)
        repository.add_event(
            WebhookEvent(
                id=event_id,
                type=PING,
                source=EVENT_SOURCE,
                document=ping_document(event_id, subscription.id, now),
                received_at=now,
            )
        )
        # The event row first: the delivery's foreign key names it.
        await db.flush()
        delivery = WebhookDelivery(**new_delivery(subscription.id, event_id, PING, now))
        db.add(delivery)
    return to_read(delivery)
