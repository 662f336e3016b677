"""Alembic environment of the webhooks service: its own metadata, its own database URL."""

from __future__ import annotations

import webhooks.models  # noqa: F401 - registers every table on the metadata
from common import run_migrations
from webhooks.config import get_settings
from webhooks.db import WebhooksBase

run_migrations(WebhooksBase.metadata, get_settings().database_url)
