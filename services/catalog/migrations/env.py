"""Alembic environment of the catalog: its own metadata, its own database URL."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

import catalog.models  # noqa: F401 - registers every table on the metadata
from catalog.config import get_settings
from catalog.db import CatalogBase
from common import create_engine

# Objects that exist only on one dialect and that the models do not describe: the search
# vector column on PostgreSQL, the FTS5 index on SQLite.
_DIALECT_ONLY = {"search_vector", "ix_certification_search_vector"}


def _include_name(name: str | None, type_: str, _parent: dict[str, Any]) -> bool:
    if type_ == "table" and name is not None and name.startswith("certification_fts"):
        return False
    return name not in _DIALECT_ONLY


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=CatalogBase.metadata,
        include_name=_include_name,
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
