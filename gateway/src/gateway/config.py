"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from common import BaseServiceSettings, Environment

SERVICE_NAME = "gateway"
ALEMBIC_INI = Path(__file__).resolve().parents[2] / "alembic.ini"
DEVELOPMENT_PEPPER = "development-pepper-not-for-production"

# First path segment after /v1/ → the service that owns it (API.md).
DEFAULT_ROUTES = {
    "certifications": "catalog",
    "blocks": "catalog",
    "certifiers": "catalog",
    "imports": "catalog",
    "candidates": "candidacy",
    "candidacies": "candidacy",
    "acquired-blocks": "candidacy",
    "exam-centres": "sessions",
    "jurors": "sessions",
    "exam-sessions": "sessions",
    "webhook-subscriptions": "webhooks",
    "webhook-event-types": "webhooks",
}


class Settings(BaseServiceSettings):
    """Gateway settings; every field can be set as ``GATEWAY_<FIELD>`` (JSON for lists and maps)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="forbid")

    database_url: str = "sqlite+aiosqlite:///./.run/gateway.sqlite3"
    # Upstream base URLs per service; several URLs are used in turn (round robin).
    upstreams: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "catalog": ["http://127.0.0.1:8001"],
            "candidacy": ["http://127.0.0.1:8002"],
            "sessions": ["http://127.0.0.1:8003"],
            "webhooks": ["http://127.0.0.1:8004"],
        }
    )
    routes: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_ROUTES))
    # Segments anyone may reach without an API key (the catalog's public reads): the service
    # itself answers an anonymous write with 401, a method its path lacks with 405 and Allow.
    public_read_segments: list[str] = Field(
        default_factory=lambda: ["certifications", "blocks", "certifiers"]
    )
    # Segments only administrators may reach, refused here before any upstream sees them.
    admin_segments: list[str] = Field(default_factory=lambda: ["imports", "clients"])

    internal_token_private_key: SecretStr | None = None
    internal_token_private_key_file: Path | None = None
    internal_token_ttl_seconds: int = 120
    api_key_pepper: SecretStr = SecretStr(DEVELOPMENT_PEPPER)
    client_cache_seconds: float = 5.0

    # async+memory:// for one gateway; async+redis://host:6379 so that replicas share the budgets.
    rate_limit_storage_url: str = "async+memory://"
    default_rate_limit: str = "1200/minute"
    anonymous_rate_limit: str = "600/minute"

    timeout_seconds: float = 10.0
    # Deadlines over the whole exchange, by first path segment or first two ("a/b"): imports
    # upload large files; the LHEO exports stream the whole catalog or calendar.
    route_timeouts: dict[str, float] = Field(
        default_factory=lambda: {
            "imports": 600.0,
            "certifications/lheo": 300.0,
            "exam-sessions/lheo": 300.0,
        }
    )
    max_body_bytes: int = 1_048_576
    route_body_limits: dict[str, int] = Field(
        default_factory=lambda: {"imports": 1_073_741_824}
    )
    # Admission control: requests in flight to one upstream URL at most (0: no bound); past it a
    # request waits this long for a slot, then gets a fast 503 UPSTREAM_OVERLOADED. One service
    # process serves 10–20 at once (its database pool); 32 leaves a short queue inside it. At
    # 128 a write service (40–90 operations/s) queued seconds of work before refusing anything
    # (bench/load_bench.py: refusals p99 4 s); the short wait absorbs bursts.
    upstream_max_in_flight: int = Field(default=32, ge=0)
    upstream_queue_seconds: float = Field(default=0.1, ge=0)
    retry_budget_ratio: float = 0.2
    max_retries: int = 2
    breaker_failure_threshold: int = 5
    breaker_reset_seconds: float = 10.0
    readiness_interval_seconds: float = 2.0
    openapi_refresh_seconds: float = 30.0

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            if self.api_key_pepper.get_secret_value() == DEVELOPMENT_PEPPER:
                raise ValueError(
                    "production needs GATEWAY_API_KEY_PEPPER (a long random secret)"
                )
            if (
                self.internal_token_private_key is None
                and self.internal_token_private_key_file is None
            ):
                raise ValueError(
                    "production needs GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY or _FILE"
                )
        unknown = set(self.routes.values()) - set(self.upstreams) - {"gateway"}
        for service in unknown:
            # Routes of services not deployed yet answer 503; they are not an error.
            self.upstreams.setdefault(service, [])
        return self

    def signing_key(self) -> str | None:
        """Returns the PEM of the internal-token signing key, if configured."""
        if self.internal_token_private_key is not None:
            return self.internal_token_private_key.get_secret_value()
        if self.internal_token_private_key_file is not None:
            return self.internal_token_private_key_file.read_text()
        return None


@lru_cache
def get_settings() -> Settings:
    """Returns the settings read from the environment, once per process."""
    return Settings()
