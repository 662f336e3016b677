"""Benchmark of the candidacy service's ledger of acquired blocks at scale (1,000,000 blocks).

One command, on a fresh PostgreSQL database migrated to head:

1. bulk-loads N acquired blocks (asyncpg COPY; 200,000 candidates of ~500 partner organisations
   for the default 1,000,000 blocks), acquired over the last 8 years, expiring by the
   certification's retention policy (5 years, the certification's end date, or never), none of
   them announced yet; then VACUUM ANALYZE;
2. prints EXPLAIN (ANALYZE, BUFFERS) of the statements the service really issues (captured from
   ``LedgerRepository`` through SQLAlchemy): the expiring-soon query of one organisation, its
   administrator variant (first page and a deep page), and the sweep's claims (in transactions
   rolled back), with the indexes each plan uses;
3. times the expiring-soon query for random organisations: raw asyncpg (the same SQL) against
   the repository through an SQLAlchemy session, and the service function ``list_expiring``;
4. times ``sweep_expiries`` (the first sweep announces every expired and expiring block, the
   second one nothing), and checks the outbox holds one event per block;
5. optionally (``--concurrent-sweeps 2``) resets the announcements and runs sweeps at once,
   checking that every block is announced exactly once.

Usage (from the repository root)::

    .venv/bin/python bench/candidacy_bench.py [--quick] [--blocks N] [--concurrent-sweeps 2]

See bench/README.md (section "Candidacy ledger benchmark") for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import platform
import random
import re
import shlex
import signal
import statistics
import sys
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from uuid6 import uuid7

from candidacy.candidacy.service import today_in_paris
from candidacy.config import ALEMBIC_INI
from candidacy.ledger.repository import LedgerRepository
from candidacy.ledger.rules import RetentionPolicy, Source, expiry_date
from candidacy.ledger.service import SweepReport, list_expiring, sweep_expiries
from common import (
    DEFAULT_LIMIT,
    Principal,
    Role,
    create_engine,
    create_sessionmaker,
    upgrade_to_head,
    utcnow,
)
from common.testing import create_postgres_database, drop_postgres_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

FULL_BLOCKS = 1_000_000
QUICK_BLOCKS = 100_000
BLOCKS_PER_CANDIDATE = 5
SEED = 20_261_127
COPY_CHUNK = 50_000
YEARS_OF_HISTORY = 8

CANDIDATE_COLUMNS = (
    "id",
    "organisation_id",
    "given_name",
    "family_name",
    "birth_date",
    "email",
    "phone",
    "department",
    "erased_at",
    "version",
    "created_at",
    "updated_at",
)
BLOCK_COLUMNS = (
    "id",
    "candidate_id",
    "organisation_id",
    "block_code",
    "rncp_code",
    "block_title",
    "certification_version",
    "acquired_on",
    "expires_on",
    "source",
    "source_ref",
    "candidacy_id",
    "expiring_notified_at",
    "expired_notified_at",
    "created_at",
)

SCAN = re.compile(
    r"(Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\S+)"
)
SEQ_SCAN = re.compile(r"Seq Scan on (\S+)")
EXECUTION = re.compile(r"Execution Time: ([\d.]+) ms")
PLANNING = re.compile(r"Planning Time: ([\d.]+) ms")
REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")
ORGANISATION_INDEX = "ix_acquired_block_organisation_expiry"
EXPIRY_INDEX = "ix_acquired_block_expires_on"
CLAIM_INDEXES = {
    "claim_expired": "ix_acquired_block_expired_pending",
    "claim_expiring": "ix_acquired_block_expiring_pending",
}


class BenchError(Exception):
    """The benchmark cannot go on; the message says why."""


# --------------------------------------------------------------------------------------------
# Settings and output
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures, resolved from the command line."""

    quick: bool
    blocks: int
    candidates: int
    organisations: int
    certifications: int
    runs: int
    batch_size: int
    horizon_days: int
    today: date
    concurrent_sweeps: int
    keep: bool
    pg: str
    seed: int
    command: str

    @property
    def until(self) -> date:
        """The end of the expiring-soon window (and of the sweep's horizon)."""
        return self.today + timedelta(days=self.horizon_days)


def parse_settings(argv: Sequence[str]) -> Settings:
    """Reads the command line; ``--quick`` changes the defaults that were not given."""
    parser = argparse.ArgumentParser(
        description="Benchmark the candidacy ledger (expiring-soon query, expiry sweep) "
        "on PostgreSQL at scale."
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="Smoke test: 100,000 blocks.")
    add(
        "--blocks", type=int, help="Acquired blocks to load (1,000,000; quick 100,000)."
    )
    add("--candidates", type=int, help="Candidates (blocks / 5).")
    add("--organisations", type=int, default=500, help="Partner organisations (500).")
    add(
        "--certifications", type=int, default=2_000, help="RNCP certifications (2,000)."
    )
    add(
        "--runs",
        type=int,
        default=200,
        help="Timed expiring-soon queries per variant (200).",
    )
    add("--batch-size", type=int, default=1_000, help="Sweep batch size (1,000).")
    add(
        "--horizon-days",
        type=int,
        default=180,
        help="Expiring-soon horizon (180 days).",
    )
    add("--today", help="Date of the queries and sweeps, YYYY-MM-DD (today in Paris).")
    add(
        "--concurrent-sweeps",
        type=int,
        default=0,
        metavar="K",
        help="Also run K sweeps at once on reset announcements and check each block "
        "is announced once (0: skip).",
    )
    add("--keep", action="store_true", help="Keep the database at the end.")
    add(
        "--pg",
        default=os.environ.get("BENCH_PG_DSN", "postgresql://postgres@127.0.0.1:5432"),
        help="PostgreSQL server (loopback only, superuser); a fresh database is created.",
    )
    add("--seed", type=int, default=SEED, help="Seed of the synthetic ledger.")
    args = parser.parse_args(argv)
    blocks = args.blocks or (QUICK_BLOCKS if args.quick else FULL_BLOCKS)
    candidates = args.candidates or max(1, blocks // BLOCKS_PER_CANDIDATE)
    try:
        today = date.fromisoformat(args.today) if args.today else today_in_paris()
    except ValueError:
        parser.error(f"--today {args.today!r} is not a date: use YYYY-MM-DD")
    if not 1 <= candidates <= blocks:
        parser.error("--candidates must be between 1 and --blocks")
    for name in (
        "organisations",
        "certifications",
        "runs",
        "batch_size",
        "horizon_days",
    ):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    host = urllib.parse.urlsplit(args.pg).hostname or ""
    if host not in LOOPBACK:
        parser.error(f"--pg must point at this machine (127.0.0.1), not {host!r}")
    shown = [_shown(Path(sys.executable)), _shown(Path(sys.argv[0])), *argv]
    return Settings(
        quick=args.quick,
        blocks=blocks,
        candidates=candidates,
        organisations=args.organisations,
        certifications=args.certifications,
        runs=args.runs,
        batch_size=args.batch_size,
        horizon_days=args.horizon_days,
        today=today,
        concurrent_sweeps=max(0, args.concurrent_sweeps),
        keep=args.keep,
        pg=args.pg.rstrip("/"),
        seed=args.seed,
        command=" ".join(shlex.quote(a) for a in shown),
    )


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(ROOT))
    return str(path)


class Report:
    """Prints the report as it goes and keeps its lines for the Markdown file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


out = Report()


def ms(seconds: float) -> str:
    """Seconds as milliseconds, to a precision that reads well."""
    value = seconds * 1000
    return f"{value:,.2f} ms" if value < 10 else f"{value:,.1f} ms"


# --------------------------------------------------------------------------------------------
# Synthetic ledger
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Certification:
    """A certification of the synthetic catalog, with its retention policy."""

    rncp_code: str
    policy: RetentionPolicy
    end_date: date | None
    blocks: int
    version: int


@dataclasses.dataclass
class LoadStats:
    """What the load wrote and how long it took."""

    candidates: int = 0
    blocks: int = 0
    generate_seconds: float = 0.0
    copy_seconds: float = 0.0
    vacuum_analyze_seconds: float = 0.0
    expired: int = 0
    expiring: int = 0
    never_expires: int = 0
    per_organisation: Counter[str] = dataclasses.field(default_factory=Counter)

    @property
    def load_seconds(self) -> float:
        return self.generate_seconds + self.copy_seconds

    def summary(self) -> dict[str, Any]:
        sizes = sorted(self.per_organisation.values())
        return {
            "candidates": self.candidates,
            "blocks": self.blocks,
            "generate_seconds": round(self.generate_seconds, 2),
            "copy_seconds": round(self.copy_seconds, 2),
            "load_seconds": round(self.load_seconds, 2),
            "vacuum_analyze_seconds": round(self.vacuum_analyze_seconds, 2),
            "expired_on_today": self.expired,
            "expiring_within_horizon": self.expiring,
            "never_expires": self.never_expires,
            "blocks_per_organisation": {
                "organisations": len(sizes),
                "min": sizes[0] if sizes else 0,
                "median": int(statistics.median(sizes)) if sizes else 0,
                "max": sizes[-1] if sizes else 0,
            },
        }


def skewed_weights(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf-like weights: a few large organisations (or popular certifications)."""
    return list(
        itertools.accumulate(1 / (rank + 1) ** exponent for rank in range(count))
    )


def make_certifications(rng: random.Random, settings: Settings) -> list[Certification]:
    """70 % keep blocks 5 years, 25 % until the certification's end date, 5 % forever."""
    found = []
    for code in rng.sample(range(10_000, 40_000), settings.certifications):
        draw = rng.random()
        end_date = None
        if draw < 0.70:
            policy = RetentionPolicy.FIXED_YEARS
        elif draw < 0.95:
            policy = RetentionPolicy.UNTIL_END_DATE
            if rng.random() < 0.8:  # the rest: registered with no end date yet
                end_date = settings.today + timedelta(
                    days=rng.randint(-3 * 365, 5 * 365)
                )
        else:
            policy = RetentionPolicy.NONE
        found.append(
            Certification(
                rncp_code=f"RNCP{code}",
                policy=policy,
                end_date=end_date,
                blocks=rng.randint(3, 6),
                version=rng.randint(1, 3),
            )
        )
    return found


# A jury report (or an equivalence): when, whose, which certification, its first block, how
# many blocks, whether an equivalence.
ReportPlan = tuple[int, int, int, int, int, bool]


def plan_reports(
    rng: random.Random, settings: Settings, certifications: Sequence[Certification]
) -> list[ReportPlan]:
    """Every candidate's reports, sorted by date: the ledger grows in that order."""
    counts = [1] * settings.candidates
    for index in rng.choices(
        range(settings.candidates), k=settings.blocks - settings.candidates
    ):
        counts[index] += 1
    certification_of = rng.choices(
        range(len(certifications)),
        cum_weights=skewed_weights(len(certifications), 0.8),
        k=settings.candidates,
    )
    today = settings.today.toordinal()
    first_day = today - YEARS_OF_HISTORY * 365
    reports: list[ReportPlan] = []
    for candidate, remaining in enumerate(counts):
        index = certification_of[candidate]
        certification = certifications[index]
        start = rng.randint(first_day, today)
        day, block = start, 0
        while remaining:
            size = min(remaining, rng.randint(1, 4), certification.blocks)
            on = day
            if certification.end_date and on > certification.end_date.toordinal():
                # No block of a certification is awarded after its registration ended.
                on = certification.end_date.toordinal() - rng.randint(0, 1_500)
            reports.append((on, candidate, index, block, size, rng.random() < 0.1))
            block += size
            remaining -= size
            day += rng.randint(60, 400)
            if day > today:
                day = rng.randint(start, today)
    reports.sort()
    return reports


def candidate_records(
    rng: random.Random, settings: Settings, organisations: Sequence[str]
) -> tuple[list[uuid.UUID], list[str], list[tuple[Any, ...]]]:
    """Candidates, each of one organisation (a few large ones, many small ones)."""
    organisation_of = rng.choices(
        organisations,
        cum_weights=skewed_weights(len(organisations), 0.7),
        k=settings.candidates,
    )
    ids: list[uuid.UUID] = [uuid7() for _ in range(settings.candidates)]
    created = datetime.combine(
        settings.today - timedelta(days=YEARS_OF_HISTORY * 365), clock(9), tzinfo=UTC
    )
    records = [
        (
            ids[n],
            organisation_of[n],
            f"Prénom{n}",
            f"Nom{n}",
            date(1960, 1, 1) + timedelta(days=rng.randint(0, 40 * 365)),
            f"candidate{n}@example.org",
            None,
            f"{rng.randint(1, 95):02d}",
            None,
            1,
            created,
            created,
        )
        for n in range(settings.candidates)
    ]
    return ids, organisation_of, records


def block_records(
    settings: Settings,
    reports: Sequence[ReportPlan],
    candidate_ids: Sequence[uuid.UUID],
    organisation_of: Sequence[str],
    certifications: Sequence[Certification],
    stats: LoadStats,
) -> Iterator[tuple[Any, ...]]:
    """The ledger rows, in the order the ledger would have grown; expiry by the real rule."""
    today, until = settings.today, settings.until
    for number, (on, candidate, index, first, size, equivalence) in enumerate(reports):
        certification = certifications[index]
        acquired_on = date.fromordinal(on)
        expires_on = expiry_date(
            acquired_on,
            policy=certification.policy,
            years=5,
            certification_end_date=certification.end_date,
        )
        if equivalence:
            source, source_ref = Source.EQUIVALENCE.value, f"equivalence:EQ-{number}"
        else:
            source, source_ref = Source.JURY_REPORT.value, f"report:{uuid7()}"
        created_at = datetime.combine(acquired_on, clock(9), tzinfo=UTC) + timedelta(
            days=2
        )
        organisation = organisation_of[candidate]
        if expires_on is None:
            stats.never_expires += size
        elif expires_on <= today:
            stats.expired += size
        elif expires_on <= until:
            stats.expiring += size
        stats.per_organisation[organisation] += size
        for block in range(first, first + size):
            code = f"{certification.rncp_code}BC{block % certification.blocks + 1:02d}"
            yield (
                uuid7(),
                candidate_ids[candidate],
                organisation,
                code,
                certification.rncp_code,
                f"Bloc {block % certification.blocks + 1} de {certification.rncp_code}",
                certification.version,
                acquired_on,
                expires_on,
                source,
                source_ref,
                None,
                None,
                None,
                created_at,
            )


async def load(connection: Any, settings: Settings) -> LoadStats:
    """Writes the candidates and the blocks with COPY, then VACUUM ANALYZE."""
    stats = LoadStats()
    rng = random.Random(settings.seed)
    started = time.perf_counter()
    organisations = [
        str(uuid.UUID(int=rng.getrandbits(128), version=4))
        for _ in range(settings.organisations)
    ]
    certifications = make_certifications(rng, settings)
    candidate_ids, organisation_of, candidates = candidate_records(
        rng, settings, organisations
    )
    reports = plan_reports(rng, settings, certifications)
    stats.generate_seconds += time.perf_counter() - started
    copy_started = time.perf_counter()
    await connection.copy_records_to_table(
        "candidate", records=candidates, columns=CANDIDATE_COLUMNS
    )
    stats.copy_seconds += time.perf_counter() - copy_started
    stats.candidates = len(candidates)
    del candidates
    rows = block_records(
        settings, reports, candidate_ids, organisation_of, certifications, stats
    )
    while True:
        started = time.perf_counter()
        chunk = list(itertools.islice(rows, COPY_CHUNK))
        stats.generate_seconds += time.perf_counter() - started
        if not chunk:
            break
        started = time.perf_counter()
        await connection.copy_records_to_table(
            "acquired_block", records=chunk, columns=BLOCK_COLUMNS
        )
        stats.copy_seconds += time.perf_counter() - started
        stats.blocks += len(chunk)
        if stats.blocks % (COPY_CHUNK * 4) == 0:
            print(f"    … {stats.blocks:,} blocks", flush=True)
    started = time.perf_counter()
    await connection.execute("VACUUM (ANALYZE) candidate")
    await connection.execute("VACUUM (ANALYZE) acquired_block")
    stats.vacuum_analyze_seconds = time.perf_counter() - started
    return stats


# --------------------------------------------------------------------------------------------
# SQL capture and plans
# --------------------------------------------------------------------------------------------


class Capture:
    """Records the SQL and parameters SQLAlchemy sends while active."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.active = False
        self.statements: list[tuple[str, tuple[Any, ...]]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(
        self,
        _connection: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        if self.active:
            self.statements.append((statement, tuple(parameters or ())))

    async def one(
        self, call: Callable[[], Awaitable[Any]]
    ) -> tuple[str, tuple[Any, ...]]:
        """The one statement a call sends (the last one if several)."""
        self.statements.clear()
        self.active = True
        try:
            await call()
        finally:
            self.active = False
        if not self.statements:
            raise BenchError("the repository sent no statement")
        return self.statements[-1]


@dataclasses.dataclass
class Plan:
    """An EXPLAIN (ANALYZE, BUFFERS) and what it tells."""

    name: str
    text: str
    indexes: list[str]
    seq_scans: list[str]
    execution_ms: float
    planning_ms: float
    rows_removed_by_filter: int
    expected: str | None = None
    generic: bool = False

    @property
    def ledger_indexes(self) -> list[str]:
        return [i for i in self.indexes if "acquired_block" in i]

    @property
    def verdict(self) -> str:
        """ "index" when the plan reads the ledger through the index meant for the query."""
        if "acquired_block" in self.seq_scans:
            return "SEQ SCAN on acquired_block"
        if not self.ledger_indexes:
            return "NO ledger index"
        if self.expected and self.expected not in self.indexes:
            return f"index, but NOT {self.expected}"
        return "index"


def parse_plan(
    name: str, lines: Sequence[str], *, expected: str | None, generic: bool = False
) -> Plan:
    text = "\n".join(lines)
    indexes = list(dict.fromkeys(m.group(2) for m in SCAN.finditer(text)))
    seq_scans = list(dict.fromkeys(m.group(1) for m in SEQ_SCAN.finditer(text)))
    execution = EXECUTION.search(text)
    planning = PLANNING.search(text)
    return Plan(
        name=name,
        text=text,
        indexes=indexes,
        seq_scans=seq_scans,
        execution_ms=float(execution.group(1)) if execution else float("nan"),
        planning_ms=float(planning.group(1)) if planning else float("nan"),
        rows_removed_by_filter=sum(int(n) for n in REMOVED.findall(text)),
        expected=expected,
        generic=generic,
    )


async def explain(
    connection: Any,
    name: str,
    sql: str,
    params: Sequence[Any],
    *,
    expected: str | None = None,
) -> Plan:
    """EXPLAIN (ANALYZE, BUFFERS) of a captured statement, in a transaction rolled back."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        rows = await connection.fetch(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", *params)
    finally:
        await transaction.rollback()
    return parse_plan(name, [row[0] for row in rows], expected=expected)


def literal(value: Any) -> str:
    """A value as an SQL literal, for EXECUTE of a prepared statement."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime | date):
        return f"'{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


async def explain_generic(
    connection: Any,
    name: str,
    sql: str,
    params: Sequence[Any],
    *,
    expected: str | None = None,
) -> Plan:
    """The plan PostgreSQL would use for the prepared statement once it switches to a generic
    plan (asyncpg, hence SQLAlchemy, prepares every statement and reuses it)."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        await connection.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        await connection.execute(f"PREPARE bench_generic AS {sql}")
        arguments = ", ".join(literal(p) for p in params)
        rows = await connection.fetch(
            f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic({arguments})"
        )
    finally:
        await transaction.rollback()
        with contextlib.suppress(asyncpg.PostgresError):
            await connection.execute("DEALLOCATE bench_generic")
    return parse_plan(name, [row[0] for row in rows], expected=expected, generic=True)


def show_plan(plan: Plan, *, full: bool = True) -> None:
    used = ", ".join(plan.indexes) or "none"
    seq = f"; Seq Scan on {', '.join(plan.seq_scans)}" if plan.seq_scans else ""
    out(
        f"  {plan.name}: {'uses ' + (plan.expected or 'an index') if plan.verdict == 'index' else plan.verdict.upper()}"
        f" — indexes: {used}{seq}; rows removed by filter {plan.rows_removed_by_filter:,}; "
        f"execution {plan.execution_ms:,.2f} ms, planning {plan.planning_ms:,.2f} ms"
    )
    if full:
        out("")
        out("  ```")
        for line in plan.text.splitlines():
            out(f"  {line}")
        out("  ```")
        out("")


# --------------------------------------------------------------------------------------------
# Timings
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Timing:
    """Latencies of one variant of a query."""

    name: str
    seconds: list[float] = dataclasses.field(default_factory=list)
    rows: list[int] = dataclasses.field(default_factory=list)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")

    @property
    def p95(self) -> float:
        return self.percentile(0.95)

    def summary(self) -> dict[str, Any]:
        return {
            "runs": len(self.seconds),
            "p50_ms": round(self.p50 * 1000, 3),
            "p95_ms": round(self.p95 * 1000, 3),
            "mean_ms": round(statistics.fmean(self.seconds) * 1000, 3)
            if self.seconds
            else None,
            "max_ms": round(max(self.seconds) * 1000, 3) if self.seconds else None,
            "rows_mean": round(statistics.fmean(self.rows), 1) if self.rows else None,
        }


def substitute(params: Sequence[Any], old: Any, new: Any) -> tuple[Any, ...]:
    """The captured parameters with one value (the organisation) replaced."""
    return tuple(new if p == old else p for p in params)


async def time_expiring(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    raw: Any,
    sql: str,
    params: Sequence[Any],
    captured_organisation: str,
    organisations: Sequence[str],
) -> list[Timing]:
    """The expiring-soon query for random organisations, four ways, in shuffled order."""
    today, until = settings.today, settings.until
    rng = random.Random(settings.seed + 1)

    async def raw_plain(organisation: str) -> int:
        rows = await raw.fetch(
            sql, *substitute(params, captured_organisation, organisation)
        )
        return len(rows)

    async def raw_transaction(organisation: str) -> int:
        async with raw.transaction():
            rows = await raw.fetch(
                sql, *substitute(params, captured_organisation, organisation)
            )
        return len(rows)

    async def repository(organisation: str) -> int:
        async with sessionmaker() as db, db.begin():
            rows = await LedgerRepository(db).expiring(
                organisation_id=organisation,
                after=today,
                until=until,
                rncp_code=None,
                position=None,
                limit=DEFAULT_LIMIT + 1,
            )
        return len(rows)

    async def service(organisation: str) -> int:
        principal = Principal(
            client_id="bench", role=Role.PARTNER, organisation_id=organisation
        )
        async with sessionmaker() as db:
            items, _ = await list_expiring(
                db,
                principal,
                after=today,
                until=until,
                rncp_code=None,
                cursor=None,
                limit=DEFAULT_LIMIT,
            )
        return len(items)

    variants: list[tuple[Timing, Callable[[str], Awaitable[int]]]] = [
        (Timing("raw asyncpg, same SQL (autocommit)"), raw_plain),
        (Timing("raw asyncpg, same SQL in BEGIN…COMMIT"), raw_transaction),
        (Timing("LedgerRepository.expiring via SQLAlchemy session"), repository),
        (Timing("ledger service list_expiring (repository + schemas)"), service),
    ]
    for organisation in organisations[:20]:  # warm-up: connections, prepared statements
        for _, call in variants:
            await call(organisation)
    for _ in range(settings.runs):
        organisation = rng.choice(organisations)
        order = list(variants)
        rng.shuffle(order)
        for timing, call in order:
            started = time.perf_counter()
            count = await call(organisation)
            timing.seconds.append(time.perf_counter() - started)
            timing.rows.append(count)
    return [timing for timing, _ in variants]


async def time_admin(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    raw: Any,
    sql: str,
    params: Sequence[Any],
) -> list[Timing]:
    """The administrator's first page (no organisation), raw and through the repository."""
    plain = Timing("admin, raw asyncpg")
    orm = Timing("admin, LedgerRepository via SQLAlchemy")
    runs = max(20, settings.runs // 4)
    for index in range(runs + 5):
        started = time.perf_counter()
        rows = await raw.fetch(sql, *params)
        elapsed = time.perf_counter() - started
        if index >= 5:
            plain.seconds.append(elapsed)
            plain.rows.append(len(rows))
        started = time.perf_counter()
        async with sessionmaker() as db, db.begin():
            blocks = await LedgerRepository(db).expiring(
                organisation_id=None,
                after=settings.today,
                until=settings.until,
                rncp_code=None,
                position=None,
                limit=DEFAULT_LIMIT + 1,
            )
        elapsed = time.perf_counter() - started
        if index >= 5:
            orm.seconds.append(elapsed)
            orm.rows.append(len(blocks))
    return [plain, orm]


# --------------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------------


def statement_kind(statement: str) -> str:
    """Which of the sweep's statements this is."""
    head = statement.lstrip()[:60].lower()
    if head.startswith("update acquired_block"):
        if "set expiring_notified_at" in head:
            return "claim_expiring (UPDATE … RETURNING)"
        return "claim_expired (UPDATE … RETURNING)"
    if head.startswith("insert into outbox_event"):
        return "events (INSERT INTO outbox_event)"
    return "other"


class StatementTimer:
    """Times, by kind, the statements SQLAlchemy sends while active (round trip included)."""

    def __init__(self) -> None:
        self.active = False
        self.seconds: dict[str, list[float]] = {}

    def attach(self, engine: AsyncEngine) -> None:
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, connection: Any, *_: Any) -> None:
        connection.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(
        self,
        connection: Any,
        _cursor: Any,
        statement: str,
        *_: Any,
    ) -> None:
        started = connection.info["bench_started"].pop()
        if self.active:
            self.seconds.setdefault(statement_kind(statement), []).append(
                time.perf_counter() - started
            )

    def summary(self) -> dict[str, dict[str, float]]:
        found = {}
        for kind, values in self.seconds.items():
            found[kind] = {
                "count": len(values),
                "total_s": round(sum(values), 3),
                "first_ms": round(values[0] * 1000, 2),
                "median_ms": round(statistics.median(values) * 1000, 2),
                "max_ms": round(max(values) * 1000, 2),
                "last_ms": round(values[-1] * 1000, 2),
            }
        return found


@dataclasses.dataclass
class SweepRun:
    """One sweep (or several at once) and what it wrote."""

    name: str
    seconds: float
    expired: int
    expiring: int
    events_written: int
    reports: list[dict[str, int]] = dataclasses.field(default_factory=list)
    statements: dict[str, dict[str, float]] = dataclasses.field(default_factory=dict)

    @property
    def announced(self) -> int:
        return self.expired + self.expiring

    @property
    def rate(self) -> float:
        return self.announced / self.seconds if self.seconds else float("nan")

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seconds": round(self.seconds, 3),
            "expired": self.expired,
            "expiring": self.expiring,
            "announced": self.announced,
            "events_written": self.events_written,
            "blocks_per_second": round(self.rate, 1),
            "reports": self.reports,
            "statements": self.statements,
        }


async def count_events(raw: Any) -> int:
    return int(await raw.fetchval("SELECT count(*) FROM outbox_event"))


async def run_sweeps(
    name: str,
    settings: Settings,
    sessionmakers: Sequence[async_sessionmaker[AsyncSession]],
    raw: Any,
    timer: StatementTimer,
) -> SweepRun:
    """Runs one sweep per sessionmaker at the same time; times them all together."""
    before = await count_events(raw)
    timer.seconds = {}
    timer.active = True
    started = time.perf_counter()
    reports: list[SweepReport] = list(
        await asyncio.gather(
            *(
                sweep_expiries(
                    maker,
                    today=settings.today,
                    horizon_days=settings.horizon_days,
                    batch_size=settings.batch_size,
                )
                for maker in sessionmakers
            )
        )
    )
    seconds = time.perf_counter() - started
    timer.active = False
    events = await count_events(raw) - before
    return SweepRun(
        name=name,
        seconds=seconds,
        expired=sum(r.expired for r in reports),
        expiring=sum(r.expiring for r in reports),
        events_written=events,
        reports=[{"expired": r.expired, "expiring": r.expiring} for r in reports],
        statements=timer.summary(),
    )


def show_sweep(run: SweepRun) -> None:
    shares = (
        " (each sweep: "
        + ", ".join(f"{r['expired']:,} + {r['expiring']:,}" for r in run.reports)
        + ")"
        if len(run.reports) > 1
        else ""
    )
    out(
        f"  {run.name}: {run.seconds:,.2f} s — announced {run.announced:,} "
        f"({run.expired:,} expired + {run.expiring:,} expiring){shares}, "
        f"{run.events_written:,} events written"
        + (f", {run.rate:,.0f} blocks/s" if run.announced else "")
    )
    for kind, figures in run.statements.items():
        out(
            f"    {kind}: {figures['count']:,} statements, {figures['total_s']:,.2f} s in all; "
            f"each: first {figures['first_ms']:,.1f} ms, median {figures['median_ms']:,.1f} ms, "
            f"max {figures['max_ms']:,.1f} ms, last {figures['last_ms']:,.1f} ms"
        )


async def expected_announcements(raw: Any, settings: Settings) -> tuple[int, int]:
    """Blocks a sweep of ``today`` must announce as expired and as expiring, by plain SQL."""
    row = await raw.fetchrow(
        """
        SELECT count(*) FILTER (WHERE expires_on <= $1 AND expired_notified_at IS NULL),
               count(*) FILTER (WHERE expires_on > $1 AND expires_on <= $2
                                AND expiring_notified_at IS NULL AND expired_notified_at IS NULL)
        FROM acquired_block
        """,
        settings.today,
        settings.until,
    )
    return int(row[0]), int(row[1])


async def check_once(raw: Any, settings: Settings) -> dict[str, int]:
    """Every block due is announced exactly once, with the right event, and marked."""
    duplicates = await raw.fetchval(
        """
        SELECT count(*) FROM (
            SELECT data->>'acquired_block_id' FROM outbox_event
            GROUP BY 1 HAVING count(*) > 1
        ) AS twice
        """
    )
    missing = await raw.fetchval(
        """
        SELECT count(*) FROM acquired_block AS b
        WHERE b.expires_on <= $1
          AND NOT EXISTS (SELECT 1 FROM outbox_event AS e
                          WHERE e.data->>'acquired_block_id' = b.id::text)
        """,
        settings.until,
    )
    wrong_type = await raw.fetchval(
        """
        SELECT count(*) FROM outbox_event AS e
        JOIN acquired_block AS b ON b.id = (e.data->>'acquired_block_id')::uuid
        WHERE (b.expires_on <= $1) <> (e.type LIKE '%block-expired%')
        """,
        settings.today,
    )
    unmarked = await raw.fetchval(
        """
        SELECT count(*) FROM acquired_block
        WHERE (expires_on <= $1 AND expired_notified_at IS NULL)
           OR (expires_on > $1 AND expires_on <= $2 AND expiring_notified_at IS NULL)
        """,
        settings.today,
        settings.until,
    )
    events = await count_events(raw)
    return {
        "events": int(events),
        "duplicates": int(duplicates),
        "missing": int(missing),
        "wrong_type": int(wrong_type),
        "unmarked": int(unmarked),
    }


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


async def versions(admin_dsn: str) -> dict[str, str]:
    """Versions and server settings that move the figures."""
    found: dict[str, str] = {"Python": platform.python_version()}
    for package in ("SQLAlchemy", "asyncpg", "alembic"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    connection = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        found["PostgreSQL"] = str(await connection.fetchval("SHOW server_version"))
        for setting in (
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "jit",
        ):
            found[setting] = str(await connection.fetchval(f"SHOW {setting}"))
    finally:
        await connection.close()
    found["machine"] = machine()
    return found


def machine() -> str:
    """The operating system, vCPU count and memory of this machine."""
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f", {int(line.split()[1]) / 2**20:.0f} GiB"
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} vCPU{memory}"


async def relation_sizes(raw: Any) -> dict[str, int]:
    rows = await raw.fetch(
        """
        SELECT 'acquired_block (heap)' AS name, pg_table_size('acquired_block') AS bytes
        UNION ALL
        SELECT indexrelname, pg_relation_size(indexrelid)
        FROM pg_stat_user_indexes WHERE relname = 'acquired_block'
        UNION ALL
        SELECT 'outbox_event (heap + indexes)', pg_total_relation_size('outbox_event')
        """
    )
    return {row["name"]: int(row["bytes"]) for row in rows}


def show_sizes(title: str, sizes: dict[str, int]) -> None:
    out(
        f"  {title}: "
        + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in sizes.items())
    )


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Results:
    """Everything the run measured, for the summary and the JSON file."""

    load: LoadStats | None = None
    plans: list[Plan] = dataclasses.field(default_factory=list)
    timings: list[Timing] = dataclasses.field(default_factory=list)
    sweeps: list[SweepRun] = dataclasses.field(default_factory=list)
    checks: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    sizes: dict[str, dict[str, int]] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)


async def capture_plans(
    settings: Settings,
    capture: Capture,
    sessionmaker: async_sessionmaker[AsyncSession],
    raw: Any,
    *,
    suffix: str,
    claims_only: bool = False,
) -> list[Plan]:
    """Captures the sweep's two claims from the repository and explains them (rolled back);
    with their generic plans unless ``claims_only``."""
    plans = []
    for kind in ("claim_expired", "claim_expiring"):

        async def claim(kind: str = kind) -> None:
            async with sessionmaker() as db:
                repository = LedgerRepository(db)
                now = utcnow()
                if kind == "claim_expired":
                    await repository.claim_expired(
                        settings.today, now, settings.batch_size
                    )
                else:
                    await repository.claim_expiring(
                        settings.today, settings.until, now, settings.batch_size
                    )
                await db.rollback()

        sql, params = await capture.one(claim)
        expected = CLAIM_INDEXES[kind]
        plans.append(
            await explain(raw, f"{kind} {suffix}", sql, params, expected=expected)
        )
        if not claims_only:
            plans.append(
                await explain_generic(
                    raw,
                    f"{kind} {suffix}, generic plan",
                    sql,
                    params,
                    expected=expected,
                )
            )
    return plans


async def measure(settings: Settings, url: str, results: Results) -> None:
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    raw = await asyncpg.connect(dsn, timeout=10)
    engine = create_engine(url)
    extra_engines: list[AsyncEngine] = []
    try:
        out("")
        out(f"## Load ({settings.blocks:,} blocks, {settings.candidates:,} candidates)")
        out("")
        stats = await load(raw, settings)
        results.load = stats
        summary = stats.summary()
        per_org = summary["blocks_per_organisation"]
        out(
            f"  generated in {stats.generate_seconds:,.1f} s, COPY {stats.copy_seconds:,.1f} s: "
            f"load {stats.load_seconds:,.1f} s = {stats.blocks / stats.load_seconds:,.0f} "
            f"blocks/s (COPY alone {stats.blocks / stats.copy_seconds:,.0f} blocks/s into the "
            f"table with its 7 indexes and FK); VACUUM ANALYZE {stats.vacuum_analyze_seconds:,.1f} s"
        )
        out(
            f"  {stats.candidates:,} candidates of {per_org['organisations']} organisations "
            f"(blocks per organisation: min {per_org['min']:,}, median {per_org['median']:,}, "
            f"max {per_org['max']:,})"
        )
        out(
            f"  on {settings.today}: {stats.expired:,} blocks expired, {stats.expiring:,} "
            f"expiring within {settings.horizon_days} days, {stats.never_expires:,} never "
            "expire; none announced yet"
        )
        indexes = await raw.fetch(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'acquired_block' "
            "ORDER BY indexname"
        )
        out("  indexes of acquired_block:")
        for row in indexes:
            out(f"    - {row['indexdef']}")
        results.sizes["after load"] = await relation_sizes(raw)
        show_sizes("sizes", results.sizes["after load"])

        sessionmaker = create_sessionmaker(engine)
        capture = Capture(engine)
        timer = StatementTimer()
        timer.attach(engine)
        ranked = [org for org, _ in stats.per_organisation.most_common()]
        median_org, largest_org = ranked[len(ranked) // 2], ranked[0]

        out("")
        out("## Plans before the first sweep")
        out("")

        def expiring_call(
            organisation: str | None, position: tuple[date, uuid.UUID] | None = None
        ) -> Callable[[], Awaitable[Any]]:
            async def call() -> None:
                async with sessionmaker() as db, db.begin():
                    await LedgerRepository(db).expiring(
                        organisation_id=organisation,
                        after=settings.today,
                        until=settings.until,
                        rncp_code=None,
                        position=position,
                        limit=DEFAULT_LIMIT + 1,
                    )

            return call

        org_sql, org_params = await capture.one(expiring_call(median_org))
        out("  expiring-soon SQL as LedgerRepository.expiring sends it:")
        out("")
        out("  ```sql")
        for line in org_sql.splitlines():
            out(f"  {line}")
        out("  ```")
        out(f"  parameters: {[str(p) for p in org_params]}")
        out("")
        plans = results.plans
        plans.append(
            await explain(
                raw,
                f"(a) expiring soon, median organisation ({stats.per_organisation[median_org]:,} blocks)",
                org_sql,
                org_params,
                expected=ORGANISATION_INDEX,
            )
        )
        big_sql, big_params = await capture.one(expiring_call(largest_org))
        plans.append(
            await explain(
                raw,
                f"(a) expiring soon, largest organisation ({stats.per_organisation[largest_org]:,} blocks)",
                big_sql,
                big_params,
                expected=ORGANISATION_INDEX,
            )
        )
        plans.append(
            await explain_generic(
                raw,
                "(a) expiring soon, largest organisation, generic plan",
                big_sql,
                big_params,
                expected=ORGANISATION_INDEX,
            )
        )
        admin_sql, admin_params = await capture.one(expiring_call(None))
        plans.append(
            await explain(
                raw,
                "(b) expiring soon, administrator",
                admin_sql,
                admin_params,
                expected=EXPIRY_INDEX,
            )
        )
        window = await raw.fetchval(
            "SELECT count(*) FROM acquired_block WHERE expires_on > $1 AND expires_on <= $2",
            settings.today,
            settings.until,
        )
        middle = await raw.fetchrow(
            "SELECT expires_on, id FROM acquired_block WHERE expires_on > $1 AND expires_on <= $2 "
            "ORDER BY expires_on, id OFFSET $3 LIMIT 1",
            settings.today,
            settings.until,
            int(window) // 2,
        )
        if middle is not None:
            deep_sql, deep_params = await capture.one(
                expiring_call(None, (middle["expires_on"], middle["id"]))
            )
            plans.append(
                await explain(
                    raw,
                    f"(b) expiring soon, administrator, page at row {int(window) // 2:,} of "
                    f"{int(window):,} (cursor)",
                    deep_sql,
                    deep_params,
                    expected=EXPIRY_INDEX,
                )
            )
        plans += await capture_plans(
            settings, capture, sessionmaker, raw, suffix="(c) before the sweep"
        )
        for plan in plans:
            show_plan(plan)

        out("## Expiring-soon query, timed")
        out("")
        out(
            f"  {settings.runs} runs per variant, a random organisation each run (the same for "
            "the four variants, in shuffled order), after 20 warm-up runs; limit "
            f"{DEFAULT_LIMIT} (+1), window {settings.today} → {settings.until}"
        )
        out("")
        timings = await time_expiring(
            settings,
            sessionmaker,
            raw,
            org_sql,
            org_params,
            median_org,
            ranked,
        )
        timings += await time_admin(
            settings, sessionmaker, raw, admin_sql, admin_params
        )
        results.timings = timings
        base = timings[0].p50
        out("  | variant | p50 | p95 | × raw p50 | rows (mean) |")
        out("  |---|---:|---:|---:|---:|")
        admin_base = timings[4].p50
        for index, timing in enumerate(timings):
            reference = admin_base if index >= 4 else base
            summary = timing.summary()
            out(
                f"  | {timing.name} | {ms(timing.p50)} | {ms(timing.p95)} | "
                f"{timing.p50 / reference:,.1f} | {summary['rows_mean']} |"
            )
        out("")

        out("## Sweep")
        out("")
        expected = await expected_announcements(raw, settings)
        out(
            f"  due on {settings.today} (plain SQL count): {expected[0]:,} expired + "
            f"{expected[1]:,} expiring within {settings.horizon_days} days; batch size "
            f"{settings.batch_size:,}"
        )
        first = await run_sweeps("first sweep", settings, [sessionmaker], raw, timer)
        results.sweeps.append(first)
        show_sweep(first)
        if (
            first.expired,
            first.expiring,
        ) != expected or first.events_written != first.announced:
            note = (
                f"first sweep announced {first.expired:,} + {first.expiring:,} and wrote "
                f"{first.events_written:,} events; expected {expected[0]:,} + {expected[1]:,}"
            )
            results.notes.append(note)
            out(f"  **MISMATCH**: {note}")
        results.checks["after first sweep"] = await check_once(raw, settings)
        out(f"  check: {results.checks['after first sweep']}")
        second = await run_sweeps(
            "second sweep (right after, nothing due)",
            settings,
            [sessionmaker],
            raw,
            timer,
        )
        results.sweeps.append(second)
        show_sweep(second)
        results.sizes["after sweep"] = await relation_sizes(raw)
        show_sizes("sizes", results.sizes["after sweep"])
        out("")
        after = await capture_plans(
            settings,
            capture,
            sessionmaker,
            raw,
            suffix="(c) after the sweeps",
            claims_only=True,
        )
        results.plans += after
        for plan in after:
            show_plan(plan)
        started = time.perf_counter()
        await raw.execute("VACUUM (ANALYZE) acquired_block")
        vacuum = time.perf_counter() - started
        third = await run_sweeps(
            f"third sweep, after VACUUM ANALYZE ({vacuum:,.1f} s), as after autovacuum",
            settings,
            [sessionmaker],
            raw,
            timer,
        )
        results.sweeps.append(third)
        show_sweep(third)
        out("")
        steady = await capture_plans(
            settings,
            capture,
            sessionmaker,
            raw,
            suffix="(c) after VACUUM ANALYZE",
            claims_only=True,
        )
        results.plans += steady
        for plan in steady:
            show_plan(plan)

        if settings.concurrent_sweeps:
            k = settings.concurrent_sweeps
            out(f"## {k} sweeps at once")
            out("")
            started = time.perf_counter()
            await raw.execute(
                "UPDATE acquired_block SET expiring_notified_at = NULL, expired_notified_at = NULL "
                "WHERE expiring_notified_at IS NOT NULL OR expired_notified_at IS NOT NULL"
            )
            await raw.execute("TRUNCATE outbox_event")
            await raw.execute("VACUUM (ANALYZE) acquired_block")
            out(
                f"  reset every announcement, emptied the outbox, VACUUM ANALYZE: "
                f"{time.perf_counter() - started:,.1f} s"
            )
            reset_plans = await capture_plans(
                settings,
                capture,
                sessionmaker,
                raw,
                suffix="(c) after the reset",
                claims_only=True,
            )
            results.plans += reset_plans
            for plan in reset_plans:
                show_plan(plan, full=False)
            out(
                "  (the reset rewrote every announced row: the table's physical order and its "
                "indexes' sizes differ from the fresh load, and so may the plans above; compare "
                "this run with itself, not with the first sweep)"
            )
            extra_engines = [create_engine(url) for _ in range(k)]
            for extra in extra_engines:
                timer.attach(extra)
            together = await run_sweeps(
                f"{k} sweeps at once (one engine each)",
                settings,
                [create_sessionmaker(e) for e in extra_engines],
                raw,
                timer,
            )
            results.sweeps.append(together)
            show_sweep(together)
            check = await check_once(raw, settings)
            results.checks[f"after {k} concurrent sweeps"] = check
            out(
                f"  check: {check['events']:,} events; duplicates = {check['duplicates']}, "
                f"missing = {check['missing']}, wrong type = {check['wrong_type']}, "
                f"due but unmarked = {check['unmarked']}"
            )
            out("")
    finally:
        for extra in extra_engines:
            await extra.dispose()
        await engine.dispose()
        await raw.close()


def render_summary(settings: Settings, results: Results) -> list[str]:
    lines = ["## Summary", "", "| measure | figure |", "|---|---|"]
    stats = results.load
    if stats:
        lines.append(
            f"| load ({stats.blocks:,} blocks + {stats.candidates:,} candidates, COPY) | "
            f"{stats.load_seconds:,.1f} s ({stats.blocks / stats.load_seconds:,.0f} blocks/s); "
            f"VACUUM ANALYZE {stats.vacuum_analyze_seconds:,.1f} s |"
        )
    for plan in results.plans:
        lines.append(
            f"| plan {plan.name} | {plan.verdict}: {', '.join(plan.ledger_indexes) or '—'}; "
            f"{plan.execution_ms:,.2f} ms, {plan.rows_removed_by_filter:,} rows removed by filter |"
        )
    for timing in results.timings:
        lines.append(f"| {timing.name} | p50 {ms(timing.p50)}, p95 {ms(timing.p95)} |")
    if len(results.timings) >= 3:
        raw_p50, orm_p50 = results.timings[0].p50, results.timings[2].p50
        lines.append(f"| repository ÷ raw asyncpg, p50 | {orm_p50 / raw_p50:,.1f} × |")
    for run in results.sweeps:
        rate = f", {run.rate:,.0f} blocks/s" if run.announced else ""
        lines.append(
            f"| {run.name} | {run.seconds:,.2f} s, {run.announced:,} announced "
            f"({run.expired:,} expired + {run.expiring:,} expiring), "
            f"{run.events_written:,} events{rate} |"
        )
    for name, check in results.checks.items():
        lines.append(
            f"| exactly once, {name} | duplicates {check['duplicates']}, missing "
            f"{check['missing']}, wrong type {check['wrong_type']}, unmarked {check['unmarked']} |"
        )
    lines.append("")
    problems = [p for p in results.plans if p.verdict != "index"]
    if problems:
        lines.append(
            "**Plans not reading acquired_block through the index meant for them:** "
            + "; ".join(f"{p.name} ({p.verdict})" for p in problems)
        )
    else:
        lines.append(
            "Every plan above reads acquired_block through the index meant for it."
        )
    lines += [f"- {note}" for note in results.notes]
    return lines


async def run(settings: Settings) -> int:
    admin_dsn = f"{settings.pg}/postgres"
    os.environ["TEST_POSTGRES_URL"] = admin_dsn  # read by common.testing
    started_at = datetime.now().astimezone()
    started = time.perf_counter()
    try:
        found = await versions(admin_dsn)
    except (OSError, asyncpg.PostgresError) as error:
        print(f"PostgreSQL is unreachable at {admin_dsn}: {error}", file=sys.stderr)
        return 2
    out(f"# Candidacy ledger benchmark — {started_at:%Y-%m-%d %H:%M %Z}")
    out("")
    out(f"command: `{settings.command}`")
    out("")
    out("versions: " + ", ".join(f"{k} {v}" for k, v in found.items()))
    out(
        f"today {settings.today}, horizon {settings.horizon_days} days, batch size "
        f"{settings.batch_size:,}, seed {settings.seed}"
    )
    results = Results()
    url = await create_postgres_database("candidacy_bench")
    out(f"database: {url.rsplit('/', 1)[1]} (created), migrating to head …")
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    if task is not None:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    status = 0
    try:
        await upgrade_to_head(ALEMBIC_INI, url)
        await measure(settings, url, results)
    except BenchError as error:
        print(f"\nbenchmark failed: {error}", file=sys.stderr)
        status = 1
    finally:
        if settings.keep:
            out(f"kept the database: {url}")
        else:
            await drop_postgres_database(url)
            out(f"dropped {url.rsplit('/', 1)[1]}")
    elapsed = time.perf_counter() - started
    out("")
    for line in render_summary(settings, results):
        out(line)
    out("")
    out(f"whole run: {elapsed:,.0f} s")
    stem = RESULTS_DIR / (
        f"candidacy-{started_at:%Y-%m-%dT%H%M%S}{'-quick' if settings.quick else ''}"
    )
    raw_results = {
        "settings": {
            **dataclasses.asdict(settings),
            "today": settings.today.isoformat(),
        },
        "versions": found,
        "load": results.load.summary() if results.load else None,
        "plans": [
            {
                "name": p.name,
                "verdict": p.verdict,
                "indexes": p.indexes,
                "seq_scans": p.seq_scans,
                "execution_ms": p.execution_ms,
                "planning_ms": p.planning_ms,
                "generic": p.generic,
                "text": p.text,
            }
            for p in results.plans
        ],
        "timings": {t.name: t.summary() for t in results.timings},
        "sweeps": [s.summary() for s in results.sweeps],
        "checks": results.checks,
        "sizes_bytes": results.sizes,
        "notes": results.notes,
        "elapsed_seconds": round(elapsed, 1),
    }
    write_results(stem, raw_results)
    return status


def write_results(stem: Path, raw_results: dict[str, Any]) -> None:
    """Writes the JSON figures and the Markdown report beside each other."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    stem.with_suffix(".json").write_text(
        json.dumps(raw_results, indent=2), encoding="utf-8"
    )
    stem.with_suffix(".md").write_text("\n".join(out.lines) + "\n", encoding="utf-8")
    print(f"Written: {stem.with_suffix('.json').relative_to(ROOT)} and its .md")


def main(argv: Sequence[str]) -> int:
    """Runs the whole benchmark and prints its report."""
    settings = parse_settings(argv)
    try:
        return asyncio.run(run(settings))
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
