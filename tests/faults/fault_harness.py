"""Faults injected into the real platform under a steady write load, then reconciled (issue 8).

Shared by the short scenarios that CI runs (``tests/faults/test_*.py``) and the long run that
prints figures (``bench/faults_bench.py``). A scenario:

1. prepares its own exam session (small capacity) and a pool of ADMISSIBLE candidacies;
2. starts ``writers`` concurrent partners, each filing candidates → candidacies → submissions
   and registering pooled candidacies into the session, every POST with its own
   ``Idempotency-Key``; a probe reads the faulted service through the gateway meanwhile;
3. injects the fault in the middle (kill -9 and restart of a process, a PostgreSQL restart,
   latency or resets on one upstream, a relay killed between publish and mark-sent);
4. stops the load once the probe sees the service again, retries every write of unknown
   outcome (5xx, connection error) with the same key and body, waits (bounded) for the outbox
   relays to drain, then reads the databases with asyncpg and reconciles:
   acknowledged writes = rows = events consumed downstream (the webhooks service's
   ``webhook_event``); lost, duplicated and overbooked must be 0.

Every wait is bounded; every process runs in its own process group and is stopped on exit;
all traffic stays on 127.0.0.1. A process killed with -9 leaves its leases behind (an
idempotency key in flight, outbox events claimed): they free themselves after 60 s. With
``fast_forward_leases`` (the default) the reconciliation moves those leases, and only those
claimed before the fault ended, into the past instead of waiting, and counts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from aiohttp import web
from standardwebhooks.webhooks import Webhook

_ROOT = Path(__file__).resolve().parents[2]
for _folder in (_ROOT / "tests" / "e2e", _ROOT / "gateway" / "tests"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

from e2e_platform import Platform  # noqa: E402
from faults import PASS, RESET, FaultProxy, delay  # noqa: E402

from common import Role  # noqa: E402
from common.testing import free_port, skip_unless_ci  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
TP = "RNCP971001"
SUBMITTED_EVENT = "fr.vae.candidacy.submitted.v1"
# How long a killed process's claims hold (IdempotencyMiddleware's and OutboxRelay's lease).
LEASE = timedelta(seconds=60)
# The gateway's deadline in these scenarios, and how much later the client gives up: a request
# still unanswered then is a hang, which the gateway must never let happen.
GATEWAY_DEADLINE = 10.0
CLIENT_PATIENCE = GATEWAY_DEADLINE + 10.0
# Connections per process (and as many again in overflow): the load needs few, and the
# PostgreSQL server is shared with other suites.
POOL_SIZE = 4
# A writer's pause after a write of unknown outcome.
BACKOFF = 0.2


def short_candidacy_deadlines(seconds: float) -> dict[str, str]:
    """Gateway settings that give the candidacy routes a deadline of ``seconds`` (the others
    keep theirs): shorter than an injected latency, the gateway must answer 504 in time."""
    deadlines = {
        "imports": 600.0,
        "certifications/lheo": 300.0,
        "exam-sessions/lheo": 300.0,
        "candidates": seconds,
        "candidacies": seconds,
    }
    return {"GATEWAY_ROUTE_TIMEOUTS": json.dumps(deadlines)}


def _gateway_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # The writers are one partner client: its rate limit must not be what the figures measure.
    return {
        "GATEWAY_DEFAULT_RATE_LIMIT": "1000000/minute",
        "GATEWAY_TIMEOUT_SECONDS": str(GATEWAY_DEADLINE),
    } | (extra or {})


# --------------------------------------------------------------------------------------------
# A private PostgreSQL cluster: the machine's shared server is never restarted.


class PrivatePostgres:
    """A throw-away PostgreSQL 15 cluster on 127.0.0.1 (a free port), owned by ``postgres``."""

    BIN = Path(os.environ.get("FAULTS_PG_BIN", "/usr/lib/postgresql/15/bin"))

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "postgres.log"
        self.started = False

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str, timeout: float = 60.0) -> None:
        # initdb refuses root: as root the commands run as the postgres user.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run(
            [*prefix, *command],
            check=True,
            timeout=timeout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def init(self) -> None:
        """Creates the cluster (trust authentication, loopback only) and starts it."""
        if not (self.BIN / "initdb").exists():
            skip_unless_ci(f"PostgreSQL's initdb is not at {self.BIN}")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o700)
        self._run(
            str(self.BIN / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )
        self.start()

    def start(self) -> None:
        """Starts the server and waits until it accepts connections."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c shared_buffers=32MB -c fsync=off"
        )
        self._run(
            str(self.BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )
        self.started = True

    def crash(self) -> None:
        """Stops the server the way a crash does: no checkpoint, every backend killed."""
        self._run(
            str(self.BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "immediate",
            "-w",
            "stop",
        )
        self.started = False

    def destroy(self) -> None:
        """Stops the server (if running) and removes the cluster."""
        try:
            if self.started:
                self.crash()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def _admin_url(url: str | None) -> Iterator[None]:
    """Points common.testing's database helpers at another server for a moment."""
    if url is None:
        yield
        return
    before = os.environ.get("TEST_POSTGRES_URL")
    os.environ["TEST_POSTGRES_URL"] = url
    try:
        yield
    finally:
        if before is None:
            del os.environ["TEST_POSTGRES_URL"]
        else:
            os.environ["TEST_POSTGRES_URL"] = before


# --------------------------------------------------------------------------------------------
# A receiver of the candidacy service's events that kills its relay mid-delivery.


class RelayKiller:
    """An event subscriber of the candidacy service (last in its list), and a partner webhook
    target. Armed, it kills the candidacy process group with SIGKILL on the first event it
    receives, before answering: the other subscribers already have the event, the relay has
    not marked it sent."""

    def __init__(self, secret: str) -> None:
        self.port = free_port()
        self.verifier = Webhook(secret)
        self.received: Counter[str] = Counter()
        self.partner_received: Counter[str] = Counter()
        self.kill: Callable[[], None] | None = None
        self.armed = False
        self.killed_event: str | None = None
        self.fired = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/events"

    @property
    def partner_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/partner"

    async def _events(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            self.verifier.verify(body, dict(request.headers))
        except Exception:  # noqa: BLE001 - any verification failure is a refusal
            return web.Response(status=401)
        event_id = request.headers["webhook-id"]
        self.received[event_id] += 1
        if self.armed and self.killed_event is None and self.kill is not None:
            self.killed_event = event_id
            self.kill()
            self.fired.set()
        return web.Response(status=204)

    async def _partner(self, request: web.Request) -> web.Response:
        await request.read()
        self.partner_received[request.headers.get("webhook-id", "?")] += 1
        return web.Response(status=204)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/events", self._events)
        app.router.add_post("/partner", self._partner)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# --------------------------------------------------------------------------------------------
# The platform and the data every scenario needs.


@dataclass
class World:
    """One scenario's exam session and pool of ADMISSIBLE candidacies to register."""

    session_id: str
    capacity: int
    pool: list[str]


class Stack:
    """The platform (real processes on PostgreSQL), its clients and its reference data."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.http = httpx.AsyncClient(
            base_url=platform.gateway,
            timeout=CLIENT_PATIENCE,
            limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
        )
        self.proxy: FaultProxy | None = None
        self.receiver: RelayKiller | None = None
        self.postgres: PrivatePostgres | None = None
        self.partner: dict[str, str] = {}
        self.certifier: dict[str, str] = {}
        self.centre: dict[str, str] = {}
        self.centre_id = str(uuid.uuid4())
        self.site_id = ""
        self.jurors: list[str] = []
        self.sessions_made = 0
        self.probe_candidacy = ""
        # (process, monotonic time) of every kill -9, to tell the writes it cut.
        self.kills: list[tuple[str, float]] = []

    async def database(self, name: str) -> asyncpg.Connection:
        """A direct connection to a process's database (asyncpg, not through the service)."""
        url = self.platform.databases[name].replace(
            "postgresql+asyncpg://", "postgresql://"
        )
        return await asyncpg.connect(url, timeout=10)

    async def _post(
        self, path: str, body: Any, headers: dict[str, str], status: int = 201
    ) -> httpx.Response:
        """A setup write, retried with its Idempotency-Key while the answer is a 5xx (the
        short deadlines of some scenarios also apply to the setup)."""
        key = {"Idempotency-Key": str(uuid.uuid4())}
        for _ in range(10):
            response = await self.http.post(path, json=body, headers=headers | key)
            if response.status_code < 500:
                break
            await asyncio.sleep(0.5)
        assert response.status_code == status, (
            f"POST {path}: {response.status_code} {response.text}"
        )
        return response

    async def prepare(self) -> None:
        """The certification, the clients, the centre, its approval and jurors."""
        admin = self.platform.admin()
        today = date.today()
        await self._post(
            "/v1/certifications",
            {
                "rncp_code": TP,
                "title": "Titre professionnel Soudeur assembleur industriel (pannes)",
                "kind": "TITRE_PROFESSIONNEL",
                "level": 3,
                "start_date": (today - timedelta(days=300)).isoformat(),
                "end_date": (today + timedelta(days=3 * 365)).isoformat(),
                "certifiers": [{"name": "MINISTERE DU TRAVAIL (PANNES)"}],
                "blocks": [
                    {"code": f"{TP}BC0{i}", "title": f"Bloc {i}"} for i in (1, 2)
                ],
            },
            admin,
        )
        certification = (await self.http.get(f"/v1/certifications/{TP}")).json()
        self.partner = await self.platform.client(
            self.http, Role.PARTNER, "partner-faults"
        )
        self.certifier = await self.platform.client(
            self.http, Role.CERTIFIER, certification["certifiers"][0]["id"]
        )
        self.centre = await self.platform.client(
            self.http, Role.EXAM_CENTRE, self.centre_id
        )
        await self._post(
            "/v1/exam-centres",
            {
                "id": self.centre_id,
                "name": "Centre des pannes",
                "siret": f"{uuid.uuid4().int % 10**14:014d}",
                "region": "84",
                "department": "69",
                "sites": [
                    {
                        "name": "Atelier",
                        "address": "1 rue",
                        "postal_code": "69007",
                        "city": "Lyon",
                        "department": "69",
                    }
                ],
            },
            admin,
        )
        centre = (
            await self.http.get(
                f"/v1/exam-centres/{self.centre_id}", headers=self.centre
            )
        ).json()
        self.site_id = centre["sites"][0]["id"]
        await self._post(
            f"/v1/exam-centres/{self.centre_id}/approvals",
            {
                "site_id": self.site_id,
                "rncp_code": TP,
                "start_date": (today - timedelta(days=30)).isoformat(),
                "end_date": (today + timedelta(days=700)).isoformat(),
                "authority": "DREETS",
            },
            admin,
        )
        for given, family in (("Nadia", "Roux"), ("Omar", "Diallo")):
            juror = (
                await self._post(
                    "/v1/jurors",
                    {
                        "given_name": given,
                        "family_name": family,
                        "profile": "PROFESSIONAL",
                        "trade": "Soudure",
                        "years_in_trade": 9,
                    },
                    self.centre,
                )
            ).json()
            await self._post(
                f"/v1/jurors/{juror['id']}/habilitations",
                {
                    "rncp_code": TP,
                    "granted_on": (today - timedelta(days=100)).isoformat(),
                    "authority": "DDETS du Rhône",
                },
                admin,
            )
            self.jurors.append(juror["id"])
        self.probe_candidacy = await self._admissible()

    async def _admissible(self) -> str:
        """A candidacy of the partner, submitted and declared ADMISSIBLE by its certifier."""
        candidate = (
            await self._post(
                "/v1/candidates", _candidate_body(f"pool-{uuid.uuid4()}"), self.partner
            )
        ).json()
        candidacy = (
            await self._post(
                "/v1/candidacies",
                {"candidate_id": candidate["id"], "rncp_code": TP},
                self.partner,
            )
        ).json()
        submitted = await self._post(
            f"/v1/candidacies/{candidacy['id']}/submission", None, self.partner, 200
        )
        await self._post(
            f"/v1/candidacies/{candidacy['id']}/admissibility-decision",
            {"decision": "ADMISSIBLE"},
            {**self.certifier, "If-Match": submitted.headers["etag"]},
            200,
        )
        return str(candidacy["id"])

    async def world(self, capacity: int, pool: int) -> World:
        """A new scheduled exam session (its own dates: jurors may not sit twice at once) and
        ``pool`` ADMISSIBLE candidacies to register into it."""
        self.sessions_made += 1
        day = date.today() + timedelta(days=60 + 2 * self.sessions_made)
        session = (
            await self._post(
                "/v1/exam-sessions",
                {
                    "centre_id": self.centre_id,
                    "site_id": self.site_id,
                    "rncp_code": TP,
                    "kind": "TITLE",
                    "starts_at": datetime.combine(
                        day, clock_time(8), tzinfo=PARIS
                    ).isoformat(),
                    "ends_at": datetime.combine(
                        day, clock_time(18), tzinfo=PARIS
                    ).isoformat(),
                    "test_hours": 8,
                    "capacity": capacity,
                    "manager": {"full_name": "Julien Bertrand"},
                },
                self.centre,
            )
        ).json()
        path = f"/v1/exam-sessions/{session['id']}"
        response = await self.http.put(
            f"{path}/jury",
            json={"members": [{"juror_id": j} for j in self.jurors]},
            headers=self.centre,
        )
        assert response.status_code == 200, response.text
        await self._post(f"{path}/scheduling", None, self.centre, 200)
        candidacies = [await self._admissible() for _ in range(pool)]
        return World(session_id=str(session["id"]), capacity=capacity, pool=candidacies)

    async def close(self) -> None:
        await self.http.aclose()


def _candidate_body(email_tag: str) -> dict[str, Any]:
    return {
        "given_name": "Camille",
        "family_name": "Panne",
        "email": f"{email_tag}@example.org",
        "department": "69",
        "experiences": [
            {"nature": "SALARIED", "title": "Soudeuse", "start_date": "2014-01-01"}
        ],
    }


@asynccontextmanager
async def running_stack(
    folder: Path,
    *,
    private_postgres: bool = False,
    proxy_candidacy: bool = False,
    relay_killer: bool = False,
    gateway_env: dict[str, str] | None = None,
) -> AsyncIterator[Stack]:
    """Starts the platform (on a private cluster, behind a fault proxy, with a relay killer,
    as asked), prepares its reference data, and stops everything on the way out."""
    postgres = PrivatePostgres() if private_postgres else None
    proxy: FaultProxy | None = None
    receiver: RelayKiller | None = None
    platform: Platform | None = None
    stack: Stack | None = None
    try:
        if postgres is not None:
            await asyncio.to_thread(postgres.init)
        folder.mkdir(parents=True, exist_ok=True)
        platform = Platform(folder)
        extra: dict[str, dict[str, str]] = {
            name: {f"{name.upper()}_DATABASE_POOL_SIZE": str(POOL_SIZE)}
            for name in ("catalog", "candidacy", "sessions", "webhooks")
        }
        extra["gateway"] = _gateway_env(gateway_env) | {
            "GATEWAY_DATABASE_POOL_SIZE": str(POOL_SIZE)
        }
        if proxy_candidacy:
            proxy = FaultProxy("127.0.0.1", platform.ports["candidacy"])
            await proxy.start()
            upstreams = {
                s: [platform.url[s]]
                for s in ("catalog", "candidacy", "sessions", "webhooks")
            }
            upstreams["candidacy"] = [proxy.url]
            extra["gateway"]["GATEWAY_UPSTREAMS"] = json.dumps(upstreams)
        if relay_killer:
            receiver = RelayKiller(platform.secret)
            await receiver.start()
            extra["candidacy"] |= {
                "CANDIDACY_EVENT_SUBSCRIBERS": json.dumps(
                    [
                        platform.url["sessions"] + "/internal/events",
                        platform.url["webhooks"] + "/internal/events",
                        receiver.events_url,
                    ]
                )
            }
            killer = platform

            def kill_candidacy() -> None:
                if stack is not None:
                    stack.kills.append(("candidacy", time.monotonic()))
                killer.processes["candidacy"].kill()

            receiver.kill = kill_candidacy
        platform.extra_env = extra
        with _admin_url(postgres.admin_url if postgres else None):
            await platform.create_databases()
        await platform.start_all()
        stack = Stack(platform)
        stack.proxy, stack.receiver, stack.postgres = proxy, receiver, postgres
        await stack.prepare()
        if receiver is not None:
            # A partner's webhook subscription: the webhooks service fans each submitted
            # event out to it, so a doubled intake would show as a doubled delivery.
            await stack._post(
                "/v1/webhook-subscriptions",
                {"url": receiver.partner_url, "event_types": [SUBMITTED_EVENT]},
                stack.partner,
            )
        yield stack
    finally:
        if stack is not None:
            await stack.close()
        if platform is not None:
            platform.stop()
        if receiver is not None:
            await receiver.close()
        if proxy is not None:
            await proxy.close()
        if platform is not None and platform.databases:
            # On a private cluster that is gone, the cluster goes away whole just below.
            with (
                _admin_url(postgres.admin_url if postgres else None),
                contextlib.suppress(OSError, asyncpg.PostgresError),
            ):
                await platform.drop_databases()
        if postgres is not None:
            await asyncio.to_thread(postgres.destroy)


# --------------------------------------------------------------------------------------------
# The load: partners writing through the gateway.


@dataclass
class Write:
    """One intended write and what the client saw of it."""

    kind: str  # candidate | candidacy | submission | registration
    path: str
    body: dict[str, Any] | None
    key: str
    marker: str  # what finds its row: an e-mail, a candidate id, a candidacy id
    started: float = 0.0
    ended: float = 0.0
    status: int | None = None  # None: no answer (connection error, client timeout)
    error: str = ""
    code: str = ""
    result: dict[str, Any] | None = None
    retried_status: int | None = None
    retries: int = 0

    @property
    def outcome(self) -> str:
        """acked (2xx), failed (4xx: a definite answer) or unknown (5xx, no answer)."""
        if self.status is not None and self.status < 300:
            return "acked"
        if self.status is not None and self.status < 500:
            return "failed"
        return "unknown"

    @property
    def label(self) -> str:
        if self.status is not None:
            return str(self.status)
        return "timeout" if self.error == "ReadTimeout" else "no answer"


@dataclass
class Sample:
    """One probe request: when it started, what it got, how long it took."""

    started: float
    status: int | None
    seconds: float


class Load:
    """``writers`` concurrent partners filing chains of writes and registrations."""

    def __init__(self, stack: Stack, world: World, writers: int) -> None:
        self.stack = stack
        self.world = world
        self.writers = writers
        self.writes: list[Write] = []

    async def send(self, write: Write) -> Write:
        """Posts a write with its Idempotency-Key and records what came back."""
        write.started = time.monotonic()
        try:
            response = await self.stack.http.post(
                write.path,
                json=write.body,
                headers={**self.stack.partner, "Idempotency-Key": write.key},
            )
        except httpx.HTTPError as error:
            write.status, write.error = None, type(error).__name__
        else:
            write.status = response.status_code
            is_json = response.headers.get("content-type", "").endswith("json")
            payload = response.json() if is_json else None
            if response.status_code < 300:
                write.result = payload
            elif isinstance(payload, dict):
                write.code = str(payload.get("code", ""))
        write.ended = time.monotonic()
        return write

    def _write(
        self, kind: str, path: str, body: dict[str, Any] | None, marker: str
    ) -> Write:
        write = Write(kind, path, body, str(uuid.uuid4()), marker)
        self.writes.append(write)
        return write

    async def _send_paced(self, write: Write) -> Write:
        await self.send(write)
        if write.outcome == "unknown":
            # A client backs off after a failure (the gateway's 503 says Retry-After); without
            # it the figures would count thousands of instant 503s.
            await asyncio.sleep(BACKOFF)
        return write

    async def _writer(self, number: int, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if number % 2 == 0 and self.world.pool:
                candidacy_id = self.world.pool.pop()
                await self._send_paced(
                    self._write(
                        "registration",
                        f"/v1/exam-sessions/{self.world.session_id}/registrations",
                        {"candidacy_id": candidacy_id},
                        candidacy_id,
                    )
                )
                continue
            email = f"fault-{uuid.uuid4()}"
            candidate = await self._send_paced(
                self._write(
                    "candidate",
                    "/v1/candidates",
                    _candidate_body(email),
                    f"{email}@example.org",
                )
            )
            if candidate.result is None or stop.is_set():
                continue
            candidacy = await self._send_paced(
                self._write(
                    "candidacy",
                    "/v1/candidacies",
                    {"candidate_id": candidate.result["id"], "rncp_code": TP},
                    str(candidate.result["id"]),
                )
            )
            if candidacy.result is None or stop.is_set():
                continue
            candidacy_id = str(candidacy.result["id"])
            await self._send_paced(
                self._write(
                    "submission",
                    f"/v1/candidacies/{candidacy_id}/submission",
                    None,
                    candidacy_id,
                )
            )

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._writer(n, stop) for n in range(self.writers)))


class Probe:
    """Reads the faulted service through the gateway every 50 ms."""

    def __init__(self, stack: Stack, path: str, headers: dict[str, str] | None) -> None:
        self.stack, self.path, self.headers = stack, path, headers or {}
        self.samples: list[Sample] = []
        # Set by the first 2xx of a request started at or after ``watch_from``.
        self.watch_from: float | None = None
        self.recovered = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status: int | None = (
                    await self.stack.http.get(self.path, headers=self.headers)
                ).status_code
            except httpx.HTTPError:
                status = None
            self.samples.append(Sample(started, status, time.monotonic() - started))
            if (
                self.watch_from is not None
                and started >= self.watch_from
                and status is not None
                and status < 300
            ):
                self.recovered.set()
            await asyncio.sleep(0.05)

    def first_success_after(self, moment: float) -> float | None:
        for sample in self.samples:
            if (
                sample.started >= moment
                and sample.status is not None
                and sample.status < 300
            ):
                return sample.started + sample.seconds
        return None


# --------------------------------------------------------------------------------------------
# Scenarios and their reconciliation.


@dataclass
class Result:
    """What a scenario measured and what the reconciliation found."""

    name: str
    writes: int = 0
    acked: int = 0
    failed: int = 0
    unknown: int = 0
    resolved_ok: int = 0  # unknown, then 2xx (or its replay) on retry with the same key
    resolved_conflict: int = (
        0  # unknown, then a 4xx on retry, and exactly one row (it had happened)
    )
    resolved_absent: int = (
        0  # unknown, then a 4xx on retry, and no row (it had not happened)
    )
    unresolved: int = 0
    rows: int = 0  # rows written by the acknowledged writes (resolved ones included)
    submissions_acked: int = 0
    submission_rows: int = 0
    events_consumed: int = 0
    lost: int = 0
    duplicated: int = 0
    phantom: int = 0  # a definite 4xx during the load, yet a row
    overbooked: int = 0
    registrations: int = 0
    capacity: int = 0
    fault_statuses: Counter[str] = field(default_factory=Counter)
    fault_max_seconds: float = 0.0
    hangs: int = 0
    recovery_seconds: float | None = None
    leases_forwarded: int = 0
    settle_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def assert_reconciled(self) -> None:
        """The invariants every fault must keep (the CI scenarios assert this)."""
        assert self.acked > 0, f"{self.name}: the load acknowledged nothing"
        assert self.recovery_seconds is not None, (
            f"{self.name}: the service never answered again"
        )
        summary = (
            f"{self.name}: lost {self.lost}, duplicated {self.duplicated}, phantom {self.phantom}, "
            f"overbooked {self.overbooked}, unresolved {self.unresolved}, hangs {self.hangs}; "
            f"{self.problems[:10]}"
        )
        assert (self.lost, self.duplicated, self.phantom, self.overbooked) == (
            0,
            0,
            0,
            0,
        ), summary
        assert (self.unresolved, self.hangs) == (0, 0), summary
        assert self.rows == self.acked + self.resolved_ok + self.resolved_conflict, (
            summary
        )
        assert self.events_consumed == self.submission_rows, summary
        assert self.submissions_acked == self.submission_rows, summary
        # Down or cut off, a service or its database is a 502/503/504, never a 500 (a bug).
        assert "500" not in self.fault_statuses, (self.name, self.fault_statuses)
        assert not self.problems, summary


Fault = Callable[[Stack], Awaitable[float]]


def kill_process(name: str, outage: float = 0.5) -> Fault:
    """kill -9 of a process's group, ``outage`` seconds down, then a restart on the same port.
    The fault ends when the new process is spawned."""

    async def fault(stack: Stack) -> float:
        stack.kills.append((name, time.monotonic()))
        stack.platform.processes[name].kill()
        await asyncio.sleep(outage)
        ended = time.monotonic()
        await asyncio.to_thread(stack.platform.start, name)
        return ended

    return fault


def restart_postgres(outage: float = 1.0) -> Fault:
    """An immediate stop of the private cluster (as a crash: backends killed, no checkpoint),
    ``outage`` seconds down, then a start; the fault ends when the server accepts again. The
    services are not restarted: they must reconnect by themselves."""

    async def fault(stack: Stack) -> float:
        assert stack.postgres is not None
        await asyncio.to_thread(stack.postgres.crash)
        await asyncio.sleep(outage)
        await asyncio.to_thread(stack.postgres.start)
        return time.monotonic()

    return fault


def upstream_latency(seconds: float = 2.0, hold: float = 3.0) -> Fault:
    """Every answer of the candidacy service held ``seconds`` (fault proxy), for ``hold`` s."""

    async def fault(stack: Stack) -> float:
        assert stack.proxy is not None
        await stack.proxy.set(delay(seconds))
        await asyncio.sleep(hold)
        await stack.proxy.set(PASS)
        return time.monotonic()

    return fault


def upstream_resets(hold: float = 2.0) -> Fault:
    """Every connection to the candidacy service reset (TCP RST) for ``hold`` seconds."""

    async def fault(stack: Stack) -> float:
        assert stack.proxy is not None
        await stack.proxy.set(RESET)
        await asyncio.sleep(hold)
        await stack.proxy.set(PASS)
        return time.monotonic()

    return fault


def kill_relay_mid_delivery(outage: float = 0.5) -> Fault:
    """Arms the receiver: the candidacy process is killed during its relay's delivery of the
    next event, after the other subscribers got it and before it is marked sent."""

    async def fault(stack: Stack) -> float:
        receiver = stack.receiver
        assert receiver is not None
        receiver.armed = True
        async with asyncio.timeout(30):
            await receiver.fired.wait()
        await asyncio.sleep(outage)
        ended = time.monotonic()
        await asyncio.to_thread(stack.platform.start, "candidacy")
        return ended

    return fault


# What each scenario's probe reads through the gateway: (path, needs the partner's key).
def _probe(
    stack: Stack, service: str, world: World
) -> tuple[str, dict[str, str] | None]:
    return {
        "catalog": (f"/v1/certifications/{TP}", None),
        "candidacy": (f"/v1/candidacies/{stack.probe_candidacy}", stack.partner),
        "sessions": (f"/v1/exam-sessions/{world.session_id}", stack.partner),
        "webhooks": ("/v1/webhook-event-types", stack.partner),
        "gateway": (f"/v1/candidacies/{stack.probe_candidacy}", stack.partner),
    }[service]


async def run_scenario(
    stack: Stack,
    name: str,
    fault: Fault,
    *,
    probe_service: str,
    duration: float = 4.0,
    writers: int = 4,
    capacity: int = 4,
    pool: int = 8,
    fast_forward_leases: bool = True,
    settle_timeout: float = 90.0,
) -> Result:
    """Drives the load, injects the fault after ~40 % of ``duration``, keeps the load going
    until the probe answers again (bounded) and ``duration`` has passed, then reconciles."""
    world = await stack.world(capacity, pool)
    load = Load(stack, world, writers)
    probe = Probe(stack, *_probe(stack, probe_service, world))
    stop_load, stop_probe = asyncio.Event(), asyncio.Event()
    began = time.monotonic()
    load_task = asyncio.create_task(load.run(stop_load))
    probe_task = asyncio.create_task(probe.run(stop_probe))
    result = Result(name, capacity=capacity)
    try:
        await asyncio.sleep(duration * 0.4)
        fault_started = time.monotonic()
        fault_ended = await fault(stack)
        probe.watch_from = fault_ended
        async with asyncio.timeout(60):
            await probe.recovered.wait()
        recovered = probe.first_success_after(fault_ended)
        assert recovered is not None
        await asyncio.sleep(max(0.5, began + duration - time.monotonic()))
    finally:
        stop_load.set()
        stop_probe.set()
        async with asyncio.timeout(CLIENT_PATIENCE + 10):
            await asyncio.gather(load_task, probe_task, return_exceptions=True)
    result.recovery_seconds = recovered - fault_ended
    window_end = recovered
    in_window = [w for w in load.writes if fault_started <= w.started <= window_end]
    result.fault_statuses = Counter(w.label for w in in_window) + Counter(
        "no answer" if s.status is None else str(s.status)
        for s in probe.samples
        if fault_started <= s.started <= window_end
    )
    answered = [w.ended - w.started for w in in_window if w.status is not None] + [
        s.seconds
        for s in probe.samples
        if fault_started <= s.started <= window_end and s.status is not None
    ]
    result.fault_max_seconds = max(answered, default=0.0)
    result.hangs = sum(1 for w in load.writes if w.error == "ReadTimeout") + sum(
        1 for s in probe.samples if s.seconds >= CLIENT_PATIENCE
    )
    settle_began = time.monotonic()
    # The fault's end on the wall clock (the services' leases are wall-clock times).
    fault_ended_at = datetime.now(UTC) - timedelta(
        seconds=time.monotonic() - fault_ended
    )
    await _settle(
        stack,
        load,
        result,
        fault_ended_at=fault_ended_at,
        fast_forward=fast_forward_leases,
        limit=settle_timeout,
    )
    await _reconcile(stack, load, world, result)
    result.settle_seconds = time.monotonic() - settle_began
    return result


async def _forward_leases(stack: Stack, before: datetime) -> int:
    """Moves into the past the leases claimed before ``before`` + LEASE (by processes that have
    died or been cut off since), as if their 60 s had passed; returns how many."""
    moved = 0
    horizon = before + LEASE
    for name in ("catalog", "candidacy", "sessions", "webhooks"):
        connection = await stack.database(name)
        try:
            status = await connection.execute(
                "UPDATE idempotency_key SET locked_until = now() - interval '1 second' "
                "WHERE state = 'IN_FLIGHT' AND locked_until < $1",
                horizon,
            )
            moved += int(status.split()[-1])
            status = (
                await connection.execute(
                    "UPDATE outbox_event SET locked_until = NULL "
                    "WHERE delivered_at IS NULL AND locked_until IS NOT NULL AND locked_until < $1",
                    horizon,
                )
                if name != "webhooks"
                else "UPDATE 0"
            )
            moved += int(status.split()[-1])
        finally:
            await connection.close()
    return moved


async def _settle(
    stack: Stack,
    load: Load,
    result: Result,
    *,
    fault_ended_at: datetime,
    fast_forward: bool,
    limit: float,
) -> None:
    """Retries every write of unknown outcome with its key (until a definite answer), then
    waits until the candidacy outbox is drained into the webhooks service. Bounded."""
    if fast_forward:
        result.leases_forwarded = await _forward_leases(stack, fault_ended_at)
    unknown = [w for w in load.writes if w.outcome == "unknown"]
    deadline = time.monotonic() + limit
    lanes = asyncio.Semaphore(8)

    async def resolve(write: Write) -> None:
        async with lanes:
            while time.monotonic() < deadline:
                retry = Write(
                    write.kind, write.path, write.body, write.key, write.marker
                )
                await load.send(retry)
                write.retries += 1
                write.retried_status = retry.status
                if retry.result is not None:
                    write.result = retry.result
                # 409 IDEMPOTENCY_KEY_IN_USE: the first attempt's claim still holds (its lease).
                if (
                    retry.status is not None
                    and retry.status < 500
                    and retry.code != "IDEMPOTENCY_KEY_IN_USE"
                ):
                    return
                await asyncio.sleep(0.5)

    await asyncio.gather(*(resolve(write) for write in unknown))
    connection = await stack.database("candidacy")
    try:
        while True:
            pending = await connection.fetchval(
                "SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL"
            )
            if pending == 0:
                break
            if time.monotonic() > deadline:
                result.problems.append(
                    f"{pending} candidacy events still undelivered after {limit:.0f} s"
                )
                break
            await asyncio.sleep(0.25)
    finally:
        await connection.close()


async def _rows(
    connection: asyncpg.Connection, query: str, values: list[Any]
) -> Counter[str]:
    return Counter(
        {str(row[0]): int(row[1]) for row in await connection.fetch(query, values)}
    )


async def _reconcile(stack: Stack, load: Load, world: World, result: Result) -> None:
    """Counts rows and consumed events for every write and compares them with the answers."""
    writes = load.writes
    by_kind: dict[str, list[Write]] = {}
    for write in writes:
        by_kind.setdefault(write.kind, []).append(write)
    candidacy = await stack.database("candidacy")
    sessions = await stack.database("sessions")
    webhooks = await stack.database("webhooks")
    try:
        rows: dict[str, Counter[str]] = {
            "candidate": await _rows(
                candidacy,
                "SELECT email, count(*) FROM candidate WHERE email = ANY($1::text[]) GROUP BY email",
                [w.marker for w in by_kind.get("candidate", [])],
            ),
            "candidacy": await _rows(
                candidacy,
                "SELECT candidate_id, count(*) FROM candidacy WHERE candidate_id = ANY($1::uuid[]) GROUP BY candidate_id",
                [w.marker for w in by_kind.get("candidacy", [])],
            ),
            "submission": await _rows(
                candidacy,
                "SELECT id, count(*) FROM candidacy WHERE id = ANY($1::uuid[]) AND submitted_at IS NOT NULL GROUP BY id",
                [w.marker for w in by_kind.get("submission", [])],
            ),
            "registration": Counter(),
        }
        registration_rows = await sessions.fetch(
            "SELECT candidacy_id::text AS id, count(*) AS n FROM registration WHERE session_id = $1::uuid GROUP BY candidacy_id",
            world.session_id,
        )
        rows["registration"] = Counter(
            {r["id"]: int(r["n"]) for r in registration_rows}
        )
        submitted_ids = [w.marker for w in by_kind.get("submission", [])]
        events = await candidacy.fetch(
            "SELECT subject, id::text AS id FROM outbox_event WHERE type = $1 AND subject = ANY($2::text[])",
            SUBMITTED_EVENT,
            submitted_ids,
        )
        consumed = {
            r["id"]
            for r in await webhooks.fetch(
                "SELECT id FROM webhook_event WHERE id = ANY($1::text[])",
                [e["id"] for e in events],
            )
        }
        session = await sessions.fetchrow(
            "SELECT capacity, seats_taken FROM exam_session WHERE id = $1::uuid",
            world.session_id,
        )
    finally:
        for connection in (candidacy, sessions, webhooks):
            await connection.close()

    result.writes = len(writes)
    for write in writes:
        count = rows[write.kind][write.marker]
        outcome = write.outcome
        if outcome == "acked":
            result.acked += 1
            result.rows += min(count, 1)
        elif outcome == "failed":
            result.failed += 1
        else:
            result.unknown += 1
        retried = write.retried_status
        if outcome == "unknown":
            if retried is None or retried >= 500:
                result.unresolved += 1
                result.problems.append(
                    f"{write.kind} {write.key}: unresolved ({retried})"
                )
                continue
            if retried < 300:
                result.resolved_ok += 1
                result.rows += min(count, 1)
            elif count:
                result.resolved_conflict += 1
                result.rows += min(count, 1)
            else:
                result.resolved_absent += 1
        acknowledged = outcome == "acked" or (
            outcome == "unknown" and retried is not None and retried < 300
        )
        if acknowledged and count == 0:
            result.lost += 1
            result.problems.append(
                f"lost: {write.kind} {write.marker} answered {write.status}/{retried}"
            )
        if count > 1:
            result.duplicated += count - 1
            result.problems.append(f"duplicated: {write.kind} {write.marker} × {count}")
        if outcome == "failed" and count:
            result.phantom += 1
            result.problems.append(
                f"phantom: {write.kind} {write.marker} answered {write.status} {write.code}"
            )

    # Submissions: acknowledged = SUBMITTED rows = one submitted event each = consumed by webhooks.
    per_subject = Counter(e["subject"] for e in events)
    submitted_rows = set(rows["submission"])
    # Confirmed: acknowledged, or of unknown outcome and shown done by the retry (its replay,
    # or a 409 because the first attempt had submitted it).
    result.submissions_acked = sum(
        1
        for w in by_kind.get("submission", [])
        if w.outcome == "acked"
        or (
            w.outcome == "unknown"
            and w.retried_status is not None
            and (w.retried_status < 300 or rows["submission"][w.marker] > 0)
        )
    )
    result.submission_rows = len(submitted_rows)
    result.events_consumed = len(
        {e["id"] for e in events if e["subject"] in submitted_rows} & consumed
    )
    for subject in submitted_rows:
        if per_subject[subject] == 0:
            result.lost += 1
            result.problems.append(f"lost: no submitted event for {subject}")
        elif per_subject[subject] > 1:
            result.duplicated += per_subject[subject] - 1
            result.problems.append(
                f"duplicated: {per_subject[subject]} submitted events for {subject}"
            )
    missing = {e["id"] for e in events} - consumed
    if missing:
        result.lost += len(missing)
        result.problems.append(
            f"lost: {len(missing)} submitted events never reached the webhooks service"
        )

    # Registrations: never beyond capacity, and the counter agrees with the rows.
    registered = sum(rows["registration"].values())
    result.registrations = registered
    result.overbooked = max(0, registered - int(session["capacity"]))
    if int(session["seats_taken"]) != registered:
        result.overbooked += abs(int(session["seats_taken"]) - registered)
        result.problems.append(
            f"seats_taken {session['seats_taken']} ≠ {registered} registrations"
        )


# --------------------------------------------------------------------------------------------
# Reporting.

TABLE_HEADER = (
    "| scenario | writes | acked | 4xx | unknown → retried: ok / conflict / absent / unresolved "
    "| rows | submissions: confirmed = rows = events consumed | lost | duplicated | overbooked "
    "(registrations / capacity) | answers during the fault | slowest answer in the fault "
    "| recovery | leases moved |\n"
    "|---|---:|---:|---:|---|---:|---|---:|---:|---|---|---:|---:|---:|"
)


def _statuses(counter: Counter[str]) -> str:
    return ", ".join(f"{label} × {count}" for label, count in sorted(counter.items()))


def table_row(result: Result) -> str:
    """One Markdown row of the figures table."""
    recovery = (
        "never"
        if result.recovery_seconds is None
        else f"{result.recovery_seconds:.2f} s"
    )
    submissions = f"{result.submissions_acked} = {result.submission_rows} = {result.events_consumed}"
    duplicated = str(result.duplicated)
    return (
        f"| {result.name} | {result.writes} | {result.acked} | {result.failed} "
        f"| {result.unknown} → {result.resolved_ok} / {result.resolved_conflict} / "
        f"{result.resolved_absent} / {result.unresolved} | {result.rows} | {submissions} "
        f"| {result.lost} | {duplicated} | {result.overbooked} "
        f"({result.registrations} / {result.capacity}) | {_statuses(result.fault_statuses)} "
        f"| {result.fault_max_seconds:.2f} s | {recovery} | {result.leases_forwarded} |"
    )


async def relay_redelivery(stack: Stack, *, limit: float = 60.0) -> dict[str, Any]:
    """After a relay was killed mid-delivery: how often each party saw the event it was
    delivering. The relay must deliver it again (at least once), the webhooks service must
    take it in once and fan it out once, and the partner must receive it. Bounded wait."""
    receiver = stack.receiver
    assert receiver is not None and receiver.killed_event is not None
    event_id = receiver.killed_event
    deadline = time.monotonic() + limit
    # Two counters moved by the receiver's handlers, polled within a bound.
    while time.monotonic() < deadline and (  # noqa: ASYNC110
        receiver.received[event_id] < 2 or receiver.partner_received[event_id] < 1
    ):
        await asyncio.sleep(0.2)
    webhooks = await stack.database("webhooks")
    candidacy = await stack.database("candidacy")
    try:
        intake = await webhooks.fetchval(
            "SELECT count(*) FROM webhook_event WHERE id = $1", event_id
        )
        deliveries = await webhooks.fetchval(
            "SELECT count(*) FROM webhook_delivery WHERE event_id = $1", event_id
        )
        delivered_at = await candidacy.fetchval(
            "SELECT delivered_at FROM outbox_event WHERE id = $1::uuid", event_id
        )
    finally:
        await webhooks.close()
        await candidacy.close()
    return {
        "event": event_id,
        "relay_deliveries": receiver.received[event_id],
        "intake_rows": int(intake),
        "partner_deliveries_queued": int(deliveries),
        "partner_received": receiver.partner_received[event_id],
        "marked_sent": delivered_at is not None,
    }
