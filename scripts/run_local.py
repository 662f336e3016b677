"""`make run`: migrate, load the demo data and run every process on SQLite, until Ctrl-C.

Development only: it creates a signing key pair for internal tokens under .run/keys/ (never
committed) and prints an administrator token, so that the Swagger UI can try every operation.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from common import Principal, Role, generate_signing_keys, mint_internal_token

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / ".run"
BIN = Path(sys.executable).parent
HOST = os.environ.get("RUN_HOST", "127.0.0.1")


@dataclass(frozen=True)
class Service:
    """A process of the system and how to start it."""

    name: str
    port: int

    @property
    def prefix(self) -> str:
        return self.name.upper()

    def environment(self, public_key: Path) -> dict[str, str]:
        return {
            **os.environ,
            f"{self.prefix}_ENVIRONMENT": "development",
            f"{self.prefix}_DATABASE_URL": os.environ.get(
                f"{self.prefix}_DATABASE_URL",
                f"sqlite+aiosqlite:///{RUN_DIR / self.name}.sqlite3",
            ),
            f"{self.prefix}_INTERNAL_TOKEN_PUBLIC_KEY_FILE": str(public_key),
        }


SERVICES = [Service("catalog", 8001)]


def signing_keys() -> tuple[str, Path]:
    """Returns the development private key, creating the pair on first run."""
    keys = RUN_DIR / "keys"
    private, public = keys / "internal-token.pem", keys / "internal-token.pub.pem"
    if not private.exists():
        keys.mkdir(parents=True, exist_ok=True)
        private_pem, public_pem = generate_signing_keys()
        private.write_text(private_pem)
        private.chmod(0o600)
        public.write_text(public_pem)
    return private.read_text(), public


def prepare(service: Service, env: dict[str, str]) -> None:
    """Migrates the service's database and loads its demo data."""
    folder = ROOT / "services" / service.name
    print(f"· {service.name}: migrating the database", flush=True)
    subprocess.run(
        [BIN / "alembic", "upgrade", "head"],
        cwd=folder,
        env=env,
        check=True,
        stderr=subprocess.DEVNULL,
    )
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
    private_key, public_key = signing_keys()
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
            env = service.environment(public_key)
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
            processes.append(subprocess.Popen(command, env=env))
            wait_ready(service, processes[-1])
        admin = mint_internal_token(
            private_key, Principal("dev-admin", Role.ADMIN), ttl=timedelta(hours=8)
        )
        print("\n  VAE platform is running (Ctrl-C stops it)")
        for service in SERVICES:
            print(
                f"  {service.name:<10} docs: http://{HOST}:{service.port}/docs   (ReDoc: /redoc)"
            )
        print(
            "\n  Administrator token for the catalog's Swagger UI (« Authorize »), valid 8 hours:"
        )
        print(f"  {admin}\n", flush=True)
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
