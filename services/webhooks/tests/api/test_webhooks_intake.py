"""Events delivered by the other services' relays: signatures, deduplication, fan-out."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid6 import uuid7
from webhooks_factories import (
    ALL_TYPES_OF,
    CERTIFICATION_CREATED,
    PUBLIC_URL,
    SUBMITTED,
    TokenFactory,
    candidacy_data,
    cloudevent,
    create_subscription,
    post_event,
    report_data,
    session_data,
    signed,
)

from common import (
    HttpEventSink,
    Role,
    generate_event_signing_secret,
    to_cloudevent,
    utcnow,
)
from webhooks.access import subscribable_types
from webhooks.delivery.models import WebhookDelivery, WebhookEvent
from webhooks.event_types import PING

pytestmark = pytest.mark.asyncio


async def deliveries_by_event(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> dict[str, set[str]]:
    async with sessionmaker() as db:
        rows = (
            await db.execute(
                select(WebhookDelivery.event_id, WebhookDelivery.subscription_id)
            )
        ).all()
    found: dict[str, set[str]] = {}
    for event_id, subscription_id in rows:
        found.setdefault(event_id, set()).add(str(subscription_id))
    return found


class TestSignature:
    async def test_unsigned_or_wrongly_signed_events_are_refused(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"})
        unsigned = await client.post(
            "/internal/events",
            content=orjson.dumps(document),
            headers={"content-type": "application/cloudevents+json"},
        )
        assert unsigned.status_code == 401
        assert "webhook-signature" in unsigned.json()["detail"]
        body, headers = signed(document, generate_event_signing_secret())
        forged = await client.post("/internal/events", content=body, headers=headers)
        assert forged.status_code == 401
        assert forged.json()["code"] == "UNAUTHENTICATED"
        async with sessionmaker() as db:
            assert await db.scalar(select(func.count()).select_from(WebhookEvent)) == 0

    async def test_a_tampered_body_is_refused(
        self, client: httpx.AsyncClient, event_secret: str
    ) -> None:
        document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"})
        body, headers = signed(document, event_secret)
        tampered = body.replace(b"RNCP1", b"RNCP2")
        response = await client.post(
            "/internal/events", content=tampered, headers=headers
        )
        assert response.status_code == 401


class TestRelays:
    async def test_accepts_what_the_other_services_relays_send(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        # common's HttpEventSink and to_cloudevent, as every outbox relay uses them.
        await create_subscription(
            client, auth(Role.ADMIN), PUBLIC_URL, [CERTIFICATION_CREATED]
        )
        row: Any = SimpleNamespace(
            id=uuid7(),
            type=CERTIFICATION_CREATED,
            source="/vae/catalog",
            subject="RNCP38077",
            data={"rncp_code": "RNCP38077", "title": "Soudeur"},
            occurred_at=utcnow(),
        )
        sink = HttpEventSink(
            client, ["http://webhooks/internal/events"], signing_secret=event_secret
        )
        await sink.deliver(to_cloudevent(row), row)
        async with sessionmaker() as db:
            event = await db.get(WebhookEvent, str(row.id))
        assert event is not None
        assert event.document is not None
        assert event.document["data"] == row.data
        assert event.document["subject"] == "RNCP38077"
        assert len((await deliveries_by_event(sessionmaker))[str(row.id)]) == 1


class TestFanOut:
    async def test_redelivered_event_is_queued_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await create_subscription(
            client, auth(Role.ADMIN), PUBLIC_URL, [CERTIFICATION_CREATED]
        )
        document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"})
        first = await post_event(client, event_secret, document)
        again = await post_event(client, event_secret, document)
        assert first.status_code == again.status_code == 200
        assert first.json() == {
            "event_id": document["id"],
            "duplicate": False,
            "deliveries_queued": 1,
        }
        assert again.json()["duplicate"] is True
        assert again.json()["deliveries_queued"] == 0
        assert len((await deliveries_by_event(sessionmaker))[document["id"]]) == 1

    async def test_the_same_event_delivered_twice_at_once_is_queued_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await create_subscription(
            client, auth(Role.ADMIN), PUBLIC_URL, [CERTIFICATION_CREATED]
        )
        document = cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"})
        answers = await asyncio.gather(
            *(post_event(client, event_secret, document) for _ in range(4))
        )
        assert [a.status_code for a in answers] == [200] * 4
        assert sorted(a.json()["duplicate"] for a in answers) == [
            False,
            True,
            True,
            True,
        ]
        assert len((await deliveries_by_event(sessionmaker))[document["id"]]) == 1

    async def test_an_oversized_event_is_refused(
        self, client: httpx.AsyncClient, event_secret: str
    ) -> None:
        document = cloudevent(CERTIFICATION_CREATED, {"blob": "x" * (1024 * 1024)})
        response = await post_event(client, event_secret, document)
        assert response.status_code == 413
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def test_only_visible_enabled_subscriptions_receive(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        # Two tenants of each role, each subscribed to every type its role may receive.
        orgs = {
            name: str(uuid.uuid4()) for name in ("p1", "p2", "c1", "c2", "e1", "e2")
        }
        roles = {"p": Role.PARTNER, "c": Role.CERTIFIER, "e": Role.EXAM_CENTRE}
        subscription_of: dict[str, str] = {}
        for name, organisation in [*orgs.items(), ("admin", None)]:
            role = roles[name[0]] if organisation else Role.ADMIN
            types = [t for t in subscribable_types(role) if t != PING]
            created = await create_subscription(
                client, auth(role, organisation), PUBLIC_URL, types
            )
            subscription_of[created["id"]] = name
        # A disabled subscription and one to other types receive nothing.
        disabled = await create_subscription(
            client, auth(Role.ADMIN), PUBLIC_URL, ALL_TYPES_OF["catalog"]
        )
        await client.patch(
            f"/v1/webhook-subscriptions/{disabled['id']}",
            json={"enabled": False},
            headers=auth(Role.ADMIN),
        )
        await create_subscription(
            client, auth(Role.PARTNER, orgs["p1"]), PUBLIC_URL, ALL_TYPES_OF["block"]
        )

        cases = {
            "submitted p1/c1": (
                cloudevent(SUBMITTED, candidacy_data(orgs["p1"], [orgs["c1"]])),
                {"admin", "p1", "c1"},
            ),
            "withdrawn p2 before submission": (
                cloudevent(
                    "fr.vae.candidacy.withdrawn.v1", candidacy_data(orgs["p2"], None)
                ),
                {"admin", "p2"},
            ),
            "block p2": (
                cloudevent(
                    "fr.vae.candidacy.block-acquired.v1",
                    {"organisation_id": orgs["p2"], "candidate_id": "x"},
                ),
                {"admin", "p2"},
            ),
            "erased p1": (
                cloudevent(
                    "fr.vae.candidacy.candidate-erased.v1",
                    {"organisation_id": orgs["p1"], "candidate_id": "x"},
                ),
                {"admin", "p1"},
            ),
            "scheduled e1": (
                cloudevent(
                    "fr.vae.sessions.session-scheduled.v1", session_data(orgs["e1"])
                ),
                {"admin", "p1", "p2", "c1", "c2", "e1"},
            ),
            "report e2/c2": (
                cloudevent(
                    "fr.vae.sessions.report-signed.v1",
                    report_data(orgs["e2"], [orgs["c2"]]),
                ),
                {"admin", "e2", "c2"},
            ),
            "report without centre nor certifiers": (
                cloudevent("fr.vae.sessions.report-signed.v1", report_data(None, None)),
                {"admin"},
            ),
            "catalog": (
                cloudevent(CERTIFICATION_CREATED, {"rncp_code": "RNCP1"}),
                {"admin", "p1", "p2", "c1", "c2", "e1", "e2"},
            ),
        }
        for name, (document, expected) in cases.items():
            response = await post_event(client, event_secret, document)
            assert response.status_code == 200, (name, response.text)
            assert response.json()["deliveries_queued"] == len(expected), name
        found = await deliveries_by_event(sessionmaker)
        for name, (document, expected) in cases.items():
            receivers = {subscription_of[s] for s in found.get(document["id"], set())}
            assert receivers == expected, name

    async def test_unsubscribed_and_own_events_keep_only_their_id(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await create_subscription(client, auth(Role.ADMIN), PUBLIC_URL, [PING])
        nobody = cloudevent(SUBMITTED, candidacy_data(str(uuid.uuid4())))
        ping = cloudevent(PING, {}, source="/elsewhere")
        for document in (nobody, ping):
            response = await post_event(client, event_secret, document)
            assert response.json()["deliveries_queued"] == 0
        async with sessionmaker() as db:
            for document in (nobody, ping):
                event = await db.get(WebhookEvent, document["id"])
                assert event is not None
                assert event.document is None
        assert await deliveries_by_event(sessionmaker) == {}
