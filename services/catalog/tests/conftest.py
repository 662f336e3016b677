"""Fixtures of the catalog's tests: a migrated database per dialect, the app, tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from factories import TokenFactory
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from catalog.config import ALEMBIC_INI, Settings
from catalog.db import CatalogBase
from catalog.main import create_app
from common import (
    Environment,
    Principal,
    Role,
    create_engine,
    create_sessionmaker,
    generate_signing_keys,
    is_postgresql,
    mint_internal_token,
)
from common.testing import migrated_database


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated catalog database, once on SQLite and once on PostgreSQL."""
    async with migrated_database(
        request.param, tmp_path_factory.mktemp("catalog-db"), ALEMBIC_INI, "catalog"
    ) as url:
        yield url


@pytest_asyncio.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """The test session's engine on the current database."""
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def sessionmaker(
    engine: AsyncEngine,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A sessionmaker on an emptied database (jobs and background tasks need real commits)."""
    tables = [table.name for table in reversed(CatalogBase.metadata.sorted_tables)]
    async with engine.begin() as connection:
        if is_postgresql(connection):
            await connection.execute(
                text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            )
        else:
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))
    yield create_sessionmaker(engine)


@pytest.fixture(scope="session")
def signing_keys() -> tuple[str, str]:
    """The (private, public) keys of this test session's pretend gateway."""
    return generate_signing_keys()


@pytest.fixture
def settings(
    database_url: str, signing_keys: tuple[str, str], tmp_path: Path
) -> Settings:
    """Catalog settings for a test."""
    return Settings(
        environment=Environment.TEST,
        database_url=database_url,
        internal_token_public_key=SecretStr(signing_keys[1]),
        outbox_relay_enabled=False,
        cache_revision_poll_seconds=0.1,
        import_work_dir=tmp_path / "uploads",
    )


@pytest_asyncio.fixture
async def app(
    settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]
) -> AsyncIterator[FastAPI]:
    """The catalog app with its lifespan running."""
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the app."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://catalog"
    ) as client:
        yield client


@pytest.fixture
def auth(signing_keys: tuple[str, str]) -> TokenFactory:
    """Builds Authorization headers carrying an internal token for a role."""

    def headers(
        role: Role = Role.ADMIN, organisation_id: str | None = None, **mint: object
    ) -> dict[str, str]:
        principal = Principal(
            client_id=f"test-{role.value}", role=role, organisation_id=organisation_id
        )
        token = mint_internal_token(
            signing_keys[0], principal, ttl=mint.pop("ttl", timedelta(minutes=5))
        )  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    return headers
