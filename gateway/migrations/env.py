"""Alembic environment of the gateway: its client registry only."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import gateway.api_client.models  # noqa: F401 - registers the table on the metadata
from common import create_engine
from gateway.config import get_settings
from gateway.db import GatewayBase


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=GatewayBase.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = (
        context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    )
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


asyncio.run(_run_online())
