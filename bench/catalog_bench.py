"""Benchmark of the catalog service on this machine: RNCP import, certification reads, search.

One command measures, in one run and on one machine, against a hello-world FastAPI app measured
in the same run (absolute figures drift ±15-25 % from one block of runs to the next here):

1. the RNCP import of a full-size synthetic export into a fresh PostgreSQL database: wall time,
   fiches per second and peak RSS of the ``catalog import-rncp`` process, then an idempotent
   re-import of the same file;
2. ``GET /v1/certifications/{rncp_code}`` through uvicorn (1 worker) with wrk, cycling over real
   codes: served from the per-code cache after warm-up, and, separately, codes never read
   before (rendered from the database);
3. ``GET /v1/certifications?q=…`` (full-text search) cycling over varied French queries built
   from the titles in the database: each request made unique so that it reaches PostgreSQL,
   and, separately, the same queries repeated (answered from the page cache).

Usage (from the repository root)::

    .venv/bin/python bench/catalog_bench.py [--quick] [--fiches N] [--rounds 3] [--duration 10]

See bench/README.md for what each figure means and how to read it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import platform
import random
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import asyncpg
import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
CATALOG_DIR = ROOT / "services" / "catalog"
SYNTHETIC_MODULE = CATALOG_DIR / "src" / "catalog" / "rncp_import" / "synthetic.py"
SOURCE_DIRS = (
    CATALOG_DIR / "src",
    CATALOG_DIR / "migrations",
    ROOT / "libs" / "common" / "src",
)
BIN = Path(sys.prefix) / "bin"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

FULL_FICHES = 25_638
SEED = 20_260_816
DATABASE = "catalog_bench"

# Targets printed beside the figures.
IMPORT_RATE_TARGET = 1_000.0  # fiches/s, first import into an empty database
IMPORT_RSS_TARGET_MB = 300.0  # peak RSS of the import process
DETAIL_RATIO_TARGET = 0.5  # detail req/s at 32 connections, as a share of hello-world
SEARCH_P95_TARGET_MS = 30.0  # search p95 at 1 connection
SEARCH_RPS_TARGET = 250.0  # search req/s at 32 connections
BUSY_MACHINE_CORES = (
    0.25  # other processes using more than this during a run are reported
)

# Words of titles that make poor queries on their own.
# fmt: off
STOPWORDS = frozenset({
    "a", "au", "aux", "avec", "ce", "ces", "dans", "de", "des", "du", "en", "et", "la",
    "le", "les", "leur", "leurs", "par", "pour", "sur", "un", "une", "ou", "qui", "que",
    "son", "sa", "ses", "se", "option", "options", "specialite", "mention", "parcours",
    "certificat", "diplome", "titre", "professionnel", "professionnelle", "brevet",
    "licence", "master", "bachelor", "bts", "dut", "but", "cap", "bep", "bac", "national",
    "nationale", "niveau", "qualification", "cqp", "cqpm", "specialise", "domaine",
})
# fmt: on


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures, resolved from the command line."""

    quick: bool
    fiches: int
    rounds: int
    duration: int
    warmup: int
    connections: int
    codes: int
    queries: int
    pg_dsn: str
    reuse_db: bool
    wait_quiet: int
    command: str

    @property
    def database_url(self) -> str:
        """The SQLAlchemy URL of the benchmark database, as the catalog reads it."""
        netloc = urllib.parse.urlsplit(self.pg_dsn).netloc
        return f"postgresql+asyncpg://{netloc}/{DATABASE}"

    def dsn(self, database: str) -> str:
        """A libpq-style DSN of one database on the benchmark's server."""
        return f"postgresql://{urllib.parse.urlsplit(self.pg_dsn).netloc}/{database}"


def parse_settings(argv: Sequence[str]) -> Settings:
    """Reads the command line; ``--quick`` changes the defaults that were not given."""
    parser = argparse.ArgumentParser(
        description="Benchmark the catalog (RNCP import, detail reads, search) "
        "against a hello-world FastAPI app.",
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="Smoke test in under a minute.")
    add("--fiches", type=int, help="Fiches in the export (25,638; quick 2,000).")
    add("--rounds", type=int, help="Rounds of alternated runs (3; quick 1).")
    add("--duration", type=int, help="Seconds of each wrk run (10; quick 3).")
    add("--warmup", type=int, help="Seconds of warm-up per endpoint (3; quick 1).")
    add("--connections", type=int, default=32, help="Connections of throughput runs.")
    add("--codes", type=int, help="Codes cycled over when cached (2,000; quick 300).")
    add("--queries", type=int, default=200, help="Search queries cycled over (200).")
    add(
        "--pg",
        default=os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (loopback only); catalog_bench is dropped and created.",
    )
    add(
        "--reuse-db",
        action="store_true",
        help="Skip the import; measure HTTP on the catalog_bench of an earlier run.",
    )
    add(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="Before each run, wait up to this long for other processes to go quiet.",
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick

    def pick(value: int | None, full: int, smoke: int) -> int:
        return value if value is not None else (smoke if quick else full)

    shown = [shown_path(Path(sys.executable)), shown_path(Path(sys.argv[0])), *argv]
    settings = Settings(
        quick=quick,
        fiches=pick(args.fiches, FULL_FICHES, 2_000),
        rounds=pick(args.rounds, 3, 1),
        duration=pick(args.duration, 10, 3),
        warmup=pick(args.warmup, 3, 1),
        connections=args.connections,
        codes=pick(args.codes, 2_000, 300),
        queries=args.queries,
        pg_dsn=args.pg,
        reuse_db=args.reuse_db,
        wait_quiet=max(0, args.wait_quiet),
        command=" ".join(shlex.quote(a) for a in shown),
    )
    for name in (
        "fiches",
        "rounds",
        "duration",
        "warmup",
        "connections",
        "codes",
        "queries",
    ):
        if getattr(settings, name) < 1:
            parser.error(f"--{name} must be at least 1")
    host = urllib.parse.urlsplit(settings.pg_dsn).hostname
    if host not in LOOPBACK:
        parser.error(f"--pg must point at this machine (127.0.0.1), not {host!r}")
    return settings


def shown_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.absolute().relative_to(Path.cwd()))
    return str(path)


# --------------------------------------------------------------------------------------------
# Processes: always stopped, whole process groups
# --------------------------------------------------------------------------------------------


def on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def stop_group(process: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """Stops a child started in its own session, and everything it started."""
    if process.returncode is not None:
        return
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=wait)
            return


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for error messages."""
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_checked(
    command: Sequence[str], *, env: dict[str, str], cwd: Path, timeout: float, what: str
) -> str:
    """Runs a short command to completion, raising with its output if it fails."""
    try:
        done = subprocess.run(
            list(command),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"{what} did not finish within {timeout:.0f} s") from error
    if done.returncode != 0:
        raise BenchError(
            f"{what} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


class PostgresCpu:
    """CPU seconds spent by the PostgreSQL server's processes (backends included).

    A backend that exits keeps the CPU it had at the last sample, so sample often around
    anything that closes its connections.
    """

    def __init__(self) -> None:
        self._seen: dict[int, float] = {}

    def sample(self) -> float:
        """Updates and returns the CPU seconds of every PostgreSQL process seen so far."""
        for process in psutil.process_iter(["name"]):
            if process.info["name"] != "postgres":
                continue
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                self._seen[process.pid] = times.user + times.system
        return sum(self._seen.values())


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one process so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def busy_cpu() -> float:
    """CPU seconds that processes have used since boot, all cores (interrupts left out)."""
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system)


def children_cpu() -> float:
    """CPU seconds of this script's children that have been reaped (wrk, once done)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def self_cpu() -> float:
    """CPU seconds of this script."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants (0 once it is gone)."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            total += process.memory_info().rss
    return total


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


async def _pg(dsn: str, query: str, fetch: bool) -> list[tuple[Any, ...]] | str:
    connection = await asyncpg.connect(dsn, timeout=10)
    try:
        if fetch:
            return [tuple(row) for row in await connection.fetch(query, timeout=120)]
        status: str = await connection.execute(query, timeout=120)
        return status
    finally:
        await connection.close()


def pg_fetch(dsn: str, query: str) -> list[tuple[Any, ...]]:
    """Runs one query on one short-lived connection and returns its rows."""
    rows = asyncio.run(_pg(dsn, query, True))
    assert isinstance(rows, list)
    return rows


def pg_execute(dsn: str, statement: str) -> str:
    """Runs one statement on one short-lived connection and returns its status tag."""
    status = asyncio.run(_pg(dsn, statement, False))
    assert isinstance(status, str)
    return status


def recreate_database(settings: Settings) -> None:
    """Drops catalog_bench (closing its connections) and creates it empty."""
    pg_execute(
        settings.dsn("postgres"), f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"
    )
    pg_execute(settings.dsn("postgres"), f"CREATE DATABASE {DATABASE}")


def migrate(settings: Settings) -> None:
    """Brings catalog_bench to the catalog's latest schema with Alembic."""
    run_checked(
        [str(BIN / "alembic"), "upgrade", "head"],
        env={**os.environ, "CATALOG_DATABASE_URL": settings.database_url},
        cwd=CATALOG_DIR,
        timeout=300,
        what="alembic upgrade head",
    )


def settle_outbox(settings: Settings) -> str:
    """Marks the outbox events of the import as delivered, as a relay that caught up would.

    The import writes one event per created or changed certification; with its relay on,
    the catalog would deliver them during the first minutes of the read benchmark (one
    transaction per event), measuring that drain instead of the steady-state reads.
    """
    try:
        status = pg_execute(
            settings.dsn(DATABASE),
            "UPDATE outbox_event SET delivered_at = now(), locked_until = NULL "
            "WHERE delivered_at IS NULL",
        )
    except asyncpg.PostgresError as error:
        return f"outbox left as is ({type(error).__name__}: {error})"
    pending = int(status.split()[-1])
    return f"{pending:,} outbox events of the import marked delivered before the reads"


# --------------------------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ImportRun:
    """One ``catalog import-rncp`` child process, measured from the outside."""

    label: str
    fiches: int
    wall_seconds: float
    peak_rss_bytes: int  # the kernel's high-water mark (wait4's ru_maxrss)
    polled_rss_bytes: int  # the largest RSS of the process tree seen by 50 ms polling
    cpu_seconds: float  # user + system of the child
    postgres_cpu_seconds: float
    other_cores: float  # CPU of every other process meanwhile, in cores
    report: dict[str, float]  # read, created, updated, unchanged, skipped, seconds

    @property
    def rate(self) -> float:
        """Fiches read per second of wall time, interpreter start-up included."""
        return self.report.get("read", self.fiches) / self.wall_seconds


_REPORT_ROW = re.compile(
    r"^\W*(\d+)\W+(\d+)\W+(\d+)\W+(\d+)\W+(\d+)\W+(\d+(?:\.\d+)?)\W*$"
)
_REPORT_KEYS = ("read", "created", "updated", "unchanged", "skipped", "seconds")


def parse_import_report(output: str) -> dict[str, float]:
    """Reads the CLI's report row: read, created, updated, unchanged, skipped, seconds."""
    for line in reversed(output.splitlines()):
        match = _REPORT_ROW.match(line.strip())
        if match:
            return {
                k: float(v) for k, v in zip(_REPORT_KEYS, match.groups(), strict=True)
            }
    return {}


def synthetic_export(settings: Settings) -> Path:
    """The synthetic export, generated once and cached under bench/results/.

    The file name holds the generator's source hash, so a changed generator writes anew.
    """
    if not SYNTHETIC_MODULE.exists():
        raise BenchError(
            f"{SYNTHETIC_MODULE.relative_to(ROOT)} is missing: "
            "`catalog generate-export` cannot run"
        )
    digest = hashlib.sha256(SYNTHETIC_MODULE.read_bytes()).hexdigest()[:10]
    stem = f"rncp-synthetic-{settings.fiches}-{SEED}"
    path = RESULTS_DIR / f"{stem}-{digest}.zip"
    if path.exists():
        size = path.stat().st_size / 1e6
        print(f"  export: reusing {path.relative_to(ROOT)} ({size:,.1f} MB zipped)")
        return path
    for stale in RESULTS_DIR.glob(f"{stem}-*.zip"):
        stale.unlink()
    partial = path.with_suffix(".partial.zip")
    print(f"  export: generating {settings.fiches:,} fiches …", flush=True)
    started = time.perf_counter()
    generate = [str(BIN / "catalog"), "generate-export", str(partial)]
    generate += ["--fiches", str(settings.fiches), "--seed", str(SEED)]
    run_checked(
        generate,
        env={**os.environ, "COLUMNS": "160"},
        cwd=ROOT,
        timeout=1800,
        what="catalog generate-export",
    )
    partial.rename(path)
    print(
        f"  export: {path.relative_to(ROOT)}, {path.stat().st_size / 1e6:,.1f} MB zipped,"
        f" in {time.perf_counter() - started:.1f} s"
    )
    return path


def run_import(
    settings: Settings, export: Path, label: str, log: Path, *, timeout: float = 1800.0
) -> ImportRun:
    """Runs ``catalog import-rncp`` as a child, polls its RSS every 50 ms, reaps it with wait4."""
    env = {
        **os.environ,
        "CATALOG_DATABASE_URL": settings.database_url,
        "COLUMNS": "160",
        "NO_COLOR": "1",
    }
    postgres = PostgresCpu()
    postgres_before = postgres.sample()
    machine_before, self_before = busy_cpu(), self_cpu()
    polled = 0
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(BIN / "catalog"), "import-rncp", str(export)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            next_pg_sample = started
            while True:
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                now = time.perf_counter()
                if pid:
                    wall = now - started
                    process.returncode = os.waitstatus_to_exitcode(status)
                    break
                polled = max(polled, tree_rss(process.pid))
                if now >= next_pg_sample:
                    postgres.sample()
                    next_pg_sample = now + 0.25
                if now - started > timeout:
                    raise BenchError(f"{label} did not finish within {timeout:.0f} s")
                time.sleep(0.05)
        finally:
            stop_group(process)
    postgres_after = postgres.sample()
    child_cpu = usage.ru_utime + usage.ru_stime
    ours = child_cpu + postgres_after - postgres_before + self_cpu() - self_before
    other = busy_cpu() - machine_before - ours
    if process.returncode != 0:
        raise BenchError(f"{label} failed (exit {process.returncode}):\n{tail(log)}")
    return ImportRun(
        label=label,
        fiches=settings.fiches,
        wall_seconds=wall,
        peak_rss_bytes=usage.ru_maxrss * 1024,  # KiB on Linux
        polled_rss_bytes=polled,
        cpu_seconds=child_cpu,
        postgres_cpu_seconds=postgres_after - postgres_before,
        other_cores=max(0.0, other / wall),
        report=parse_import_report(log.read_text(errors="replace")),
    )


# --------------------------------------------------------------------------------------------
# Workload: codes and queries taken from the database
# --------------------------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    """« éducateur » → « educateur »."""
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def title_words(title: str) -> list[str]:
    """The content words of a title, lower-cased, accents kept, in order."""
    words = re.findall(r"[^\W\d_]+", title.lower())
    return [w for w in words if len(w) >= 3 and strip_accents(w) not in STOPWORDS]


def build_queries(titles: Sequence[str], count: int, rng: random.Random) -> list[str]:
    """About ``count`` varied queries from real title words; half of them without accents.

    40 % single words, 45 % pairs of words that follow each other in a title (stop words
    aside), 15 % such pairs cut to prefixes (« educ spec »).
    """
    singles: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    for title in titles:
        words = title_words(title)
        singles.update(set(words))
        pairs.update({(a, b) for a, b in itertools.pairwise(words) if a != b})
    common_singles = [w for w, n in singles.most_common(400) if n >= 2]
    common_pairs = [p for p, n in pairs.most_common(600) if n >= 2]
    if not common_singles:
        raise BenchError("the database has too few titles to build search queries")
    prefix_pool = [p for p in common_pairs if len(p[0]) >= 6 and len(p[1]) >= 6]
    wanted_singles, wanted_prefixes = round(count * 0.40), round(count * 0.15)
    wanted_pairs = count - wanted_singles - wanted_prefixes

    chosen = rng.sample(common_singles, min(wanted_singles, len(common_singles)))
    for a, b in rng.sample(common_pairs, min(wanted_pairs, len(common_pairs))):
        chosen.append(f"{a} {b}")
    for a, b in rng.sample(prefix_pool, min(wanted_prefixes, len(prefix_pool))):
        chosen.append(f"{a[: rng.randint(4, 6)]} {b[: rng.randint(3, 6)]}")
    queries: list[str] = []
    for index, query in enumerate(chosen):
        variant = strip_accents(query) if index % 2 else query
        if variant not in queries:
            queries.append(variant)
    rng.shuffle(queries)
    return queries[:count]


@dataclasses.dataclass
class Workload:
    """What the HTTP runs cycle over."""

    warm_codes: list[str]
    cold_codes: list[str]
    queries: list[str]


def load_workload(settings: Settings) -> Workload:
    """Takes real codes and title words from catalog_bench (a deterministic sample)."""
    dsn = settings.dsn(DATABASE)
    ordered = "SELECT rncp_code FROM certification ORDER BY md5(rncp_code)"
    codes = [row[0] for row in pg_fetch(dsn, ordered)]
    if len(codes) < 2:
        raise BenchError(
            "catalog_bench holds no certifications: run without --reuse-db to import some"
        )
    warm_count = min(settings.codes, max(1, len(codes) // 2))
    titles = [row[0] for row in pg_fetch(dsn, "SELECT title FROM certification")]
    queries = build_queries(sorted(titles), settings.queries, random.Random(SEED))
    return Workload(codes[:warm_count], codes[warm_count:], queries)


def detail_path(code: str) -> str:
    """The detail URL path of a certification."""
    return f"/v1/certifications/{code}"


def search_path(query: str) -> str:
    """The search URL path of a query (first page of 20)."""
    return f"/v1/certifications?q={urllib.parse.quote(query, safe='')}&limit=20"


def lua_script(
    path: Path, paths: Sequence[str], *, cache_buster: str | None = None
) -> Path:
    """Writes a wrk script cycling over ``paths``, printing exact percentiles when done.

    With ``cache_buster``, each request gets a parameter ``_bench=<token>-<n>`` that the API
    ignores but that makes its query string unique, so that no answer comes from a cache
    keyed by the query string. The token must differ from one run to the next.
    """
    listed = ",\n".join(f'  "{p}"' for p in paths)
    target = "paths[index]"
    if cache_buster is not None:
        target = f'paths[index] .. "&_bench={cache_buster}-" .. sent'
    path.write_text(
        f"""-- generated by bench/catalog_bench.py
local paths = {{
{listed}
}}
local count = #paths
local index = 0
local sent = 0

request = function()
  index = index % count + 1
  sent = sent + 1
  return wrk.format("GET", {target})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p95":%d,"p99":%d,' ..
    '"max":%d,"mean":%.1f}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
""",
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    """A uvicorn process started by the benchmark."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        """Where it listens."""
        return f"http://127.0.0.1:{self.port}"


def uvicorn_command(target: str, port: int, *extra: str) -> list[str]:
    """Both apps' command: one worker, uvloop and httptools (auto), no access log."""
    return [
        str(BIN / "uvicorn"),
        "--factory",
        target,
        *extra,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
    ]


def start_server(
    name: str, command: list[str], env: dict[str, str], log: Path
) -> Server:
    """Starts a server in its own session, its output going to a log file."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    port = int(command[command.index("--port") + 1])
    return Server(name=name, process=process, port=port, log=log)


def http_get(url: str, *, timeout: float = 10.0) -> tuple[int, bytes]:
    """One GET to this machine; returns the status and body."""
    if urllib.parse.urlsplit(url).hostname not in LOOPBACK:
        raise BenchError(f"refusing to send traffic off this machine: {url}")
    try:
        # Loopback http only, checked above.
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310  # nosec B310
            status: int = response.status
            return status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_ready(server: Server, path: str, *, timeout: float = 60.0) -> None:
    """Waits until ``path`` answers 200, or the server dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            code = server.process.returncode
            raise BenchError(
                f"{server.name} exited (code {code}) while starting:\n{tail(server.log)}"
            )
        with contextlib.suppress(OSError):
            status, _ = http_get(server.base_url + path, timeout=2.0)
            if status == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"{server.name} not ready in {timeout:.0f} s:\n{tail(server.log)}")


# --------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class WrkRun:
    """One wrk run, with the CPU that the server, PostgreSQL and others spent meanwhile."""

    name: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors (connect, read, write, timeout)
    bad_status: int  # responses that were not 2xx or 3xx
    bytes_per_response: float
    server_cpu_us: float  # per request
    postgres_cpu_us: float  # per request
    wrk_cpu_us: float  # per request
    other_cores: float  # CPU of every other process meanwhile, in cores


_LATENCY_LINE = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$")
_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def parse_wrk(output: str) -> tuple[dict[str, float], dict[str, Any]]:
    """Reads wrk's ``--latency`` distribution (ms) and the script's ``BENCH_JSON`` line."""
    distribution: dict[str, float] = {}
    summary: dict[str, Any] = {}
    for line in output.splitlines():
        match = _LATENCY_LINE.match(line)
        if match:
            distribution[match.group(1)] = (
                float(match.group(2)) * _UNIT_MS[match.group(3)]
            )
        elif line.startswith("BENCH_JSON "):
            summary = json.loads(line.removeprefix("BENCH_JSON "))
    if not summary or len(distribution) < 4:
        raise BenchError(f"could not read wrk's output:\n{output}")
    return distribution, summary


def run_wrk(
    name: str, server: Server, script: Path, *, connections: int, duration: int
) -> WrkRun:
    """Runs ``wrk -t1 -c{connections} -d{duration}s --latency`` against one of our servers."""
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
        "--timeout", "5s", "-s", str(script), server.base_url,
    ]  # fmt: skip
    postgres = PostgresCpu()
    postgres_before = postgres.sample()
    server_before = process_cpu(server.process.pid)
    machine_before, children_before, self_before = (
        busy_cpu(),
        children_cpu(),
        self_cpu(),
    )
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk against {name} ran over {duration + 60} s") from error
    wall = time.perf_counter() - started
    server_cpu = process_cpu(server.process.pid) - server_before
    postgres_cpu = postgres.sample() - postgres_before
    wrk_cpu = children_cpu() - children_before
    ours = server_cpu + postgres_cpu + wrk_cpu + self_cpu() - self_before
    other = busy_cpu() - machine_before - ours
    if done.returncode != 0:
        raise BenchError(
            f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    distribution, summary = parse_wrk(done.stdout)
    requests = max(int(summary["requests"]), 1)
    seconds = summary["duration_us"] / 1e6
    return WrkRun(
        name=name,
        connections=connections,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds,
        p50_ms=distribution["50"],
        p90_ms=distribution["90"],
        p95_ms=summary["p95"] / 1e3,  # wrk's --latency lists 50/75/90/99 only
        p99_ms=distribution["99"],
        max_ms=summary["max"] / 1e3,
        errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        bad_status=int(summary["status"]),
        bytes_per_response=summary["bytes"] / requests,
        server_cpu_us=server_cpu / requests * 1e6,
        postgres_cpu_us=postgres_cpu / requests * 1e6,
        wrk_cpu_us=wrk_cpu / requests * 1e6,
        other_cores=max(0.0, other / wall),
    )


# --------------------------------------------------------------------------------------------
# HTTP phase
# --------------------------------------------------------------------------------------------

HELLO, DETAIL, COLD, SEARCH, SEARCH_CACHED = (
    "hello",
    "detail",
    "cold",
    "search",
    "repeat",
)
LABELS = {
    HELLO: "hello-world `GET /hello`",
    DETAIL: "detail `GET /v1/certifications/{code}`, cached",
    COLD: "detail, cache miss (codes never read before)",
    SEARCH: "search `GET /v1/certifications?q=…&limit=20`, uncached",
    SEARCH_CACHED: "search, the same queries repeated (page cache)",
}


@dataclasses.dataclass
class HttpResults:
    """Every wrk run of the HTTP phase, by name and connection count, in round order."""

    runs: dict[tuple[str, int], list[WrkRun]]
    rounds: list[list[WrkRun]]
    notes: list[str]


def prime(
    server: Server, paths: Sequence[str], *, workers: int = 4
) -> tuple[int, float, float]:
    """GETs every path once (filling the server's cache).

    Returns the number of answers that were not 200, the mean body size and the seconds taken.
    """
    started = time.perf_counter()

    def fetch(path: str) -> tuple[int, int]:
        status, body = http_get(server.base_url + path, timeout=30.0)
        return status, len(body)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        answers = list(pool.map(fetch, paths))
    failures = sum(1 for status, _ in answers if status != 200)
    mean_size = statistics.fmean(size for _, size in answers) if answers else 0.0
    return failures, mean_size, time.perf_counter() - started


def check_queries(
    server: Server, queries: Sequence[str]
) -> tuple[int, float, list[str]]:
    """Runs each query once: queries with a hit, mean hits per page, failures."""
    hits: list[int] = []
    failing: list[str] = []
    for query in queries:
        status, body = http_get(server.base_url + search_path(query), timeout=30.0)
        if status != 200:
            failing.append(f"{query!r}: HTTP {status}")
            continue
        hits.append(len(json.loads(body)["items"]))
    return sum(1 for n in hits if n), statistics.fmean(hits) if hits else 0.0, failing


def wait_for_quiet(servers: Sequence[Server], budget: float) -> float:
    """Waits (at most ``budget`` s) until processes other than ours use < 0.25 cores.

    Ours: the servers started here and PostgreSQL. Returns the seconds waited.
    """
    started = time.monotonic()
    postgres = PostgresCpu()
    while time.monotonic() - started < budget:
        before = busy_cpu() - postgres.sample()
        before -= sum(process_cpu(s.process.pid) for s in servers)
        time.sleep(2.0)
        after = busy_cpu() - postgres.sample()
        after -= sum(process_cpu(s.process.pid) for s in servers)
        if (after - before) / 2.0 < BUSY_MACHINE_CORES:
            break
    return time.monotonic() - started


def _split(items: Sequence[str], parts: int) -> list[list[str]]:
    size = max(1, len(items) // parts)
    return [
        list(items[i * size : (i + 1) * size]) or list(items[:1]) for i in range(parts)
    ]


def run_http_phase(settings: Settings, workload: Workload, work: Path) -> HttpResults:
    """Starts the catalog and hello-world servers, primes, warms up, runs the rounds."""
    notes: list[str] = []
    catalog_env = {
        **os.environ,
        "CATALOG_DATABASE_URL": settings.database_url,
        "CATALOG_ENVIRONMENT": "development",
    }
    catalog_command = uvicorn_command("catalog.main:app", free_port())
    hello_command = uvicorn_command(
        "hello_app:app", free_port(), "--app-dir", str(BENCH_DIR)
    )
    servers: list[Server] = []
    try:
        catalog = start_server(
            "catalog", catalog_command, catalog_env, work / "catalog-server.log"
        )
        servers.append(catalog)
        hello = start_server(
            "hello-world", hello_command, dict(os.environ), work / "hello-server.log"
        )
        servers.append(hello)
        wait_ready(catalog, "/readyz")
        wait_ready(hello, "/hello")
        shown = " ".join(catalog_command).replace(str(ROOT) + "/", "")
        notes.append(f"catalog served by `{shown}` (a free port)")

        warm_paths = [detail_path(c) for c in workload.warm_codes]
        n_codes = len(warm_paths)
        print(
            f"  priming: reading each of the {n_codes:,} detail codes once …",
            flush=True,
        )
        failures, mean_size, seconds = prime(catalog, warm_paths)
        if failures:
            raise BenchError(f"{failures} of {n_codes} detail reads did not answer 200")
        notes.append(
            f"detail: {n_codes:,} codes cycled over, {mean_size / 1e3:,.1f} kB per document "
            f"on average; reading each once first (4 client threads) took {seconds:.1f} s"
        )
        with_hits, mean_hits, failing = check_queries(catalog, workload.queries)
        if failing:
            raise BenchError("search queries failed:\n" + "\n".join(failing[:10]))
        examples = ", ".join(repr(q) for q in workload.queries[:10])
        notes.append(
            f"search: {len(workload.queries)} queries, {with_hits} with at least one hit, "
            f"{mean_hits:.1f} hits per page on average (limit 20); e.g. {examples}"
        )
        _, hello_body = http_get(hello.base_url + "/hello")
        notes.append(f"hello-world: a {len(hello_body)}-byte JSON body")

        scripts = {
            HELLO: lua_script(work / "hello.lua", ["/hello"]),
            DETAIL: lua_script(work / "detail.lua", warm_paths),
            SEARCH_CACHED: lua_script(
                work / "repeat.lua", [search_path(q) for q in workload.queries]
            ),
        }
        cold_slices = _split(workload.cold_codes, settings.rounds)
        servers_of = {HELLO: hello}

        def script_for(key: str, round_index: int, connections: int) -> Path:
            if key == COLD:
                paths = [detail_path(c) for c in cold_slices[round_index]]
                return lua_script(work / f"cold-{round_index}.lua", paths)
            if key == SEARCH:
                token = f"{round_index}x{connections}x{time.time_ns() % 10**9}"
                paths = [search_path(q) for q in workload.queries]
                return lua_script(work / "search.lua", paths, cache_buster=token)
            return scripts[key]

        print(f"  warm-up: {settings.warmup} s per endpoint", flush=True)
        for key in (HELLO, DETAIL, SEARCH_CACHED, SEARCH):
            run_wrk(
                key,
                servers_of.get(key, catalog),
                script_for(key, -1, 0),
                connections=settings.connections,
                duration=settings.warmup,
            )

        c = settings.connections
        plan = [(HELLO, c), (DETAIL, c), (COLD, c), (SEARCH, c), (SEARCH_CACHED, c)]
        plan += [(HELLO, 1), (DETAIL, 1), (SEARCH, 1)]
        runs: dict[tuple[str, int], list[WrkRun]] = {}
        rounds: list[list[WrkRun]] = []
        waited = reprime = 0.0
        cached_paths = {
            DETAIL: warm_paths,
            SEARCH_CACHED: [search_path(q) for q in workload.queries],
        }
        for round_index in range(settings.rounds):
            this_round: list[WrkRun] = []
            for key, connections in plan if round_index % 2 == 0 else plan[::-1]:
                print(
                    f"  round {round_index + 1}/{settings.rounds}: {key} @{connections} …",
                    end="",
                    flush=True,
                )
                if settings.wait_quiet:
                    waited += wait_for_quiet(servers, settings.wait_quiet)
                if key in cached_paths:
                    # Entries live 300 s and the other runs add entries (LRU): put back
                    # whatever expired or was evicted, so that the run measures hits.
                    _, _, seconds = prime(catalog, cached_paths[key])
                    reprime = max(reprime, seconds)
                run = run_wrk(
                    key,
                    servers_of.get(key, catalog),
                    script_for(key, round_index, connections),
                    connections=connections,
                    duration=settings.duration,
                )
                print(f" {run.rps:,.0f} req/s, p50 {run.p50_ms:.2f} ms", flush=True)
                where = f"round {round_index + 1}, {key} @{connections}"
                if run.errors or run.bad_status:
                    notes.append(
                        f"{where}: {run.errors} socket errors (timeouts 5 s included), "
                        f"{run.bad_status} responses not 2xx/3xx"
                    )
                if key == COLD and run.requests > len(cold_slices[round_index]):
                    notes.append(
                        f"{where}: {run.requests:,} reads for "
                        f"{len(cold_slices[round_index]):,} unread codes: some were cached"
                    )
                runs.setdefault((key, connections), []).append(run)
                this_round.append(run)
            rounds.append(this_round)
        if median([r.postgres_cpu_us for r in runs.get((SEARCH, c), [])]) < 50:
            notes.append(
                "uncached search used almost no PostgreSQL CPU: the `_bench` parameter "
                "no longer bypasses the page cache, the search rows measure the cache"
            )
        notes.append(
            f"the cached sets were read again before each of their runs: {reprime:.1f} s "
            "at most (≈ 1 s when all is still cached; more means entries had expired)"
        )
        if settings.wait_quiet:
            notes.append(
                f"waited {waited:.0f} s in all for other processes to go quiet "
                f"(at most {settings.wait_quiet} s before each run)"
            )
        rss = psutil.Process(catalog.process.pid).memory_info().rss
        notes.append(f"catalog server RSS after the runs: {rss / 1e6:,.0f} MB")
        return HttpResults(runs=runs, rounds=rounds, notes=notes)
    finally:
        for server in servers:
            stop_group(server.process)


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def source_digest() -> str:
    """A short hash of the catalog's and the shared library's sources, to tell runs apart."""
    digest = hashlib.sha256()
    for directory in SOURCE_DIRS:
        for path in sorted(directory.rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def wrk_and_machine() -> dict[str, str]:
    """wrk's version and what the machine is (shared with the gateway benchmark)."""
    wrk = subprocess.run(
        ["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    banner = (wrk.stdout or wrk.stderr).splitlines()
    memory = psutil.virtual_memory().total / 2**30
    return {
        "wrk": banner[0].split(" Copyright")[0].removeprefix("wrk ") if banner else "?",
        "machine": f"{platform.system()} {platform.release()}, {os.cpu_count()} vCPU "
        f"({_cpu_model()}), {memory:.0f} GiB",
    }


def versions(settings: Settings) -> dict[str, str]:
    """Versions of everything that moves the figures."""
    found: dict[str, str] = {"Python": platform.python_version()}
    for package in (
        "fastapi",
        "starlette",
        "uvicorn",
        "uvloop",
        "httptools",
        "pydantic",
        "SQLAlchemy",
        "asyncpg",
    ):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    try:
        server_version = pg_fetch(settings.dsn("postgres"), "SHOW server_version")
        found["PostgreSQL"] = str(server_version[0][0])
    except (OSError, asyncpg.PostgresError) as error:
        found["PostgreSQL"] = f"unreachable ({error})"
    found.update(wrk_and_machine())
    found["source digest"] = source_digest()
    return found


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdict(ok: bool) -> str:
    return "✅ met" if ok else "❌ missed"


def _ratios(results: HttpResults, key: str, connections: int) -> list[float]:
    """Per round: the target's req/s over hello-world's, at the same connection count."""
    ratios: list[float] = []
    for run_round in results.rounds:
        same = [r for r in run_round if r.connections == connections]
        target = [r.rps for r in same if r.name == key]
        hello = [r.rps for r in same if r.name == HELLO]
        if target and hello:
            ratios.append(target[0] / hello[0])
    return ratios


def render_report(
    settings: Settings,
    found: dict[str, str],
    imports: list[ImportRun],
    results: HttpResults | None,
    started: datetime,
    elapsed: float,
) -> str:
    """The Markdown report: versions, command, the two tables and notes."""
    shown = ", ".join(f"{k} {v}" for k, v in found.items() if k != "machine")
    lines = [
        f"# Catalog benchmark, {started:%Y-%m-%d %H:%M %Z}",
        "",
        f"Command: `{settings.command}` ({elapsed / 60:.1f} min)  ",
        f"Versions: {shown}.  ",
        f"Machine: {found['machine']}; wrk, the servers and PostgreSQL share it.",
        "",
    ]
    if imports:
        lines += _import_table(imports)
    if results is not None:
        lines += _http_table(settings, results)
    return "\n".join(lines) + "\n"


def _import_table(imports: list[ImportRun]) -> list[str]:
    lines = [
        "## Import: `catalog import-rncp` as a child process, into a fresh database",
        "",
        "| run | fiches | wall | fiches/s | peak RSS | child CPU | PostgreSQL CPU "
        "| created / updated / unchanged / skipped | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for index, run in enumerate(imports):
        report = run.report
        counts = " / ".join(
            f"{int(report[k]):,}"
            for k in ("created", "updated", "unchanged", "skipped")
        )
        rss_mb = run.peak_rss_bytes / 1e6
        rss_ok = rss_mb < IMPORT_RSS_TARGET_MB
        if index == 0:
            target = f"≥ {IMPORT_RATE_TARGET:,.0f} fiches/s, RSS < {IMPORT_RSS_TARGET_MB:.0f} MB"
            outcome = verdict(run.rate >= IMPORT_RATE_TARGET and rss_ok)
        else:
            target, outcome = f"RSS < {IMPORT_RSS_TARGET_MB:.0f} MB", verdict(rss_ok)
        lines.append(
            f"| {run.label} | {int(report.get('read', run.fiches)):,} "
            f"| {run.wall_seconds:.1f} s | **{run.rate:,.0f}** | **{rss_mb:,.0f} MB** "
            f"| {run.cpu_seconds:.1f} s | {run.postgres_cpu_seconds:.1f} s "
            f"| {counts if report else '?'} | {target} | {outcome} |"
        )
    polled = ", ".join(f"{r.polled_rss_bytes / 1e6:,.0f} MB" for r in imports)
    own = ", ".join(f"{r.report.get('seconds', float('nan')):.1f} s" for r in imports)
    other = ", ".join(f"{r.other_cores:.2f}" for r in imports)
    lines += [
        "",
        "Wall time runs from spawning the process to reaping it (interpreter start-up "
        "included); peak RSS is the kernel's high-water mark of the process (`wait4` "
        f"ru_maxrss; 50 ms polling of the process tree saw {polled}). The CLI's own timer "
        f"said {own}. Other processes on the machine used {other} cores meanwhile.",
        "",
    ]
    return lines


def _http_table(settings: Settings, results: HttpResults) -> list[str]:
    c = settings.connections
    lines = [
        "## HTTP: uvicorn, 1 worker (uvloop, httptools), PostgreSQL `catalog_bench`",
        "",
        f"{settings.rounds} round(s) of {settings.duration} s runs of `wrk -t1 -c{c}` and "
        "`-c1` with `--latency`, hello-world and the catalog alternated in each round "
        "(order reversed every other round); medians over rounds.",
        "",
        "| endpoint | conn | req/s | × hello | p50 | p95 | p99 | server CPU/req "
        "| PostgreSQL CPU/req | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    hello_p50_1 = median([r.p50_ms for r in results.runs.get((HELLO, 1), [])])
    order = [(HELLO, c), (DETAIL, c), (COLD, c), (SEARCH, c), (SEARCH_CACHED, c)]
    order += [(HELLO, 1), (DETAIL, 1), (SEARCH, 1)]
    for key, connections in order:
        runs = results.runs.get((key, connections), [])
        if not runs:
            continue
        rps = median([r.rps for r in runs])
        p50 = median([r.p50_ms for r in runs])
        p95 = median([r.p95_ms for r in runs])
        p99 = median([r.p99_ms for r in runs])
        ratio = median(_ratios(results, key, connections)) if key != HELLO else 1.0
        target, outcome = "", ""
        if (key, connections) == (DETAIL, c):
            target = f"× hello ≥ {DETAIL_RATIO_TARGET}"
            outcome = verdict(ratio >= DETAIL_RATIO_TARGET)
        elif (key, connections) == (SEARCH, c):
            target = f"≥ {SEARCH_RPS_TARGET:.0f} req/s"
            outcome = verdict(rps >= SEARCH_RPS_TARGET)
        elif (key, connections) == (SEARCH, 1):
            target = f"p95 ≤ {SEARCH_P95_TARGET_MS:.0f} ms"
            outcome = verdict(p95 <= SEARCH_P95_TARGET_MS)
        elif (key, connections) == (DETAIL, 1):
            target = f"service time {p50 - hello_p50_1:+.2f} ms vs hello"
        server_cpu = median([r.server_cpu_us for r in runs])
        postgres_cpu = median([r.postgres_cpu_us for r in runs])
        rps_text = (
            f"**{rps:,.0f}**" if key != HELLO and connections == c else f"{rps:,.0f}"
        )
        ratio_text = (
            f"**{ratio:.2f}**" if (key, connections) == (DETAIL, c) else f"{ratio:.2f}"
        )
        lines.append(
            f"| {LABELS[key]} | {connections} | {rps_text} | {ratio_text} | {p50:.2f} ms "
            f"| {p95:.2f} ms | {p99:.2f} ms | {server_cpu:,.0f} µs | {postgres_cpu:,.0f} µs "
            f"| {target} | {outcome} |"
        )
    other = [r.other_cores for run_round in results.rounds for r in run_round]
    busy = [
        r
        for run_round in results.rounds
        for r in run_round
        if r.other_cores > BUSY_MACHINE_CORES
    ]
    lines += [
        "",
        "× hello is the median over rounds of the ratio to hello-world's req/s in the same "
        "round at the same connection count. CPU/req: CPU time of the uvicorn process (of "
        "all PostgreSQL processes) during the run ÷ requests served. Other processes on "
        f"the machine used {median(other):.2f} cores during a run (median; max "
        f"{max(other, default=0.0):.2f}).",
        "",
    ]
    if busy:
        lines += [
            f"**The machine was not quiet**: other processes used more than "
            f"{BUSY_MACHINE_CORES} cores during {len(busy)} of {len(other)} runs (marked * "
            "below). Their req/s and latencies are disturbed; CPU/req much less. Run again "
            "when the machine is idle before quoting req/s.",
            "",
        ]
    lines += ["Per round (req/s; other processes' cores in brackets):", ""]
    for index, run_round in enumerate(results.rounds, start=1):
        figures = ", ".join(
            f"{r.name}@{r.connections} {r.rps:,.0f} ({r.other_cores:.1f})"
            + ("*" if r.other_cores > BUSY_MACHINE_CORES else "")
            for r in run_round
        )
        lines.append(f"- round {index}: {figures}")
    lines += ["", "Notes:", ""] + [f"- {note}" for note in results.notes]
    return lines


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    """Runs the whole benchmark and prints its report."""
    settings = parse_settings(argv)
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed: this benchmark drives the servers with wrk.\n"
            "Install it (Debian/Ubuntu, as root):\n\n"
            "    apt-get update -qq && apt-get install -y wrk\n",
            file=sys.stderr,
        )
        return 2
    signal.signal(signal.SIGTERM, on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now().astimezone()
    started = time.perf_counter()
    found = versions(settings)
    print(f"Catalog benchmark: {settings.command}")
    print("  " + ", ".join(f"{k} {v}" for k, v in found.items()))
    imports: list[ImportRun] = []
    results: HttpResults | None = None
    with tempfile.TemporaryDirectory(prefix="catalog-bench-") as scratch:
        work = Path(scratch)
        try:
            if not settings.reuse_db:
                print("Import")
                export = synthetic_export(settings)
                print(
                    f"  database: dropping and creating {DATABASE}, migrating …",
                    flush=True,
                )
                recreate_database(settings)
                migrate(settings)
                for label in ("first import (empty DB)", "re-import (all unchanged)"):
                    print(f"  {label} …", end="", flush=True)
                    log = work / f"import-{len(imports)}.log"
                    if settings.wait_quiet:
                        wait_for_quiet([], settings.wait_quiet)
                    run = run_import(settings, export, label, log)
                    print(
                        f" {run.wall_seconds:.1f} s, {run.rate:,.0f} fiches/s, "
                        f"peak RSS {run.peak_rss_bytes / 1e6:,.0f} MB"
                    )
                    imports.append(run)
            print("HTTP")
            outbox = settle_outbox(settings)
            workload = load_workload(settings)
            results = run_http_phase(settings, workload, work)
            results.notes.insert(0, outbox)
        except BenchError as error:
            print(f"\nbenchmark failed: {error}", file=sys.stderr)
            return 1
    elapsed = time.perf_counter() - started
    report = render_report(settings, found, imports, results, started_at, elapsed)
    print()
    print(report)
    stem = (
        RESULTS_DIR
        / f"catalog-{started_at:%Y-%m-%d}{'-quick' if settings.quick else ''}"
    )
    stem.with_suffix(".md").write_text(report, encoding="utf-8")
    raw = {
        "settings": dataclasses.asdict(settings),
        "versions": found,
        "imports": [dataclasses.asdict(r) for r in imports],
        "http": [[dataclasses.asdict(r) for r in rr] for rr in results.rounds]
        if results
        else [],
    }
    stem.with_suffix(".json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    print(f"Written: {stem.with_suffix('.md').relative_to(ROOT)} and its .json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
