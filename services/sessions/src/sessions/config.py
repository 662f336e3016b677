"""Settings of the sessions process (environment prefix ``SESSIONS_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common import BaseServiceSettings, Environment

SERVICE_NAME = "sessions"
EVENT_SOURCE = "/vae/sessions"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"


class Settings(BaseServiceSettings):
    """Sessions settings; every field can be set as ``SESSIONS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="SESSIONS_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///./.run/sessions.sqlite3"
    # Services called directly (never through the gateway), with short timeouts.
    catalog_url: str = "http://127.0.0.1:8001"
    candidacy_url: str = "http://127.0.0.1:8002"
    upstream_timeout_seconds: float = 3.0
    catalog_cache_seconds: float = 60.0
    # Rules of the TP jury (arrêté du 22 décembre 2015): years in the trade, years since leaving it.
    juror_min_years_in_trade: int = Field(default=3, ge=0)
    juror_max_years_out_of_trade: int = Field(default=5, ge=0)
    title_jury_min_members: int = Field(default=2, ge=1)
    # Tests (épreuves) last at most this many hours in all, over one or several days.
    max_test_hours: float = Field(default=12.0, gt=0)
    # Registrations close, and convocations are sent, this many months before the session.
    convocation_months: int = Field(default=1, ge=0)
    # Subscribers of this service's outbox (the candidacy service's /internal/events) and the
    # Standard Webhooks secret that signs the deliveries.
    event_subscribers: list[str] = Field(default_factory=list)
    event_signing_secret: SecretStr | None = None
    # Secrets (whsec_…) that sign the events the candidacy service delivers here (erasures).
    event_secrets: list[SecretStr] = Field(default_factory=list)
    outbox_relay_enabled: bool = True
    outbox_poll_seconds: float = 1.0
    # Moves this process's clock, for demonstrations and end-to-end tests that walk a session's
    # life (registrations a month ahead, then the report after the session). Never in production.
    clock_offset_seconds: float = 0.0

    @model_validator(mode="after")
    def _refuse_unsigned_events_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION and self.clock_offset_seconds:
            raise ValueError("production refuses SESSIONS_CLOCK_OFFSET_SECONDS")
        if (
            self.environment is Environment.PRODUCTION
            and self.event_subscribers
            and self.event_signing_secret is None
        ):
            raise ValueError(
                "production needs SESSIONS_EVENT_SIGNING_SECRET to sign deliveries to subscribers"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    """Returns the settings read from the environment, once per process."""
    return Settings()
