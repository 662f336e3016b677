"""Fixtures of the webhooks tests: its database per dialect, the app, workers, a moved clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiohttp.abc import AbstractResolver
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from webhooks_factories import Clock, TokenFactory, WorkerFactory, running_app

from common import (
    Environment,
    Principal,
    Role,
    create_engine,
    create_sessionmaker,
    generate_event_signing_secret,
    generate_signing_keys,
    is_postgresql,
    mint_internal_token,
)
from common.testing import migrated_database
from webhooks.config import ALEMBIC_INI, Settings
from webhooks.db import WebhooksBase
from webhooks.delivery.sender import Sender
from webhooks.delivery.setup import create_sender, create_worker
from webhooks.delivery.worker import DeliveryWorker

LOCAL_NETWORKS = [ip_network("127.0.0.0/8"), ip_network("::1/128")]


@pytest.fixture(scope="session")
def signing_keys() -> tuple[str, str]:
    """The (private, public) keys of this test session's pretend gateway."""
    return generate_signing_keys()


@pytest.fixture(scope="session")
def event_secret() -> str:
    """The secret the other services' relays sign their deliveries with."""
    return generate_event_signing_secret()


@pytest.fixture(scope="session")
def auth(signing_keys: tuple[str, str]) -> TokenFactory:
    """Builds Authorization headers: auth(role, organisation_id, client_id=…)."""

    def headers(
        role: Role = Role.ADMIN,
        organisation_id: str | None = None,
        client_id: str | None = None,
    ) -> dict[str, str]:
        principal = Principal(
            client_id=client_id or f"test-{role.value}-{organisation_id or 'all'}",
            role=role,
            organisation_id=organisation_id,
        )
        token = mint_internal_token(
            signing_keys[0], principal, ttl=timedelta(minutes=30)
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated webhooks database, once on SQLite and once on PostgreSQL."""
    async with migrated_database(
        request.param, tmp_path_factory.mktemp("webhooks-db"), ALEMBIC_INI, "webhooks"
    ) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test session's engine on the current database."""
    engine = create_engine(database_url, pool_size=20)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker on an emptied database (use cases commit for real)."""
    tables = [table.name for table in reversed(WebhooksBase.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if is_postgresql(connection):
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> Clock:
    """The app's and the workers' clock."""
    return Clock()


def build_settings(
    database_url: str,
    signing_keys: tuple[str, str],
    event_secret: str,
    **overrides: Any,
) -> Settings:
    """Webhooks settings for a test: local http receivers allowed, short timeouts."""
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "database_url": database_url,
        "database_pool_size": 20,
        "internal_token_public_key": SecretStr(signing_keys[1]),
        "event_secrets": [SecretStr(event_secret)],
        "delivery_enabled": False,
        "delivery_poll_seconds": 0.05,
        "delivery_timeout_seconds": 1.0,
        "delivery_lease_seconds": 10.0,
        "allow_http": True,
        "allowed_networks": LOCAL_NETWORKS,
    }
    return Settings(**(values | overrides))


@pytest.fixture
def settings(
    database_url: str, signing_keys: tuple[str, str], event_secret: str
) -> Settings:
    """The settings of the test's app."""
    return build_settings(database_url, signing_keys, event_secret)


@pytest.fixture
def make_settings(
    database_url: str, signing_keys: tuple[str, str], event_secret: str
) -> Callable[..., Settings]:
    """Builds other settings on the test's database: make_settings(allow_http=False, …)."""

    def build(**overrides: Any) -> Settings:
        return build_settings(database_url, signing_keys, event_secret, **overrides)

    return build


@pytest_asyncio.fixture
async def app(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> AsyncIterator[FastAPI]:
    """The webhooks app (no background worker: the tests drive workers themselves)."""
    async with running_app(settings, clock=clock) as (application, _):
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the webhooks app."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://webhooks"
    ) as client:
        yield client


@pytest_asyncio.fixture
async def make_worker(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: Clock,
) -> AsyncIterator[WorkerFactory]:
    """Builds delivery workers on the test's database and clock; their senders are closed at
    the end. make_worker(resolver=…, **settings overrides)."""
    senders: list[Sender] = []

    async def build(
        resolver: AbstractResolver | None = None, **overrides: Any
    ) -> DeliveryWorker:
        worker_settings = (
            settings.model_copy(update=overrides) if overrides else settings
        )
        sender = create_sender(worker_settings, resolver=resolver)
        await sender.start()
        senders.append(sender)
        return create_worker(worker_settings, sessionmaker, sender, clock=clock.now)

    yield build
    for sender in senders:
        await sender.close()


@pytest_asyncio.fixture
async def worker(make_worker: WorkerFactory) -> DeliveryWorker:
    """A delivery worker with the test's settings."""
    return await make_worker()
