"""Alembic environment of the gateway: its client registry only."""

from __future__ import annotations

import gateway.api_client.models  # noqa: F401 - registers the table on the metadata
from common import run_migrations
from gateway.config import get_settings
from gateway.db import GatewayBase

run_migrations(GatewayBase.metadata, get_settings().database_url)
