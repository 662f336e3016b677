"""`make run`: migrate, load the demo data and run every process on SQLite, until Ctrl-C.

Development only: it creates a signing key pair for internal tokens under .run/keys/ (never
committed) and a demo API client per role, whose fresh keys it prints, so that a newcomer can
try every operation in the Swagger UI at once.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from common import (
    Role,
    create_engine,
    create_sessionmaker,
    generate_event_signing_secret,
    generate_signing_keys,
)
from gateway.api_client import service as api_client_service
from gateway.api_client.schemas import ApiClientCreate

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / ".run"
BIN = Path(sys.executable).parent
HOST = os.environ.get("RUN_HOST", "127.0.0.1")
# Where the services' relays deliver events for partners' webhook subscriptions.
WEBHOOKS_INTAKE = f"http://{HOST}:8004/internal/events"


@dataclass(frozen=True)
class Service:
    """A process of the system and how to start it."""

    name: str
    port: int

    @property
    def prefix(self) -> str:
        return self.name.upper()

    @property
    def folder(self) -> Path:
        return (
            ROOT / self.name
            if self.name == "gateway"
            else ROOT / "services" / self.name
        )

    def database_url(self) -> str:
        default = f"sqlite+aiosqlite:///{RUN_DIR / self.name}.sqlite3"
        return os.environ.get(f"{self.prefix}_DATABASE_URL", default)

    def environment(self, keys: Path) -> dict[str, str]:
        env = {
            **os.environ,
            f"{self.prefix}_ENVIRONMENT": "development",
            f"{self.prefix}_DATABASE_URL": self.database_url(),
        }
        if self.name == "gateway":
            env["GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY_FILE"] = str(
                keys / "internal-token.pem"
            )
            upstreams = {s.name: [f"http://{HOST}:{s.port}"] for s in SERVICES[:-1]}
            env.setdefault("GATEWAY_UPSTREAMS", json.dumps(upstreams))
        else:
            env[f"{self.prefix}_INTERNAL_TOKEN_PUBLIC_KEY_FILE"] = str(
                keys / "internal-token.pub.pem"
            )
        if self.name == "catalog":
            # Its events (certifications created, updated, deactivated) reach partners' webhooks.
            env.setdefault("CATALOG_EVENT_SUBSCRIBERS", json.dumps([WEBHOOKS_INTAKE]))
            env.setdefault("CATALOG_EVENT_SIGNING_SECRET", event_secret(keys))
        if self.name == "candidacy":
            env.setdefault("CANDIDACY_CATALOG_URL", f"http://{HOST}:8001")
            # Its events reach the sessions service (a candidate's erasure) and partners'
            # webhooks, signed.
            env.setdefault(
                "CANDIDACY_EVENT_SUBSCRIBERS",
                json.dumps([f"http://{HOST}:8003/internal/events", WEBHOOKS_INTAKE]),
            )
            env.setdefault("CANDIDACY_EVENT_SIGNING_SECRET", event_secret(keys))
            # The demo holds a handful of candidacies: show them in the statistics.
            env.setdefault("CANDIDACY_STATISTICS_MIN_CELL_SIZE", "1")
            # The secret that signs the sessions service's events (report.signed) to this one.
            env.setdefault("CANDIDACY_EVENT_SECRETS", json.dumps([event_secret(keys)]))
        if self.name == "sessions":
            env.setdefault("SESSIONS_CATALOG_URL", f"http://{HOST}:8001")
            env.setdefault("SESSIONS_CANDIDACY_URL", f"http://{HOST}:8002")
            # Signed reports reach the candidacy service through the outbox relay.
            env.setdefault(
                "SESSIONS_EVENT_SUBSCRIBERS",
                json.dumps([f"http://{HOST}:8002/internal/events", WEBHOOKS_INTAKE]),
            )
            env.setdefault("SESSIONS_EVENT_SIGNING_SECRET", event_secret(keys))
            env.setdefault("SESSIONS_EVENT_SECRETS", json.dumps([event_secret(keys)]))
        if self.name == "webhooks":
            env.setdefault("WEBHOOKS_EVENT_SECRETS", json.dumps([event_secret(keys)]))
            # A local run may deliver to a receiver on this machine (plain HTTP on loopback);
            # elsewhere targets are HTTPS on public addresses only.
            env.setdefault("WEBHOOKS_ALLOW_HTTP", "true")
            env.setdefault("WEBHOOKS_ALLOWED_NETWORKS", json.dumps(["127.0.0.0/8"]))
            env.setdefault("WEBHOOKS_SECRET_ENCRYPTION_KEY", encryption_key(keys))
        return env


# Started in this order: the webhooks service first, so that the others' first events
# (the demo data) reach it at once.
SERVICES = [
    Service("webhooks", 8004),
    Service("catalog", 8001),
    Service("candidacy", 8002),
    Service("sessions", 8003),
    Service("gateway", 8000),
]
GATEWAY = SERVICES[-1]
WITH_DEMO_DATA = frozenset({"catalog", "candidacy", "sessions"})
# Demo organisations the demo keys act for (the candidacy and sessions demo data use them).
DEMO_PARTNER = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10"
DEMO_EXAM_CENTRE = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20"


def signing_keys() -> Path:
    """Returns the folder of the development key pair, creating it on first run."""
    keys = RUN_DIR / "keys"
    private, public = keys / "internal-token.pem", keys / "internal-token.pub.pem"
    if not private.exists():
        keys.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_signing_keys()
        private.write_text(private_pem)
        private.chmod(0o600)
        public.write_text(public_pem)
    return keys


def event_secret(keys: Path) -> str:
    """Returns the development secret that signs events between services, made on first run."""
    path = keys / "events.secret"
    if not path.exists():
        path.write_text(generate_event_signing_secret())
        path.chmod(0o600)
    return path.read_text().strip()


def encryption_key(keys: Path) -> str:
    """Returns the key that encrypts the webhook subscriptions' secrets at rest, made on first run."""
    path = keys / "webhooks.fernet"
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def labour_ministry_id() -> str:
    """Asks the catalog for the id of the certifier of the titres professionnels (a demo certifier)."""
    answer = httpx.get(
        f"http://{HOST}:8001/v1/certifiers", params={"q": "TRAVAIL"}, timeout=5
    ).json()
    return str(answer["items"][0]["id"])


async def demo_keys(database_url: str, pepper: str) -> dict[Role, str]:
    """Creates a demo API client per role, or rotates its key: the keys are printed each run."""
    bindings = {
        Role.ADMIN: None,
        Role.CERTIFIER: labour_ministry_id(),
        Role.EXAM_CENTRE: DEMO_EXAM_CENTRE,
        Role.PARTNER: DEMO_PARTNER,
    }
    engine = create_engine(database_url)
    keys: dict[Role, str] = {}
    try:
        async with create_sessionmaker(engine)() as db:
            existing = {
                c.name: c for c in await api_client_service.list_clients(db) if c.active
            }
            for role, organisation in bindings.items():
                name = f"Démo {role.value}"
                if name in existing:
                    keys[role] = (
                        await api_client_service.rotate_key(
                            db, existing[name].id, pepper=pepper
                        )
                    ).api_key
                else:
                    payload = ApiClientCreate(
                        name=name, role=role, organisation_id=organisation
                    )
                    keys[role] = (
                        await api_client_service.create_client(
                            db, payload, pepper=pepper
                        )
                    ).api_key
    finally:
        await engine.dispose()
    return keys


def prepare(service: Service, env: dict[str, str]) -> None:
    """Migrates the service's database and loads its demo data."""
    print(f"· {service.name}: migrating the database", flush=True)
    migrate = [BIN / "alembic", "upgrade", "head"]
    subprocess.run(
        migrate, cwd=service.folder, env=env, check=True, stderr=subprocess.DEVNULL
    )
    if service.name in WITH_DEMO_DATA:
        print(f"· {service.name}: loading the demo data", flush=True)
        subprocess.run([BIN / service.name, "load-demo"], env=env, check=True)


def wait_ready(service: Service, process: subprocess.Popen[bytes]) -> None:
    """Waits until the service answers /readyz, or fails if it died."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"{service.name} stopped while starting (exit code {process.returncode})"
            )
        try:
            if (
                httpx.get(f"http://{HOST}:{service.port}/readyz", timeout=1).status_code
                == 200
            ):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{service.name} was not ready within 60 s")


def main() -> int:
    """Runs the system until Ctrl-C."""
    RUN_DIR.mkdir(exist_ok=True)
    keys = signing_keys()
    processes: list[subprocess.Popen[bytes]] = []

    def stop(*_: object) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        for service in SERVICES:
            env = service.environment(keys)
            prepare(service, env)
            command = [
                BIN / "uvicorn",
                "--factory",
                f"{service.name}.main:app",
                "--host",
                HOST,
                "--port",
                str(service.port),
            ]
            if service is GATEWAY:
                # uvicorn's protocol writing each answer in one write (gateway/server.py).
                command += ["--http", "gateway.server:GatewayHttpProtocol"]
            processes.append(subprocess.Popen(command, env=env))
            wait_ready(service, processes[-1])
        from gateway.config import Settings as GatewaySettings

        pepper = GatewaySettings().api_key_pepper.get_secret_value()
        demo = asyncio.run(demo_keys(GATEWAY.database_url(), pepper))
        print("\n  VAE platform is running (Ctrl-C stops it)")
        print(
            f"  API documentation (Swagger UI): http://{HOST}:{GATEWAY.port}/docs   ReDoc: /redoc"
        )
        for service in SERVICES[:-1]:
            print(
                f"  {service.name:<10} behind the gateway, at http://{HOST}:{service.port}"
            )
        print(
            "\n  Demo API keys (« Authorize » in Swagger UI; new keys at every start):"
        )
        for role, key in demo.items():
            print(f"  {role.value:<12} {key}")
        print(flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        print("a process stopped; stopping the others", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
