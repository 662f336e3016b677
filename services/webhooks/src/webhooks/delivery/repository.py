"""Every SQL statement on events, deliveries and attempts."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, insert, or_, select, update

from common import RepositoryBase
from webhooks.delivery.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
)
from webhooks.subscription.models import WebhookSubscription


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery a worker holds under a lease, with what it needs to send it."""

    id: uuid.UUID
    lease_id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: str
    event_type: str
    document: dict[str, Any]
    url: str
    origin: str
    secret_ciphertext: str
    previous_secret_ciphertext: str | None
    previous_secret_expires_at: datetime | None
    attempt_number: int
    failures: int
    queued_at: datetime


class DeliveryRepository(RepositoryBase):
    """Events, deliveries and attempts."""

    async def event_exists(self, event_id: str) -> bool:
        """Tells whether an event id was already received."""
        return await self.db.get(WebhookEvent, event_id) is not None

    def add_event(self, event: WebhookEvent) -> None:
        """Adds a received (or made) event."""
        self.db.add(event)

    async def get_event(self, event_id: str) -> WebhookEvent | None:
        """Gets an event by its id."""
        return await self.db.get(WebhookEvent, event_id)

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> None:
        """Inserts deliveries in one statement."""
        if rows:
            await self.db.execute(insert(WebhookDelivery), list(rows))

    async def get(
        self,
        subscription_id: uuid.UUID,
        delivery_id: uuid.UUID,
        *,
        for_update: bool = False,
    ) -> WebhookDelivery | None:
        """Gets a delivery of a subscription (locked for a change, on PostgreSQL)."""
        query = select(WebhookDelivery).where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.subscription_id == subscription_id,
        )
        if for_update:
            query = query.with_for_update()
        return await self.db.scalar(query)

    async def list_for(
        self,
        subscription_id: uuid.UUID,
        *,
        status: DeliveryStatus | None,
        event_type: str | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> list[WebhookDelivery]:
        """A subscription's deliveries, newest first (``limit + 1`` rows, for the cursor)."""
        query = select(WebhookDelivery).where(
            WebhookDelivery.subscription_id == subscription_id
        )
        if status is not None:
            query = query.where(WebhookDelivery.status == status)
        if event_type is not None:
            query = query.where(WebhookDelivery.event_type == event_type)
        if before is not None:
            query = query.where(WebhookDelivery.id < before)
        query = query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)
        return list((await self.db.scalars(query)).all())

    async def attempts(self, delivery_id: uuid.UUID) -> list[WebhookAttempt]:
        """A delivery's attempts, first first."""
        return list(
            (
                await self.db.scalars(
                    select(WebhookAttempt)
                    .where(WebhookAttempt.delivery_id == delivery_id)
                    .order_by(WebhookAttempt.number)
                )
            ).all()
        )

    async def due(
        self,
        now: datetime,
        *,
        limit: int,
        exclude_origins: Collection[str],
    ) -> list[tuple[uuid.UUID, str]]:
        """Due deliveries of enabled subscriptions, soonest first, with their origin (no lock)."""
        query = (
            select(WebhookDelivery.id, WebhookSubscription.origin)
            .join(
                WebhookSubscription,
                WebhookSubscription.id == WebhookDelivery.subscription_id,
            )
            .where(
                WebhookDelivery.status == DeliveryStatus.PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(
                    WebhookDelivery.locked_until.is_(None),
                    WebhookDelivery.locked_until < now,
                ),
                WebhookSubscription.enabled.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
        )
        if exclude_origins:
            query = query.where(
                WebhookSubscription.origin.not_in(list(exclude_origins))
            )
        return [(row.id, row.origin) for row in await self.db.execute(query)]

    async def claim(
        self,
        ids: Collection[uuid.UUID],
        now: datetime,
        *,
        lease_id: uuid.UUID,
        locked_until: datetime,
    ) -> list[ClaimedDelivery]:
        """Leases those of these deliveries that are still due and free, and returns them.

        ``FOR UPDATE SKIP LOCKED`` on PostgreSQL: a concurrent claimer's rows are skipped, and
        the conditions are checked again under the lock. On SQLite the claim's transaction
        holds the write lock (``BEGIN IMMEDIATE``).
        """
        if not ids:
            return []
        locked = list(
            (
                await self.db.scalars(
                    select(WebhookDelivery.id)
                    .where(
                        WebhookDelivery.id.in_(list(ids)),
                        WebhookDelivery.status == DeliveryStatus.PENDING,
                        WebhookDelivery.next_attempt_at <= now,
                        or_(
                            WebhookDelivery.locked_until.is_(None),
                            WebhookDelivery.locked_until < now,
                        ),
                    )
                    .with_for_update(skip_locked=True)
                )
            ).all()
        )
        if not locked:
            return []
        await self.db.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(locked))
            .values(lease_id=lease_id, locked_until=locked_until)
        )
        rows = await self.db.execute(
            select(
                WebhookDelivery.id,
                WebhookDelivery.subscription_id,
                WebhookDelivery.event_id,
                WebhookDelivery.event_type,
                WebhookDelivery.attempt_count,
                WebhookDelivery.failures,
                WebhookDelivery.queued_at,
                WebhookEvent.document,
                WebhookSubscription.url,
                WebhookSubscription.origin,
                WebhookSubscription.secret_ciphertext,
                WebhookSubscription.previous_secret_ciphertext,
                WebhookSubscription.previous_secret_expires_at,
            )
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .join(
                WebhookSubscription,
                WebhookSubscription.id == WebhookDelivery.subscription_id,
            )
            .where(WebhookDelivery.id.in_(locked))
            .order_by(WebhookDelivery.next_attempt_at)
        )
        return [
            ClaimedDelivery(
                id=row.id,
                lease_id=lease_id,
                subscription_id=row.subscription_id,
                event_id=row.event_id,
                event_type=row.event_type,
                document=row.document or {},
                url=row.url,
                origin=row.origin,
                secret_ciphertext=row.secret_ciphertext,
                previous_secret_ciphertext=row.previous_secret_ciphertext,
                previous_secret_expires_at=row.previous_secret_expires_at,
                attempt_number=row.attempt_count + 1,
                failures=row.failures,
                queued_at=row.queued_at,
            )
            for row in rows
        ]

    async def finish_attempt(
        self, delivery_id: uuid.UUID, lease_id: uuid.UUID, **values: Any
    ) -> bool:
        """Records an attempt's effect on its delivery, if this worker's lease still holds it."""
        updated = await self.db.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.lease_id == lease_id,
            )
            .values(lease_id=None, locked_until=None, **values)
            .returning(WebhookDelivery.id)
        )
        return updated.scalar_one_or_none() is not None

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        """Adds an attempt to the log."""
        self.db.add(attempt)

    async def purge_finished(self, before: datetime) -> None:
        """Deletes finished deliveries (and their attempts) last changed before a time, and the
        events older than it that no delivery uses any more."""
        await self.db.execute(
            delete(WebhookDelivery).where(
                WebhookDelivery.status.in_(
                    [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]
                ),
                WebhookDelivery.updated_at < before,
            )
        )
        await self.db.execute(
            delete(WebhookEvent).where(
                WebhookEvent.received_at < before,
                ~exists().where(
                    and_(WebhookDelivery.event_id == WebhookEvent.id),
                ),
            )
        )
