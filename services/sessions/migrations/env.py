"""Alembic environment of the sessions service: its own metadata, its own database URL."""

from __future__ import annotations

import sessions.models  # noqa: F401 - registers every table on the metadata
from common import run_migrations
from sessions.config import get_settings
from sessions.db import SessionsBase

run_migrations(SessionsBase.metadata, get_settings().database_url)
