"""Settings of the candidacy process (environment prefix ``CANDIDACY_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common import BaseServiceSettings, Environment

SERVICE_NAME = "candidacy"
EVENT_SOURCE = "/vae/candidacy"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


class Settings(BaseServiceSettings):
    """Candidacy settings; every field can be set as ``CANDIDACY_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="CANDIDACY_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///./.run/candidacy.sqlite3"
    # The catalog, called directly (never through the gateway), with short timeouts.
    catalog_url: str = "http://127.0.0.1:8001"
    catalog_timeout_seconds: float = 3.0
    catalog_cache_seconds: float = 60.0
    # Legal yearly limits of admissibility requests (Code du travail, R. 6412-3).
    submissions_per_certification_per_year: int = Field(default=1, ge=1)
    certifications_per_year: int = Field(default=3, ge=1)
    # Acquired blocks expiring within this many days are reported as EXPIRING.
    expiring_horizon_days: int = Field(default=180, ge=1, le=3650)
    # The expiry sweep (block.expiring / block.expired events); 0 disables the scheduled run.
    expiry_sweep_interval_seconds: float = Field(default=3600.0, ge=0)
    # Statistics cells under this count are suppressed (secret statistique).
    statistics_min_cell_size: int = Field(default=5, ge=1)
    # Standard Webhooks secrets (whsec_…) that sign the events other services deliver here;
    # several during a rotation. Without one, incoming events are refused.
    event_secrets: list[SecretStr] = Field(default_factory=list)
    # Subscribers of this service's outbox, and the secret that signs deliveries to them.
    event_subscribers: list[str] = Field(default_factory=list)
    event_signing_secret: SecretStr | None = None
    outbox_relay_enabled: bool = True

    @model_validator(mode="after")
    def _refuse_unsigned_events_in_production(self) -> Self:
        if (
            self.environment is Environment.PRODUCTION
            and self.event_subscribers
            and self.event_signing_secret is None
        ):
            raise ValueError(
                "production needs CANDIDACY_EVENT_SIGNING_SECRET to sign deliveries to subscribers"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """Returns the settings read from the environment, once per process."""
    return Settings()
