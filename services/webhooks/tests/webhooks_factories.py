"""Builders of test data for the webhooks service: receivers, events, subscriptions, clocks."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from aiohttp import web
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from common import utcnow
from webhooks.config import Settings
from webhooks.delivery.worker import DeliveryWorker
from webhooks.main import create_app
from webhooks.subscription.service import TargetCheck
from webhooks.targets import HostResolver, system_resolve

# Builds Authorization headers carrying an internal token: auth(role, organisation_id, client_id).
TokenFactory = Callable[..., dict[str, str]]
# Builds a delivery worker on the test's database and clock: make_worker(resolver=…, **settings).
WorkerFactory = Callable[..., Awaitable[DeliveryWorker]]

ALL_TYPES_OF = {
    "candidacy": [
        "fr.vae.candidacy.submitted.v1",
        "fr.vae.candidacy.admissibility-decided.v1",
        "fr.vae.candidacy.admissibility-revoked.v1",
        "fr.vae.candidacy.withdrawn.v1",
        "fr.vae.candidacy.jury-outcome-recorded.v1",
    ],
    "block": [
        "fr.vae.candidacy.block-acquired.v1",
        "fr.vae.candidacy.block-expiring.v1",
        "fr.vae.candidacy.block-expired.v1",
    ],
    "erased": ["fr.vae.candidacy.candidate-erased.v1"],
    "calendar": [
        "fr.vae.sessions.session-scheduled.v1",
        "fr.vae.sessions.session-cancelled.v1",
        "fr.vae.sessions.session-held.v1",
        "fr.vae.sessions.convocations-sent.v1",
        "fr.vae.sessions.report-revoked.v1",
    ],
    "report": ["fr.vae.sessions.report-signed.v1"],
    "catalog": [
        "fr.vae.catalog.certification-created.v1",
        "fr.vae.catalog.certification-updated.v1",
        "fr.vae.catalog.certification-deactivated.v1",
    ],
}
SUBMITTED = "fr.vae.candidacy.submitted.v1"
SCHEDULED = "fr.vae.sessions.session-scheduled.v1"
REPORT_SIGNED = "fr.vae.sessions.report-signed.v1"
CERTIFICATION_CREATED = "fr.vae.catalog.certification-created.v1"
# Public names of the tests, resolved by the tests' resolver to a public address (nothing is
# ever sent to them).
PUBLIC_HOST_ADDRESS = "93.184.215.14"
PUBLIC_URL = "https://hooks.partner.example/vae"


class Clock:
    """A clock the tests move: the app's and the workers' time."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """The moved time."""
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        """Moves the clock forward, e.g. ``advance(hours=2)``."""
        self.offset += timedelta(**delta)


def fake_resolver(names: dict[str, list[str]]) -> HostResolver:
    """A resolver that knows some names, fails on ``.invalid`` ones (RFC 6761) without asking
    any DNS server, and asks the system for the rest (``localhost``)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host in names:
            return names[host]
        if host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return await system_resolve(host, port)

    return resolve


def public_names() -> dict[str, list[str]]:
    """The tests' public host names."""
    return {
        "hooks.partner.example": [PUBLIC_HOST_ADDRESS],
        "rebind.example": [PUBLIC_HOST_ADDRESS],
    }


@asynccontextmanager
async def running_app(
    settings: Settings, *, clock: Clock, names: dict[str, list[str]] | None = None
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A webhooks app in its lifespan, its clock and resolver those of the test, and a client."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        application.state.clock = clock.now
        application.state.targets = TargetCheck(
            application.state.targets.policy,
            fake_resolver(public_names() | (names or {})),
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=application), base_url="http://webhooks"
        ) as client:
            yield application, client


# ---- events -----------------------------------------------------------------------------------


def cloudevent(
    event_type: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    source: str = "/vae/candidacy",
) -> dict[str, Any]:
    """A CloudEvent 1.0 document as the other services' relays send it."""
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "subject": str(data.get("id", "")) or None,
        "time": utcnow().isoformat(),
        "datacontenttype": "application/json",
        "data": data,
    }


def signed(document: dict[str, Any], secret: str) -> tuple[bytes, dict[str, str]]:
    """A CloudEvent's body and its Standard Webhooks headers, signed with a secret."""
    body = orjson.dumps(document)
    now = datetime.now(UTC)
    return body, {
        "content-type": "application/cloudevents+json",
        "webhook-id": document["id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(document["id"], now, body.decode()),
    }


async def post_event(
    client: httpx.AsyncClient, secret: str, document: dict[str, Any]
) -> httpx.Response:
    """Delivers an event to /internal/events as a relay does."""
    body, headers = signed(document, secret)
    return await client.post("/internal/events", content=body, headers=headers)


def candidacy_data(
    organisation_id: str, certifier_ids: list[str] | None = None
) -> dict[str, Any]:
    """A candidacy as its events carry it (snapshot null before submission)."""
    return {
        "id": str(uuid.uuid4()),
        "candidate_id": str(uuid.uuid4()),
        "organisation_id": organisation_id,
        "rncp_code": "RNCP38077",
        "state": "SUBMITTED",
        "snapshot": None
        if certifier_ids is None
        else {"title": "Titre", "certifier_ids": certifier_ids},
        "admissibility": None,
        "jury_result": None,
    }


def session_data(centre_id: str) -> dict[str, Any]:
    """An exam session's public calendar view."""
    return {
        "id": str(uuid.uuid4()),
        "centre_id": centre_id,
        "rncp_code": "RNCP38077",
        "starts_at": (utcnow() + timedelta(days=60)).isoformat(),
        "state": "SCHEDULED",
    }


def report_data(
    centre_id: str | None, certifier_ids: list[str] | None
) -> dict[str, Any]:
    """A signed report's data (centre and certifiers absent when None)."""
    data: dict[str, Any] = {
        "report_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "rncp_code": "RNCP38077",
        "jury_date": "2026-11-20",
        "signed_at": utcnow().isoformat(),
        "results": [],
    }
    if centre_id is not None:
        data["centre_id"] = centre_id
    if certifier_ids is not None:
        data["certifier_ids"] = certifier_ids
    return data


# ---- subscriptions ----------------------------------------------------------------------------


async def create_subscription(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    url: str,
    event_types: list[str],
    **extra: Any,
) -> dict[str, Any]:
    """Creates a subscription and returns the answer (with its secret)."""
    response = await client.post(
        "/v1/webhook-subscriptions",
        json={"url": url, "event_types": event_types, **extra},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


# ---- receivers --------------------------------------------------------------------------------


@dataclass
class Received:
    """One POST a receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    verified_by: list[str] = field(default_factory=list)

    @property
    def document(self) -> dict[str, Any]:
        """The CloudEvent posted."""
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


Responder = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Receiver:
    """A partner's endpoint: a real HTTP server on 127.0.0.1 that verifies the signatures with
    the standardwebhooks library, against every secret it was told (by name)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.secrets: dict[str, str] = {}
        self.respond: Responder | None = None
        self.status = 200
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._arrived = asyncio.Condition()

    async def start(self) -> None:
        """Serves on a free port."""
        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(application, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stops serving."""
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        """This endpoint's URL."""
        return f"http://{host}:{self.port}{path}"

    def verified(self, name: str) -> list[Received]:
        """The POSTs the named secret verifies."""
        return [r for r in self.received if name in r.verified_by]

    async def wait_for(self, count: int, seconds: float = 5.0) -> list[Received]:
        """Waits until ``count`` POSTs arrived (at most ``seconds``)."""
        async with asyncio.timeout(seconds), self._arrived:
            await self._arrived.wait_for(lambda: len(self.received) >= count)
        return self.received

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        headers = {name.lower(): value for name, value in request.headers.items()}
        verified: list[str] = []
        for name, secret in self.secrets.items():
            try:
                Webhook(secret).verify(body, headers, json_parse=False)
            except WebhookVerificationError:
                continue
            verified.append(name)
        async with self._arrived:
            self.received.append(
                Received(request.path, headers, body, time.monotonic(), verified)
            )
            self._arrived.notify_all()
        if self.respond is not None:
            return await self.respond(request)
        return web.json_response({"received": True}, status=self.status)


@asynccontextmanager
async def receivers(count: int = 1) -> AsyncIterator[list[Receiver]]:
    """Starts receivers and stops them at the end."""
    started = [Receiver() for _ in range(count)]
    try:
        for receiver in started:
            await receiver.start()
        yield started
    finally:
        for receiver in started:
            await receiver.stop()


def sleeping(seconds: float) -> Responder:
    """An endpoint that answers 200 only after a while."""

    async def respond(request: web.Request) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return web.json_response({"late": True})

    return respond


class HugeAnswer:
    """An endpoint that answers 200 with an endless body, counting what it managed to write."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = chunk
        self.written = 0
        self.stopped = asyncio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200)
        response.content_length = self.total
        await response.prepare(request)
        block = b"x" * self.chunk
        try:
            while self.written < self.total:
                await response.write(block)
                self.written += len(block)
        except (ConnectionError, RuntimeError):
            pass  # the client dropped the connection: the point of the test
        finally:
            self.stopped.set()
        return response


def redirecting(location: str) -> Responder:
    """An endpoint that answers 302 to another URL."""

    async def respond(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(location)

    return respond
