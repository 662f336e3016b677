"""Fixtures of the candidacy tests: a migrated database per dialect, a real catalog app, tokens."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from candidacy_factories import Catalogue, TokenFactory, create_catalogue
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candidacy.clients.catalog import CatalogClient
from candidacy.config import ALEMBIC_INI, Settings
from candidacy.db import CandidacyBase
from candidacy.main import create_app
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


@pytest.fixture(scope="session")
def signing_keys() -> tuple[str, str]:
    """The (private, public) keys of this test session's pretend gateway."""
    return generate_signing_keys()


@pytest.fixture(scope="session")
def event_secret() -> str:
    """The secret the sessions service would sign its event deliveries with."""
    return generate_event_signing_secret()


def _headers(
    private_key: str, role: Role, organisation_id: str | None
) -> dict[str, str]:
    principal = Principal(
        client_id=f"test-{role.value}-{organisation_id or 'all'}",
        role=role,
        organisation_id=organisation_id,
    )
    token = mint_internal_token(private_key, principal, ttl=timedelta(minutes=30))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def auth(signing_keys: tuple[str, str]) -> TokenFactory:
    """Builds Authorization headers carrying an internal token: auth(role, organisation_id)."""

    def headers(
        role: Role = Role.ADMIN, organisation_id: str | None = None
    ) -> dict[str, str]:
        return _headers(signing_keys[0], role, organisation_id)

    return headers


@pytest_asyncio.fixture(scope="session")
async def catalog_app(
    tmp_path_factory: pytest.TempPathFactory, signing_keys: tuple[str, str]
) -> AsyncIterator[FastAPI]:
    """A real catalog app (its own SQLite database, its demo data), served in-process."""
    async with migrated_database(
        "sqlite",
        tmp_path_factory.mktemp("catalog-for-candidacy"),
        CATALOG_ALEMBIC_INI,
        "catalog",
    ) as url:
        settings = CatalogSettings(
            environment=Environment.TEST,
            database_url=url,
            internal_token_public_key=SecretStr(signing_keys[1]),
            outbox_relay_enabled=False,
            cache_revision_poll_seconds=0.1,
        )
        application = create_catalog_app(settings)
        async with application.router.lifespan_context(application):
            yield application


@pytest_asyncio.fixture(scope="session")
async def catalog_http(catalog_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the catalog app."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=catalog_app), base_url="http://catalog"
    ) as client:
        yield client


@pytest_asyncio.fixture(scope="session")
async def catalogue(catalog_http: httpx.AsyncClient, auth: TokenFactory) -> Catalogue:
    """The certifications the tests aim at, created in the real catalog."""
    return await create_catalogue(catalog_http, auth(Role.ADMIN))


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated candidacy database, once on SQLite and once on PostgreSQL."""
    async with migrated_database(
        request.param, tmp_path_factory.mktemp("candidacy-db"), ALEMBIC_INI, "candidacy"
    ) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test session's engine on the current database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A sessionmaker on an emptied database (use cases commit for real)."""
    tables = [table.name for table in reversed(CandidacyBase.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if is_postgresql(connection):
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))
    return create_sessionmaker(engine)


@pytest.fixture
def settings(
    database_url: str, signing_keys: tuple[str, str], event_secret: str, tmp_path: Path
) -> Settings:
    """Candidacy settings for a test."""
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        internal_token_public_key=SecretStr(signing_keys[1]),
        event_secrets=[SecretStr(event_secret)],
        outbox_relay_enabled=False,
        expiry_sweep_interval_seconds=0,
        statistics_min_cell_size=1,
        catalog_url="http://catalog",
    )


@pytest_asyncio.fixture
async def app(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    catalog_http: httpx.AsyncClient,
    catalogue: Catalogue,
) -> AsyncIterator[FastAPI]:
    """The candidacy app with its lifespan running, asking the real catalog in-process."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        application.state.catalog = CatalogClient(
            catalog_http, "http://catalog", cache_seconds=0.001
        )
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the candidacy app."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://candidacy"
    ) as client:
        yield client


@pytest.fixture
def partner_id() -> str:
    """A partner organisation of this test."""
    return str(uuid.uuid4())
