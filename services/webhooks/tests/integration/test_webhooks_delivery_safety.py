"""Partners' endpoints never slow or break the service: timeouts, concurrency, capped answers,
no redirects, and targets checked again at connection time (DNS rebinding)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from aiohttp.abc import AbstractResolver, ResolveResult
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from webhooks_factories import (
    CERTIFICATION_CREATED,
    Clock,
    HugeAnswer,
    Receiver,
    TokenFactory,
    WorkerFactory,
    cloudevent,
    create_subscription,
    post_event,
    receivers,
    redirecting,
    running_app,
    sleeping,
)

from common import Role
from common.testing import free_port
from webhooks.config import Settings
from webhooks.delivery.models import WebhookAttempt, WebhookDelivery
from webhooks.delivery.worker import DeliveryWorker

pytestmark = pytest.mark.asyncio


async def subscribe(
    client: httpx.AsyncClient, auth: TokenFactory, url: str, receiver: Receiver | None
) -> dict[str, Any]:
    created = await create_subscription(
        client, auth(Role.ADMIN), url, [CERTIFICATION_CREATED]
    )
    if receiver is not None:
        receiver.secrets["current"] = created["secret"]
    return created


async def logged_attempts(
    sessionmaker: async_sessionmaker[AsyncSession], subscription_id: str | None = None
) -> list[WebhookAttempt]:
    query = select(WebhookAttempt).join(
        WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id
    )
    if subscription_id is not None:
        query = query.where(
            WebhookDelivery.subscription_id == uuid.UUID(subscription_id)
        )
    async with sessionmaker() as db:
        return list((await db.scalars(query)).all())


class StaticResolver(AbstractResolver):
    """Resolves every name to one address, as a rebinding DNS server would."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.asked: list[str] = []

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        self.asked.append(host)
        return [
            ResolveResult(
                hostname=host,
                host=self.address,
                port=port,
                family=socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
        ]

    async def close(self) -> None:
        return None


class TestSlowEndpoints:
    async def test_a_slow_endpoint_times_out_while_others_keep_flowing(
        self,
        make_settings: Callable[..., Settings],
        auth: TokenFactory,
        event_secret: str,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        # The app's own background worker, as in production (timeout 1 s, 4 per host).
        settings = make_settings(delivery_enabled=True)
        async with (
            receivers(2) as [slow, fast],
            running_app(settings, clock=clock) as (_, client),
        ):
            slow.respond = sleeping(3.0)
            slow_subscription = await subscribe(client, auth, slow.url(), slow)
            await subscribe(client, auth, fast.url(), fast)
            for n in range(8):
                await post_event(
                    client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": n})
                )
            await fast.wait_for(8, seconds=5)
            await slow.wait_for(1, seconds=5)
            # Every fast delivery arrived while an attempt at the slow endpoint hung (each
            # hangs for the 1 s timeout): the slow endpoint blocked nobody else.
            first_slow = min(r.at for r in slow.received)
            meanwhile = [r.at for r in fast.received if r.at >= first_slow]
            assert len(meanwhile) >= 4
            assert all(
                any(s.at <= at < s.at + 0.95 for s in slow.received) for at in meanwhile
            )
            assert all(r.verified_by == ["current"] for r in fast.received)

            for _ in range(100):
                if (
                    len(await logged_attempts(sessionmaker, slow_subscription["id"]))
                    >= 4
                ):
                    break
                await asyncio.sleep(0.05)
            timed_out = await logged_attempts(sessionmaker, slow_subscription["id"])
            assert {a.error_kind for a in timed_out} == {"TIMEOUT"}
            assert all(900 <= a.duration_ms < 3000 for a in timed_out)
            # Never more than 4 attempts at once to one host.
            assert len(slow.received) <= 8

    async def test_a_huge_answer_is_capped(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        make_worker: WorkerFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        huge = HugeAnswer(total=500 * 1024 * 1024)
        worker = await make_worker(delivery_timeout_seconds=5.0)
        async with receivers() as [receiver]:
            receiver.respond = huge
            await subscribe(client, auth, receiver.url(), receiver)
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {"n": 1})
            )
            assert await worker.run_once() == 1
            await asyncio.wait_for(huge.stopped.wait(), timeout=5)
        # Answered within the 5 s deadline, which reading 500 MB would not have been.
        [attempt] = await logged_attempts(sessionmaker)
        assert attempt.status_code == 200
        assert attempt.error_kind is None
        assert attempt.response_excerpt == "x" * 1024
        # The connection was dropped after the cap: the endpoint could write only what the
        # sockets' buffers held, not its 500 MB.
        assert huge.written < 32 * 1024 * 1024

    async def test_a_closed_port_is_a_connection_failure(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await subscribe(client, auth, f"http://127.0.0.1:{free_port()}/hook", None)
        await post_event(client, event_secret, cloudevent(CERTIFICATION_CREATED, {}))
        assert await worker.run_once() == 1
        [attempt] = await logged_attempts(sessionmaker)
        assert attempt.error_kind == "CONNECTION_FAILED"
        assert attempt.status_code is None


class TestRedirects:
    async def test_a_redirect_is_not_followed(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        worker: DeliveryWorker,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers(2) as [redirector, elsewhere]:
            redirector.respond = redirecting(elsewhere.url("/stolen"))
            await subscribe(client, auth, redirector.url(), redirector)
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {})
            )
            assert await worker.run_once() == 1
            assert len(redirector.received) == 1
            assert elsewhere.received == []
        [attempt] = await logged_attempts(sessionmaker)
        assert attempt.status_code == 302
        assert attempt.error_kind == "HTTP_STATUS"
        assert attempt.error_detail is not None
        assert "redirects are not followed" in attempt.error_detail
        async with sessionmaker() as db:
            delivery = (await db.scalars(select(WebhookDelivery))).one()
        assert delivery.status == "PENDING"


class TestTargetsAtConnectionTime:
    @pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
    async def test_loopback_is_refused_when_not_allowed(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        make_worker: WorkerFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
        host: str,
    ) -> None:
        # Created while the operator allowed the loopback; delivered by a worker that does not.
        strict = await make_worker(allowed_networks=[])
        async with receivers() as [receiver]:
            await subscribe(client, auth, receiver.url(host=host), receiver)
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {})
            )
            assert await strict.run_once() == 1
            assert receiver.received == []
        [attempt] = await logged_attempts(sessionmaker)
        assert attempt.error_kind == "TARGET_NOT_ALLOWED"
        assert attempt.error_detail is not None
        assert "not a public address" in attempt.error_detail

    async def test_dns_rebinding_to_a_private_address_is_refused(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        event_secret: str,
        make_worker: WorkerFactory,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        async with receivers() as [receiver]:
            # At creation the name resolves to a public address...
            await subscribe(client, auth, receiver.url(host="rebind.example"), receiver)
            await post_event(
                client, event_secret, cloudevent(CERTIFICATION_CREATED, {})
            )
            # ...at connection time, to the loopback.
            rebinding = StaticResolver("127.0.0.1")
            strict = await make_worker(resolver=rebinding, allowed_networks=[])
            assert await strict.run_once() == 1
            assert rebinding.asked == ["rebind.example"]
            assert receiver.received == []
            [attempt] = await logged_attempts(sessionmaker)
            assert attempt.error_kind == "TARGET_NOT_ALLOWED"

            # Control: where the operator allows the loopback, the same resolver reaches it.
            clock.advance(seconds=5)
            permissive = await make_worker(resolver=StaticResolver("127.0.0.1"))
            assert await permissive.run_once() == 1
            [received] = receiver.received
            assert received.headers["host"] == f"rebind.example:{receiver.port}"
            assert received.verified_by == ["current"]
