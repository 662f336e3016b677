"""Deliveries to real endpoints: signatures, retries on the moved clock, disabling, rotation,
pings and redeliveries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from webhooks_factories import (
    CERTIFICATION_CREATED,
    Clock,
    Receiver,
    TokenFactory,
    cloudevent,
    create_subscription,
    post_event,
    receivers,
)

from common import Role
from webhooks.config import STANDARD_RETRY_SCHEDULE
from webhooks.delivery.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from webhooks.delivery.repository import DeliveryRepository
from webhooks.delivery.worker import DeliveryWorker
from webhooks.event_types import PING

pytestmark = pytest.mark.asyncio


async def subscribe(
    client: httpx.AsyncClient, auth: TokenFactory, receiver: Receiver, **extra: Any
) -> dict[str, Any]:
    """An admin's subscription to the catalog events, at a receiver that knows its secret."""
    created = await create_subscription(
        client, auth(Role.ADMIN), receiver.url(), [CERTIFICATION_CREATED], **extra
    )
    receiver.secrets["current"] = created["secret"]
    return created


async def one_delivery(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> WebhookDelivery:
    async with sessionmaker() as db:
        return (await db.scalars(select(WebhookDelivery))).one()


async def attempts(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> list[WebhookAttempt]:
    async with sessionmaker() as db:
        return list(
            (
                await db.scalars(select(WebhookAttempt).order_by(WebhookAttempt.number))
            ).all()
        )


class TestDelivery:
    async def test_posts_the_signed_cloudevent(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers() as [receiver]:
            created = await subscribe(client, auth, receiver)
            document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP38077"})
            await post_event(client, event_secret, document)
            assert await worker.run_once() == 1

            [received] = receiver.received
            assert received.verified_by == ["current"]
            assert received.headers["content-type"].startswith(
                "application/cloudevents+json"
            )
            assert received.headers["webhook-id"] == document["id"]
            assert received.document == document
            assert "cookie" not in received.headers

        delivery = await one_delivery(sessionmaker)
        assert delivery.status == "DELIVERED"
        assert delivery.delivered_at is not None
        [attempt] = await attempts(sessionmaker)
        assert attempt.succeeded
        assert attempt.status_code == 200
        assert attempt.response_excerpt == '{"received": true}'

        path = f"/v1/webhook-subscriptions/{created['id']}/deliveries"
        listed = await client.get(path, headers=auth(Role.ADMIN))
        assert [d["status"] for d in listed.json()["items"]] == ["DELIVERED"]
        detail = await client.get(f"{path}/{delivery.id}", headers=auth(Role.ADMIN))
        assert detail.json()["event"] == document
        assert detail.json()["attempts"][0]["status_code"] == 200
        assert detail.json()["attempts"][0]["duration_ms"] >= 0
        # Nothing is due any more.
        assert await worker.run_once() == 0

    async def test_retries_on_schedule_then_fails_and_disables_the_subscription(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers() as [receiver]:
            receiver.status = 503
            created = await subscribe(client, auth, receiver)
            document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"})
            await post_event(client, event_secret, document)

            for wait in STANDARD_RETRY_SCHEDULE:
                assert await worker.run_once() == 1
                delivery = await one_delivery(sessionmaker)
                assert delivery.status == "PENDING"
                assert delivery.next_attempt_at is not None
                assert delivery.last_attempt_at is not None
                scheduled = delivery.next_attempt_at - delivery.last_attempt_at
                assert (
                    timedelta(seconds=wait) <= scheduled < timedelta(seconds=wait + 1)
                )
                clock.advance(seconds=wait - 1)
                assert await worker.run_once() == 0, "attempted before its time"
                clock.advance(seconds=1.5)
            assert await worker.run_once() == 1  # the eighth and last

            assert len(receiver.received) == 8
            assert {r.headers["webhook-id"] for r in receiver.received} == {
                document["id"]
            }
            assert all(r.verified_by == ["current"] for r in receiver.received)

        delivery = await one_delivery(sessionmaker)
        assert delivery.status == "FAILED"
        assert delivery.next_attempt_at is None
        logged = await attempts(sessionmaker)
        assert [a.number for a in logged] == list(range(1, 9))
        assert all(a.status_code == 503 and not a.succeeded for a in logged)
        assert logged[-1].started_at - logged[0].started_at >= timedelta(hours=24)

        path = f"/v1/webhook-subscriptions/{created['id']}"
        subscription = (await client.get(path, headers=auth(Role.ADMIN))).json()
        assert subscription["enabled"] is False
        reason = subscription["disabled_reason"]
        assert "failed 8 attempts over 27." in reason
        assert "HTTP 503" in reason
        assert str(delivery.id) in reason
        assert subscription["version"] == 2

        # Disabled: new events are not queued for it.
        later = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP2"})
        assert (await post_event(client, event_secret, later)).json()[
            "deliveries_queued"
        ] == 0

        # Fixed and re-enabled, the failed delivery goes again with the same webhook-id.
        async with receivers() as [fixed]:
            fixed.secrets["current"] = receiver.secrets["current"]
            enabled = await client.patch(
                path,
                json={"enabled": True, "url": fixed.url()},
                headers=auth(Role.ADMIN) | {"If-Match": '"2"'},
            )
            assert enabled.status_code == 200, enabled.text
            assert enabled.json()["disabled_reason"] is None
            again = await client.post(
                f"{path}/deliveries/{delivery.id}/redeliveries",
                headers=auth(Role.ADMIN),
            )
            assert again.status_code == 202
            assert again.json()["status"] == "PENDING"
            assert await worker.run_once() == 1
            [received] = fixed.received
            assert received.headers["webhook-id"] == document["id"]
            assert received.verified_by == ["current"]
        assert (await one_delivery(sessionmaker)).status == "DELIVERED"

    async def test_gone_disables_at_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers() as [receiver]:
            receiver.status = 410
            created = await subscribe(client, auth, receiver)
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": 1})
            )
            assert await worker.run_once() == 1
        assert (await one_delivery(sessionmaker)).status == "FAILED"
        subscription = (
            await client.get(
                f"/v1/webhook-subscriptions/{created['id']}", headers=auth(Role.ADMIN)
            )
        ).json()
        assert subscription["enabled"] is False
        assert "410 Gone" in subscription["disabled_reason"]

    async def test_deliveries_wait_while_disabled_and_resume(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
    ) -> None:
        async with receivers() as [receiver]:
            created = await subscribe(client, auth, receiver)
            path = f"/v1/webhook-subscriptions/{created['id']}"
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": 1})
            )
            await client.patch(path, json={"enabled": False}, headers=auth(Role.ADMIN))
            assert await worker.run_once() == 0
            await client.patch(path, json={"enabled": True}, headers=auth(Role.ADMIN))
            assert await worker.run_once() == 1
            assert len(receiver.received) == 1


class TestRetention:
    async def test_finished_deliveries_and_their_events_are_purged(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers() as [receiver]:
            await subscribe(client, auth, receiver)
            done = cloudevent(CERTIFICATION_CREATED, {"n": 1})
            await post_event(client, event_secret, done)
            assert await worker.run_once() == 1  # delivered: finished
            receiver.status = 500
            waiting = cloudevent(CERTIFICATION_CREATED, {"n": 2})
            await post_event(client, event_secret, waiting)
            assert await worker.run_once() == 1  # failed once: still pending
        clock.advance(days=31)
        async with sessionmaker() as db, db.begin():
            await DeliveryRepository(db).purge_finished(
                clock.now() - timedelta(days=30)
            )
        async with sessionmaker() as db:
            [left] = (await db.scalars(select(WebhookDelivery))).all()
            assert left.event_id == waiting["id"]
            assert left.status == "PENDING"
            assert await db.get(WebhookEvent, done["id"]) is None
            assert await db.get(WebhookEvent, waiting["id"]) is not None
            [attempt] = (await db.scalars(select(WebhookAttempt))).all()
            assert attempt.delivery_id == left.id


class TestRotation:
    async def test_both_secrets_sign_during_the_overlap_then_only_the_new(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        clock: Clock,
    ) -> None:
        async with receivers() as [receiver]:
            created = await subscribe(client, auth, receiver)
            path = f"/v1/webhook-subscriptions/{created['id']}"
            rotated = await client.post(
                f"{path}/secret-rotations",
                headers=auth(Role.ADMIN) | {"If-Match": '"1"'},
            )
            assert rotated.status_code == 201, rotated.text
            new_secret = rotated.json()["secret"]
            assert new_secret.startswith("whsec_")
            assert new_secret != created["secret"]
            assert rotated.headers["etag"] == '"2"'
            expires = datetime.fromisoformat(
                rotated.json()["previous_secret_expires_at"]
            )
            assert (
                timedelta(hours=23, minutes=59)
                < expires - clock.now()
                <= timedelta(hours=24)
            )
            receiver.secrets = {"old": created["secret"], "new": new_secret}
            read = await client.get(path, headers=auth(Role.ADMIN))
            assert new_secret not in read.text

            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": 1})
            )
            assert await worker.run_once() == 1
            overlap = receiver.received[-1]
            assert sorted(overlap.verified_by) == ["new", "old"]
            assert len(overlap.headers["webhook-signature"].split(" ")) == 2

            clock.advance(hours=24, seconds=1)
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": 2})
            )
            assert await worker.run_once() == 1
            after = receiver.received[-1]
            assert after.verified_by == ["new"]
            assert len(after.headers["webhook-signature"].split(" ")) == 1


class TestPingAndRedelivery:
    async def test_ping_then_redeliver_it(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        worker: DeliveryWorker,
    ) -> None:
        async with receivers() as [receiver]:
            created = await subscribe(client, auth, receiver)
            path = f"/v1/webhook-subscriptions/{created['id']}"
            ping = await client.post(
                f"{path}/pings",
                headers=auth(Role.ADMIN) | {"Idempotency-Key": str(uuid.uuid4())},
            )
            assert ping.status_code == 202
            assert ping.json()["event_type"] == PING
            assert ping.json()["status"] == "PENDING"
            assert await worker.run_once() == 1
            [received] = receiver.received
            assert received.verified_by == ["current"]
            assert received.document["type"] == PING
            assert received.document["data"]["subscription_id"] == created["id"]

            delivery_path = f"{path}/deliveries/{ping.json()['id']}"
            again = await client.post(
                f"{delivery_path}/redeliveries", headers=auth(Role.ADMIN)
            )
            assert again.status_code == 202
            assert await worker.run_once() == 1
            assert len(receiver.received) == 2
            assert receiver.received[1].headers["webhook-id"] == ping.json()["event_id"]
            assert receiver.received[1].body == received.body

            detail = (await client.get(delivery_path, headers=auth(Role.ADMIN))).json()
            assert detail["status"] == "DELIVERED"
            assert [a["number"] for a in detail["attempts"]] == [1, 2]
            assert orjson.loads(received.body)["id"] == detail["event_id"]

            missing = await client.post(
                f"{path}/deliveries/{uuid.uuid4()}/redeliveries",
                headers=auth(Role.ADMIN),
            )
            assert missing.status_code == 404
            assert missing.json()["code"] == "WEBHOOK_DELIVERY_NOT_FOUND"

    async def test_the_log_filters_by_status_newest_first(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        worker: DeliveryWorker,
    ) -> None:
        async with receivers() as [receiver]:
            created = await subscribe(client, auth, receiver)
            path = f"/v1/webhook-subscriptions/{created['id']}"
            first = (
                await client.post(f"{path}/pings", headers=auth(Role.ADMIN))
            ).json()
            await worker.run_once()
            receiver.status = 500
            second = (
                await client.post(f"{path}/pings", headers=auth(Role.ADMIN))
            ).json()
            await worker.run_once()
            log = await client.get(f"{path}/deliveries", headers=auth(Role.ADMIN))
            assert [d["id"] for d in log.json()["items"]] == [second["id"], first["id"]]
            pending = await client.get(
                f"{path}/deliveries",
                params={"status": "PENDING"},
                headers=auth(Role.ADMIN),
            )
            [item] = pending.json()["items"]
            assert item["id"] == second["id"]
            assert item["last_status_code"] == 500
            assert item["last_error_kind"] == "HTTP_STATUS"
            page = await client.get(
                f"{path}/deliveries", params={"limit": 1}, headers=auth(Role.ADMIN)
            )
            rest = await client.get(
                f"{path}/deliveries",
                params={"limit": 1, "cursor": page.json()["next_cursor"]},
                headers=auth(Role.ADMIN),
            )
            assert [d["id"] for d in rest.json()["items"]] == [first["id"]]
