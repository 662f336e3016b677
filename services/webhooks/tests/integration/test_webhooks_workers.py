"""Several workers (replicas) on one database never send the same attempt twice."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid6 import uuid7
from webhooks_factories import (
    CERTIFICATION_CREATED,
    Clock,
    TokenFactory,
    cloudevent,
    create_subscription,
    post_event,
    receivers,
)

from common import Role, create_engine, create_sessionmaker
from webhooks.config import Settings
from webhooks.delivery.models import WebhookAttempt, WebhookDelivery
from webhooks.delivery.repository import DeliveryRepository
from webhooks.delivery.setup import create_sender, create_worker
from webhooks.delivery.worker import DeliveryWorker

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def replica(
    settings: Settings, database_url: str, clock: Clock
) -> AsyncIterator[DeliveryWorker]:
    """A second worker with its own engine and connection pool, as another replica has."""
    engine = create_engine(database_url, pool_size=5)
    sender = create_sender(settings)
    await sender.start()
    yield create_worker(settings, create_sessionmaker(engine), sender, clock=clock.now)
    await sender.close()
    await engine.dispose()


async def slow_ok(request: web.Request) -> web.StreamResponse:
    await asyncio.sleep(0.005)
    return web.json_response({"ok": True})


class TestReplicas:
    async def test_two_workers_share_the_deliveries_without_doubles(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        replica: DeliveryWorker,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers(2) as endpoints:
            for endpoint in endpoints:
                endpoint.respond = slow_ok
                created = await create_subscription(
                    client, auth(Role.ADMIN), endpoint.url(), [CERTIFICATION_CREATED]
                )
                endpoint.secrets["current"] = created["secret"]
            events = 20
            for n in range(events):
                await post_event(
                    client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": n})
                )
            made = await asyncio.gather(worker.run_once(), replica.run_once())

            assert sum(made) == 2 * events
            assert all(count > 0 for count in made), made
            for endpoint in endpoints:
                ids = collections.Counter(
                    r.headers["webhook-id"] for r in endpoint.received
                )
                assert len(ids) == events
                assert set(ids.values()) == {1}
                assert all(r.verified_by == ["current"] for r in endpoint.received)
        async with sessionmaker() as db:
            assert (
                await db.scalar(select(func.count()).select_from(WebhookAttempt))
                == 2 * events
            )
            assert set((await db.scalars(select(WebhookAttempt.number))).all()) == {1}
            assert set((await db.scalars(select(WebhookDelivery.status))).all()) == {
                "DELIVERED"
            }

    async def test_a_leased_delivery_is_not_sent_until_its_lease_ends(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers() as [endpoint]:
            await create_subscription(
                client, auth(Role.ADMIN), endpoint.url(), [CERTIFICATION_CREATED]
            )
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {})
            )
            # Another replica claims it and dies before recording anything.
            lost_lease = uuid7()
            async with sessionmaker() as db, db.begin():
                repository = DeliveryRepository(db)
                [(due_id, _)] = await repository.due(
                    clock.now(), limit=10, exclude_origins=()
                )
                [claimed] = await repository.claim(
                    [due_id],
                    clock.now(),
                    lease_id=lost_lease,
                    locked_until=clock.now() + timedelta(seconds=60),
                )
            assert await worker.run_once() == 0
            assert endpoint.received == []
            clock.advance(seconds=61)
            assert await worker.run_once() == 1
            assert len(endpoint.received) == 1
            # The dead replica's late result is ignored: one attempt in the log.
            async with sessionmaker() as db, db.begin():
                assert not await DeliveryRepository(db).finish_attempt(
                    claimed.id, lost_lease, status="FAILED"
                )
            async with sessionmaker() as db:
                delivery = await db.get(WebhookDelivery, claimed.id)
                assert delivery is not None
                assert delivery.status == "DELIVERED"
                assert delivery.attempt_count == 1
