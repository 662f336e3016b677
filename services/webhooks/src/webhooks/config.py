"""Settings of the webhooks process (environment prefix ``WEBHOOKS_``)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from pathlib import Path
from typing import Self

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from common import BaseServiceSettings, Environment

SERVICE_NAME = "webhooks"
EVENT_SOURCE = "/vae/webhooks"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
# A valid Fernet key anyone can read in this file: development and tests only, refused in
# production (like the other development secrets).
DEVELOPMENT_SECRET_ENCRYPTION_KEY = "dmFlLXdlYmhvb2tzLWRldmVsb3BtZW50LW9ubHktMDA="  # noqa: S105 - a public development key
# Standard Webhooks' own schedule after the first, immediate attempt: 5 s, 5 min, 30 min, 2 h,
# 5 h, 10 h, 10 h — eight attempts over about 27.5 hours.
STANDARD_RETRY_SCHEDULE = [5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0]


class Settings(BaseServiceSettings):
    """Webhooks settings; every field can be set as ``WEBHOOKS_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="WEBHOOKS_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///./.run/webhooks.sqlite3"
    # Secrets (whsec_…) that sign the events the other services' relays deliver to
    # /internal/events; several during a rotation.
    event_secrets: list[SecretStr] = Field(default_factory=list)
    # Fernet key that encrypts the subscriptions' signing secrets at rest; older keys that still
    # decrypt (a key rotation: new key first here, old ones below, then re-encrypt and drop).
    secret_encryption_key: SecretStr = SecretStr(DEVELOPMENT_SECRET_ENCRYPTION_KEY)
    previous_secret_encryption_keys: list[SecretStr] = Field(default_factory=list)
    # After a secret rotation, deliveries are signed with both secrets for this long.
    previous_secret_ttl: timedelta = timedelta(hours=24)
    # The delivery worker of this process (off: another process delivers, e.g. `webhooks deliver`).
    delivery_enabled: bool = True
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    # Partners' endpoints must never slow the service: attempts in flight in this process, in
    # all and per origin (scheme, host, port).
    delivery_concurrency: int = Field(default=32, ge=1)
    delivery_concurrency_per_host: int = Field(default=4, ge=1)
    # One attempt, connection to last byte read, ends after this many seconds.
    delivery_timeout_seconds: float = Field(default=10.0, gt=0)
    # An answer is read up to this many bytes, then the connection is dropped.
    delivery_max_response_bytes: int = Field(default=64 * 1024, ge=1024)
    # A claimed delivery is this worker's for this long; longer than any attempt (timeout).
    delivery_lease_seconds: float = Field(default=60.0, gt=0)
    # Waits after each failed attempt; after the last one the delivery fails and the
    # subscription is disabled.
    retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: list(STANDARD_RETRY_SCHEDULE), min_length=1
    )
    # Targets: https only unless allowed; every address must be globally routable unless in
    # one of these networks (e.g. 127.0.0.0/8 for local runs and tests).
    allow_http: bool = False
    allowed_networks: list[IPv4Network | IPv6Network] = Field(default_factory=list)
    # Finished deliveries, their attempts and received events are kept this long (and the
    # event ids, which make a relay's redelivery a no-op).
    retention_days: int = Field(default=30, ge=1)
    # Moves this process's clock (end-to-end tests, demonstrations). Never in production.
    clock_offset_seconds: float = 0.0

    @field_validator("secret_encryption_key", "previous_secret_encryption_keys")
    @classmethod
    def _valid_fernet_keys(
        cls, value: SecretStr | list[SecretStr]
    ) -> SecretStr | list[SecretStr]:
        for key in value if isinstance(value, list) else [value]:
            try:
                Fernet(key.get_secret_value())
            except ValueError as error:
                raise ValueError(
                    "a secret encryption key is a Fernet key: 32 url-safe base64-encoded bytes "
                    "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
                ) from error
        return value

    @field_validator("retry_schedule_seconds")
    @classmethod
    def _positive_waits(cls, value: list[float]) -> list[float]:
        if any(wait < 1 for wait in value):
            raise ValueError("every wait of the retry schedule is at least 1 second")
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_settings(self) -> Self:
        if self.delivery_lease_seconds < self.delivery_timeout_seconds + 5:
            raise ValueError(
                "WEBHOOKS_DELIVERY_LEASE_SECONDS must exceed WEBHOOKS_DELIVERY_TIMEOUT_SECONDS by "
                "at least 5 seconds, or another replica could send an attempt still in flight"
            )
        if self.environment is Environment.PRODUCTION:
            if self.clock_offset_seconds:
                raise ValueError("production refuses WEBHOOKS_CLOCK_OFFSET_SECONDS")
            if (
                self.secret_encryption_key.get_secret_value()
                == DEVELOPMENT_SECRET_ENCRYPTION_KEY
            ):
                raise ValueError(
                    "production needs its own WEBHOOKS_SECRET_ENCRYPTION_KEY, not the development one"
                )
        return self

    def retry_schedule(self) -> list[timedelta]:
        """The waits after each failed attempt."""
        return [timedelta(seconds=wait) for wait in self.retry_schedule_seconds]


@lru_cache
def get_settings() -> Settings:
    """Returns the settings read from the environment, once per process."""
    return Settings()
