"""Alembic helpers: upgrade a service's database, and tell whether its schema is at head."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from common._db import create_engine


def alembic_config(alembic_ini: Path, database_url: str) -> Config:
    """Returns the Alembic config of a service, pointed at a database."""
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url)
    return config


async def upgrade_to_head(alembic_ini: Path, database_url: str) -> None:
    """Runs ``alembic upgrade head``; Alembic's async env runs its own loop, hence the thread."""
    await asyncio.to_thread(
        command.upgrade, alembic_config(alembic_ini, database_url), "head"
    )


def head_revision(alembic_ini: Path) -> str | None:
    """Returns the head revision of a service's migration scripts."""
    config = Config(str(alembic_ini))
    config.set_main_option("script_location", str(alembic_ini.parent / "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """Returns the revision the database is at, or None for an empty database."""

    def _read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(_read)


class SchemaNotCurrentError(RuntimeError):
    """The database is not at the migrations' head: run the migrations first."""


async def ensure_schema_current(engine: AsyncEngine, alembic_ini: Path) -> None:
    """Refuses to serve a database whose schema is not at head.

    Raises
    ------
    SchemaNotCurrentError
        The database is empty or at another revision.
    """
    expected = head_revision(alembic_ini)
    actual = await current_revision(engine)
    if actual != expected:
        raise SchemaNotCurrentError(
            f"database schema is at {actual or 'nothing'}, expected {expected}: run `make migrate` first"
        )


def run_migrations(
    target_metadata: MetaData,
    default_url: str,
    *,
    include_name: Callable[[str | None, Any, Any], bool] | None = None,
) -> None:
    """Runs Alembic's migrations of a service online; its ``env.py`` calls this and nothing else.

    The URL is the one given to Alembic (tests, ``alembic_config``) or the service's setting.
    """
    from alembic import context

    def run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_name=include_name,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()

    async def run_online() -> None:
        engine = create_engine(
            context.config.get_main_option("sqlalchemy.url") or default_url
        )
        async with engine.connect() as connection:
            await connection.run_sync(run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run_online())
