"""Alembic environment of the candidacy service: its own metadata, its own database URL."""

from __future__ import annotations

import candidacy.models  # noqa: F401 - registers every table on the metadata
from candidacy.config import get_settings
from candidacy.db import CandidacyBase
from common import run_migrations

run_migrations(CandidacyBase.metadata, get_settings().database_url)
