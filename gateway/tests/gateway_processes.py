"""Processes and helpers of the gateway's tests: gateways, echo upstreams, keys (imported by tests)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from common import (
    Role,
    create_engine,
    create_sessionmaker,
)
from common.testing import (
    ServiceProcess,
    free_port,
    uvicorn_command,
)
from gateway.api_client import service as api_client_service
from gateway.api_client.schemas import ApiClientCreate
from gateway.config import DEFAULT_ROUTES
from gateway.server import UVICORN_HTTP

ROOT = Path(__file__).resolve().parents[2]


TESTS = Path(__file__).resolve().parent


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


class GatewayLauncher:
    """Starts gateway processes on one client registry, in front of the test catalog by default."""

    def __init__(self, database_url: str, keys: Keys, catalog: ServiceProcess) -> None:
        self.database_url = database_url
        self.keys = keys
        self.catalog = catalog
        self.started: list[ServiceProcess] = []

    async def start(
        self,
        upstreams: dict[str, list[str]] | None = None,
        *,
        extra_routes: dict[str, str] | None = None,
        **overrides: object,
    ) -> RunningGateway:
        """Starts a gateway and waits until it is live.

        ``extra_routes`` adds segments to the default routes; ``overrides`` are settings, passed
        as ``GATEWAY_<NAME>`` (as JSON unless they are strings). The wait runs in a thread: the
        event loop stays free to serve the fault proxies and the gateway's first readiness probes.
        """
        if extra_routes:
            overrides["routes"] = {**DEFAULT_ROUTES, **extra_routes}
        admin_key = await create_admin_key(self.database_url)
        env = {
            "GATEWAY_ENVIRONMENT": "test",
            "GATEWAY_DATABASE_URL": self.database_url,
            "GATEWAY_API_KEY_PEPPER": PEPPER,
            "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY_FILE": str(self.keys.private_file),
            "GATEWAY_UPSTREAMS": json.dumps(
                upstreams or {"catalog": [self.catalog.url]}
            ),
            "GATEWAY_READINESS_INTERVAL_SECONDS": "0.2",
            **{
                f"GATEWAY_{name.upper()}": value
                if isinstance(value, str)
                else json.dumps(value)
                for name, value in overrides.items()
            },
        }
        port = free_port()
        command = [*uvicorn_command("gateway.main:app", port), "--http", UVICORN_HTTP]
        process = ServiceProcess("gateway", command, env=env, port=port)
        self.started.append(process)
        await asyncio.to_thread(process.wait_ready, "/livez")
        return RunningGateway(process, admin_key, self.database_url)

    def stop(self) -> None:
        """Stops every gateway this launcher started."""
        for process in self.started:
            process.stop()
        self.started.clear()


class EchoProcess(ServiceProcess):
    """A real echo upstream (``echo_app.py``) that answers what it received."""

    def __init__(self, port: int | None = None) -> None:
        port = port or free_port()
        super().__init__(
            "echo",
            uvicorn_command("echo_app:create_app", port),
            env={},
            port=port,
            cwd=TESTS,
        )

    async def seen(self) -> int:
        """How many proxied requests this echo has answered so far."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.get("/_control/seen")
        return int(response.json()["seen"])

    async def last_body(self) -> dict[str, object]:
        """The size of the last request body this echo received, and whether it came whole."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.get("/_control/seen")
        last: dict[str, object] = response.json()["last_body"]
        return last

    async def set_ready(self, ready: bool) -> None:
        """Makes the echo's /readyz answer 200 or 503."""
        async with httpx.AsyncClient(base_url=self.url) as client:
            response = await client.put(
                "/_control/ready", params={"value": str(ready).lower()}
            )
        assert response.status_code == 200


async def start_echo(port: int | None = None) -> EchoProcess:
    """Starts an echo process (on a free port by default) and waits until it is ready.

    The wait runs in a thread, so the event loop stays free.
    """
    process = EchoProcess(port)
    await asyncio.to_thread(process.wait_ready, "/readyz")
    return process


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 10.0, every: float = 0.1
) -> None:
    """Waits until ``check`` holds, failing the test if it still does not after ``within`` s."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"still not true after {within} s: {check.__name__}")
        await asyncio.sleep(every)
