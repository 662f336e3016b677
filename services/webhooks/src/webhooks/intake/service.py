"""Other services' events: recorded once, fanned out to the subscriptions that may see them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common import Role
from webhooks.access import Owner, may_receive
from webhooks.delivery.models import WebhookEvent
from webhooks.delivery.repository import DeliveryRepository
from webhooks.delivery.service import new_delivery
from webhooks.errors import InvalidEventError
from webhooks.event_types import OWN_PREFIX
from webhooks.subscription.repository import SubscriptionRepository

_MAX_ATTRIBUTE = 200


class EventReceipt(BaseModel):
    """What this service did with a delivered event."""

    event_id: str
    duplicate: bool = Field(description="Already received: nothing changed.")
    deliveries_queued: int = Field(
        default=0, description="Subscriptions that will receive it."
    )


async def handle_event(
    db: AsyncSession, event: dict[str, Any], *, now: datetime
) -> EventReceipt:
    """Records an event once and queues a delivery to every enabled subscription of its
    type whose owner may see it, in one transaction; partners are never called here.

    Raises
    ------
    InvalidEventError
        The event's id, type or source is longer than this service stores.
    """
    event_id, event_type, source = event["id"], event["type"], event["source"]
    if max(len(event_id), len(event_type), len(source)) > _MAX_ATTRIBUTE:
        raise InvalidEventError(
            f"The CloudEvent's id, type and source must be at most {_MAX_ATTRIBUTE} characters."
        )
    data = event.get("data")
    try:
        async with db.begin():
            deliveries = DeliveryRepository(db)
            if await deliveries.event_exists(event_id):
                return EventReceipt(event_id=event_id, duplicate=True)
            # This service's own namespace (pings) is never fanned out from outside.
            subscribers = (
                []
                if event_type.startswith(OWN_PREFIX)
                else await SubscriptionRepository(db).subscribers_of(event_type)
            )
            matched = [
                subscription_id
                for subscription_id, client_id, role, organisation_id in subscribers
                if may_receive(
                    Owner(client_id, Role(role), organisation_id), event_type, data
                )
            ]
            deliveries.add_event(
                WebhookEvent(
                    id=event_id,
                    type=event_type,
                    source=source,
                    # Nobody to send it to: only the id is kept, for deduplication.
                    document=event if matched else None,
                    received_at=now,
                )
            )
            await db.flush()
            await deliveries.add_deliveries(
                [new_delivery(s, event_id, event_type, now) for s in matched]
            )
    except IntegrityError:
        # The same event delivered twice at once: the other delivery recorded it.
        return EventReceipt(event_id=event_id, duplicate=True)
    return EventReceipt(
        event_id=event_id, duplicate=False, deliveries_queued=len(matched)
    )
