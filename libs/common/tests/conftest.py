"""Fixtures of the common library's tests: the mixins' tables on SQLite and on PostgreSQL.

The library has no migrations of its own, so the test-local schema is built with
``create_all``; the services build theirs with ``alembic upgrade head``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import String
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from common import (
    Base,
    IdempotencyKeyMixin,
    OutboxEventMixin,
    create_engine,
    create_sessionmaker,
    new_metadata,
)
from common.testing import create_postgres_database, drop_postgres_database, sqlite_url


class CommonTestBase(Base):
    """Base of the models these tests map, with its own metadata like a service's."""

    __abstract__ = True
    metadata = new_metadata()


class OutboxEvent(OutboxEventMixin, CommonTestBase):
    """The outbox table, mapped the way a service maps it."""


class IdempotencyKey(IdempotencyKeyMixin, CommonTestBase):
    """The idempotency-key table, mapped the way a service maps it."""


class Item(CommonTestBase):
    """A resource that the idempotency tests' routes create."""

    __tablename__ = "item"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))


@asynccontextmanager
async def _postgres_database() -> AsyncIterator[str]:
    url = await create_postgres_database("common_test")
    try:
        yield url
    finally:
        await drop_postgres_database(url)


@asynccontextmanager
async def _engine_with_schema(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url, pool_size=5)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(CommonTestBase.metadata.create_all)
        yield engine
    finally:
        await engine.dispose()


@pytest_asyncio.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[str]:
    """An empty database of each kind every service supports."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "common")
        return
    async with _postgres_database() as url:
        yield url


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on ``database_url`` with the test tables created."""
    async with _engine_with_schema(database_url) as engine:
        yield engine


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """The session factory a service builds on its engine."""
    return create_sessionmaker(engine)


@pytest_asyncio.fixture
async def postgres_engine() -> AsyncIterator[AsyncEngine]:
    """An engine on an empty PostgreSQL database, for behaviour only PostgreSQL has."""
    async with _postgres_database() as url, _engine_with_schema(url) as engine:
        yield engine


@pytest.fixture
def outbox_model() -> type[OutboxEventMixin]:
    """The outbox model mapped on the test metadata."""
    return OutboxEvent


@pytest.fixture
def idempotency_model() -> type[IdempotencyKeyMixin]:
    """The idempotency-key model mapped on the test metadata."""
    return IdempotencyKey


@pytest.fixture
def item_model() -> type[Base]:
    """A plain resource table, for the routes of the idempotency tests."""
    return Item
