"""Fixtures of the sessions tests: its database per dialect, the real catalog and candidacy apps."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from pydantic import SecretStr
from sessions_factories import Catalogue, Clock, TokenFactory, create_catalogue
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candidacy.clients.catalog import CatalogClient as CandidacyCatalogClient
from candidacy.config import ALEMBIC_INI as CANDIDACY_ALEMBIC_INI
from candidacy.config import Settings as CandidacySettings
from candidacy.main import create_app as create_candidacy_app
from catalog.config import ALEMBIC_INI as CATALOG_ALEMBIC_INI
from catalog.config import Settings as CatalogSettings
from catalog.main import create_app as create_catalog_app
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
from sessions.clients.candidacy import CandidacyClient
from sessions.clients.catalog import CatalogClient
from sessions.config import ALEMBIC_INI, Settings
from sessions.db import SessionsBase
from sessions.main import create_app


@pytest.fixture(scope="session")
def signing_keys() -> tuple[str, str]:
    """The (private, public) keys of this test session's pretend gateway."""
    return generate_signing_keys()


@pytest.fixture(scope="session")
def event_secret() -> str:
    """The secret that signs this service's events to the candidacy service."""
    return generate_event_signing_secret()


@pytest.fixture(scope="session")
def auth(signing_keys: tuple[str, str]) -> TokenFactory:
    """Builds Authorization headers carrying an internal token: auth(role, organisation_id)."""

    def headers(
        role: Role = Role.ADMIN, organisation_id: str | None = None
    ) -> dict[str, str]:
        principal = Principal(
            client_id=f"test-{role.value}-{organisation_id or 'all'}",
            role=role,
            organisation_id=organisation_id,
        )
        token = mint_internal_token(
            signing_keys[0], principal, ttl=timedelta(minutes=30)
        )
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest_asyncio.fixture(scope="session")
async def catalog_http(
    tmp_path_factory: pytest.TempPathFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[httpx.AsyncClient]:
    """A real catalog app (its own SQLite database), served in-process."""
    async with migrated_database(
        "sqlite",
        tmp_path_factory.mktemp("catalog-for-sessions"),
        CATALOG_ALEMBIC_INI,
        "catalog",
    ) as url:
        application = create_catalog_app(
            CatalogSettings(
                environment=Environment.TEST,
                database_url=url,
                internal_token_public_key=SecretStr(signing_keys[1]),
                outbox_relay_enabled=False,
                cache_revision_poll_seconds=0.1,
            )
        )
        async with (
            application.router.lifespan_context(application),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=application),
                base_url="http://catalog",
            ) as client,
        ):
            yield client


@pytest_asyncio.fixture(scope="session")
async def catalogue(catalog_http: httpx.AsyncClient, auth: TokenFactory) -> Catalogue:
    """The certifications the tests use, created in the real catalog."""
    return await create_catalogue(catalog_http, auth(Role.ADMIN))


@pytest_asyncio.fixture(scope="session")
async def candidacy_app(
    tmp_path_factory: pytest.TempPathFactory,
    signing_keys: tuple[str, str],
    event_secret: str,
    catalog_http: httpx.AsyncClient,
) -> AsyncIterator[FastAPI]:
    """A real candidacy app (its own SQLite database), asking the real catalog."""
    async with migrated_database(
        "sqlite",
        tmp_path_factory.mktemp("candidacy-for-sessions"),
        CANDIDACY_ALEMBIC_INI,
        "candidacy",
    ) as url:
        application = create_candidacy_app(
            CandidacySettings(
                environment=Environment.TEST,
                database_url=url,
                internal_token_public_key=SecretStr(signing_keys[1]),
                event_secrets=[SecretStr(event_secret)],
                outbox_relay_enabled=False,
                expiry_sweep_interval_seconds=0,
                # The tests register many candidacies of few candidates' partners.
                certifications_per_year=50,
            )
        )
        async with application.router.lifespan_context(application):
            application.state.catalog = CandidacyCatalogClient(
                catalog_http, "http://catalog", cache_seconds=0.001
            )
            yield application


@pytest_asyncio.fixture(scope="session")
async def candidacy_http(candidacy_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the candidacy app."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=candidacy_app), base_url="http://candidacy"
    ) as client:
        yield client


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated sessions database, once on SQLite and once on PostgreSQL."""
    async with migrated_database(
        request.param, tmp_path_factory.mktemp("sessions-db"), ALEMBIC_INI, "sessions"
    ) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test session's engine on the current database."""
    engine = create_engine(database_url, pool_size=30)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker on an emptied database (use cases commit for real)."""
    tables = [table.name for table in reversed(SessionsBase.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if is_postgresql(connection):
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))
    return create_sessionmaker(engine)


@pytest.fixture
def clock() -> Clock:
    """The sessions app's clock."""
    return Clock()


@pytest.fixture
def settings(database_url: str, signing_keys: tuple[str, str]) -> Settings:
    """Sessions settings for a test."""
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        database_pool_size=30,
        internal_token_public_key=SecretStr(signing_keys[1]),
        outbox_relay_enabled=False,
        catalog_url="http://catalog",
        candidacy_url="http://candidacy",
    )


@pytest_asyncio.fixture
async def app(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalog_http: httpx.AsyncClient,
    candidacy_http: httpx.AsyncClient,
    catalogue: Catalogue,
    clock: Clock,
) -> AsyncIterator[FastAPI]:
    """The sessions app, asking the real catalog and candidacy apps in-process."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        application.state.catalog = CatalogClient(
            catalog_http, "http://catalog", cache_seconds=0.001
        )
        application.state.candidacy = CandidacyClient(
            candidacy_http, "http://candidacy"
        )
        application.state.clock = clock.now
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the sessions app."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://sessions"
    ) as client:
        yield client


@pytest.fixture
def partner_id() -> str:
    """A partner organisation of this test."""
    return str(uuid.uuid4())
