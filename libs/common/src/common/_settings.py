"""Settings shared by every process: environment, database, logging, internal-token keys."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    """Where the process runs; production refuses development shortcuts."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class BaseServiceSettings(BaseSettings):
    """Fields every service shares; each service subclasses it with its own env prefix."""

    model_config = SettingsConfigDict(extra="forbid", env_file=None)

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = "sqlite+aiosqlite:///./.run/service.sqlite3"
    database_pool_size: int = 10
    log_level: str = "INFO"
    # Public key (PEM) that verifies the gateway's internal tokens; a path or the PEM itself.
    internal_token_public_key: SecretStr | None = None
    internal_token_public_key_file: Path | None = None
    internal_token_audience: str = "vae-services"  # noqa: S105 - a name, not a secret
    internal_token_issuer: str = "vae-gateway"  # noqa: S105 - a name, not a secret
    internal_token_algorithm: str = "EdDSA"  # noqa: S105 - a name, not a secret
    internal_token_leeway_seconds: int = 5
    # A service's own Swagger UI; callers use the gateway's merged docs. None: all but production.
    docs_enabled: bool | None = None

    @model_validator(mode="after")
    def _refuse_development_shortcuts_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if (
                self.internal_token_public_key is None
                and self.internal_token_public_key_file is None
            ):
                raise ValueError(
                    "production needs INTERNAL_TOKEN_PUBLIC_KEY or INTERNAL_TOKEN_PUBLIC_KEY_FILE"
                )
            if self.database_url.startswith("sqlite"):
                raise ValueError(
                    "production needs a PostgreSQL DATABASE_URL, not the embedded SQLite default"
                )
            if self.internal_token_algorithm.upper().startswith("HS"):
                raise ValueError(
                    "production refuses shared-secret internal tokens: use EdDSA or ES256"
                )
        return self

    def serves_docs(self) -> bool:
        """Tells whether the service shows its own interactive docs."""
        if self.docs_enabled is None:
            return self.environment is not Environment.PRODUCTION
        return self.docs_enabled

    def internal_token_key(self) -> str | None:
        """Returns the PEM of the internal-token verification key, if configured."""
        if self.internal_token_public_key is not None:
            return self.internal_token_public_key.get_secret_value()
        if self.internal_token_public_key_file is not None:
            return self.internal_token_public_key_file.read_text()
        return None
