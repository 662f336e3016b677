"""Load figures of the whole system: the five real processes on PostgreSQL, through the gateway.

One command starts the platform of the end-to-end tests (catalog, candidacy, sessions, webhooks
and gateway, each on a fresh PostgreSQL database, dropped at the end), imports a synthetic RNCP
export into the catalog, seeds the rest through the gateway (partners, a certifier, an exam
centre with approved, staffed and scheduled sessions), and starts the baselines: the hello-world
FastAPI app (``bench/hello_app.py``) served by the same uvicorn command as the platform, and
nginx in front of it. Then, for each scenario through the gateway:

1. ``read``: ``GET /v1/certifications/{rncp_code}`` cycling over real codes (cached documents);
2. ``search``: ``GET /v1/certifications?q=…`` with every query string unique (no page cache);
3. ``candidacy``: a partner creates a candidate and a candidacy and submits it, then the
   certifier decides admissibility with ``If-Match`` (four requests, one operation);
4. ``registration``: partners register admissible candidacies into scheduled sessions; then a
   burst of simultaneous registrations into sessions of limited capacity (checked: accepted
   ≤ capacity, nothing overbooked);

it measures

- the saturation throughput, closed loop (wrk with a Lua script for reads, the driver below
  with a fixed number of workers for writes);
- p50/p95/p99 at a constant rate of half of it, open loop: operations start at fixed intervals
  and their latency counts from the scheduled start, so queueing shows (wrk's ``delay()`` and
  hey's ``-q`` pace each connection and hide it: coordinated omission);
- the shedding at three times the saturation rate (open loop): the status mix, the p99 of the
  refusals (429/503 problem+json, which must be fast), then the recovery: half rate again, and
  the time to the first window of normal latency with only 2xx answers.

Baselines in the same run: hello-world direct and through nginx, at saturation and at half rate;
every figure is printed with its ratio to hello-world direct.

Usage (from the repository root)::

    .venv/bin/python bench/load_bench.py [--quick] [--wait-quiet 60] [--scenarios read,search]

See bench/README.md ("Load benchmark") for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import itertools
import json
import math
import os
import platform as host_platform
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import date, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httptools
import httpx
import psutil  # type: ignore[import-untyped]
import pytest
import uvloop
from catalog_bench import (
    BENCH_DIR,
    BIN,
    RESULTS_DIR,
    ROOT,
    BenchError,
    Server,
    build_queries,
    busy_cpu,
    children_cpu,
    detail_path,
    lua_script,
    median,
    on_sigterm,
    parse_wrk,
    pg_fetch,
    process_cpu,
    run_checked,
    search_path,
    self_cpu,
    shown_path,
    stop_group,
    synthetic_export,
    tail,
    wait_ready,
    wrk_and_machine,
)
from gateway_bench import nginx_config, spawn, wait_for_quiet, wrk_command

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from e2e_platform import Platform

from common import Role
from common.testing import uvicorn_command
from gateway.config import Settings as GatewaySettings

PARIS = ZoneInfo("Europe/Paris")
SEED = 20_261_127
# Per-client limits high enough never to trigger: the figures measure capacity, not quotas.
RATE_LIMIT = "100000000/minute"
REQUEST_TIMEOUT = 5.0  # seconds from a request's send; later is a timeout (as wrk's)
EXHAUSTED = "pairs exhausted"  # a registration operation with no pair left to register
BURST_ANSWER_WITHIN = 60.0  # the burst waits for every answer, to count them all
IDLE_REUSE_SECONDS = 3.0  # below uvicorn's keep-alive timeout (5 s)
MAX_CONNECTIONS = 2_000
MAX_PAIR_SESSIONS = 1_500  # half-days the seeded approval (1,000 days) leaves after day 40  # the driver's connections per target at most
LATE_DRIVER_MS = (
    10.0  # p99 lateness of the driver's schedule beyond which it did not keep up
)
BUSY_CORES = 0.25  # other processes above this during a phase are reported
WRITE_CERTIFICATION = "RNCP990001"
WRITE_BLOCKS = [f"{WRITE_CERTIFICATION}BC0{i}" for i in (1, 2, 3)]
SCENARIOS = ("read", "search", "candidacy", "registration")
LABELS = {
    "hello": "hello-world direct",
    "nginx": "nginx → hello-world",
    "read": "catalog read `GET /v1/certifications/{code}`",
    "search": "catalog search `?q=` (uncached)",
    "candidacy": "candidacy: create candidate + candidacy, submit, decide (4 req)",
    "registration": "registration into a session",
}


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures, resolved from the command line."""

    quick: bool
    duration: int
    overload: int
    recovery: int
    warmup: int
    connections: int
    workers: int
    fiches: int
    pool: int
    burst_sessions: int
    burst_capacity: int
    scenarios: tuple[str, ...]
    max_in_flight: int | None
    wait_quiet: int
    command: str


def parse_settings(argv: Sequence[str]) -> Settings:
    """Reads the command line; ``--quick`` changes the defaults that were not given."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add = parser.add_argument
    add("--quick", action="store_true", help="Smoke run in about two minutes.")
    add(
        "--duration",
        type=int,
        help="Seconds of the saturation and half-rate phases (10; quick 3).",
    )
    add(
        "--overload",
        type=int,
        help="Seconds of the overload at 3× saturation (10; quick 3).",
    )
    add(
        "--recovery",
        type=int,
        help="Seconds at half rate after the overload (20; quick 6).",
    )
    add("--warmup", type=int, help="Seconds of warm-up per scenario (3; quick 1).")
    add(
        "--connections",
        type=int,
        default=32,
        help="wrk connections at saturation (32).",
    )
    add(
        "--workers",
        type=int,
        default=8,
        help="Closed-loop workers of write scenarios (8: enough to keep two cores busy; "
        "more only queue, and a 4-request journey then waits past the timeouts).",
    )
    add(
        "--fiches",
        type=int,
        help="Size of the synthetic RNCP export (25,638; quick 2,000).",
    )
    add(
        "--pool",
        type=int,
        help="Admissible candidacies for registrations (300; quick 60; ≤ 500).",
    )
    add(
        "--burst-sessions",
        type=int,
        help="Sessions of limited capacity for the burst (3; quick 1).",
    )
    add(
        "--burst-capacity",
        type=int,
        default=20,
        help="Seats of each burst session (20).",
    )
    add(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"Subset of {', '.join(SCENARIOS)}.",
    )
    add(
        "--max-in-flight",
        type=int,
        help="GATEWAY_UPSTREAM_MAX_IN_FLIGHT, when the gateway has that setting (default: "
        "the gateway's own default).",
    )
    add(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="Before each scenario, wait up to this long for other processes to use less "
        f"than {BUSY_CORES} cores (0: no waiting).",
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick

    def pick(value: int | None, full: int, smoke: int) -> int:
        return value if value is not None else (smoke if quick else full)

    wanted = [s.strip() for s in str(args.scenarios).split(",") if s.strip()]
    unknown = sorted(set(wanted) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    shown = [shown_path(Path(sys.executable)), shown_path(Path(sys.argv[0])), *argv]
    settings = Settings(
        quick=quick,
        duration=pick(args.duration, 10, 3),
        overload=pick(args.overload, 10, 3),
        recovery=pick(args.recovery, 20, 6),
        warmup=pick(args.warmup, 3, 1),
        connections=args.connections,
        workers=args.workers,
        fiches=pick(args.fiches, 25_638, 2_000),
        pool=pick(args.pool, 300, 60),
        burst_sessions=pick(args.burst_sessions, 3, 1),
        burst_capacity=args.burst_capacity,
        scenarios=tuple(s for s in SCENARIOS if s in wanted),
        max_in_flight=args.max_in_flight,
        wait_quiet=args.wait_quiet,
        command=" ".join(shlex.quote(a) for a in shown),
    )
    for name in (
        "duration",
        "overload",
        "recovery",
        "warmup",
        "connections",
        "workers",
        "pool",
    ):
        if getattr(settings, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if settings.pool > 500:
        parser.error("--pool is at most 500 (the seats of one session)")
    if not 1 <= settings.burst_capacity < settings.pool:
        parser.error("--burst-capacity must be at least 1 and below --pool")
    return settings


# --------------------------------------------------------------------------------------------
# The load driver: keep-alive HTTP/1.1 connections, answers parsed by httptools
# --------------------------------------------------------------------------------------------
# Hand-written rather than aiohttp or httpx: the driver shares two cores with the system under
# test and must keep an open-loop schedule of thousands of requests per second; aiohttp spends
# about three times the CPU of a bare protocol per request, httpx's pool much more
# (shared/PERFORMANCE.md, bench/GATEWAY.md). It only needs keep-alive, a status, three headers
# and the body.

_KEPT_HEADERS = frozenset({b"etag", b"retry-after", b"content-type"})


@dataclasses.dataclass(slots=True)
class Reply:
    """One answer (status 0: none, ``error`` says why)."""

    status: int
    headers: dict[str, str]
    body: bytes
    error: str = ""

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def problem(self) -> bool:
        return self.headers.get("content-type", "").startswith(
            "application/problem+json"
        )


class _Connection(asyncio.Protocol):
    """One keep-alive connection; one exchange at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.alive = True
        self.idle_since = 0.0
        self._waiter: asyncio.Future[None] | None = None
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not registered as asyncio.Transport subclasses.
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionResetError("connection closed"))

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name in _KEPT_HEADERS:
            self.headers[name.decode()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if not self.parser.should_keep_alive():
            self.alive = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        self.alive = False
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(error)

    async def exchange(self, request: bytes) -> Reply:
        assert self.transport is not None
        self.headers, self.body = {}, []
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        await self._waiter
        return Reply(self.parser.get_status_code(), self.headers, b"".join(self.body))

    def close(self) -> None:
        self.alive = False
        if self.transport is not None:
            self.transport.close()


class LoadClient:
    """Requests to one server on 127.0.0.1, over at most ``MAX_CONNECTIONS`` keep-alive
    connections (a request finding them all busy waits, and that wait counts in its latency)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._host = f"Host: 127.0.0.1:{port}\r\n".encode()
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)
        self.opened = 0

    async def _connection(self) -> _Connection:
        loop = asyncio.get_running_loop()
        while self._idle:
            connection = self._idle.pop()
            # uvicorn closes a connection idle for 5 s; one about to be closed is not reused,
            # or a POST could be written as the server closes it (ConnectionResetError).
            if (
                connection.alive
                and loop.time() - connection.idle_since < IDLE_REUSE_SECONDS
            ):
                return connection
            connection.close()
        _, connection = await loop.create_connection(
            _Connection, "127.0.0.1", self.port
        )
        self.opened += 1
        return connection

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        deadline: float,
    ) -> Reply:
        """One request, answered before the loop time ``deadline`` or counted a timeout."""
        lines = [f"{method} {path} HTTP/1.1\r\n".encode(), self._host]
        for name, value in (headers or {}).items():
            lines.append(f"{name}: {value}\r\n".encode())
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            lines.append(b"Content-Type: application/json\r\n")
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(payload)}\r\n".encode())
        request = b"".join(lines) + b"\r\n" + payload
        connection: _Connection | None = None
        try:
            async with asyncio.timeout_at(deadline), self._slots:
                connection = await self._connection()
                reply = await connection.exchange(request)
        except TimeoutError:
            if connection is not None:
                connection.close()
            return Reply(0, {}, b"", "timeout")
        except (OSError, httptools.HttpParserError) as error:
            if connection is not None:
                connection.close()
            return Reply(0, {}, b"", type(error).__name__)
        if connection.alive:
            connection.idle_since = asyncio.get_running_loop().time()
            self._idle.append(connection)
        else:
            connection.close()
        return reply

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


# --------------------------------------------------------------------------------------------
# Operations: what one scheduled unit of work does
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(slots=True)
class Step:
    """One request of an operation."""

    name: str
    status: int  # 0: no answer
    seconds: float  # from its own send
    problem: bool
    retry_after: bool
    error: str
    code: str = ""  # the problem's code, for answers that are not 2xx


@dataclasses.dataclass(slots=True)
class Outcome:
    """One operation: its steps, when it was due, when it ended."""

    scheduled: float
    started: float
    finished: float
    steps: list[Step]

    @property
    def status(self) -> int:
        """The first status that was not 2xx, else the last one."""
        for step in self.steps:
            if not 200 <= step.status < 300:
                return step.status
        return self.steps[-1].status if self.steps else 0

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(200 <= s.status < 300 for s in self.steps)


Operation = Callable[[], Awaitable[list[Step]]]


async def timed(
    client: LoadClient,
    name: str,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: Any = None,
    answer_within: float = REQUEST_TIMEOUT,
) -> tuple[Step, Reply]:
    """One request as a step."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    reply = await client.request(
        method, path, headers=headers, body=body, deadline=started + answer_within
    )
    code = ""
    if reply.problem and reply.status >= 400:
        with contextlib.suppress(ValueError, AttributeError):
            problem = reply.json()
            code = str(problem.get("code", ""))
            # The gateway's 503 UPSTREAM_UNAVAILABLE has two causes; the detail tells them apart.
            if code == "UPSTREAM_UNAVAILABLE":
                detail = str(problem.get("detail", ""))
                code += " (not ready)" if "not ready" in detail else " (circuit open)"
    step = Step(
        name,
        reply.status,
        loop.time() - started,
        reply.problem,
        "retry-after" in reply.headers,
        reply.error,
        code,
    )
    return step, reply


def cycling_reads(
    client: LoadClient, paths: Sequence[str], buster: str | None
) -> Operation:
    """GETs cycling over ``paths``; with ``buster``, each query string made unique."""
    counter = itertools.count()

    async def operation() -> list[Step]:
        n = next(counter)
        path = paths[n % len(paths)]
        if buster is not None:
            path = f"{path}&_bench={buster}-{n}"
        step, _ = await timed(client, "GET", "GET", path)
        return [step]

    return operation


@dataclasses.dataclass
class Seeded:
    """What the seeding made, for the write scenarios."""

    partners: list[dict[str, str]]
    certifier: dict[str, str]
    centre: dict[str, str]
    pair_sessions: list[str]
    burst_sessions: list[str]
    admissible: list[tuple[str, int]] = dataclasses.field(default_factory=list)


_NAMES = ("Camille Martin", "Lina Morel", "Omar Diallo", "Inès Lefèvre", "Hugo Bernard")


def candidacy_journey(
    client: LoadClient, seeded: Seeded, keep: list[tuple[str, int]] | None
) -> Operation:
    """A partner files a candidacy and the certifier decides it; ``keep`` collects the
    admissible candidacies (id, partner index) for registrations."""
    counter = itertools.count()

    async def operation() -> list[Step]:
        n = next(counter)
        partner_index = n % len(seeded.partners)
        partner = seeded.partners[partner_index]
        given, family = _NAMES[n % len(_NAMES)].split()
        candidate = {
            "given_name": given,
            "family_name": family,
            "department": "69",
            "experiences": [
                {
                    "nature": "SALARIED",
                    "title": "Soudeur assembleur",
                    "start_date": "2014-01-01",
                }
            ],
        }
        steps: list[Step] = []
        step, reply = await timed(
            client,
            "candidate",
            "POST",
            "/v1/candidates",
            headers=partner,
            body=candidate,
        )
        steps.append(step)
        if reply.status != 201:
            return steps
        body = {"candidate_id": reply.json()["id"], "rncp_code": WRITE_CERTIFICATION}
        step, reply = await timed(
            client,
            "candidacy",
            "POST",
            "/v1/candidacies",
            headers=partner,
            body=body,
        )
        steps.append(step)
        if reply.status != 201:
            return steps
        candidacy_id = reply.json()["id"]
        path = f"/v1/candidacies/{candidacy_id}"
        step, reply = await timed(
            client,
            "submission",
            "POST",
            f"{path}/submission",
            headers=partner,
        )
        steps.append(step)
        if reply.status != 200:
            return steps
        headers = {**seeded.certifier, "If-Match": reply.headers.get("etag", "")}
        step, reply = await timed(
            client,
            "decision",
            "POST",
            f"{path}/admissibility-decision",
            headers=headers,
            body={"decision": "ADMISSIBLE"},
        )
        steps.append(step)
        if reply.status == 200 and keep is not None:
            keep.append((candidacy_id, partner_index))
        return steps

    return operation


def registrations(
    client: LoadClient,
    seeded: Seeded,
    pairs: Iterator[tuple[str, str, int]],
    answer_within: float = REQUEST_TIMEOUT,
) -> Operation:
    """Each call registers the next (session, candidacy) pair, by the candidacy's partner."""

    async def operation() -> list[Step]:
        pair = next(pairs, None)
        if pair is None:
            return [Step("registration", 0, 0.0, False, False, EXHAUSTED)]
        session_id, candidacy_id, partner_index = pair
        step, _ = await timed(
            client,
            "registration",
            "POST",
            f"/v1/exam-sessions/{session_id}/registrations",
            headers=seeded.partners[partner_index],
            body={"candidacy_id": candidacy_id},
            answer_within=answer_within,
        )
        return [step]

    return operation


# --------------------------------------------------------------------------------------------
# Loops
# --------------------------------------------------------------------------------------------


async def run_operation(operation: Operation, scheduled: float) -> Outcome:
    """Runs one operation; an answer the driver cannot read (a 2xx whose body is not the
    expected JSON) ends it as a failed step instead of escaping the loop."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        steps = await operation()
    except (ValueError, KeyError, TypeError) as error:
        failed = Step("unreadable answer", 0, 0.0, False, False, type(error).__name__)
        steps = [failed]
    return Outcome(scheduled, started, loop.time(), steps)


async def closed_loop(
    operation: Operation, workers: int, seconds: float
) -> list[Outcome]:
    """``workers`` operations in flight at all times, for ``seconds``; latency from each start."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    outcomes: list[Outcome] = []

    async def worker() -> None:
        while loop.time() < end:
            outcome = await run_operation(operation, loop.time())
            if outcome.steps and outcome.steps[0].error == EXHAUSTED:
                return  # no work left: an operation that does nothing must not spin
            outcomes.append(outcome)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return outcomes


async def open_loop(
    operation: Operation, rate: float, seconds: float
) -> tuple[list[asyncio.Task[Outcome]], list[float], float]:
    """Starts operations at ``rate`` per second for ``seconds``, each at its scheduled time
    whatever the ones before it are doing; returns their tasks (not awaited), the lateness of
    each start (s) and the schedule's start."""
    loop = asyncio.get_running_loop()
    count = max(1, round(rate * seconds))
    start = loop.time() + 0.01
    tasks: list[asyncio.Task[Outcome]] = []
    lateness: list[float] = []
    for index in range(count):
        due = start + index / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        lateness.append(loop.time() - due)
        tasks.append(asyncio.create_task(run_operation(operation, due)))
    return tasks, lateness, start


async def finished(tasks: list[asyncio.Task[Outcome]]) -> list[Outcome]:
    """The outcomes, once every task is done (each is bounded by its deadline)."""
    if tasks:
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT + 30)
    for task in tasks:
        if not task.done():
            task.cancel()
    return [task.result() for task in tasks if task.done() and not task.cancelled()]


# --------------------------------------------------------------------------------------------
# CPU accounting
# --------------------------------------------------------------------------------------------


class Meter:
    """CPU seconds of the processes of the run: servers by name, PostgreSQL backends of the
    run's databases, this script (the driver), its reaped children (wrk), and the machine."""

    def __init__(self, pids: dict[str, int], databases: Sequence[str]) -> None:
        self.pids = pids
        self.databases = [url.rsplit("/", 1)[1] for url in databases]
        self._postgres: dict[int, float] = {}
        self.idle: dict[str, float] = {}  # cores used by each when nothing is asked

    def _postgres_cpu(self) -> float:
        for process in psutil.process_iter(["name", "cmdline"]):
            if process.info["name"] != "postgres":
                continue
            command = " ".join(process.info["cmdline"] or ())
            if not any(name in command for name in self.databases):
                continue
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                self._postgres[process.pid] = times.user + times.system
        return sum(self._postgres.values())

    def snapshot(self) -> dict[str, float]:
        found = {name: process_cpu(pid) for name, pid in self.pids.items()}
        found |= {
            "postgres": self._postgres_cpu(),
            "driver": self_cpu(),
            "wrk": children_cpu(),
            "machine": busy_cpu(),
            "wall": time.perf_counter(),
        }
        return found

    def delta(
        self, before: dict[str, float], after: dict[str, float]
    ) -> dict[str, float]:
        """CPU seconds between two snapshots, each process's idle CPU taken off."""
        found = {name: after[name] - before[name] for name in before}
        for name, cores in self.idle.items():
            found[name] = max(0.0, found[name] - cores * found["wall"])
        return found

    async def measure_idle(self, seconds: float = 2.0) -> None:
        """What each process and PostgreSQL use doing nothing (outbox relays polling, the
        gateway's readiness probes), to take it off the phases' CPU per request."""
        self.idle = {}
        before = self.snapshot()
        await asyncio.sleep(seconds)
        spent = self.delta(before, self.snapshot())
        self.idle = {
            name: spent[name] / spent["wall"] for name in (*self.pids, "postgres")
        }


# --------------------------------------------------------------------------------------------
# Phases and their figures
# --------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0–100); NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, math.ceil(share / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclasses.dataclass
class Phase:
    """The figures of one phase of one scenario."""

    scenario: str
    kind: str  # saturation, half, overload, recovery, burst
    rate: float  # scheduled operations per second (0: closed loop)
    seconds: float
    operations: int
    requests: int
    ops_per_s: float
    req_per_s: float
    good_per_s: (
        float  # operations whose every answer was 2xx (wrk: 2xx/3xx), per second
    )
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    statuses: dict[str, int]  # per operation outcome
    refusals: int  # 429 and 503 answers
    refusal_p99_ms: float
    refusal_problem_share: float
    refusal_retry_after_share: float
    ok_p99_ms: float
    lateness_p99_ms: float
    driver_cores: float
    cpu_us: dict[str, float]  # per request, by process
    other_cores: float
    steps: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)
    recovery_s: float | None = None
    windows: list[dict[str, float]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def system_cpu_us(self) -> float:
        """Gateway, services and PostgreSQL (or the baseline's server and nginx) per request."""
        return sum(v for k, v in self.cpu_us.items() if k not in ("driver", "wrk"))


def status_key(outcome: Outcome) -> str:
    """The outcome's status, with the problem's code for refusals and errors."""
    for step in outcome.steps:
        if not 200 <= step.status < 300:
            if step.status:
                return f"{step.status} {step.code}".strip()
            return step.error or "no answer"
    return str(outcome.status) if outcome.steps else "no answer"


def summarise(
    scenario: str,
    kind: str,
    rate: float,
    seconds: float,
    outcomes: list[Outcome],
    lateness: Sequence[float],
    cpu: dict[str, float],
    pids: dict[str, int],
) -> Phase:
    """Turns outcomes and CPU deltas into a phase's figures."""
    requests = sum(len(o.steps) for o in outcomes) or 1
    latencies = [(o.finished - o.scheduled) * 1e3 for o in outcomes]
    refusal_steps = [s for o in outcomes for s in o.steps if s.status in (429, 503)]
    refusal_ms = [
        (o.finished - o.scheduled) * 1e3 for o in outcomes if o.status in (429, 503)
    ]
    ok_ms = [(o.finished - o.scheduled) * 1e3 for o in outcomes if o.ok]
    wall = cpu["wall"]
    ours = sum(cpu[name] for name in (*pids, "postgres", "driver", "wrk"))
    cpu_us = {
        name: cpu[name] / requests * 1e6 for name in (*pids, "postgres", "driver")
    }
    steps: dict[str, dict[str, float]] = {}
    names = dict.fromkeys(s.name for o in outcomes for s in o.steps)
    if len(names) > 1:
        for name in names:
            values = [
                s.seconds * 1e3 for o in outcomes for s in o.steps if s.name == name
            ]
            steps[name] = {
                "count": len(values),
                "p50_ms": percentile(values, 50),
                "p99_ms": percentile(values, 99),
            }
    phase = Phase(
        scenario=scenario,
        kind=kind,
        rate=rate,
        seconds=seconds,
        operations=len(outcomes),
        requests=requests,
        ops_per_s=len(outcomes) / seconds,
        req_per_s=requests / seconds,
        good_per_s=sum(o.ok for o in outcomes) / seconds,
        p50_ms=percentile(latencies, 50),
        p95_ms=percentile(latencies, 95),
        p99_ms=percentile(latencies, 99),
        max_ms=max(latencies, default=float("nan")),
        statuses=dict(
            collections.Counter(status_key(o) for o in outcomes).most_common()
        ),
        refusals=len(refusal_steps),
        refusal_p99_ms=percentile(refusal_ms, 99),
        refusal_problem_share=(
            sum(s.problem for s in refusal_steps) / len(refusal_steps)
            if refusal_steps
            else float("nan")
        ),
        refusal_retry_after_share=(
            sum(s.retry_after for s in refusal_steps) / len(refusal_steps)
            if refusal_steps
            else float("nan")
        ),
        ok_p99_ms=percentile(ok_ms, 99),
        lateness_p99_ms=percentile([x * 1e3 for x in lateness], 99),
        driver_cores=cpu["driver"] / wall,
        cpu_us=cpu_us,
        other_cores=max(0.0, (cpu["machine"] - ours) / wall),
        steps=steps,
    )
    if lateness and phase.lateness_p99_ms > LATE_DRIVER_MS:
        phase.notes.append(
            f"the driver started 1 % of its operations more than {phase.lateness_p99_ms:.0f} ms "
            "late (its own CPU or the machine's): the rate was not held exactly"
        )
    if phase.other_cores > BUSY_CORES:
        phase.notes.append(
            f"other processes used {phase.other_cores:.2f} cores meanwhile"
        )
    if kind == "saturation":
        check_saturation(phase)
    return phase


def wrk_phase(
    scenario: str,
    server: Server,
    script: Path,
    settings: Settings,
    meter: Meter,
    seconds: int,
) -> Phase:
    """Closed loop with wrk: ``-t1 -c{connections}``."""
    before = meter.snapshot()
    try:
        done = subprocess.run(
            wrk_command(server.base_url, script, settings.connections, seconds),
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk against {scenario} ran over {seconds + 60} s") from error
    cpu = meter.delta(before, meter.snapshot())
    if done.returncode != 0:
        raise BenchError(
            f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    distribution, summary = parse_wrk(done.stdout)
    requests = max(int(summary["requests"]), 1)
    elapsed = summary["duration_us"] / 1e6
    errors = sum(int(summary[k]) for k in ("connect", "read", "write", "timeout"))
    wall = cpu["wall"]
    ours = sum(cpu[name] for name in (*meter.pids, "postgres", "driver", "wrk"))
    phase = Phase(
        scenario=scenario,
        kind="saturation",
        rate=0.0,
        seconds=elapsed,
        operations=requests,
        requests=requests,
        ops_per_s=requests / elapsed,
        req_per_s=requests / elapsed,
        good_per_s=(requests - int(summary["status"])) / elapsed,
        p50_ms=summary["p50"] / 1e3,
        p95_ms=summary["p95"] / 1e3,
        p99_ms=distribution["99"],
        max_ms=summary["max"] / 1e3,
        statuses={
            "2xx/3xx": requests - int(summary["status"]),
            "other": int(summary["status"]),
        },
        refusals=0,
        refusal_p99_ms=float("nan"),
        refusal_problem_share=float("nan"),
        refusal_retry_after_share=float("nan"),
        ok_p99_ms=distribution["99"],
        lateness_p99_ms=float("nan"),
        driver_cores=cpu["wrk"] / wall,
        cpu_us={name: cpu[name] / requests * 1e6 for name in (*meter.pids, "postgres")}
        | {"wrk": cpu["wrk"] / requests * 1e6},
        other_cores=max(0.0, (cpu["machine"] - ours) / wall),
    )
    if errors or int(summary["status"]):
        phase.notes.append(
            f"wrk: {errors} socket errors, {int(summary['status'])} answers not 2xx/3xx: "
            "not a valid measurement"
        )
    if phase.other_cores > BUSY_CORES:
        phase.notes.append(
            f"other processes used {phase.other_cores:.2f} cores meanwhile"
        )
    check_saturation(phase)
    return phase


def recovery_of(
    outcomes: list[Outcome], start: float, reference_p99_ms: float, window: float
) -> tuple[float | None, list[dict[str, float]]]:
    """Splits the recovery run in windows by scheduled time; the first window whose p99 is at
    most twice the half-rate p99 (5 ms at least more) with only 2xx answers ends the recovery."""
    limit = max(2 * reference_p99_ms, reference_p99_ms + 5.0)
    by_window: dict[int, list[Outcome]] = collections.defaultdict(list)
    for outcome in outcomes:
        by_window[int((outcome.scheduled - start) // window)].append(outcome)
    windows: list[dict[str, float]] = []
    recovered: float | None = None
    for index in sorted(by_window):
        members = by_window[index]
        p99 = percentile([(o.finished - o.scheduled) * 1e3 for o in members], 99)
        ok_share = sum(o.ok for o in members) / len(members)
        windows.append(
            {
                "from_s": index * window,
                "operations": len(members),
                "p99_ms": p99,
                "ok_share": ok_share,
            }
        )
        if recovered is None and p99 <= limit and ok_share == 1.0:
            recovered = index * window
    return recovered, windows


# --------------------------------------------------------------------------------------------
# The system: platform, catalog import, seeding, baselines
# --------------------------------------------------------------------------------------------


def plain_dsn(url: str) -> str:
    """asyncpg's DSN of a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def gateway_env(settings: Settings) -> tuple[dict[str, str], str]:
    """The gateway's settings for the run, and a sentence saying what admission control it has."""
    env = {
        "GATEWAY_DEFAULT_RATE_LIMIT": RATE_LIMIT,
        "GATEWAY_ANONYMOUS_RATE_LIMIT": RATE_LIMIT,
        # The end-to-end tests shorten these; the figures use the gateway's defaults.
        "GATEWAY_CLIENT_CACHE_SECONDS": str(
            GatewaySettings.model_fields["client_cache_seconds"].default
        ),
        "GATEWAY_READINESS_INTERVAL_SECONDS": str(
            GatewaySettings.model_fields["readiness_interval_seconds"].default
        ),
    }
    field = GatewaySettings.model_fields.get("upstream_max_in_flight")
    if field is None:
        return (
            env,
            "the gateway has no admission control (no GATEWAY_UPSTREAM_MAX_IN_FLIGHT setting)",
        )
    if settings.max_in_flight is not None:
        env["GATEWAY_UPSTREAM_MAX_IN_FLIGHT"] = str(settings.max_in_flight)
        return (
            env,
            f"GATEWAY_UPSTREAM_MAX_IN_FLIGHT={settings.max_in_flight} (set by --max-in-flight)",
        )
    return env, f"GATEWAY_UPSTREAM_MAX_IN_FLIGHT at its default, {field.default!r}"


@dataclasses.dataclass(frozen=True)
class ExportSize:
    """The one field ``catalog_bench.synthetic_export`` reads from its settings."""

    fiches: int


async def import_catalog(
    settings: Settings, database_url: str, work: Path
) -> list[str]:
    """Imports the synthetic export into the platform's catalog database; marks its outbox
    delivered (as a relay that caught up would have it, so the runs do not measure that drain)."""
    export = synthetic_export(ExportSize(settings.fiches))  # type: ignore[arg-type]
    print(f"  catalog: importing {settings.fiches:,} fiches …", flush=True)
    started = time.perf_counter()
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": database_url,
        "COLUMNS": "160",
        "NO_COLOR": "1",
    }
    run_checked(
        [str(BIN / "catalog"), "import-rncp", str(export)],
        env=env,
        cwd=ROOT,
        timeout=1800,
        what="catalog import-rncp",
    )
    seconds = time.perf_counter() - started
    status = await pg_async(
        plain_dsn(database_url),
        "UPDATE outbox_event SET delivered_at = now(), locked_until = NULL WHERE delivered_at IS NULL",
    )
    return [
        f"catalog: {settings.fiches:,} synthetic fiches imported in {seconds:.0f} s; "
        f"{int(status.split()[-1]):,} outbox events of the import marked delivered"
    ]


async def pg_async(dsn: str, query: str) -> Any:
    """Runs one statement on a short-lived connection: its rows, or its status for a write."""
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        if query.lstrip().upper().startswith("SELECT"):
            return [tuple(row) for row in await connection.fetch(query, timeout=120)]
        return await connection.execute(query, timeout=120)
    finally:
        await connection.close()


def _at(day: date, hour: int) -> str:
    return (
        datetime.combine(day, datetime.min.time(), tzinfo=PARIS)
        .replace(hour=hour)
        .isoformat()
    )


class Seeder:
    """Makes the write scenarios' data through the gateway, with the administrator's key."""

    def __init__(self, platform: Platform, http: httpx.AsyncClient) -> None:
        self.platform = platform
        self.http = http
        self.admin = platform.admin()
        self.today = date.today()
        # Half-days from 40 days on (registrations close a month before a session): sessions
        # never overlap, so the same jurors sit every one and a candidate may sit several.
        self._slots = itertools.count(80)
        self.centre_id = str(uuid.uuid4())
        self.site_id = ""
        self.jurors: list[str] = []

    async def _ok(self, response: Awaitable[httpx.Response], status: int = 200) -> Any:
        answer = await response
        if answer.status_code != status:
            raise BenchError(
                f"seeding: {answer.request.method} {answer.request.url.path} answered "
                f"{answer.status_code}, not {status}: {answer.text[:500]}"
            )
        return answer.json() if answer.content else None

    async def everything(self, partners: int) -> Seeded:
        """A certification for the writes, API keys, an exam centre with an approval and jurors."""
        http, admin, today = self.http, self.admin, self.today
        certification = {
            "rncp_code": WRITE_CERTIFICATION,
            "title": "Titre professionnel Soudeur assembleur industriel (charge)",
            "kind": "TITRE_PROFESSIONNEL",
            "level": 3,
            "start_date": (today - timedelta(days=300)).isoformat(),
            "end_date": (today + timedelta(days=3 * 365)).isoformat(),
            "certifiers": [{"name": "MINISTERE DU TRAVAIL (CHARGE)"}],
            "blocks": [
                {"code": code, "title": f"Bloc {code[-1]}"} for code in WRITE_BLOCKS
            ],
        }
        await self._ok(
            http.post("/v1/certifications", json=certification, headers=admin), 201
        )
        document = await self._ok(http.get(f"/v1/certifications/{WRITE_CERTIFICATION}"))
        certifier_id = document["certifiers"][0]["id"]
        keys = [
            await self.platform.client(http, Role.PARTNER, f"load-partner-{i}")
            for i in range(partners)
        ]
        certifier = await self.platform.client(http, Role.CERTIFIER, certifier_id)
        centre = await self.platform.client(http, Role.EXAM_CENTRE, self.centre_id)
        site = {
            "name": "Plateau technique",
            "address": "1 rue de la Charge",
            "postal_code": "69007",
            "city": "Lyon",
            "department": "69",
        }
        exam_centre = {
            "id": self.centre_id,
            "name": "Centre de charge",
            "siret": f"{uuid.uuid4().int % 10**14:014d}",
            "region": "84",
            "department": "69",
            "sites": [site],
        }
        await self._ok(
            http.post("/v1/exam-centres", json=exam_centre, headers=admin), 201
        )
        read = await self._ok(
            http.get(f"/v1/exam-centres/{self.centre_id}", headers=centre)
        )
        self.site_id = read["sites"][0]["id"]
        approval = {
            "site_id": self.site_id,
            "rncp_code": WRITE_CERTIFICATION,
            "start_date": (today - timedelta(days=30)).isoformat(),
            "end_date": (today + timedelta(days=1_000)).isoformat(),  # ≤ its end date
            "authority": "DREETS",
        }
        await self._ok(
            http.post(
                f"/v1/exam-centres/{self.centre_id}/approvals",
                json=approval,
                headers=admin,
            ),
            201,
        )
        for given, family in (("Nadia", "Roux"), ("Paul", "Girard")):
            juror = {
                "given_name": given,
                "family_name": family,
                "profile": "PROFESSIONAL",
                "trade": "Soudure",
                "years_in_trade": 9,
            }
            made = await self._ok(
                http.post("/v1/jurors", json=juror, headers=centre), 201
            )
            habilitation = {
                "rncp_code": WRITE_CERTIFICATION,
                "granted_on": (today - timedelta(days=100)).isoformat(),
                "authority": "DDETS du Rhône",
            }
            await self._ok(
                http.post(
                    f"/v1/jurors/{made['id']}/habilitations",
                    json=habilitation,
                    headers=admin,
                ),
                201,
            )
            self.jurors.append(made["id"])
        return Seeded(
            partners=keys,
            certifier=certifier,
            centre=centre,
            pair_sessions=[],
            burst_sessions=[],
        )

    async def session(self, centre: dict[str, str], capacity: int) -> str:
        """A scheduled session on a half-day of its own (the same jurors sit every one)."""
        slot = next(self._slots)
        day, morning = self.today + timedelta(days=slot // 2), slot % 2 == 0
        body = {
            "centre_id": self.centre_id,
            "site_id": self.site_id,
            "rncp_code": WRITE_CERTIFICATION,
            "kind": "TITLE",
            "starts_at": _at(day, 8 if morning else 13),
            "ends_at": _at(day, 12 if morning else 17),
            "test_hours": 4,
            "capacity": capacity,
            "manager": {"full_name": "Julien Bertrand"},
        }
        made = await self._ok(
            self.http.post("/v1/exam-sessions", json=body, headers=centre), 201
        )
        path = f"/v1/exam-sessions/{made['id']}"
        jury = {"members": [{"juror_id": juror} for juror in self.jurors]}
        await self._ok(self.http.put(f"{path}/jury", json=jury, headers=centre))
        await self._ok(self.http.post(f"{path}/scheduling", headers=centre))
        return str(made["id"])


class Pairs:
    """(session, candidacy, partner) pairs to register, session after session; consecutive
    pairs are different candidates (a candidate's registrations are serialised)."""

    def __init__(self) -> None:
        self.pending: collections.deque[tuple[str, str, int]] = collections.deque()
        self.pool: list[tuple[str, int]] = []

    def add_session(self, session_id: str) -> None:
        self.pending.extend((session_id, c, p) for c, p in self.pool)

    def __iter__(self) -> Pairs:
        return self

    def __next__(self) -> tuple[str, str, int]:
        if not self.pending:
            raise StopIteration
        return self.pending.popleft()


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Context:
    """Everything the scenarios need."""

    settings: Settings
    platform: Platform
    meter: Meter
    work: Path
    hello: Server
    nginx: Server
    gateway: LoadClient
    codes: list[str]
    queries: list[str]
    seeded: Seeded | None = None
    seeder: Seeder | None = None
    phases: list[Phase] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    hello_sat: list[Phase] = dataclasses.field(default_factory=list)
    bursts: list[BurstCheck] = dataclasses.field(default_factory=list)


async def measured(
    ctx: Context,
    scenario: str,
    kind: str,
    rate: float,
    run: Callable[[], Awaitable[tuple[list[Outcome], list[float], float]]],
) -> Phase:
    """Runs a driver phase between two CPU snapshots and summarises it."""
    before = ctx.meter.snapshot()
    outcomes, lateness, seconds = await run()
    cpu = ctx.meter.delta(before, ctx.meter.snapshot())
    phase = summarise(
        scenario, kind, rate, seconds, outcomes, lateness, cpu, ctx.meter.pids
    )
    ctx.phases.append(phase)
    print(f"    {kind}: {describe(phase)}", flush=True)
    return phase


def check_saturation(phase: Phase) -> None:
    """Notes a saturation run whose answers were not all 2xx: the rates of the next phases
    come from its 2xx throughput only."""
    refused = phase.operations - round(phase.good_per_s * phase.seconds)
    if refused > 0:
        phase.notes.append(
            f"{refused:,} of {phase.operations:,} operations were not answered 2xx "
            f"({', '.join(f'{k}: {v:,}' for k, v in phase.statuses.items())}); the half and 3× "
            f"rates are taken from the 2xx throughput, {phase.good_per_s:,.0f}/s"
        )


def describe(phase: Phase) -> str:
    """One line for the console."""
    mix = ", ".join(f"{k}: {v}" for k, v in list(phase.statuses.items())[:5])
    return (
        f"{phase.ops_per_s:,.0f} op/s ({phase.req_per_s:,.0f} req/s), p50 {phase.p50_ms:.1f} ms, "
        f"p99 {phase.p99_ms:.1f} ms [{mix}]; CPU/req "
        + ", ".join(f"{k} {v:,.0f} µs" for k, v in phase.cpu_us.items() if v >= 5)
    )


async def closed_phase(
    ctx: Context, scenario: str, operation: Operation, workers: int, seconds: float
) -> Phase:
    async def run() -> tuple[list[Outcome], list[float], float]:
        started = time.perf_counter()
        outcomes = await closed_loop(operation, workers, seconds)
        return outcomes, [], time.perf_counter() - started

    return await measured(ctx, scenario, "saturation", 0.0, run)


async def open_phase(
    ctx: Context,
    scenario: str,
    kind: str,
    operation: Operation,
    rate: float,
    seconds: float,
) -> Phase:
    async def run() -> tuple[list[Outcome], list[float], float]:
        tasks, lateness, _ = await open_loop(operation, rate, seconds)
        return await finished(tasks), lateness, seconds

    return await measured(ctx, scenario, kind, rate, run)


async def overload_and_recovery(
    ctx: Context, scenario: str, operation: Operation, saturation: float, half: Phase
) -> None:
    """3× the saturation rate, then at once half of it: the shedding, then the recovery."""
    settings = ctx.settings
    before = ctx.meter.snapshot()
    over_tasks, over_late, _ = await open_loop(
        operation, 3 * saturation, settings.overload
    )
    middle = ctx.meter.snapshot()
    rec_tasks, rec_late, rec_start = await open_loop(
        operation, saturation / 2, settings.recovery
    )
    over = await finished(over_tasks)
    rec = await finished(rec_tasks)
    after = ctx.meter.snapshot()
    overload = summarise(
        scenario, "overload", 3 * saturation, settings.overload, over, over_late,
        ctx.meter.delta(before, middle), ctx.meter.pids,
    )  # fmt: skip
    recovery = summarise(
        scenario, "recovery", saturation / 2, settings.recovery, rec, rec_late,
        ctx.meter.delta(middle, after), ctx.meter.pids,
    )  # fmt: skip
    window = 1.0 if settings.recovery >= 10 else 0.5
    recovery.recovery_s, recovery.windows = recovery_of(
        rec, rec_start, half.p99_ms, window
    )
    overload.recovery_s = recovery.recovery_s
    ctx.phases += [overload, recovery]
    print(f"    overload ×3: {describe(overload)}", flush=True)
    shown = (
        "not within the run"
        if recovery.recovery_s is None
        else f"{recovery.recovery_s:.1f} s"
    )
    print(f"    recovery: {describe(recovery)}; recovered after {shown}", flush=True)


async def quiet(ctx: Context) -> None:
    """Lets the system settle, waits for a quiet machine if asked, then measures the idle CPU
    of every process (taken off the next phases' CPU per request)."""
    await settle(ctx)
    if ctx.settings.wait_quiet:
        note = wait_for_quiet(ctx.settings.wait_quiet)
        ctx.notes.append(note)
        print(f"  {note}", flush=True)
    await ctx.meter.measure_idle()


def hello_reference(ctx: Context, scenario: str) -> Phase:
    """hello-world at saturation right before a scenario: the reference of its ratios."""
    script = lua_script(ctx.work / "hello.lua", ["/hello"])
    phase = wrk_phase(
        "hello", ctx.hello, script, ctx.settings, ctx.meter, ctx.settings.duration
    )
    phase.notes.append(f"reference measured right before {scenario}")
    ctx.hello_sat.append(phase)
    ctx.phases.append(phase)
    print(f"    hello-world reference: {describe(phase)}", flush=True)
    return phase


async def baselines(ctx: Context) -> None:
    """hello-world direct and through nginx: saturation (wrk) and half rate (open loop)."""
    settings = ctx.settings
    await quiet(ctx)
    print("  baselines: hello-world direct and through nginx", flush=True)
    script = lua_script(ctx.work / "hello.lua", ["/hello"])
    for name, server in (("hello", ctx.hello), ("nginx", ctx.nginx)):
        wrk_phase(name, server, script, settings, ctx.meter, settings.warmup)
        saturation = wrk_phase(
            name, server, script, settings, ctx.meter, settings.duration
        )
        ctx.phases.append(saturation)
        if name == "hello":
            ctx.hello_sat.append(saturation)
        print(f"    {name} saturation: {describe(saturation)}", flush=True)
        client = LoadClient(server.port)
        operation = cycling_reads(client, ["/hello"], None)
        await open_phase(
            ctx, name, "half", operation, saturation.good_per_s / 2, settings.duration
        )
        client.close()


async def read_scenario(ctx: Context, scenario: str) -> None:
    settings = ctx.settings
    await quiet(ctx)
    print(f"  {scenario}: {LABELS[scenario]}", flush=True)
    token = uuid.uuid4().hex[:8]
    if scenario == "read":
        paths = [detail_path(code) for code in ctx.codes]
        script = lua_script(ctx.work / "read.lua", paths)
        await prime(ctx, paths)
        buster = None
    else:
        paths = [search_path(query) for query in ctx.queries]
        script = lua_script(ctx.work / "search.lua", paths, cache_buster=f"wrk-{token}")
        buster = token
    gateway = Server(
        "gateway",
        ctx.platform.processes["gateway"].process,
        ctx.platform.ports["gateway"],
        ctx.work / "none",
    )
    wrk_phase(
        scenario,
        gateway,
        lua_script(
            ctx.work / "warm.lua",
            paths,
            cache_buster=f"warm-{token}" if buster else None,
        ),
        settings,
        ctx.meter,
        settings.warmup,
    )
    hello_reference(ctx, scenario)
    saturation = wrk_phase(
        scenario, gateway, script, settings, ctx.meter, settings.duration
    )
    ctx.phases.append(saturation)
    print(f"    saturation: {describe(saturation)}", flush=True)
    operation = cycling_reads(ctx.gateway, paths, buster)
    half = await open_phase(
        ctx, scenario, "half", operation, saturation.good_per_s / 2, settings.duration
    )
    await overload_and_recovery(ctx, scenario, operation, saturation.good_per_s, half)


async def prime(ctx: Context, paths: list[str]) -> None:
    """Reads every code once (filling the catalog's document cache), 4 at a time: a render
    costs milliseconds of CPU, and at higher concurrency the catalog's readiness probe can time
    out, which makes the gateway refuse every catalog request for a while (503)."""
    loop = asyncio.get_running_loop()
    queue = list(paths)

    async def worker(failed: list[tuple[str, int]]) -> None:
        while queue:
            path = queue.pop()
            reply = await ctx.gateway.request("GET", path, deadline=loop.time() + 30)
            if reply.status != 200:
                failed.append((path, reply.status))

    for attempt in range(5):
        failed: list[tuple[str, int]] = []
        await asyncio.gather(*(worker(failed) for _ in range(4)))
        if not failed:
            return
        statuses = sorted({status for _, status in failed})
        print(
            f"    priming: {len(failed)} reads failed ({statuses}); again …", flush=True
        )
        queue.extend(path for path, _ in failed)
        await asyncio.sleep(3 * (attempt + 1))
    raise BenchError(f"{len(queue)} certification reads still fail after 5 passes")


async def closed_loop_count(
    operation: Operation, workers: int, count: int
) -> list[Outcome]:
    """Exactly ``count`` operations, ``workers`` at a time."""
    remaining = itertools.count()
    outcomes: list[Outcome] = []
    loop = asyncio.get_running_loop()

    async def worker() -> None:
        while next(remaining) < count:
            outcomes.append(await run_operation(operation, loop.time()))

    await asyncio.gather(*(worker() for _ in range(workers)))
    return outcomes


async def candidacy_scenario(ctx: Context) -> None:
    settings = ctx.settings
    assert ctx.seeded is not None
    await quiet(ctx)
    print(f"  candidacy: {LABELS['candidacy']}", flush=True)
    operation = candidacy_journey(ctx.gateway, ctx.seeded, None)
    await closed_loop(operation, settings.workers, settings.warmup)
    hello_reference(ctx, "candidacy")
    saturation = await closed_phase(
        ctx, "candidacy", operation, settings.workers, settings.duration
    )
    if (
        not saturation.good_per_s
        or saturation.statuses.get("200", 0) < saturation.operations / 2
    ):
        raise BenchError(f"the candidacy journeys mostly failed: {saturation.statuses}")
    half = await open_phase(
        ctx,
        "candidacy",
        "half",
        operation,
        saturation.good_per_s / 2,
        settings.duration,
    )
    await overload_and_recovery(
        ctx, "candidacy", operation, saturation.good_per_s, half
    )


async def registration_scenario(ctx: Context) -> None:
    settings = ctx.settings
    seeded, seeder = ctx.seeded, ctx.seeder
    assert seeded is not None
    assert seeder is not None
    print(
        f"  registration: making {settings.pool} admissible candidacies …", flush=True
    )
    keep: list[tuple[str, int]] = []
    journey = candidacy_journey(ctx.gateway, seeded, keep)
    deadline = time.monotonic() + 300
    while len(keep) < settings.pool:
        if time.monotonic() > deadline:
            raise BenchError(f"only {len(keep)} admissible candidacies after 300 s")
        await closed_loop_count(journey, 16, settings.pool - len(keep))
    pairs = Pairs()
    pairs.pool = keep[: settings.pool]
    seeded.admissible = pairs.pool

    async def ensure(count: float) -> None:
        if count > MAX_PAIR_SESSIONS * len(pairs.pool):
            raise BenchError(
                f"{count:,.0f} registrations would need more than {MAX_PAIR_SESSIONS} "
                "sessions: lower --duration or --overload, or raise --pool"
            )
        while len(pairs.pending) < count:
            session_id = await seeder.session(seeded.centre, 500)
            seeded.pair_sessions.append(session_id)
            pairs.add_session(session_id)

    for _ in range(settings.burst_sessions):
        seeded.burst_sessions.append(
            await seeder.session(seeded.centre, settings.burst_capacity)
        )
    operation = registrations(ctx.gateway, seeded, pairs)
    await quiet(ctx)
    print(f"  registration: {LABELS['registration']}", flush=True)
    await ensure(100 * settings.warmup + settings.workers)
    warm = await closed_loop(operation, settings.workers, settings.warmup)
    guess = max(sum(o.ok for o in warm) / settings.warmup, 10.0)
    await ensure(guess * 2 * settings.duration + settings.workers)
    hello_reference(ctx, "registration")
    saturation = await closed_phase(
        ctx, "registration", operation, settings.workers, settings.duration
    )
    if saturation.statuses.get("201", 0) < saturation.operations / 2:
        raise BenchError(f"the registrations mostly failed: {saturation.statuses}")
    rate = saturation.good_per_s
    await ensure(rate / 2 * settings.duration * 1.2 + 10)
    half = await open_phase(
        ctx, "registration", "half", operation, rate / 2, settings.duration
    )
    await ensure(
        (3 * rate * settings.overload + rate / 2 * settings.recovery) * 1.1 + 10
    )
    await overload_and_recovery(ctx, "registration", operation, rate, half)
    await burst(ctx)


@dataclasses.dataclass
class BurstCheck:
    """One session of limited capacity after the burst."""

    session_id: str
    capacity: int
    attempts: int
    statuses: dict[str, int]
    registered: int  # registrations listed by the API
    seats_taken: int  # capacity − seats_left
    p50_ms: float
    p99_ms: float
    seconds: float

    @property
    def overbooked(self) -> int:
        return max(0, self.registered - self.capacity, self.seats_taken - self.capacity)


async def read_json(ctx: Context, path: str, headers: dict[str, str]) -> Any:
    """A GET through the gateway that must answer 200; retried for a minute at most, since
    just after an overload the gateway may still hold the upstream as not ready (503)."""
    assert ctx.seeder is not None
    deadline = time.monotonic() + 60
    while True:
        answer = await ctx.seeder.http.get(path, headers=headers)
        if answer.status_code == 200:
            return answer.json()
        if time.monotonic() > deadline:
            raise BenchError(f"GET {path}: {answer.status_code} {answer.text[:300]}")
        await asyncio.sleep(1.0)


async def settle(ctx: Context) -> None:
    """Waits (a minute at most) until the gateway finds every upstream ready twice in a row,
    a second apart, so that a scenario does not start in the wake of the one before."""
    deadline = time.monotonic() + 60
    streak = 0
    async with httpx.AsyncClient(base_url=ctx.platform.gateway, timeout=5) as http:
        while streak < 2:
            with contextlib.suppress(httpx.HTTPError):
                ready = (await http.get("/readyz")).status_code == 200
                streak = streak + 1 if ready else 0
            if time.monotonic() > deadline:
                ctx.notes.append(
                    "the gateway still found an upstream not ready 60 s after the previous scenario"
                )
                return
            await asyncio.sleep(1.0)


async def burst(ctx: Context) -> None:
    """Every candidacy of the pool registers at once into each session of limited capacity."""
    seeded, seeder = ctx.seeded, ctx.seeder
    assert seeded is not None
    assert seeder is not None
    await quiet(ctx)
    checks: list[BurstCheck] = []
    for session_id in seeded.burst_sessions:
        pairs = Pairs()
        pairs.pool = seeded.admissible
        pairs.add_session(session_id)
        operation = registrations(ctx.gateway, seeded, pairs, BURST_ANSWER_WITHIN)
        count = len(pairs.pending)
        loop = asyncio.get_running_loop()
        started = loop.time()
        outcomes = await asyncio.gather(
            *(run_operation(operation, started) for _ in range(count))
        )
        seconds = loop.time() - started
        session = await read_json(ctx, f"/v1/exam-sessions/{session_id}", seeded.centre)
        listed = await read_json(
            ctx, f"/v1/exam-sessions/{session_id}/registrations", seeded.centre
        )
        statuses = collections.Counter(status_key(o) for o in outcomes)
        latencies = [(o.finished - o.scheduled) * 1e3 for o in outcomes]
        check = BurstCheck(
            session_id=session_id,
            capacity=int(session["capacity"]),
            attempts=count,
            statuses=dict(statuses.most_common()),
            registered=len(listed),
            seats_taken=int(session["capacity"]) - int(session["seats_left"]),
            p50_ms=percentile(latencies, 50),
            p99_ms=percentile(latencies, 99),
            seconds=seconds,
        )
        checks.append(check)
        print(
            f"    burst: {count} registrations at once into {check.capacity} seats: "
            f"{check.statuses}, listed {check.registered}, overbooked {check.overbooked}, "
            f"p99 {check.p99_ms:.0f} ms",
            flush=True,
        )
    ctx.bursts = checks
    overbooked: list[str] = []
    for session_id in seeded.pair_sessions:
        session = await read_json(ctx, f"/v1/exam-sessions/{session_id}", seeded.centre)
        listed = await read_json(
            ctx, f"/v1/exam-sessions/{session_id}/registrations", seeded.centre
        )
        taken = int(session["capacity"]) - int(session["seats_left"])
        if len(listed) > int(session["capacity"]) or taken != len(listed):
            overbooked.append(
                f"{session_id}: {len(listed)} listed, {taken} seats taken of {session['capacity']}"
            )
    ctx.notes.append(
        f"registration: {len(seeded.pair_sessions)} sessions of 500 seats used by the throughput "
        f"phases: {'every one consistent (registrations listed = seats taken ≤ capacity)' if not overbooked else 'INCONSISTENT: ' + '; '.join(overbooked)}"
    )


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

PLATFORM_PROCESSES = ("gateway", "catalog", "candidacy", "sessions", "webhooks")
SERVICES = ("catalog", "candidacy", "sessions", "webhooks")


def server_cpu_us(phase: Phase) -> float:
    """CPU per request of what serves the scenario (not the driver, not wrk)."""
    if phase.scenario == "hello":
        return phase.cpu_us["hello"]
    if phase.scenario == "nginx":
        return phase.cpu_us["hello"] + phase.cpu_us["nginx"]
    return sum(phase.cpu_us[name] for name in (*PLATFORM_PROCESSES, "postgres"))


def good_requests(phase: Phase) -> float:
    """Requests per second of the operations answered 2xx only."""
    if not phase.ops_per_s:
        return 0.0
    return phase.req_per_s * phase.good_per_s / phase.ops_per_s


def _ms(value: float) -> str:
    return "–" if value != value else f"{value:,.1f} ms"


def _x(value: float, reference: float) -> str:
    if value != value or not reference or reference != reference:
        return "–"
    return f"× {value / reference:.2f}"


def _share(value: float) -> str:
    return "–" if value != value else f"{value:.0%}"


def find(phases: list[Phase], scenario: str, kind: str) -> Phase | None:
    found = [p for p in phases if p.scenario == scenario and p.kind == kind]
    return found[-1] if found else None


def reference_before(phases: list[Phase], scenario: str) -> Phase | None:
    """The hello-world saturation run measured right before a scenario's."""
    reference = None
    for phase in phases:
        if phase.scenario == "hello" and phase.kind == "saturation":
            reference = phase
        if phase.scenario == scenario and phase.kind == "saturation":
            return reference
    return reference


def render_report(
    ctx: Context,
    found: dict[str, str],
    started: datetime,
    elapsed: float,
    loads: tuple[str, str],
    admission: str,
) -> str:
    """The Markdown report: versions, settings, four tables, the burst, notes."""
    settings, phases = ctx.settings, ctx.phases
    hello_half = find(phases, "hello", "half")
    shown = ", ".join(f"{k} {v}" for k, v in found.items() if k != "machine")
    lines = [
        f"# Load benchmark, {started:%Y-%m-%d %H:%M %Z}",
        "",
        f"Command: `{settings.command}` ({elapsed / 60:.1f} min)  ",
        f"Versions: {shown}.  ",
        f"Machine: {found['machine']}, shared by the driver, wrk, nginx, the five processes and "
        f"PostgreSQL. Load average (1/5/15 min) at the start: {loads[0]}; at the end: {loads[1]}.",
        "",
        f"Platform: the five processes of `tests/e2e/e2e_platform.py` (one uvicorn worker each, "
        f"access logs on), each on its own PostgreSQL database; catalog of {settings.fiches:,} "
        f"synthetic fiches; per-client rate limits raised to {RATE_LIMIT} so that capacity, not "
        f"quotas, is measured; admission control: {admission}.  ",
        f"Phases: saturation closed loop for {settings.duration} s (wrk `-t1 -c{settings.connections}` "
        f"for reads, {settings.workers} driver workers for writes); half rate open loop for "
        f"{settings.duration} s; overload at 3× for {settings.overload} s, then half rate for "
        f"{settings.recovery} s. Latencies of open-loop phases count from the scheduled start; "
        f"a request unanswered {REQUEST_TIMEOUT:.0f} s after it was sent is a timeout.",
        "",
        "## Saturation (closed loop)",
        "",
        "| scenario | op/s | 2xx op/s | req/s | × hello req/s | p50 | p99 | server CPU/req | "
        "× hello | gateway | services | PostgreSQL |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for scenario in ("hello", "nginx", *settings.scenarios):
        phase = find(phases, scenario, "saturation")
        if scenario == "hello" and ctx.hello_sat:
            phase = ctx.hello_sat[0]  # the baselines' own; the others are references
        if phase is None:
            continue
        reference = reference_before(phases, scenario) if scenario != "hello" else phase
        ref_rps = reference.req_per_s if reference else float("nan")
        ref_cpu = server_cpu_us(reference) if reference else float("nan")
        platform_row = scenario not in ("hello", "nginx")
        gw = f"{phase.cpu_us['gateway']:,.0f} µs" if platform_row else "–"
        services = (
            f"{sum(phase.cpu_us[s] for s in SERVICES):,.0f} µs" if platform_row else "–"
        )
        pg = f"{phase.cpu_us['postgres']:,.0f} µs" if platform_row else "–"
        lines.append(
            f"| {LABELS[scenario]} | {phase.ops_per_s:,.0f} | {phase.good_per_s:,.0f} "
            f"| {phase.req_per_s:,.0f} | {_x(good_requests(phase), ref_rps)} | {_ms(phase.p50_ms)} | {_ms(phase.p99_ms)} "
            f"| {server_cpu_us(phase):,.0f} µs | {_x(server_cpu_us(phase), ref_cpu)} | {gw} | {services} | {pg} |"
        )
    lines += [
        "",
        "× hello req/s: the 2xx requests per second ÷ the hello-world run measured right "
        "before the scenario's (the "
        f"hello-world figure shown is the first of {len(ctx.hello_sat)}: "
        + ", ".join(f"{p.req_per_s:,.0f}" for p in ctx.hello_sat)
        + " req/s). Server CPU/req: the gateway, the four services and the PostgreSQL backends of "
        "the run's databases (hello-world: its process; nginx: nginx and hello-world), ÷ requests; "
        "each process's idle CPU (relays polling, readiness probes), measured for 2 s before the "
        "scenario, taken off.",
        "",
        "## Half the saturation rate (open loop)",
        "",
        "| scenario | rate | p50 | p95 | p99 | × hello p50 | × hello p99 | answers | driver late p99 |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for scenario in ("hello", "nginx", *settings.scenarios):
        phase = find(phases, scenario, "half")
        if phase is None:
            continue
        unit = "op/s" if scenario in ("candidacy",) else "req/s"
        mix = ", ".join(f"{k}: {v:,}" for k, v in phase.statuses.items())
        lines.append(
            f"| {LABELS[scenario]} | {phase.rate:,.0f} {unit} | {_ms(phase.p50_ms)} | {_ms(phase.p95_ms)} "
            f"| {_ms(phase.p99_ms)} | {_x(phase.p50_ms, hello_half.p50_ms if hello_half else float('nan'))} "
            f"| {_x(phase.p99_ms, hello_half.p99_ms if hello_half else float('nan'))} | {mix} "
            f"| {_ms(phase.lateness_p99_ms)} |"
        )
    journey = find(phases, "candidacy", "half")
    if journey and journey.steps:
        lines += [
            "",
            "Candidacy steps at half rate (each from its own send): "
            + "; ".join(
                f"{name} p50 {v['p50_ms']:.1f} ms, p99 {v['p99_ms']:.1f} ms"
                for name, v in journey.steps.items()
            )
            + ".",
        ]
    lines += [
        "",
        "## Overload at 3× the saturation rate, then recovery at half rate",
        "",
        "| scenario | rate | answers | refusals (429/503) | refusal p99 | problem+json, Retry-After "
        "| 2xx p99 | all p99 | recovery |",
        "|---|---:|---|---:|---:|---|---:|---:|---:|",
    ]
    for scenario in settings.scenarios:
        phase = find(phases, scenario, "overload")
        if phase is None:
            continue
        mix = ", ".join(f"{k}: {v:,}" for k, v in phase.statuses.items())
        recovered = (
            "not within " + f"{settings.recovery} s"
            if phase.recovery_s is None
            else f"{phase.recovery_s:.1f} s"
        )
        lines.append(
            f"| {LABELS[scenario]} | {phase.rate:,.0f}/s | {mix} | {phase.refusals:,} "
            f"| {_ms(phase.refusal_p99_ms)} | {_share(phase.refusal_problem_share)}, "
            f"{_share(phase.refusal_retry_after_share)} | {_ms(phase.ok_p99_ms)} | {_ms(phase.p99_ms)} | {recovered} |"
        )
    lines += [
        "",
        "Answers: per operation (a candidacy journey stops at its first refusal); `timeout`: no "
        f"answer {REQUEST_TIMEOUT:.0f} s after a request was sent. Recovery: from the end of the "
        "overload's schedule to the start of the first window (by scheduled time) whose p99 is at "
        "most twice the half-rate p99 (and at most 5 ms more at least) with only 2xx answers.",
    ]
    if ctx.bursts:
        lines += [
            "",
            "## Registration burst: every admissible candidacy at once into one session",
            "",
            "| session | seats | attempts | answers | listed | seats taken | overbooked | p50 | p99 | all answered in |",
            "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for check in ctx.bursts:
            mix = ", ".join(f"{k}: {v}" for k, v in check.statuses.items())
            lines.append(
                f"| `…{check.session_id[-8:]}` | {check.capacity} | {check.attempts} | {mix} | {check.registered} "
                f"| {check.seats_taken} | **{check.overbooked}** | {_ms(check.p50_ms)} | {_ms(check.p99_ms)} "
                f"| {check.seconds:.2f} s |"
            )
    other = [p.other_cores for p in phases]
    lines += [
        "",
        f"Other processes (other sessions' tests) used {median(other):.2f} cores during a phase "
        f"(median; max {max(other, default=0.0):.2f}).",
        "",
        "Notes:",
        "",
    ]
    lines += [f"- {note}" for note in ctx.notes]
    for phase in phases:
        lines += [
            f"- {phase.scenario} {phase.kind}: {note}"
            for note in phase.notes
            if "reference measured" not in note
        ]
    return "\n".join(lines) + "\n"


def versions() -> dict[str, str]:
    """Versions of everything that moves the figures."""
    found: dict[str, str] = {"Python": host_platform.python_version()}
    for package in (
        "fastapi",
        "uvicorn",
        "uvloop",
        "SQLAlchemy",
        "asyncpg",
        "pydantic",
    ):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    try:
        found["PostgreSQL"] = str(
            pg_fetch(
                "postgresql://postgres@127.0.0.1:5432/postgres", "SHOW server_version"
            )[0][0]
        )
    except OSError as error:
        found["PostgreSQL"] = f"unreachable ({error})"
    nginx = subprocess.run(
        ["nginx", "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    found["nginx"] = (nginx.stderr or nginx.stdout).strip().rpartition("/")[2] or "?"
    found.update(wrk_and_machine())
    return found


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


async def run_all(
    settings: Settings,
    work: Path,
    servers: list[Server],
    admission: str,
    env: dict[str, str],
    holder: list[Context],
) -> Context:
    """Starts everything, seeds, runs the scenarios; the caller stops the servers."""
    platform = Platform(work, extra_env={"gateway": env})
    await platform.create_databases()
    try:
        notes = await import_catalog(settings, platform.databases["catalog"], work)
        dsn = plain_dsn(platform.databases["catalog"])
        codes = [
            row[0]
            for row in await pg_async(
                dsn,
                "SELECT rncp_code FROM certification ORDER BY md5(rncp_code)",
            )
        ][: 500 if settings.quick else 2000]
        titles = [
            row[0]
            for row in await pg_async(
                dsn, "SELECT title FROM certification ORDER BY rncp_code"
            )
        ]
        queries = build_queries(titles, 200, random.Random(SEED))
        print("  starting the platform (five processes) …", flush=True)
        await platform.start_all()
        hello_port = free_port_for_hello()
        hello = spawn(
            "hello",
            [
                *uvicorn_command("hello_app:app", hello_port),
                "--app-dir",
                str(BENCH_DIR),
            ],
            dict(os.environ),
            work / "hello.log",
            hello_port,
        )
        servers.append(hello)
        wait_ready(hello, "/hello")
        nginx_port = free_port_for_hello()
        config = nginx_config(work, nginx_port, hello_port)
        command = [
            shutil.which("nginx") or "nginx",
            "-p",
            f"{config.parent}/",
            "-c",
            str(config),
        ]
        command += ["-e", str(config.parent / "error.log")]
        nginx = spawn(
            "nginx", command, dict(os.environ), work / "nginx.log", nginx_port
        )
        servers.append(nginx)
        wait_ready(nginx, "/hello")
        pids = {
            name: platform.processes[name].process.pid for name in PLATFORM_PROCESSES
        }
        pids |= {"hello": hello.process.pid, "nginx": nginx.process.pid}
        meter = Meter(pids, list(platform.databases.values()))
        gateway = LoadClient(platform.ports["gateway"])
        ctx = Context(
            settings,
            platform,
            meter,
            work,
            hello,
            nginx,
            gateway,
            codes,
            queries,
            notes=notes,
        )
        holder.append(ctx)
        async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
            if {"candidacy", "registration"} & set(settings.scenarios):
                print(
                    "  seeding: certification, API keys, exam centre, jurors …",
                    flush=True,
                )
                ctx.seeder = Seeder(platform, http)
                ctx.seeded = await ctx.seeder.everything(partners=8)
            await baselines(ctx)
            for scenario in settings.scenarios:
                if scenario in ("read", "search"):
                    await read_scenario(ctx, scenario)
                elif scenario == "candidacy":
                    await candidacy_scenario(ctx)
                else:
                    await registration_scenario(ctx)
        gateway.close()
        return ctx
    except BaseException:
        for name, process in platform.processes.items():
            print(f"--- {name} log (end):\n{tail(process.log, 15)}", file=sys.stderr)
        raise
    finally:
        platform.stop()
        for process in platform.processes.values():
            process.log.unlink(missing_ok=True)
        await platform.drop_databases()


def free_port_for_hello() -> int:
    from common.testing import free_port

    return free_port()


def main(argv: Sequence[str]) -> int:
    """Runs the whole benchmark and prints its report."""
    settings = parse_settings(argv)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            print(
                f"{tool} is not installed: this benchmark needs it.\n"
                f"    apt-get update -qq && apt-get install -y {tool}\n",
                file=sys.stderr,
            )
            return 2
    signal.signal(signal.SIGTERM, on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now().astimezone()
    started = time.perf_counter()
    load_before = _load()
    found = versions()
    env, admission = gateway_env(settings)
    print(f"Load benchmark: {settings.command}")
    print("  " + ", ".join(f"{k} {v}" for k, v in found.items()))
    print(f"  load average: {load_before}; {admission}", flush=True)
    stem = (
        RESULTS_DIR / f"load-{started_at:%Y-%m-%d}{'-quick' if settings.quick else ''}"
    )
    servers: list[Server] = []
    holder: list[Context] = []
    failure = ""
    with tempfile.TemporaryDirectory(prefix="load-bench-") as scratch:
        try:
            uvloop.run(
                run_all(settings, Path(scratch), servers, admission, env, holder)
            )
        except (
            BenchError,
            OSError,
            pytest.fail.Exception,
            pytest.skip.Exception,
        ) as error:
            failure = f"benchmark failed: {error}"
            print(f"\n{failure}", file=sys.stderr)
            for server in servers:
                print(f"--- {server.name} log:\n{tail(server.log)}", file=sys.stderr)
            if not holder:
                return 1
        finally:
            for server in reversed(servers):
                stop_group(server.process)
    ctx = holder[0]
    if failure:
        ctx.notes.insert(
            0, f"**{failure}**: the figures above are those measured before"
        )
    elapsed = time.perf_counter() - started
    report = render_report(
        ctx, found, started_at, elapsed, (load_before, _load()), admission
    )
    print()
    print(report)
    stem.with_suffix(".md").write_text(report, encoding="utf-8")
    raw = {
        "settings": dataclasses.asdict(settings),
        "versions": found,
        "admission": admission,
        "phases": [dataclasses.asdict(p) for p in ctx.phases],
        "bursts": [dataclasses.asdict(b) for b in ctx.bursts],
        "notes": ctx.notes,
    }
    stem.with_suffix(".json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    print(f"Written: {stem.with_suffix('.md').relative_to(ROOT)} and its .json")
    return 1 if failure else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
