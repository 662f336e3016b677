"""The transactional outbox: events written with the state change, delivered by a relay.

A use case calls ``add_event`` inside its transaction. ``OutboxRelay`` claims pending events
under a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the database write lock on SQLite),
so several relay replicas never deliver the same event at the same time; it delivers them as
CloudEvents 1.0 JSON, at least once, and backs off exponentially on failure. ``HttpEventSink``
can sign its deliveries (Standard Webhooks, see ``_webhooks``).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx
import structlog
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from sqlalchemy import (
    JSON,
    Index,
    Integer,
    String,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, declared_attr, mapped_column
from uuid6 import uuid7

from common._db import UtcDateTime, utcnow
from common._webhooks import load_signing_secret, signature_headers

logger = structlog.get_logger(__name__)

_JSON_FORMAT = JSONFormat()


class OutboxEventMixin:
    """Columns of the ``outbox_event`` table; each service maps it on its own ``Base``."""

    __tablename__ = "outbox_event"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (Index("ix_outbox_event_pending", "delivered_at", "next_attempt_at"),)


def add_event(
    db: AsyncSession,
    model: type[OutboxEventMixin],
    *,
    type: str,
    source: str,
    subject: str | None,
    data: dict[str, Any],
) -> OutboxEventMixin:
    """Adds an event to the outbox in the caller's transaction."""
    now = utcnow()
    event = model()
    event.id, event.type, event.source, event.subject, event.data = (
        uuid7(),
        type,
        source,
        subject,
        data,
    )
    event.occurred_at, event.next_attempt_at, event.attempts = now, now, 0
    db.add(event)
    return event


async def add_events(
    db: AsyncSession,
    model: type[OutboxEventMixin],
    events: Sequence[tuple[str, str, str | None, dict[str, Any]]],
) -> None:
    """Adds many events (type, source, subject, data) in one statement, in the caller's transaction."""
    if not events:
        return
    now = utcnow()
    rows = [
        {
            "id": uuid7(),
            "type": type_,
            "source": source,
            "subject": subject,
            "data": data,
            "occurred_at": now,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for type_, source, subject, data in events
    ]
    await db.execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def to_cloudevent(event: OutboxEventMixin) -> bytes:
    """Serialises an outbox row as a structured CloudEvent 1.0 JSON document."""
    occurred_at = event.occurred_at
    if occurred_at.tzinfo is None:
        # SQLite hands back naive datetimes; every stored time is UTC.
        occurred_at = occurred_at.replace(tzinfo=UTC)
    attributes: dict[str, Any] = {
        "id": str(event.id),
        "source": event.source,
        "type": event.type,
        "specversion": "1.0",
        "time": occurred_at,
        "datacontenttype": "application/json",
    }
    if event.subject is not None:
        attributes["subject"] = event.subject
    return _JSON_FORMAT.write(CloudEvent(attributes, event.data))


class EventSink(Protocol):
    """Where the relay delivers events; raising means "not delivered, retry later"."""

    async def deliver(self, body: bytes, event: OutboxEventMixin) -> None: ...


class HttpEventSink:
    """Posts each event to every subscriber URL; any non-2xx answer fails the delivery.

    With a ``signing_secret`` (``whsec_…``) each POST carries the Standard Webhooks headers
    ``webhook-id`` (the event id), ``webhook-timestamp`` and ``webhook-signature``, which
    subscribers check with ``EventDeliveryVerifier``.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        urls: Sequence[str],
        *,
        signing_secret: str | None = None,
    ) -> None:
        self._client = client
        self._urls = list(urls)
        # Loaded here so a malformed secret fails at start-up, not on the first event.
        self._signer = (
            load_signing_secret(signing_secret) if signing_secret is not None else None
        )

    async def deliver(self, body: bytes, event: OutboxEventMixin) -> None:
        for url in self._urls:
            headers = {"content-type": "application/cloudevents+json; charset=utf-8"}
            if self._signer is not None:
                # Signed per POST: the timestamp must be fresh for each subscriber, and a
                # retry hours later needs a new one to pass the receivers' tolerance.
                headers |= signature_headers(self._signer, str(event.id), body)
            response = await self._client.post(url, content=body, headers=headers)
            response.raise_for_status()


class NoSubscriberSink:
    """Stands in when nobody subscribes: the events have no one to reach."""

    async def deliver(self, body: bytes, event: OutboxEventMixin) -> None:
        return None


def event_sink(
    client: httpx.AsyncClient, urls: Sequence[str], *, signing_secret: str | None
) -> EventSink:
    """The sink of a service's relay: its subscribers, signed, or nobody."""
    if not urls:
        return NoSubscriberSink()
    return HttpEventSink(client, urls, signing_secret=signing_secret)


def backoff_delay(
    attempts: int, *, base: float = 1.0, cap: float = 3600.0
) -> timedelta:
    """Returns the wait before the next attempt: exponential, capped, with full jitter."""
    ceiling = min(cap, base * 2 ** min(attempts, 30))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))  # noqa: S311 - jitter, not cryptography


class OutboxRelay:
    """Delivers pending outbox events through a sink, in batches, at least once."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        model: type[OutboxEventMixin],
        sink: EventSink,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        lease: timedelta = timedelta(seconds=60),
    ) -> None:
        self._sessionmaker = sessionmaker
        self._model = model
        self._sink = sink
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._lease = lease

    async def _claim(self) -> list[OutboxEventMixin]:
        model = self._model
        now = utcnow()
        async with self._sessionmaker() as db, db.begin():
            claimable = (
                select(model)
                .where(
                    model.delivered_at.is_(None),
                    model.next_attempt_at <= now,
                    (model.locked_until.is_(None)) | (model.locked_until < now),
                )
                .order_by(model.occurred_at)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            events = list((await db.scalars(claimable)).all())
            if events:
                await db.execute(
                    update(model)
                    .where(model.id.in_([e.id for e in events]))
                    .values(locked_until=now + self._lease)
                )
            return events

    async def run_once(self) -> int:
        """Claims and delivers one batch; returns how many events were delivered."""
        events = await self._claim()
        delivered: list[uuid.UUID] = []
        try:
            for event in events:
                try:
                    await self._sink.deliver(to_cloudevent(event), event)
                except Exception as error:  # noqa: BLE001 - any sink failure is retried later
                    await self._record_failure(event, error)
                else:
                    delivered.append(event.id)
        finally:
            # One statement for the batch: a crash before it means redelivery (consumers dedupe).
            await self._record_deliveries(delivered)
        return len(delivered)

    async def _record_deliveries(self, ids: list[uuid.UUID]) -> None:
        if not ids:
            return
        model = self._model
        async with self._sessionmaker() as db, db.begin():
            await db.execute(
                update(model)
                .where(model.id.in_(ids))
                .values(
                    delivered_at=utcnow(),
                    locked_until=None,
                    attempts=model.attempts + 1,
                )
            )

    async def _record_failure(self, event: OutboxEventMixin, error: Exception) -> None:
        model = self._model
        attempts = event.attempts + 1
        logger.warning(
            "outbox_delivery_failed",
            event_id=str(event.id),
            type=event.type,
            attempts=attempts,
        )
        async with self._sessionmaker() as db, db.begin():
            await db.execute(
                update(model)
                .where(model.id == event.id)
                .values(
                    attempts=attempts,
                    next_attempt_at=utcnow() + backoff_delay(attempts),
                    locked_until=None,
                    last_error=f"{type(error).__name__}: {error}"[:1000],
                )
            )

    async def run(self, stop: asyncio.Event) -> None:
        """Delivers until ``stop`` is set; an empty batch waits ``poll_interval``."""
        while not stop.is_set():
            try:
                delivered = await self.run_once()
            except Exception:
                logger.exception("outbox_relay_error")
                delivered = 0
            if delivered < self._batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self._poll_interval)
