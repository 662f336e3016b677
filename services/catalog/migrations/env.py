"""Alembic environment of the catalog: its own metadata, its own database URL."""

from __future__ import annotations

from typing import Any

import catalog.models  # noqa: F401 - registers every table on the metadata
from catalog.config import get_settings
from catalog.db import CatalogBase
from common import run_migrations

# Objects that exist only on one dialect and that the models do not describe: the search
# vector column and its index on PostgreSQL, the FTS5 tables on SQLite.
_DIALECT_ONLY = {"search_vector", "ix_certification_search_vector"}


def _include_name(name: str | None, type_: str, _parent: dict[str, Any]) -> bool:
    if type_ == "table" and name is not None and name.startswith("certification_fts"):
        return False
    return name not in _DIALECT_ONLY


run_migrations(
    CatalogBase.metadata, get_settings().database_url, include_name=_include_name
)
