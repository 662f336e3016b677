"""Base settings: local defaults that run, and no development shortcut in production."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from common import BaseServiceSettings, Environment, generate_signing_keys

POSTGRES_URL = "postgresql+asyncpg://vae@db.internal:5432/demo"


class DemoSettings(BaseServiceSettings):
    """A service's settings, as each service subclasses them with its own prefix."""

    model_config = SettingsConfigDict(env_prefix="COMMONDEMO_")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaves out any COMMONDEMO_ variable of the shell running the tests."""
    for name in list(os.environ):
        if name.startswith("COMMONDEMO_"):
            monkeypatch.delenv(name)


@pytest.fixture
def public_key() -> str:
    return generate_signing_keys()[1]


class TestBaseServiceSettings:
    def test_development_accepts_the_defaults(self) -> None:
        settings = DemoSettings()

        assert settings.environment is Environment.DEVELOPMENT
        assert settings.database_url.startswith("sqlite+aiosqlite://")
        assert settings.internal_token_key() is None
        assert settings.internal_token_algorithm == "EdDSA"

    def test_test_environment_accepts_the_defaults(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COMMONDEMO_ENVIRONMENT", "test")

        assert DemoSettings().environment is Environment.TEST

    def test_reads_its_own_prefix_only(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("COMMONDEMO_DATABASE_URL", POSTGRES_URL)
        monkeypatch.setenv("COMMONDEMO_DATABASE_POOL_SIZE", "3")
        monkeypatch.setenv("DATABASE_URL", "sqlite+aiosqlite:///other.sqlite3")

        settings = DemoSettings()

        assert settings.database_url == POSTGRES_URL
        assert settings.database_pool_size == 3

    def test_production_accepts_postgresql_and_a_public_key(
        self, monkeypatch: pytest.MonkeyPatch, public_key: str
    ) -> None:
        monkeypatch.setenv("COMMONDEMO_ENVIRONMENT", "production")
        monkeypatch.setenv("COMMONDEMO_DATABASE_URL", POSTGRES_URL)
        monkeypatch.setenv("COMMONDEMO_INTERNAL_TOKEN_PUBLIC_KEY", public_key)

        settings = DemoSettings()

        assert settings.environment is Environment.PRODUCTION
        assert settings.internal_token_key() == public_key

    def test_production_refuses_the_sqlite_default(
        self, monkeypatch: pytest.MonkeyPatch, public_key: str
    ) -> None:
        monkeypatch.setenv("COMMONDEMO_ENVIRONMENT", "production")
        monkeypatch.setenv("COMMONDEMO_INTERNAL_TOKEN_PUBLIC_KEY", public_key)

        with pytest.raises(ValidationError, match="PostgreSQL DATABASE_URL"):
            DemoSettings()

    def test_production_refuses_a_sqlite_url(self, public_key: str) -> None:
        with pytest.raises(ValidationError, match="PostgreSQL DATABASE_URL"):
            DemoSettings(
                environment=Environment.PRODUCTION,
                database_url="sqlite+aiosqlite:////var/lib/vae/catalog.sqlite3",
                internal_token_public_key=public_key,
            )

    def test_production_refuses_a_missing_internal_token_key(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COMMONDEMO_ENVIRONMENT", "production")
        monkeypatch.setenv("COMMONDEMO_DATABASE_URL", POSTGRES_URL)

        with pytest.raises(ValidationError, match="INTERNAL_TOKEN_PUBLIC_KEY"):
            DemoSettings()

    @pytest.mark.parametrize("algorithm", ["HS256", "HS512", "hs256"])
    def test_production_refuses_shared_secret_algorithms(
        self, monkeypatch: pytest.MonkeyPatch, public_key: str, algorithm: str
    ) -> None:
        monkeypatch.setenv("COMMONDEMO_ENVIRONMENT", "production")
        monkeypatch.setenv("COMMONDEMO_DATABASE_URL", POSTGRES_URL)
        monkeypatch.setenv("COMMONDEMO_INTERNAL_TOKEN_PUBLIC_KEY", public_key)
        monkeypatch.setenv("COMMONDEMO_INTERNAL_TOKEN_ALGORITHM", algorithm)

        with pytest.raises(ValidationError, match="shared-secret"):
            DemoSettings()

    def test_rejects_an_unknown_setting(self) -> None:
        with pytest.raises(ValidationError, match="extra"):
            DemoSettings(databse_url=POSTGRES_URL)  # type: ignore[call-arg]


class TestInternalTokenKey:
    def test_returns_the_inline_key(self, public_key: str) -> None:
        settings = DemoSettings(internal_token_public_key=public_key)

        assert settings.internal_token_key() == public_key

    def test_reads_the_key_file(self, tmp_path: Path, public_key: str) -> None:
        key_file = tmp_path / "gateway.pub.pem"
        key_file.write_text(public_key)

        settings = DemoSettings(
            environment=Environment.PRODUCTION,
            database_url=POSTGRES_URL,
            internal_token_public_key_file=key_file,
        )

        assert settings.internal_token_key() == public_key

    def test_keeps_the_inline_key_out_of_the_repr(self, public_key: str) -> None:
        settings = DemoSettings(internal_token_public_key=public_key)

        assert public_key not in repr(settings)
