"""Fixtures of the gateway's tests: real catalog and gateway processes, API keys, echo upstreams."""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from gateway_processes import (
    BIN,
    ROOT,
    EchoProcess,
    GatewayLauncher,
    Keys,
    RunningGateway,
    StartGateway,
    start_echo,
)

from common import (
    generate_signing_keys,
    upgrade_to_head,
)
from common.testing import (
    ServiceProcess,
    free_port,
    migrated_database,
    sqlite_url,
    uvicorn_command,
)
from gateway.config import ALEMBIC_INI


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
    async with migrated_database(
        request.param, tmp_path_factory.mktemp("gateway"), ALEMBIC_INI, "gateway"
    ) as url:
        yield url


@pytest_asyncio.fixture
async def start_gateway(
    gateway_database_url: str, keys: Keys, catalog: ServiceProcess
) -> AsyncIterator[StartGateway]:
    """Starts gateway processes (settings as GATEWAY_* overrides); all are stopped after the test."""
    launcher = GatewayLauncher(gateway_database_url, keys, catalog)
    yield launcher.start
    launcher.stop()


@pytest_asyncio.fixture(scope="session")
async def registry_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A client registry on SQLite for the resilience tests (they do not depend on its store)."""
    url = sqlite_url(tmp_path_factory.mktemp("registry"), "gateway")
    await upgrade_to_head(ALEMBIC_INI, url)
    return url


@pytest.fixture(scope="session")
def session_gateways(
    registry_url: str, keys: Keys, catalog: ServiceProcess
) -> Iterator[GatewayLauncher]:
    """Starts gateways shared by the whole session; all are stopped at its end."""
    launcher = GatewayLauncher(registry_url, keys, catalog)
    yield launcher
    launcher.stop()


@pytest.fixture(scope="module")
def gateways(
    registry_url: str, keys: Keys, catalog: ServiceProcess
) -> Iterator[GatewayLauncher]:
    """Starts gateways that may serve several tests of a module; all are stopped after it."""
    launcher = GatewayLauncher(registry_url, keys, catalog)
    yield launcher
    launcher.stop()


@pytest_asyncio.fixture(scope="session")
async def echo() -> AsyncIterator[EchoProcess]:
    """An echo upstream shared by the session."""
    process = await start_echo()
    yield process
    process.stop()


@pytest_asyncio.fixture(scope="session")
async def echo_b() -> AsyncIterator[EchoProcess]:
    """A second echo upstream, on another port."""
    process = await start_echo()
    yield process
    process.stop()


@pytest_asyncio.fixture(scope="session")
async def echo_gateway(
    session_gateways: GatewayLauncher, echo: EchoProcess
) -> RunningGateway:
    """A gateway routing ``/v1/echo/…`` (publicly readable) to the echo, the rest to the catalog."""
    return await session_gateways.start(
        upstreams={"catalog": [session_gateways.catalog.url], "echo": [echo.url]},
        extra_routes={"echo": "echo"},
        public_read_segments=["certifications", "blocks", "certifiers", "echo"],
    )
