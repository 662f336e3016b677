"""Settings of the catalog process (environment prefix ``CATALOG_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from common import BaseServiceSettings

SERVICE_NAME = "catalog"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


class Settings(BaseServiceSettings):
    """Catalog settings; every field can be set as ``CATALOG_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///./.run/catalog.sqlite3"
    # How often a replica checks whether another replica changed the catalog, to drop its cache.
    cache_revision_poll_seconds: float = 1.0
    cache_max_entries: int = 20_000
    cache_max_age_seconds: int = 300
    # Largest RNCP export accepted by POST /v1/imports (the real zip is ~40 MB, its XML ~570 MB).
    import_max_upload_bytes: int = 1_073_741_824
    import_batch_size: int = 500
    # Largest Certif Info correspondence CSV accepted by POST /v1/imports/certif-info (the
    # open-data file is a few MB); the import is synchronous and keeps only (code, RNCP) pairs.
    certif_info_max_upload_bytes: int = 64 * 1024 * 1024
    import_work_dir: Path | None = None
    # CloudEvents subscribers of the catalog's outbox (the candidacy and sessions services).
    event_subscribers: list[str] = Field(default_factory=list)
    # The Standard Webhooks secret (whsec_…) that signs deliveries to the subscribers.
    event_signing_secret: SecretStr | None = None
    outbox_relay_enabled: bool = True


@lru_cache
def get_settings() -> Settings:
    """Returns the settings read from the environment, once per process."""
    return Settings()
