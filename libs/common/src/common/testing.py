"""Test helpers shared by the services: the databases every suite runs on.

Every suite runs on SQLite and on PostgreSQL. PostgreSQL comes from ``TEST_POSTGRES_URL``
(default: the local server on 127.0.0.1:5432, user postgres). When it is unreachable the
PostgreSQL half is skipped, except under ``CI=true`` where it fails the run.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NoReturn

import asyncpg
import httpx
import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def postgres_admin_url() -> str:
    """Returns the URL of the PostgreSQL server's maintenance database."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def in_ci() -> bool:
    """Tells whether the suite runs in CI, where nothing may be skipped for lack of PostgreSQL."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_unless_ci(message: str) -> NoReturn:
    """Skips the calling test for a missing prerequisite, or fails it under CI, where every
    prerequisite must be there."""
    if in_ci():
        pytest.fail(f"{message} (CI=true: this test may not be skipped)")
    pytest.skip(message)


async def create_postgres_database(prefix: str) -> str:
    """Creates an empty database and returns its SQLAlchemy (asyncpg) URL.

    Skips the calling test when the server is unreachable, or fails under CI.
    """
    admin_url = postgres_admin_url()
    try:
        connection = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        skip_unless_ci(f"PostgreSQL is unreachable at {admin_url}: {error}")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = admin_url.rsplit("/", 1)[0].replace(
        "postgresql://", "postgresql+asyncpg://", 1
    )
    return f"{base}/{name}"


async def drop_postgres_database(url: str) -> None:
    """Drops a database made by ``create_postgres_database``."""
    name = url.rsplit("/", 1)[1]
    connection = await asyncpg.connect(postgres_admin_url(), timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def sqlite_url(directory: Path, name: str) -> str:
    """Returns the URL of a SQLite database file in a directory."""
    return f"sqlite+aiosqlite:///{directory / name}.sqlite3"


def shared_reference_data() -> Path | None:
    """Returns ``../shared/reference-data`` beside the checkout, where the real RNCP samples are."""
    root = Path(__file__).resolve()
    for parent in root.parents:
        candidate = parent.parent / "shared" / "reference-data"
        if (parent / ".git").exists() and candidate.is_dir():
            return candidate
    return None


def require_reference_data() -> Path:
    """Returns the real samples' folder, skipping (never under CI) where it is absent."""
    found = shared_reference_data()
    if found is None:
        skip_unless_ci(
            "../shared/reference-data is absent beside the checkout: the real RNCP samples are not here"
        )
    return found


def free_port() -> int:
    """Returns a TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServiceProcess:
    """A real process of the system (uvicorn), started for end-to-end tests and always stopped."""

    def __init__(
        self,
        name: str,
        command: list[str],
        *,
        env: dict[str, str],
        port: int,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = Path(tempfile.mkstemp(prefix=f"{name}-", suffix=".log")[1])
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a command the tests build
                command,
                env={**os.environ, **env},
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, path: str = "/livez", timeout: float = 30.0) -> None:
        """Waits until the process answers 200 on a path, or fails with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(self.url + path, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        pytest.fail(
            f"{self.name} did not become ready on {path}:\n{self.log.read_text()[-3000:]}"
        )

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def kill(self) -> None:
        """Kills the process at once (SIGKILL), as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def uvicorn_command(factory: str, port: int) -> list[str]:
    """The command that serves an app factory, as `make run` does."""
    return [
        str(Path(sys.executable).parent / "uvicorn"),
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


@asynccontextmanager
async def migrated_database(
    kind: str, folder: Path, alembic_ini: Path, name: str
) -> AsyncIterator[str]:
    """A database of a service at head: a SQLite file in ``folder``, or a PostgreSQL database
    (created, then dropped), by ``kind`` ("sqlite" or "postgresql")."""
    from common._migrations import upgrade_to_head

    url = (
        sqlite_url(folder, name)
        if kind == "sqlite"
        else await create_postgres_database(f"{name}_test")
    )
    try:
        await upgrade_to_head(alembic_ini, url)
        yield url
    finally:
        if kind == "postgresql":
            await drop_postgres_database(url)
