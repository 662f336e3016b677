"""The platform scaled out on one machine: two replicas of each service, two gateways, one
PostgreSQL server (one database per service, shared by its replicas) and one Redis."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from e2e_platform import MIGRATIONS, PEPPER

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
from gateway.server import UVICORN_HTTP as GATEWAY_HTTP

REPLICAS = (0, 1)
# The services scaled out here; the webhooks service is left out (its routes answer 503).
SERVICES = ("catalog", "candidacy", "sessions")
REDIS_URL = "async+redis://127.0.0.1:6379"


class ReplicatedPlatform:
    """Replica ``i`` of candidacy and sessions calls replica ``i`` of the others (catalog,
    candidacy, event subscriber): a service reaches another through one URL, so killing
    replica 0 of every service leaves replica 1's chain whole. Both gateways list both
    replicas of every service and share their registry database and the Redis rate limits."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private, public = generate_signing_keys()
        (folder / "private.pem").write_text(private)
        (folder / "public.pem").write_text(public)
        self.secret = generate_event_signing_secret()
        names = (*SERVICES, "gateway")
        self.ports = {(name, i): free_port() for name in names for i in REPLICAS}
        self.databases: dict[str, str] = {}
        self.processes: dict[tuple[str, int], ServiceProcess] = {}
        self.admin_key = ""

    def url(self, name: str, replica: int) -> str:
        """The base URL of one replica (or one gateway)."""
        return f"http://127.0.0.1:{self.ports[(name, replica)]}"

    def gateway(self, replica: int) -> str:
        """The base URL of one gateway."""
        return self.url("gateway", replica)

    async def create_databases(self) -> None:
        """Creates and migrates one PostgreSQL database per service, and the admin API key."""
        for name, ini in MIGRATIONS.items():
            if name not in (*SERVICES, "gateway"):
                continue
            self.databases[name] = await create_postgres_database(f"e2e_scale_{name}")
            await upgrade_to_head(ini, self.databases[name])
        engine = create_engine(self.databases["gateway"])
        try:
            async with create_sessionmaker(engine)() as db:
                created = await api_client_service.create_client(
                    db,
                    ApiClientCreate(name="e2e scale admin", role=Role.ADMIN),
                    pepper=PEPPER,
                )
        finally:
            await engine.dispose()
        self.admin_key = created.api_key

    async def drop_databases(self) -> None:
        """Drops the databases made for the run."""
        for url in self.databases.values():
            await drop_postgres_database(url)

    async def sql(self, name: str, query: str, *args: Any) -> Any:
        """Runs one query on a service's database; returns the first column of the first row."""
        url = self.databases[name].replace("postgresql+asyncpg://", "postgresql://", 1)
        connection = await asyncpg.connect(url, timeout=5)
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    def _env(self, name: str, i: int, clock_offset: timedelta) -> dict[str, str]:
        prefix = name.upper()
        env = {
            f"{prefix}_ENVIRONMENT": "test",
            f"{prefix}_DATABASE_URL": self.databases[name],
        }
        if name == "gateway":
            return env | {
                "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY_FILE": str(
                    self.folder / "private.pem"
                ),
                "GATEWAY_API_KEY_PEPPER": PEPPER,
                "GATEWAY_UPSTREAMS": json.dumps(
                    {s: [self.url(s, r) for r in REPLICAS] for s in SERVICES}
                ),
                "GATEWAY_READINESS_INTERVAL_SECONDS": "0.2",
                "GATEWAY_CLIENT_CACHE_SECONDS": "0.5",
                "GATEWAY_RATE_LIMIT_STORAGE_URL": REDIS_URL,
            }
        env[f"{prefix}_INTERNAL_TOKEN_PUBLIC_KEY_FILE"] = str(
            self.folder / "public.pem"
        )
        subscribers = {"candidacy": "sessions", "sessions": "candidacy"}
        if name in subscribers:
            env |= {
                f"{prefix}_CATALOG_URL": self.url("catalog", i),
                f"{prefix}_EVENT_SECRETS": json.dumps([self.secret]),
                f"{prefix}_EVENT_SUBSCRIBERS": json.dumps(
                    [self.url(subscribers[name], i) + "/internal/events"]
                ),
                f"{prefix}_EVENT_SIGNING_SECRET": self.secret,
                f"{prefix}_OUTBOX_RELAY_ENABLED": "true",
            }
        if name == "sessions":
            env |= {
                "SESSIONS_CANDIDACY_URL": self.url("candidacy", i),
                "SESSIONS_OUTBOX_POLL_SECONDS": "0.2",
                "SESSIONS_CLOCK_OFFSET_SECONDS": str(clock_offset.total_seconds()),
            }
        return env

    def start(self, name: str, i: int, clock_offset: timedelta = timedelta(0)) -> None:
        """Starts one replica and waits until it is ready."""
        port = self.ports[(name, i)]
        command = uvicorn_command(f"{name}.main:app", port)
        if name == "gateway":
            command += ["--http", GATEWAY_HTTP]  # as the gateway's image serves it
        process = ServiceProcess(
            f"{name}-{i}",
            command,
            env=self._env(name, i, clock_offset),
            port=port,
        )
        self.processes[(name, i)] = process
        process.wait_ready("/readyz")

    async def start_all(self, sessions_clock_offset: timedelta) -> None:
        """Starts the catalog replicas, then candidacy and sessions, then the gateways."""
        tiers: tuple[tuple[str, ...], ...] = (
            ("catalog",),
            ("candidacy", "sessions"),
            ("gateway",),
        )
        for tier in tiers:
            await asyncio.gather(
                *(
                    asyncio.to_thread(
                        self.start,
                        name,
                        i,
                        sessions_clock_offset if name == "sessions" else timedelta(0),
                    )
                    for name in tier
                    for i in REPLICAS
                )
            )

    async def restart(self, name: str, i: int, clock_offset: timedelta) -> None:
        """Stops one replica and starts it again (its clock moved), then lets the gateways see it."""
        self.processes[(name, i)].stop()
        await asyncio.to_thread(self.start, name, i, clock_offset)
        await asyncio.sleep(1.0)  # a few readiness rounds of the gateways (every 0.2 s)

    def kill(self, name: str, i: int) -> None:
        """Kills one replica at once (SIGKILL), as a crash would."""
        self.processes[(name, i)].kill()

    def stop(self) -> None:
        """Stops every process."""
        for process in self.processes.values():
            process.stop()

    def admin(self) -> dict[str, str]:
        """The administrator's credentials."""
        return {"Authorization": f"Bearer {self.admin_key}"}

    async def client(
        self,
        http: httpx.AsyncClient,
        role: Role,
        organisation_id: str | None,
        rate_limit: str | None = None,
    ) -> dict[str, str]:
        """Creates an API client through gateway 0's admin API; returns its credentials."""
        body: dict[str, Any] = {
            "name": f"e2e scale {role.value} {organisation_id}",
            "role": role.value,
            "organisation_id": organisation_id,
        }
        if rate_limit is not None:
            body["rate_limit"] = rate_limit
        response = await http.post(
            f"{self.gateway(0)}/v1/clients", json=body, headers=self.admin()
        )
        assert response.status_code == 201, response.text
        return {"Authorization": f"Bearer {response.json()['api_key']}"}
