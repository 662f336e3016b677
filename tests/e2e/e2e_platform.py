"""The whole platform as real processes on PostgreSQL, reached through the gateway only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from candidacy.config import ALEMBIC_INI as CANDIDACY_ALEMBIC_INI
from catalog.config import ALEMBIC_INI as CATALOG_ALEMBIC_INI
from common import (
    Role,
    create_engine,
    create_sessionmaker,
    generate_event_signing_secret,
    generate_signing_keys,
    upgrade_to_head,
)
from common.testing import (
    ServiceProcess,
    create_postgres_database,
    drop_postgres_database,
    free_port,
    uvicorn_command,
)
from gateway.api_client import service as api_client_service
from gateway.api_client.schemas import ApiClientCreate
from gateway.config import ALEMBIC_INI as GATEWAY_ALEMBIC_INI
from gateway.server import UVICORN_HTTP as GATEWAY_HTTP
from sessions.config import ALEMBIC_INI as SESSIONS_ALEMBIC_INI
from webhooks.config import ALEMBIC_INI as WEBHOOKS_ALEMBIC_INI

PEPPER = "e2e-pepper-0123456789abcdef0123456789"
SERVICES = ("catalog", "candidacy", "sessions", "webhooks")
MIGRATIONS = {
    "catalog": CATALOG_ALEMBIC_INI,
    "candidacy": CANDIDACY_ALEMBIC_INI,
    "sessions": SESSIONS_ALEMBIC_INI,
    "webhooks": WEBHOOKS_ALEMBIC_INI,
    "gateway": GATEWAY_ALEMBIC_INI,
}


class Platform:
    """Catalog, candidacy, sessions, webhooks and gateway processes, each on its own PostgreSQL
    database. Every service's events reach the webhooks service too; partners' webhook
    targets may be on the loopback (plain HTTP), where the tests run their receivers."""

    def __init__(
        self, folder: Path, extra_env: Mapping[str, Mapping[str, str]] | None = None
    ) -> None:
        self.folder = folder
        # Settings added to (or overriding) a process's environment, by process name.
        self.extra_env = extra_env or {}
        private, public = generate_signing_keys()
        (folder / "private.pem").write_text(private)
        (folder / "public.pem").write_text(public)
        self.secret = generate_event_signing_secret()
        self.ports = {name: free_port() for name in (*SERVICES, "gateway")}
        self.url = {
            name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()
        }
        self.databases: dict[str, str] = {}
        self.processes: dict[str, ServiceProcess] = {}
        self.admin_key = ""

    @property
    def gateway(self) -> str:
        """The one URL the tests call."""
        return self.url["gateway"]

    async def create_databases(self) -> None:
        """Creates and migrates one PostgreSQL database per process."""
        for name, ini in MIGRATIONS.items():
            self.databases[name] = await create_postgres_database(f"e2e_{name}")
            await upgrade_to_head(ini, self.databases[name])
        engine = create_engine(self.databases["gateway"])
        try:
            async with create_sessionmaker(engine)() as db:
                created = await api_client_service.create_client(
                    db,
                    ApiClientCreate(name="e2e admin", role=Role.ADMIN),
                    pepper=PEPPER,
                )
        finally:
            await engine.dispose()
        self.admin_key = created.api_key

    async def drop_databases(self) -> None:
        """Drops the databases made for the run."""
        for url in self.databases.values():
            await drop_postgres_database(url)

    def _env(self, name: str, clock_offset: timedelta) -> dict[str, str]:
        prefix = name.upper()
        env = {
            f"{prefix}_ENVIRONMENT": "test",
            f"{prefix}_DATABASE_URL": self.databases[name],
        }
        intake = {name: self.url[name] + "/internal/events" for name in SERVICES}
        subscribers = {
            "catalog": [intake["webhooks"]],
            "candidacy": [intake["sessions"], intake["webhooks"]],
            "sessions": [intake["candidacy"], intake["webhooks"]],
        }
        if name == "gateway":
            env |= {
                "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY_FILE": str(
                    self.folder / "private.pem"
                ),
                "GATEWAY_API_KEY_PEPPER": PEPPER,
                "GATEWAY_UPSTREAMS": json.dumps({s: [self.url[s]] for s in SERVICES}),
                "GATEWAY_READINESS_INTERVAL_SECONDS": "0.2",
                "GATEWAY_CLIENT_CACHE_SECONDS": "0.5",
            }
        else:
            env[f"{prefix}_INTERNAL_TOKEN_PUBLIC_KEY_FILE"] = str(
                self.folder / "public.pem"
            )
        if name in subscribers:
            env |= {
                f"{prefix}_EVENT_SUBSCRIBERS": json.dumps(subscribers[name]),
                f"{prefix}_EVENT_SIGNING_SECRET": self.secret,
            }
        if name in ("candidacy", "sessions", "webhooks"):
            env[f"{prefix}_EVENT_SECRETS"] = json.dumps([self.secret])
        if name in ("candidacy", "sessions"):
            env[f"{prefix}_CATALOG_URL"] = self.url["catalog"]
        if name == "webhooks":
            env |= {
                "WEBHOOKS_ALLOW_HTTP": "true",
                "WEBHOOKS_ALLOWED_NETWORKS": json.dumps(["127.0.0.0/8"]),
                "WEBHOOKS_DELIVERY_POLL_SECONDS": "0.2",
            }
        if name == "candidacy":
            # The journey asks a second candidacy for the same certification within the year.
            env["CANDIDACY_SUBMISSIONS_PER_CERTIFICATION_PER_YEAR"] = "2"
        if name == "sessions":
            env |= {
                "SESSIONS_CANDIDACY_URL": self.url["candidacy"],
                "SESSIONS_OUTBOX_POLL_SECONDS": "0.2",
                "SESSIONS_CLOCK_OFFSET_SECONDS": str(clock_offset.total_seconds()),
            }
        return env | dict(self.extra_env.get(name, {}))

    def start(self, name: str, clock_offset: timedelta = timedelta(0)) -> None:
        """Starts one process and waits until it is ready."""
        command = uvicorn_command(f"{name}.main:app", self.ports[name])
        if name == "gateway":
            command += ["--http", GATEWAY_HTTP]  # as the gateway's image serves it
        process = ServiceProcess(
            name,
            command,
            env=self._env(name, clock_offset),
            port=self.ports[name],
        )
        self.processes[name] = process
        process.wait_ready("/readyz")

    async def start_all(self) -> None:
        """Starts every process, services first."""
        for name in (*SERVICES, "gateway"):
            await asyncio.to_thread(self.start, name)

    async def restart(self, name: str, clock_offset: timedelta) -> None:
        """Stops a process and starts it again (with its clock moved), until the gateway sees it."""
        self.processes[name].stop()
        await asyncio.to_thread(self.start, name, clock_offset)
        if "gateway" in self.processes:
            await self.wait_gateway_ready()

    async def wait_gateway_ready(self) -> None:
        """Waits until the gateway finds every upstream ready again."""
        async with asyncio.timeout(20), httpx.AsyncClient() as http:
            while True:
                try:
                    if (await http.get(f"{self.gateway}/readyz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)

    def stop(self) -> None:
        """Stops every process."""
        for process in self.processes.values():
            process.stop()

    def admin(self) -> dict[str, str]:
        """The administrator's credentials."""
        return {"Authorization": f"Bearer {self.admin_key}"}

    async def client(
        self, http: httpx.AsyncClient, role: Role, organisation_id: str | None
    ) -> dict[str, str]:
        """Creates an API client through the gateway's admin API; returns its credentials."""
        response = await http.post(
            f"{self.gateway}/v1/clients",
            json={
                "name": f"e2e {role.value} {organisation_id}",
                "role": role.value,
                "organisation_id": organisation_id,
            },
            headers=self.admin(),
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['api_key']}"}


def ok(response: httpx.Response, status: int = 200) -> Any:
    """The JSON of an answer that must have this status."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return response.json()
