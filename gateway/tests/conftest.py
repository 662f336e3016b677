"""Fixtures of the gateway's tests: real catalog and gateway processes, API keys, a fault proxy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from common import (
    Role,
    create_engine,
    create_sessionmaker,
    generate_signing_keys,
    upgrade_to_head,
)
from common.testing import (
    ServiceProcess,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    sqlite_url,
    uvicorn_command,
)
from gateway.api_client import service as api_client_service
from gateway.api_client.schemas import ApiClientCreate
from gateway.config import ALEMBIC_INI

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PEPPER = "test-pepper-0123456789abcdef"


@dataclass(frozen=True)
class Keys:
    """The internal-token key pair of this test session."""

    private_pem: str
    private_file: Path
    public_file: Path


@dataclass
class RunningGateway:
    """A gateway process and its administrator's key."""

    process: ServiceProcess
    admin_key: str
    database_url: str

    @property
    def url(self) -> str:
        return self.process.url

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    async def client_key(
        self,
        role: Role,
        organisation_id: str | None = "org-1",
        rate_limit: str | None = None,
    ) -> str:
        """Creates an API client through the admin API and returns its key."""
        body = {
            "name": f"test {role.value}",
            "role": role.value,
            "organisation_id": organisation_id,
            "rate_limit": rate_limit,
        }
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.post("/v1/clients", json=body, headers=self.admin())
        assert response.status_code == 201, response.text
        return str(response.json()["api_key"])


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    private_pem, public_pem = generate_signing_keys()
    folder = tmp_path_factory.mktemp("keys")
    (folder / "private.pem").write_text(private_pem)
    (folder / "public.pem").write_text(public_pem)
    return Keys(private_pem, folder / "private.pem", folder / "public.pem")


@pytest.fixture(scope="session")
def catalog(
    tmp_path_factory: pytest.TempPathFactory, keys: Keys
) -> Iterator[ServiceProcess]:
    """A real catalog process on SQLite with the demo data."""
    env = {
        "CATALOG_DATABASE_URL": sqlite_url(
            tmp_path_factory.mktemp("catalog"), "catalog"
        ),
        "CATALOG_INTERNAL_TOKEN_PUBLIC_KEY_FILE": str(keys.public_file),
        "CATALOG_ENVIRONMENT": "test",
    }
    full_env = {**os.environ, **env}
    subprocess.run(
        [BIN / "alembic", "upgrade", "head"],
        cwd=ROOT / "services" / "catalog",
        env=full_env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [BIN / "catalog", "load-demo"], env=full_env, check=True, capture_output=True
    )
    port = free_port()
    process = ServiceProcess(
        "catalog", uvicorn_command("catalog.main:app", port), env=env, port=port
    )
    process.wait_ready("/readyz")
    yield process
    process.stop()


@pytest_asyncio.fixture(scope="session", params=["sqlite", "postgresql"])
async def gateway_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """The gateway's client registry, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path_factory.mktemp("gateway"), "gateway")
    else:
        url = await create_postgres_database("gateway_test")
    await upgrade_to_head(ALEMBIC_INI, url)
    yield url
    if request.param == "postgresql":
        await drop_postgres_database(url)


async def create_admin_key(database_url: str) -> str:
    """Registers an administrator straight in the registry (as the CLI does) and returns its key."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as db:
            created = await api_client_service.create_client(
                db, ApiClientCreate(name="test admin", role=Role.ADMIN), pepper=PEPPER
            )
    finally:
        await engine.dispose()
    return created.api_key


StartGateway = Callable[..., Awaitable[RunningGateway]]


@pytest_asyncio.fixture
async def start_gateway(
    gateway_database_url: str, keys: Keys, catalog: ServiceProcess
) -> AsyncIterator[StartGateway]:
    """Starts gateway processes (settings as GATEWAY_* overrides); all are stopped after the test."""
    started: list[ServiceProcess] = []

    async def start(
        upstreams: dict[str, list[str]] | None = None, **overrides: str
    ) -> RunningGateway:
        admin_key = await create_admin_key(gateway_database_url)
        env = {
            "GATEWAY_ENVIRONMENT": "test",
            "GATEWAY_DATABASE_URL": gateway_database_url,
            "GATEWAY_API_KEY_PEPPER": PEPPER,
            "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY_FILE": str(keys.private_file),
            "GATEWAY_UPSTREAMS": json.dumps(upstreams or {"catalog": [catalog.url]}),
            "GATEWAY_READINESS_INTERVAL_SECONDS": "0.2",
            **{f"GATEWAY_{name.upper()}": value for name, value in overrides.items()},
        }
        port = free_port()
        process = ServiceProcess(
            "gateway", uvicorn_command("gateway.main:app", port), env=env, port=port
        )
        started.append(process)
        process.wait_ready("/livez")
        return RunningGateway(process, admin_key, gateway_database_url)

    yield start
    for process in started:
        process.stop()
