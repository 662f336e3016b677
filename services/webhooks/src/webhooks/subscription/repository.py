"""Every SQL statement on subscriptions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from common import Principal, RepositoryBase
from webhooks.access import subscription_visible_to
from webhooks.subscription.models import (
    WebhookSubscription,
    WebhookSubscriptionEventType,
)


class SubscriptionRepository(RepositoryBase):
    """Subscriptions and their event types."""

    def add(
        self, subscription: WebhookSubscription, event_types: Sequence[str]
    ) -> None:
        """Adds a new subscription with its event types."""
        subscription.event_types = [
            WebhookSubscriptionEventType(event_type=t) for t in sorted(event_types)
        ]
        self.db.add(subscription)

    async def get_visible(
        self, principal: Principal, subscription_id: uuid.UUID
    ) -> WebhookSubscription | None:
        """Gets a subscription the caller may see, with its event types."""
        return await self.db.scalar(
            select(WebhookSubscription)
            .options(selectinload(WebhookSubscription.event_types))
            .where(
                WebhookSubscription.id == subscription_id,
                subscription_visible_to(principal),
            )
        )

    async def list_visible(
        self,
        principal: Principal,
        *,
        enabled: bool | None,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[WebhookSubscription]:
        """The caller's subscriptions (all of them for an admin), oldest first, ``limit + 1``."""
        query = (
            select(WebhookSubscription)
            .options(selectinload(WebhookSubscription.event_types))
            .where(subscription_visible_to(principal))
        )
        if enabled is not None:
            query = query.where(WebhookSubscription.enabled.is_(enabled))
        if after is not None:
            query = query.where(WebhookSubscription.id > after)
        query = query.order_by(WebhookSubscription.id).limit(limit + 1)
        return list((await self.db.scalars(query)).all())

    def set_event_types(
        self, subscription: WebhookSubscription, event_types: Sequence[str]
    ) -> None:
        """Replaces a subscription's event types (loaded), keeping the rows that stay."""
        wanted = set(event_types)
        kept = [row for row in subscription.event_types if row.event_type in wanted]
        have = {row.event_type for row in kept}
        subscription.event_types = sorted(
            [
                *kept,
                *(WebhookSubscriptionEventType(event_type=t) for t in wanted - have),
            ],
            key=lambda row: row.event_type,
        )

    async def delete(self, subscription: WebhookSubscription) -> None:
        """Deletes a subscription; its deliveries and attempts go with it (foreign keys)."""
        await self.db.delete(subscription)

    async def subscribers_of(
        self, event_type: str
    ) -> list[tuple[uuid.UUID, str, str, str | None]]:
        """The enabled subscriptions that list an event type: id, owner's client, role, organisation."""
        query = (
            select(
                WebhookSubscription.id,
                WebhookSubscription.owner_client_id,
                WebhookSubscription.owner_role,
                WebhookSubscription.owner_organisation_id,
            )
            .join(
                WebhookSubscriptionEventType,
                WebhookSubscriptionEventType.subscription_id == WebhookSubscription.id,
            )
            .where(
                WebhookSubscriptionEventType.event_type == event_type,
                WebhookSubscription.enabled.is_(True),
            )
        )
        return [
            (row.id, row.owner_client_id, row.owner_role, row.owner_organisation_id)
            for row in await self.db.execute(query)
        ]

    async def disable(
        self, subscription_id: uuid.UUID, reason: str, now: datetime
    ) -> None:
        """Disables an enabled subscription with a reason (a new version)."""
        await self.db.execute(
            update(WebhookSubscription)
            .where(
                WebhookSubscription.id == subscription_id,
                WebhookSubscription.enabled.is_(True),
            )
            .values(
                enabled=False,
                disabled_reason=reason,
                disabled_at=now,
                updated_at=now,
                version=WebhookSubscription.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
