"""Signed event deliveries: the sink signs (Standard Webhooks), the receiver verifies."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook
from uuid6 import uuid7

from common import (
    AuthenticationError,
    EventDeliveryVerifier,
    HttpEventSink,
    InvalidInputError,
    OutboxEventMixin,
    OutboxRelay,
    add_event,
    generate_event_signing_secret,
    install_error_handlers,
    to_cloudevent,
)

EVENT_TYPE = "fr.vae.candidacy.admissibility-decided.v1"
RECEIVER_URL = "http://sessions/v1/events"


def new_event(model: type[OutboxEventMixin]) -> OutboxEventMixin:
    """An outbox row that was never stored."""
    now = datetime.now(UTC)
    fields: dict[str, Any] = {
        "id": uuid7(),
        "type": EVENT_TYPE,
        "source": "/candidacy",
        "subject": "0190a5c4-candidacy",
        "data": {"decision": "ADMISSIBLE"},
        "occurred_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }
    return model(**fields)


def signed_headers(
    secret: str, message_id: str, body: bytes, *, at: datetime | None = None
) -> dict[str, str]:
    """Headers signed by the reference library itself, at a chosen time."""
    moment = at or datetime.now(UTC)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, moment, body.decode()),
    }


def receiver(verifier: EventDeliveryVerifier) -> tuple[FastAPI, list[dict[str, Any]]]:
    """A subscribing service's event endpoint: verify, then accept."""
    app = FastAPI()
    install_error_handlers(app)
    received: list[dict[str, Any]] = []

    @app.post("/v1/events", status_code=202)
    async def receive_event(request: Request) -> None:
        received.append(verifier.verify(await request.body(), request.headers))

    return app, received


def client_of(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app))


class TestGenerateEventSigningSecret:
    def test_makes_a_whsec_secret_of_32_random_bytes(self) -> None:
        secret = generate_event_signing_secret()

        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
        assert generate_event_signing_secret() != secret

    def test_makes_a_secret_the_reference_library_accepts(self) -> None:
        secret = generate_event_signing_secret()
        body = b'{"id":"1"}'

        headers = signed_headers(secret, "1", body)

        assert Webhook(secret).verify(body, headers) == {"id": "1"}


class TestHttpEventSinkSigning:
    @pytest.mark.asyncio
    async def test_signs_each_post_over_the_exact_body(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        secret = generate_event_signing_secret()
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
                client, [RECEIVER_URL, "http://other/events"], signing_secret=secret
            )
            await sink.deliver(body, event)

        assert len(received) == 2
        for request in received:
            assert request.content == body
            assert request.headers["webhook-id"] == str(event.id)
            timestamp = int(request.headers["webhook-timestamp"])
            assert abs(timestamp - datetime.now(UTC).timestamp()) < 5
            assert request.headers["webhook-signature"].startswith("v1,")
            # The reference implementation agrees with the signature.
            Webhook(secret).verify(request.content, dict(request.headers))

    @pytest.mark.asyncio
    async def test_sends_no_signature_without_a_secret(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        received: list[httpx.Request] = []

        def subscriber(request: httpx.Request) -> httpx.Response:
            received.append(request)
            return httpx.Response(202)

        event = new_event(outbox_model)
        async with httpx.AsyncClient(
            transport=httpx.MockTransport(subscriber)
        ) as client:
            await HttpEventSink(client, [RECEIVER_URL]).deliver(
                to_cloudevent(event), event
            )

        [request] = received
        assert not {"webhook-id", "webhook-timestamp", "webhook-signature"} & set(
            request.headers.keys()
        )

    @pytest.mark.parametrize("secret", ["", "whsec_", "not-a-whsec-secret"])
    def test_refuses_a_malformed_secret_at_construction(self, secret: str) -> None:
        with pytest.raises(ValueError, match="whsec_"):
            HttpEventSink(httpx.AsyncClient(), [RECEIVER_URL], signing_secret=secret)


class TestSignedDelivery:
    @pytest.mark.asyncio
    async def test_the_receiver_accepts_the_sinks_deliveries(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        secret = generate_event_signing_secret()
        app, received = receiver(EventDeliveryVerifier([secret]))
        event = new_event(outbox_model)

        async with client_of(app) as client:
            await HttpEventSink(client, [RECEIVER_URL], signing_secret=secret).deliver(
                to_cloudevent(event), event
            )

        [document] = received
        assert document["id"] == str(event.id)
        assert document["type"] == EVENT_TYPE
        assert document["specversion"] == "1.0"
        assert document["data"] == {"decision": "ADMISSIBLE"}

    @pytest.mark.asyncio
    async def test_the_relay_delivers_signed_events_from_the_outbox(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        outbox_model: type[OutboxEventMixin],
    ) -> None:
        secret = generate_event_signing_secret()
        app, received = receiver(EventDeliveryVerifier([secret]))
        async with sessionmaker() as db, db.begin():
            event = add_event(
                db,
                outbox_model,
                type=EVENT_TYPE,
                source="/candidacy",
                subject="c-1",
                data={"decision": "ADMISSIBLE"},
            )

        async with client_of(app) as client:
            sink = HttpEventSink(client, [RECEIVER_URL], signing_secret=secret)
            delivered = await OutboxRelay(sessionmaker, outbox_model, sink).run_once()

        assert delivered == 1
        assert [document["id"] for document in received] == [str(event.id)]

    @pytest.mark.asyncio
    async def test_a_delivery_signed_with_another_secret_fails(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        app, received = receiver(
            EventDeliveryVerifier([generate_event_signing_secret()])
        )
        event = new_event(outbox_model)

        async with client_of(app) as client:
            sink = HttpEventSink(
                client,
                [RECEIVER_URL],
                signing_secret=generate_event_signing_secret(),
            )
            with pytest.raises(httpx.HTTPStatusError) as failure:
                await sink.deliver(to_cloudevent(event), event)

        assert failure.value.response.status_code == 401
        assert failure.value.response.json()["code"] == "UNAUTHENTICATED"
        assert received == []

    @pytest.mark.asyncio
    async def test_the_receiver_accepts_both_secrets_during_a_rotation(
        self, outbox_model: type[OutboxEventMixin]
    ) -> None:
        old, new = generate_event_signing_secret(), generate_event_signing_secret()
        app, received = receiver(EventDeliveryVerifier([new, old]))

        async with client_of(app) as client:
            for secret in (old, new):
                event = new_event(outbox_model)
                sink = HttpEventSink(client, [RECEIVER_URL], signing_secret=secret)
                await sink.deliver(to_cloudevent(event), event)

        assert len(received) == 2


@pytest.fixture
def secret() -> str:
    return generate_event_signing_secret()


@pytest.fixture
def verifier(secret: str) -> EventDeliveryVerifier:
    return EventDeliveryVerifier([secret])


@pytest.fixture
def event_body(outbox_model: type[OutboxEventMixin]) -> bytes:
    return to_cloudevent(new_event(outbox_model))


def event_id(body: bytes) -> str:
    return str(orjson.loads(body)["id"])


class TestEventDeliveryVerifier:
    def test_returns_the_cloudevent_of_a_valid_delivery(
        self, verifier: EventDeliveryVerifier, secret: str, event_body: bytes
    ) -> None:
        headers = signed_headers(secret, event_id(event_body), event_body)

        assert verifier.verify(event_body, headers) == orjson.loads(event_body)

    def test_reads_header_names_in_any_case(
        self, verifier: EventDeliveryVerifier, secret: str, event_body: bytes
    ) -> None:
        headers = {
            name.title(): value
            for name, value in signed_headers(
                secret, event_id(event_body), event_body
            ).items()
        }

        assert verifier.verify(event_body, headers)["id"] == event_id(event_body)

    def test_rejects_a_tampered_body(
        self, verifier: EventDeliveryVerifier, secret: str, event_body: bytes
    ) -> None:
        headers = signed_headers(secret, event_id(event_body), event_body)
        tampered = event_body.replace(b"ADMISSIBLE", b"INADMISSIBLE")

        with pytest.raises(AuthenticationError, match="signature"):
            verifier.verify(tampered, headers)

    def test_rejects_a_tampered_id(
        self, verifier: EventDeliveryVerifier, secret: str, event_body: bytes
    ) -> None:
        headers = signed_headers(secret, event_id(event_body), event_body)
        headers["webhook-id"] = str(uuid.uuid4())

        with pytest.raises(AuthenticationError):
            verifier.verify(event_body, headers)

    def test_rejects_another_secret(
        self, verifier: EventDeliveryVerifier, event_body: bytes
    ) -> None:
        headers = signed_headers(
            generate_event_signing_secret(), event_id(event_body), event_body
        )

        with pytest.raises(AuthenticationError, match="signature"):
            verifier.verify(event_body, headers)

    @pytest.mark.parametrize(
        "age", [timedelta(minutes=10), -timedelta(minutes=10)], ids=["stale", "future"]
    )
    def test_rejects_a_timestamp_out_of_tolerance(
        self,
        verifier: EventDeliveryVerifier,
        secret: str,
        event_body: bytes,
        age: timedelta,
    ) -> None:
        # Correctly signed, but replayed (or sent from a clock) ten minutes off.
        headers = signed_headers(
            secret, event_id(event_body), event_body, at=datetime.now(UTC) - age
        )

        with pytest.raises(AuthenticationError, match="timestamp"):
            verifier.verify(event_body, headers)

    @pytest.mark.parametrize(
        "missing", ["webhook-id", "webhook-timestamp", "webhook-signature"]
    )
    def test_rejects_a_delivery_without_a_signature_header(
        self,
        verifier: EventDeliveryVerifier,
        secret: str,
        event_body: bytes,
        missing: str,
    ) -> None:
        headers = signed_headers(secret, event_id(event_body), event_body)
        del headers[missing]

        with pytest.raises(AuthenticationError, match=missing):
            verifier.verify(event_body, headers)

    @pytest.mark.parametrize(
        "signature", ["garbage", "v1,not base64!", "v1,a,b", "v2,AAAA"]
    )
    def test_rejects_a_malformed_signature(
        self,
        verifier: EventDeliveryVerifier,
        secret: str,
        event_body: bytes,
        signature: str,
    ) -> None:
        headers = signed_headers(secret, event_id(event_body), event_body)
        headers["webhook-signature"] = signature

        with pytest.raises(AuthenticationError):
            verifier.verify(event_body, headers)

    def test_rejects_a_body_that_is_not_utf8(
        self, verifier: EventDeliveryVerifier, secret: str
    ) -> None:
        headers = signed_headers(secret, "1", b"{}")

        with pytest.raises(AuthenticationError):
            verifier.verify(b"\xff\xfe{}", headers)

    def test_accepts_any_of_several_secrets(self, event_body: bytes) -> None:
        old, new = generate_event_signing_secret(), generate_event_signing_secret()
        verifier = EventDeliveryVerifier([new, old])

        for secret in (old, new):
            headers = signed_headers(secret, event_id(event_body), event_body)
            assert verifier.verify(event_body, headers)["id"] == event_id(event_body)

    def test_accepts_a_signature_list_with_one_known_secret(
        self, verifier: EventDeliveryVerifier, secret: str, event_body: bytes
    ) -> None:
        # A sender rotating its secret may sign with both, space-separated.
        mine = signed_headers(secret, event_id(event_body), event_body)
        other = signed_headers(
            generate_event_signing_secret(), event_id(event_body), event_body
        )
        mine["webhook-signature"] = (
            f"{other['webhook-signature']} {mine['webhook-signature']}"
        )

        assert verifier.verify(event_body, mine)["id"] == event_id(event_body)

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (b"not json", "not a JSON object"),
            (b"[1, 2]", "not a JSON object"),
            (b'{"source": "/s", "type": "t", "specversion": "1.0"}', "id"),
            (b'{"id": "1", "type": "t", "specversion": "1.0"}', "source"),
            (b'{"id": "1", "source": "/s", "type": "", "specversion": "1.0"}', "type"),
            (b'{"id": "1", "source": "/s", "type": "t"}', "specversion"),
            (
                b'{"id": "1", "source": "/s", "type": "t", "specversion": 1}',
                "specversion",
            ),
            (
                b'{"id": "1", "source": "/s", "type": "t", "specversion": "0.3"}',
                "'1.0'",
            ),
        ],
    )
    def test_rejects_an_authentic_body_that_is_not_a_cloudevent(
        self, verifier: EventDeliveryVerifier, secret: str, body: bytes, message: str
    ) -> None:
        headers = signed_headers(secret, "1", body)

        with pytest.raises(InvalidInputError, match=message) as failure:
            verifier.verify(body, headers)

        assert failure.value.status_code == 422

    def test_rejects_an_event_whose_id_is_not_the_webhook_id(
        self, verifier: EventDeliveryVerifier, secret: str, event_body: bytes
    ) -> None:
        headers = signed_headers(secret, "another-id", event_body)

        with pytest.raises(InvalidInputError, match="webhook-id"):
            verifier.verify(event_body, headers)

    @pytest.mark.parametrize("secrets", [[], ["not-a-secret"], ["whsec_"]])
    def test_refuses_missing_or_malformed_secrets(self, secrets: list[str]) -> None:
        with pytest.raises(ValueError, match="secret"):
            EventDeliveryVerifier(secrets)

    def test_refuses_a_single_string(self, secret: str) -> None:
        with pytest.raises(TypeError):
            EventDeliveryVerifier(secret)
