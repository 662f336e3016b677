"""Faults under load, the long version: one table row per fault, with its reconciliation.

Runs the scenarios of ``tests/faults/`` (same harness, ``tests/faults/fault_harness.py``)
with a longer load and more writers, and prints, per fault: writes acknowledged / failed /
of unknown outcome (and what a retry with the same Idempotency-Key made of them), rows,
submissions acknowledged = rows = events consumed by the webhooks service, lost, duplicated,
overbooked, the gateway's answers during the fault, the slowest of them, and the recovery
time (from the fault's end to the first 2xx through the gateway). It asserts nothing.

    .venv/bin/python bench/faults_bench.py                     # every fault, 20 s of load, 8 writers
    .venv/bin/python bench/faults_bench.py --duration 6 --writers 4 --scenarios candidacy,postgres

Needs PostgreSQL 15's binaries (``/usr/lib/postgresql/15/bin``, or ``FAULTS_PG_BIN``): each
platform runs on a private cluster made for the run (the machine's shared server is never
restarted, nor loaded by this run). Every process it
starts runs in its own process group and is stopped on exit, error, Ctrl-C or SIGTERM; all
traffic stays on 127.0.0.1. Writes ``bench/results/faults-<date>T<time>.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import signal
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "faults"))

import fault_harness as harness  # noqa: E402

KILLS = ("candidacy", "sessions", "webhooks", "catalog", "gateway")
NETWORK = ("latency", "resets", "relay")
ALL = (*KILLS, "postgres", *NETWORK)
CANDIDACY_DEADLINE = 1.5


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration",
        type=float,
        default=20.0,
        help="seconds of load per fault (default 20)",
    )
    parser.add_argument(
        "--writers", type=int, default=8, help="concurrent writers (default 8)"
    )
    parser.add_argument(
        "--capacity",
        type=int,
        default=6,
        help="seats of each fault's exam session (default 6)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=12,
        help="ADMISSIBLE candidacies competing for them (default 12)",
    )
    parser.add_argument(
        "--outage",
        type=float,
        default=1.0,
        help="seconds a killed process or PostgreSQL stays down (default 1)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(ALL),
        help=f"comma-separated, among {','.join(ALL)}",
    )
    parser.add_argument(
        "--real-leases",
        action="store_true",
        help="wait for a killed process's leases (60 s) instead of moving them into the past",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0.0,
        help="before each fault, wait up to this many seconds for the machine to use under half a core",
    )
    arguments = parser.parse_args()
    unknown = set(arguments.scenarios.split(",")) - set(ALL)
    if unknown:
        parser.error(
            f"unknown scenarios {sorted(unknown)}; choose among {','.join(ALL)}"
        )
    return arguments


def _busy_cores(interval: float) -> float:
    return psutil.cpu_percent(interval=interval) / 100 * (psutil.cpu_count() or 1)


async def _wait_quiet(limit: float) -> float:
    """Waits (bounded) until the machine uses less than half a core; returns the last figure."""
    deadline = time.monotonic() + limit
    busy = await asyncio.to_thread(_busy_cores, 1.0)
    while busy >= 0.5 and time.monotonic() < deadline:
        busy = await asyncio.to_thread(_busy_cores, 2.0)
    return busy


async def _run(
    arguments: argparse.Namespace,
) -> list[tuple[harness.Result, dict[str, Any]]]:
    chosen = arguments.scenarios.split(",")
    measured: list[tuple[harness.Result, dict[str, Any]]] = []
    options = {
        "duration": arguments.duration,
        "writers": arguments.writers,
        "capacity": arguments.capacity,
        "pool": arguments.pool,
        "fast_forward_leases": not arguments.real_leases,
    }

    async def scenario(
        stack: harness.Stack, name: str, fault: harness.Fault, probe: str
    ) -> harness.Result:
        quiet = (
            await _wait_quiet(arguments.wait_quiet) if arguments.wait_quiet else None
        )
        psutil.cpu_percent(interval=None)
        load_before = os.getloadavg()[0]
        print(f"… {name}", flush=True)
        result = await harness.run_scenario(
            stack, name, fault, probe_service=probe, **options
        )
        machine = {
            "busy_cores_during": round(
                psutil.cpu_percent(interval=None) / 100 * (psutil.cpu_count() or 1), 2
            ),
            "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "busy_cores_before": None if quiet is None else round(quiet, 2),
        }
        print(harness.table_row(result), flush=True)
        measured.append((result, machine))
        return result

    with tempfile.TemporaryDirectory(prefix="faults-bench-") as scratch:
        folder = Path(scratch)
        kills = [name for name in KILLS if name in chosen]
        if kills:
            async with harness.running_stack(
                folder / "kills", private_postgres=True
            ) as stack:
                for name in kills:
                    await scenario(
                        stack,
                        f"kill -9 {name}",
                        harness.kill_process(name, arguments.outage),
                        name,
                    )
        if "postgres" in chosen:
            async with harness.running_stack(
                folder / "postgres", private_postgres=True
            ) as stack:
                await scenario(
                    stack,
                    "PostgreSQL restart",
                    harness.restart_postgres(arguments.outage),
                    "candidacy",
                )
        network = [name for name in NETWORK if name in chosen]
        if network:
            async with harness.running_stack(
                folder / "network",
                private_postgres=True,
                proxy_candidacy=True,
                relay_killer=True,
                gateway_env=harness.short_candidacy_deadlines(CANDIDACY_DEADLINE),
            ) as stack:
                if "latency" in network:
                    await scenario(
                        stack,
                        "2 s latency on candidacy",
                        harness.upstream_latency(2.0, 5.0),
                        "candidacy",
                    )
                if "resets" in network:
                    await scenario(
                        stack,
                        "resets on candidacy",
                        harness.upstream_resets(5.0),
                        "candidacy",
                    )
                if "relay" in network:
                    result = await scenario(
                        stack,
                        "relay killed before mark-sent",
                        harness.kill_relay_mid_delivery(arguments.outage),
                        "candidacy",
                    )
                    result.extra = await harness.relay_redelivery(stack)
                    print(f"  relay: {result.extra}", flush=True)
    return measured


def _report(
    arguments: argparse.Namespace, measured: list[tuple[harness.Result, dict[str, Any]]]
) -> str:
    lines = [
        f"# Faults under load — {datetime.now().isoformat(timespec='minutes')}",
        "",
        f"`{' '.join(sys.argv)}` · {platform.python_version()} · {psutil.cpu_count()} CPUs · "
        f"{arguments.writers} writers, {arguments.duration:g} s of load per fault, outage "
        f"{arguments.outage:g} s, sessions of {arguments.capacity} seats for {arguments.pool} candidacies, "
        + (
            "leases waited for (60 s)"
            if arguments.real_leases
            else "leases of killed processes moved into the past"
        ),
        "",
        harness.TABLE_HEADER,
        *(harness.table_row(result) for result, _ in measured),
        "",
        "| scenario | settle + reconcile | busy cores during | load average (1 min) before → after |",
        "|---|---:|---:|---|",
        *(
            f"| {r.name} | {r.settle_seconds:.1f} s | {m['busy_cores_during']} | "
            f"{m['load_average_1m'][0]} → {m['load_average_1m'][1]} |"
            for r, m in measured
        ),
    ]
    for result, _ in measured:
        if result.extra:
            lines += ["", f"{result.name}: {json.dumps(result.extra)}"]
        if result.problems:
            lines += [
                "",
                f"{result.name} — problems:",
                *(f"- {p}" for p in result.problems[:20]),
            ]
    return "\n".join(lines) + "\n"


def main() -> None:
    arguments = _arguments()
    loop = asyncio.new_event_loop()
    task = loop.create_task(_run(arguments))
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        measured = loop.run_until_complete(task)
    except KeyboardInterrupt:
        task.cancel()
        loop.run_until_complete(asyncio.gather(task, return_exceptions=True))
        raise
    finally:
        loop.close()
    report = _report(arguments, measured)
    print()
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y-%m-%dT%H%M")
    (results / f"faults-{stamp}.md").write_text(report)
    (results / f"faults-{stamp}.json").write_text(
        json.dumps(
            [
                {
                    **{
                        f.name: getattr(result, f.name)
                        for f in dataclasses.fields(result)
                    },
                    "fault_statuses": dict(result.fault_statuses),
                    "machine": machine,
                }
                for result, machine in measured
            ],
            indent=2,
            default=str,
        )
    )
    print(f"written: bench/results/faults-{stamp}.md and .json")


if __name__ == "__main__":
    main()
