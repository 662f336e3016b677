"""The transactional outbox: writing events, relaying them once, backing off on failure."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from uuid6 import uuid7

from common import (
    HttpEventSink,
    OutboxEventMixin,
    OutboxRelay,
    add_event,
    backoff_delay,
    create_sessionmaker,
    to_cloudevent,
    utcnow,
)

EVENT_TYPE = "fr.vae.catalog.certification-created.v1"
SOURCE = "/catalog"


class RecordingSink:
    """A subscriber that keeps every body it receives and counts deliveries per event id."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.deliveries: Counter[str] = Counter()

    async def deliver(self, body: bytes, event: OutboxEventMixin) -> None:
        # Yield to the loop, as a network call would, so that concurrent relays interleave.
        await asyncio.sleep(0)
        self.bodies.append(body)
        self.deliveries[str(event.id)] += 1


class FailingSink:
    """A subscriber that is down."""

    def __init__(self) -> None:
        self.calls = 0

    async def deliver(self, body: bytes, event: OutboxEventMixin) -> None:
        self.calls += 1
        raise RuntimeError("subscriber is down")


def as_utc(moment: datetime) -> datetime:
    """Reads a stored time as UTC (SQLite hands back naive datetimes)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def add_events(
    sessionmaker: async_sessionmaker[AsyncSession],
    model: type[OutboxEventMixin],
    count: int,
) -> list[uuid.UUID]:
    """Commits ``count`` events and returns their ids in the order they were written."""
    async with sessionmaker() as db, db.begin():
        events = [
            add_event(
                db,
                model,
                type=EVENT_TYPE,
                source=SOURCE,
                subject=f"RNCP{34000 + number}",
                data={"rncp_code": f"RNCP{34000 + number}", "level": 5},
            )
            for number in range(count)
        ]
    return [event.id for event in events]


async def read_event(
    sessionmaker: async_sessionmaker[AsyncSession],
    model: type[OutboxEventMixin],
    event_id: uuid.UUID,
) -> OutboxEventMixin:
    async with sessionmaker() as db:
        event = await db.get(model, event_id)
    assert event is not None
    return event


async def count_pending(
    sessionmaker: async_sessionmaker[AsyncSession], model: type[OutboxEventMixin]
) -> int:
    async with sessionmaker() as db:
        pending = await db.scalar(
            select(func.count()).select_from(model).where(model.delivered_at.is_(None))
        )
    assert pending is not None
    return pending


async def make_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    model: type[OutboxEventMixin],
    event_id: uuid.UUID,
) -> None:
    """Moves an event's next attempt into the past, as time passing would."""
    async with sessionmaker() as db, db.begin():
        await db.execute(
            update(model)
            .where(model.id == event_id)
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )


def new_event(model: type[OutboxEventMixin], **overrides: Any) -> OutboxEventMixin:
    """An outbox row that was never stored."""
    fields: dict[str, Any] = {
        "id": uuid7(),
        "type": EVENT_TYPE,
        "source": SOURCE,
        "subject": "RNCP34691",
        "data": {"rncp_code": "RNCP34691", "title": "Titre professionnel"},
        "occurred_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        "attempts": 0,
        "next_attempt_at": datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
    }
    fields.update(overrides)
    return model(**fields)


class TestAddEvent:
    @pytest.mark.asyncio
    async def test_stores_a_pending_event_with_the_callers_commit(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        before = utcnow()

        [event_id] = await add_events(sessionmaker, outbox_model, 1)

        event = await read_event(sessionmaker, outbox_model, event_id)
        assert event.type == EVENT_TYPE
        assert event.source == SOURCE
        assert event.subject == "RNCP34000"
        assert event.data == {"rncp_code": "RNCP34000", "level": 5}
        assert event.attempts == 0
        assert event.delivered_at is None
        assert event.locked_until is None
        assert as_utc(event.occurred_at) >= before - timedelta(seconds=1)
        assert as_utc(event.next_attempt_at) == as_utc(event.occurred_at)

    @pytest.mark.asyncio
    async def test_is_discarded_when_the_caller_rolls_back(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        async with sessionmaker() as db:
            await db.begin()
            add_event(
                db, outbox_model, type=EVENT_TYPE, source=SOURCE, subject=None, data={}
            )
            await db.flush()
            await db.rollback()

        assert await count_pending(sessionmaker, outbox_model) == 0

    @pytest.mark.asyncio
    async def test_gives_events_time_ordered_ids(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        ids = await add_events(sessionmaker, outbox_model, 5)

        assert all(event_id.version == 7 for event_id in ids)
        assert ids == sorted(ids)


class TestToCloudevent:
    def test_writes_a_cloudevents_1_0_json_document(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        event = new_event(outbox_model)

        document = json.loads(to_cloudevent(event))

        assert document == {
            "specversion": "1.0",
            "id": str(event.id),
            "type": EVENT_TYPE,
            "source": SOURCE,
            "subject": "RNCP34691",
            "time": "2026-03-01T09:30:00Z",
            "datacontenttype": "application/json",
            "data": {"rncp_code": "RNCP34691", "title": "Titre professionnel"},
        }

    def test_omits_the_subject_when_the_event_has_none(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        document = json.loads(to_cloudevent(new_event(outbox_model, subject=None)))

        assert "subject" not in document

    def test_reads_a_naive_time_as_utc(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        # SQLite gives the stored time back without its offset.
        event = new_event(outbox_model, occurred_at=datetime(2026, 3, 1, 9, 30))

        document = json.loads(to_cloudevent(event))

        assert document["time"] == "2026-03-01T09:30:00Z"


class TestOutboxRelayRunOnce:
    @pytest.mark.asyncio
    async def test_delivers_each_event_once_as_a_cloudevent(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        ids = await add_events(sessionmaker, outbox_model, 3)
        sink = RecordingSink()
        relay = OutboxRelay(sessionmaker, outbox_model, sink)

        delivered = await relay.run_once()

        assert delivered == 3
        documents = [json.loads(body) for body in sink.bodies]
        assert [document["id"] for document in documents] == [str(i) for i in ids]
        for number, document in enumerate(documents):
            assert document["specversion"] == "1.0"
            assert document["type"] == EVENT_TYPE
            assert document["source"] == SOURCE
            assert document["subject"] == f"RNCP{34000 + number}"
            assert document["data"] == {
                "rncp_code": f"RNCP{34000 + number}",
                "level": 5,
            }
            assert document["time"].endswith("Z")

    @pytest.mark.asyncio
    async def test_marks_delivered_events(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        [event_id] = await add_events(sessionmaker, outbox_model, 1)
        relay = OutboxRelay(sessionmaker, outbox_model, RecordingSink())

        await relay.run_once()

        event = await read_event(sessionmaker, outbox_model, event_id)
        assert event.delivered_at is not None
        assert event.attempts == 1
        assert event.locked_until is None
        assert event.last_error is None

    @pytest.mark.asyncio
    async def test_does_not_deliver_an_event_twice(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        await add_events(sessionmaker, outbox_model, 2)
        sink = RecordingSink()
        relay = OutboxRelay(sessionmaker, outbox_model, sink)
        await relay.run_once()

        delivered_again = await relay.run_once()

        assert delivered_again == 0
        assert len(sink.bodies) == 2
        assert set(sink.deliveries.values()) == {1}

    @pytest.mark.asyncio
    async def test_delivers_oldest_first_one_batch_at_a_time(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        ids = await add_events(sessionmaker, outbox_model, 5)
        sink = RecordingSink()
        relay = OutboxRelay(sessionmaker, outbox_model, sink, batch_size=2)

        batches = [await relay.run_once() for _ in range(4)]

        assert batches == [2, 2, 1, 0]
        assert [json.loads(body)["id"] for body in sink.bodies] == [str(i) for i in ids]

    @pytest.mark.asyncio
    async def test_keeps_a_failed_event_pending_with_a_backoff(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        [event_id] = await add_events(sessionmaker, outbox_model, 1)
        sink = FailingSink()
        relay = OutboxRelay(sessionmaker, outbox_model, sink)
        before = utcnow()

        delivered = await relay.run_once()

        assert delivered == 0
        assert sink.calls == 1
        event = await read_event(sessionmaker, outbox_model, event_id)
        assert event.delivered_at is None
        assert event.attempts == 1
        assert event.locked_until is None
        assert as_utc(event.next_attempt_at) > before
        assert event.last_error == "RuntimeError: subscriber is down"

    @pytest.mark.asyncio
    async def test_does_not_retry_a_failed_event_before_its_next_attempt(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        await add_events(sessionmaker, outbox_model, 1)
        await OutboxRelay(sessionmaker, outbox_model, FailingSink()).run_once()
        sink = RecordingSink()

        delivered = await OutboxRelay(sessionmaker, outbox_model, sink).run_once()

        assert delivered == 0
        assert sink.bodies == []

    @pytest.mark.asyncio
    async def test_retries_a_failed_event_once_it_is_due(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        [event_id] = await add_events(sessionmaker, outbox_model, 1)
        await OutboxRelay(sessionmaker, outbox_model, FailingSink()).run_once()
        await make_due(sessionmaker, outbox_model, event_id)
        sink = RecordingSink()

        delivered = await OutboxRelay(sessionmaker, outbox_model, sink).run_once()

        assert delivered == 1
        assert sink.deliveries == Counter({str(event_id): 1})
        event = await read_event(sessionmaker, outbox_model, event_id)
        assert event.delivered_at is not None
        assert event.attempts == 2

    @pytest.mark.asyncio
    async def test_skips_events_leased_by_another_relay(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        [leased, free] = await add_events(sessionmaker, outbox_model, 2)
        async with sessionmaker() as db, db.begin():
            await db.execute(
                update(outbox_model)
                .where(outbox_model.id == leased)
                .values(locked_until=utcnow() + timedelta(minutes=1))
            )
        sink = RecordingSink()

        await OutboxRelay(sessionmaker, outbox_model, sink).run_once()

        assert sink.deliveries == Counter({str(free): 1})

    @pytest.mark.asyncio
    async def test_takes_over_events_whose_lease_expired(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        # A relay that crashed after claiming leaves its lease behind.
        [event_id] = await add_events(sessionmaker, outbox_model, 1)
        async with sessionmaker() as db, db.begin():
            await db.execute(
                update(outbox_model)
                .where(outbox_model.id == event_id)
                .values(locked_until=utcnow() - timedelta(seconds=1))
            )
        sink = RecordingSink()

        delivered = await OutboxRelay(sessionmaker, outbox_model, sink).run_once()

        assert delivered == 1
        assert sink.deliveries == Counter({str(event_id): 1})

    @pytest.mark.asyncio
    async def test_concurrent_relays_deliver_every_event_exactly_once(
        self,
        engine: AsyncEngine,
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        # SQLite serialises the claims on its write lock; PostgreSQL uses SKIP LOCKED.
        # The PostgreSQL-only test below runs the same race with more relays.
        await add_events(create_sessionmaker(engine), outbox_model, 100)
        sink = RecordingSink()
        relays = [
            OutboxRelay(create_sessionmaker(engine), outbox_model, sink, batch_size=10)
            for _ in range(2)
        ]

        delivered = await asyncio.gather(*(drain(relay) for relay in relays))

        assert sum(delivered) == 100
        assert len(sink.deliveries) == 100
        assert set(sink.deliveries.values()) == {1}


async def drain(relay: OutboxRelay) -> int:
    """Runs a relay until it finds nothing to claim; returns how many it delivered."""
    total = 0
    while delivered := await relay.run_once():
        total += delivered
    return total


class TestOutboxRelayRunOnceOnPostgresql:
    @pytest.mark.postgres
    @pytest.mark.asyncio
    async def test_concurrent_relays_deliver_every_event_exactly_once(
        self,
        postgres_engine: AsyncEngine,
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        sessionmaker = create_sessionmaker(postgres_engine)
        ids = await add_events(sessionmaker, outbox_model, 300)
        sink = RecordingSink()
        relays = [
            OutboxRelay(
                create_sessionmaker(postgres_engine), outbox_model, sink, batch_size=20
            )
            for _ in range(4)
        ]

        delivered = await asyncio.gather(*(drain(relay) for relay in relays))

        assert sum(delivered) == 300
        assert all(count > 0 for count in delivered), delivered
        assert sink.deliveries == Counter({str(event_id): 1 for event_id in ids})
        assert await count_pending(sessionmaker, outbox_model) == 0


class TestHttpEventSink:
    @pytest.mark.asyncio
    async def test_posts_the_event_as_cloudevents_json_to_every_subscriber(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        received: list[httpx.Request] = []

        def subscriber(request: httpx.Request) -> httpx.Response:
            received.append(request)
            return httpx.Response(202)

        event = new_event(outbox_model)
        body = to_cloudevent(event)
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(subscriber)
        ) as client:
            sink = HttpEventSink(
                client, ["http://candidacy/events", "http://sessions/events"]
            )

            await sink.deliver(body, event)

        assert [str(request.url) for request in received] == [
            "http://candidacy/events",
            "http://sessions/events",
        ]
        for request in received:
            assert request.method == "POST"
            assert request.headers["content-type"].startswith(
                "application/cloudevents+json"
            )
            assert request.content == body

    @pytest.mark.asyncio
    async def test_raises_when_a_subscriber_answers_an_error(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        def subscriber(request: httpx.Request) -> httpx.Response:
            return httpx.Response(500)

        event = new_event(outbox_model)
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(subscriber)
        ) as client:
            sink = HttpEventSink(client, ["http://candidacy/events"])

            with pytest.raises(httpx.HTTPStatusError):
                await sink.deliver(to_cloudevent(event), event)

    @pytest.mark.asyncio
    async def test_leaves_the_event_pending_when_the_subscriber_fails(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        def subscriber(request: httpx.Request) -> httpx.Response:
            return httpx.Response(503)

        [event_id] = await add_events(sessionmaker, outbox_model, 1)
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(subscriber)
        ) as client:
            sink = HttpEventSink(client, ["http://candidacy/events"])

            await OutboxRelay(sessionmaker, outbox_model, sink).run_once()

        event = await read_event(sessionmaker, outbox_model, event_id)
        assert event.delivered_at is None
        assert event.attempts == 1
        assert event.last_error is not None
        assert event.last_error.startswith("HTTPStatusError: ")


class TestBackoffDelay:
    def test_doubles_with_each_attempt(self) -> None:
        for attempts in range(1, 12):
            for _ in range(20):
                delay = backoff_delay(attempts).total_seconds()
                assert 2 ** (attempts - 1) <= delay <= 2**attempts

    def test_never_waits_less_after_more_failures_below_the_cap(self) -> None:
        # 2**11 s is the last ceiling under the one-hour cap.
        for attempts in range(1, 11):
            longest_before = max(
                backoff_delay(attempts).total_seconds() for _ in range(20)
            )
            shortest_after = min(
                backoff_delay(attempts + 1).total_seconds() for _ in range(20)
            )
            assert shortest_after >= longest_before

    @pytest.mark.parametrize("attempts", [12, 20, 30, 31, 1_000, 10**9])
    def test_is_capped(self, attempts: int) -> None:
        delay = backoff_delay(attempts).total_seconds()

        assert 1800 <= delay <= 3600

    def test_honours_a_custom_base_and_cap(self) -> None:
        assert 0.5 <= backoff_delay(2, base=0.25, cap=10).total_seconds() <= 1.0
        assert 5 <= backoff_delay(10, base=0.25, cap=10).total_seconds() <= 10
