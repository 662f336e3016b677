"""Benchmark of the gateway on this machine: what a proxy hop costs, against direct calls.

One command measures, in one run and on one machine, the same cached catalog read
(``GET /v1/certifications/RNCP38077``, answered from the catalog's in-memory cache, so that the
proxy's cost dominates) with wrk at 32 connections and at 1:

1. direct to the catalog (the reference of every ratio, measured in the same round);
2. through nginx, the reference proxy (one process, upstream keepalive);
3. through the gateway, anonymous: rate limit, routing, readiness and breaker all on;
4. through the gateway with an API key: authentication and the internal token as well;
5. through tiny standalone proxies (``bench/proxies/``), one per HTTP client library
   (httpx's default transport, httpx on aiohttp, aiohttp) and a FastAPI catch-all route on
   aiohttp (the routing layer's cost).

Everything runs on 127.0.0.1 and is started and stopped by the script: the catalog and the
gateway on SQLite databases in a temporary directory, nginx with its own configuration there.

With ``--upstream hello``, a hello-world FastAPI app (``bench/hello_app.py``) answers the same
path instead of the catalog: the upstream of issue 3's reference figures.

Usage (from the repository root)::

    .venv/bin/python bench/gateway_bench.py [--quick] [--rounds 3] [--duration 10]
    .venv/bin/python bench/gateway_bench.py --upstream hello

See bench/GATEWAY.md for what each figure means and how to read it.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import hashlib
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path

import psutil  # type: ignore[import-untyped]
from catalog_bench import (
    BENCH_DIR,
    BIN,
    LOOPBACK,
    RESULTS_DIR,
    ROOT,
    BenchError,
    Server,
    busy_cpu,
    children_cpu,
    free_port,
    lua_script,
    median,
    on_sigterm,
    parse_wrk,
    process_cpu,
    run_checked,
    self_cpu,
    shown_path,
    stop_group,
    tail,
    uvicorn_command,
    verdict,
    wait_ready,
    wrk_and_machine,
)

from common import generate_signing_keys
from gateway.server import UVICORN_HTTP as GATEWAY_HTTP

CATALOG_DIR = ROOT / "services" / "catalog"
GATEWAY_DIR = ROOT / "gateway"
PROXIES_DIR = BENCH_DIR / "proxies"
SOURCE_DIRS = (GATEWAY_DIR / "src", ROOT / "libs" / "common" / "src", PROXIES_DIR)

PATH = (
    "/v1/certifications/RNCP38077"  # a demo certification, cached after its first read
)
RATE_LIMIT = (
    "10000000/minute"  # high enough never to trigger, but the limiter still counts
)

# Targets of issue 3, printed beside the gateway's figures.
RATIO_TARGET = 0.7  # gateway req/s at 32 connections, as a share of direct
ADDED_P50_TARGET_MS = 1.0  # gateway p50 minus direct p50, at one connection
BUSY_MACHINE_CORES = (
    0.25  # other processes using more than this during a run are reported
)

CATALOG, HELLO = "catalog", "hello"
UPSTREAMS = {
    CATALOG: "the catalog (`catalog.main:app`), the document cached in memory",
    HELLO: "a hello-world FastAPI app (`bench/hello_app.py`): a ≈ 310-byte dict serialised "
    "by FastAPI's ordinary path",
}
DIRECT, NGINX, GATEWAY, GATEWAY_KEY = "direct", "nginx", "gateway", "gateway-key"
HTTPX, HTTPX_AIOHTTP, AIOHTTP, FASTAPI = (
    "httpx",
    "httpx-aiohttp",
    "aiohttp",
    "fastapi-aiohttp",
)
TARGETS = (DIRECT, NGINX, GATEWAY, GATEWAY_KEY, HTTPX, HTTPX_AIOHTTP, AIOHTTP, FASTAPI)
LABELS = {
    DIRECT: "direct to the upstream",
    NGINX: "nginx (reference proxy)",
    GATEWAY: "**gateway**, anonymous",
    GATEWAY_KEY: "**gateway**, API key",
    HTTPX: "ASGI proxy, httpx default transport",
    HTTPX_AIOHTTP: "ASGI proxy, httpx on httpx-aiohttp",
    AIOHTTP: "ASGI proxy, aiohttp",
    FASTAPI: "FastAPI catch-all route, aiohttp",
}
PROXY_MODULES = {
    HTTPX: "httpx_default",
    HTTPX_AIOHTTP: "httpx_on_aiohttp",
    AIOHTTP: "aiohttp_raw",
    FASTAPI: "fastapi_aiohttp",
}
GATEWAYS = (GATEWAY, GATEWAY_KEY)
_API_KEY = re.compile(r"vae_[0-9a-f]{16}_[A-Za-z0-9_-]{43}")


# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    """What one run measures, resolved from the command line."""

    quick: bool
    rounds: int
    duration: int
    warmup: int
    connections: int
    targets: tuple[str, ...]
    rate_limit: str
    profile: int
    wait_quiet: int
    command: str
    upstream: str = CATALOG


def parse_settings(argv: Sequence[str]) -> Settings:
    """Reads the command line; ``--quick`` changes the defaults that were not given."""
    parser = argparse.ArgumentParser(
        description="Benchmark the gateway against direct calls, nginx and bare proxies.",
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="Smoke test in about a minute.")
    add("--rounds", type=int, help="Rounds of alternated runs (3; quick 1).")
    add("--duration", type=int, help="Seconds of each wrk run (10; quick 2).")
    add("--warmup", type=int, help="Seconds of warm-up per target (3; quick 1).")
    add("--connections", type=int, default=32, help="Connections of throughput runs.")
    add(
        "--upstream",
        choices=sorted(UPSTREAMS),
        default=CATALOG,
        help="What answers the path: the catalog (cached document), or a hello-world "
        "FastAPI app (bench/hello_app.py), the upstream of issue 3's reference figures.",
    )
    add(
        "--targets",
        default=",".join(TARGETS),
        help=f"Comma-separated subset of {', '.join(TARGETS)} (direct is always measured).",
    )
    add(
        "--rate-limit",
        default=RATE_LIMIT,
        help=f"The gateway's anonymous and default rate limits ({RATE_LIMIT}).",
    )
    add(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="After the rounds, sample the gateway with py-spy for this long under load.",
    )
    add(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="Before measuring, wait up to this long for a quiet machine (other "
        f"processes under {BUSY_MACHINE_CORES} cores over 10 s).",
    )
    args = parser.parse_args(argv)
    quick: bool = args.quick

    def pick(value: int | None, full: int, smoke: int) -> int:
        return value if value is not None else (smoke if quick else full)

    wanted = [t.strip() for t in str(args.targets).split(",") if t.strip()]
    unknown = sorted(set(wanted) - set(TARGETS))
    if unknown:
        parser.error(f"unknown targets: {', '.join(unknown)}")
    shown = [shown_path(Path(sys.executable)), shown_path(Path(sys.argv[0])), *argv]
    settings = Settings(
        quick=quick,
        rounds=pick(args.rounds, 3, 1),
        duration=pick(args.duration, 10, 2),
        warmup=pick(args.warmup, 3, 1),
        connections=args.connections,
        targets=tuple(t for t in TARGETS if t == DIRECT or t in wanted),
        rate_limit=args.rate_limit,
        profile=args.profile,
        wait_quiet=args.wait_quiet,
        command=" ".join(shlex.quote(a) for a in shown),
        upstream=args.upstream,
    )
    for name in ("rounds", "duration", "warmup", "connections"):
        if getattr(settings, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if settings.profile < 0 or settings.wait_quiet < 0:
        parser.error("--profile and --wait-quiet take 0 (off) or a number of seconds")
    return settings


# --------------------------------------------------------------------------------------------
# The system under test: databases, keys, processes
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Prepared:
    """What the servers need, made in the run's scratch directory."""

    catalog_env: dict[str, str]
    gateway_env: dict[str, str]
    api_key: str


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file, for the services' aiosqlite driver."""
    return f"sqlite+aiosqlite:///{path.absolute()}"


def prepare(settings: Settings, work: Path) -> Prepared:
    """Makes the key pair, migrates both databases, loads the demo catalog, issues an API key."""
    private_pem, public_pem = generate_signing_keys()
    private_file, public_file = work / "internal-token.pem", work / "internal-token.pub"
    private_file.write_text(private_pem, encoding="utf-8")
    public_file.write_text(public_pem, encoding="utf-8")
    private_file.chmod(0o600)
    quiet = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1", "TERM": "dumb"}
    catalog_env = {
        **quiet,
        "CATALOG_DATABASE_URL": sqlite_url(work / "catalog.sqlite3"),
        "CATALOG_ENVIRONMENT": "development",
        "CATALOG_INTERNAL_TOKEN_PUBLIC_KEY_FILE": str(public_file),
    }
    gateway_env = {
        **quiet,
        "GATEWAY_DATABASE_URL": sqlite_url(work / "gateway.sqlite3"),
        "GATEWAY_ENVIRONMENT": "development",
        "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY_FILE": str(private_file),
        "GATEWAY_DEFAULT_RATE_LIMIT": settings.rate_limit,
        "GATEWAY_ANONYMOUS_RATE_LIMIT": settings.rate_limit,
    }
    alembic = [str(BIN / "alembic"), "upgrade", "head"]
    if settings.upstream == CATALOG:
        print(
            "  catalog: migrating a SQLite database, loading the demo certifications …"
        )
        run_checked(
            alembic,
            env=catalog_env,
            cwd=CATALOG_DIR,
            timeout=300,
            what="catalog migrations",
        )
        run_checked(
            [str(BIN / "catalog"), "load-demo"],
            env=catalog_env,
            cwd=ROOT,
            timeout=300,
            what="catalog load-demo",
        )
    print("  gateway: migrating a SQLite database, creating an API client …")
    run_checked(
        alembic,
        env=gateway_env,
        cwd=GATEWAY_DIR,
        timeout=300,
        what="gateway migrations",
    )
    create = [str(BIN / "gateway"), "clients", "create", "--name", "bench"]
    create += ["--role", "partner", "--organisation-id", "org-1"]
    output = run_checked(
        create, env=gateway_env, cwd=ROOT, timeout=120, what="gateway clients create"
    )
    found = _API_KEY.search(output)
    if found is None:
        raise BenchError(
            f"no API key in the output of `gateway clients create`:\n{output}"
        )
    return Prepared(catalog_env, gateway_env, found.group(0))


def spawn(
    name: str, command: list[str], env: dict[str, str], log: Path, port: int
) -> Server:
    """Starts a server in its own session (process group), its output going to a log file."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, process=process, port=port, log=log)


def nginx_config(work: Path, port: int, upstream_port: int) -> Path:
    """A minimal nginx.conf: one process in the foreground, everything in ``work``."""
    prefix = work / "nginx"
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(
        f"""# generated by bench/gateway_bench.py
daemon off;
master_process off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 1024;
}}

http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    keepalive_requests 1000000;

    upstream catalog {{
        server 127.0.0.1:{upstream_port};
        keepalive 64;
        keepalive_requests 1000000;
    }}

    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://catalog;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
        }}
    }}
}}
""",
        encoding="utf-8",
    )
    return config


def start_all(
    settings: Settings, prepared: Prepared, work: Path, servers: list[Server]
) -> dict[str, Server]:
    """Starts the upstream, then every proxy of the run; appends each to ``servers`` at once."""
    catalog_port = free_port()
    if settings.upstream == HELLO:
        catalog = spawn(
            "hello",
            uvicorn_command("hello_app:app", catalog_port, "--app-dir", str(BENCH_DIR)),
            dict(os.environ),
            work / "hello.log",
            catalog_port,
        )
    else:
        catalog = spawn(
            "catalog",
            uvicorn_command("catalog.main:app", catalog_port),
            prepared.catalog_env,
            work / "catalog.log",
            catalog_port,
        )
    servers.append(catalog)
    wait_ready(catalog, "/readyz")
    upstream = catalog.base_url
    by_target = {DIRECT: catalog}
    if NGINX in settings.targets:
        port = free_port()
        config = nginx_config(work, port, catalog_port)
        command = [shutil.which("nginx") or "nginx", "-p", f"{config.parent}/"]
        command += ["-c", str(config), "-e", str(config.parent / "error.log")]
        by_target[NGINX] = spawn(
            "nginx", command, dict(os.environ), work / "nginx.log", port
        )
        servers.append(by_target[NGINX])
    if GATEWAY in settings.targets or GATEWAY_KEY in settings.targets:
        port = free_port()
        env = {
            **prepared.gateway_env,
            "GATEWAY_UPSTREAMS": json.dumps({"catalog": [upstream]}),
        }
        gateway = spawn(
            "gateway",
            # As the gateway's image serves it: uvicorn's protocol writing each answer in one
            # write (gateway/server.py).
            uvicorn_command("gateway.main:app", port, "--http", GATEWAY_HTTP),
            env,
            work / "gateway.log",
            port,
        )
        servers.append(gateway)
        by_target[GATEWAY] = by_target[GATEWAY_KEY] = gateway
    for target, module in PROXY_MODULES.items():
        if target in settings.targets:
            port = free_port()
            command = uvicorn_command(
                f"{module}:app", port, "--app-dir", str(PROXIES_DIR)
            )
            env = {**os.environ, "BENCH_UPSTREAM": upstream}
            by_target[target] = spawn(
                target, command, env, work / f"{target}.log", port
            )
            servers.append(by_target[target])
    for target, server in by_target.items():
        wait_ready(server, "/readyz" if target in GATEWAYS else PATH)
    return {t: by_target[t] for t in settings.targets}


# --------------------------------------------------------------------------------------------
# Checks before measuring
# --------------------------------------------------------------------------------------------


def fetch(
    url: str, headers: dict[str, str] | None = None, *, timeout: float = 10.0
) -> tuple[int, dict[str, str], bytes]:
    """One GET to this machine (no proxy from the environment); status, headers, body."""
    if urllib.parse.urlsplit(url).hostname not in LOOPBACK:
        raise BenchError(f"refusing to send traffic off this machine: {url}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback http
    try:
        with opener.open(request, timeout=timeout) as response:
            status: int = response.status
            found = {k.lower(): v for k, v in response.headers.items()}
            return status, found, response.read()
    except urllib.error.HTTPError as error:
        return (
            error.code,
            {k.lower(): v for k, v in error.headers.items()},
            error.read(),
        )


def check_targets(
    settings: Settings, servers: dict[str, Server], api_key: str
) -> list[str]:
    """Every target answers the same document; the gateway's limiter and authentication are on."""
    notes: list[str] = []
    status, _, direct_body = fetch(servers[DIRECT].base_url + PATH)
    if status != 200:
        raise BenchError(f"the upstream answers {status} to {PATH}")
    for target in settings.targets:
        headers = (
            {"Authorization": f"Bearer {api_key}"} if target == GATEWAY_KEY else {}
        )
        status, answer, body = fetch(servers[target].base_url + PATH, headers)
        if status != 200 or body != direct_body:
            raise BenchError(
                f"{target} answers {status} with a different document than the upstream:"
                f"\n{body[:500]!r}\n{tail(servers[target].log)}"
            )
        if target in GATEWAYS and "ratelimit-remaining" not in answer:
            raise BenchError(
                f"{target}: no RateLimit-* headers in the answer: is the limiter on?"
            )
    notes.append(
        f"every target answers `GET {PATH}` with the upstream's {len(direct_body):,}-byte "
        "document, byte for byte"
    )
    if GATEWAY_KEY in settings.targets:
        forged = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
        status, _, _ = fetch(
            servers[GATEWAY_KEY].base_url + PATH, {"Authorization": f"Bearer {forged}"}
        )
        if status != 401:
            raise BenchError(f"the gateway answers {status}, not 401, to a wrong key")
        notes.append(
            "gateway: answers 401 to a wrong API key and sends RateLimit-* headers "
            f"(limits {settings.rate_limit}, anonymous and per client): authentication "
            "and the limiter are on"
        )
    return notes


# --------------------------------------------------------------------------------------------
# wrk
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Run:
    """One wrk run, with the CPU that the proxy, the catalog and others spent meanwhile."""

    name: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int  # socket errors (connect, read, write, timeout)
    bad_status: int  # responses that were not 2xx or 3xx
    bytes_per_response: float
    proxy_cpu_us: float  # per request; NaN when direct
    catalog_cpu_us: float  # per request
    wrk_cpu_us: float  # per request
    other_cores: float  # CPU of every other process meanwhile, in cores


def wrk_command(url: str, script: Path, connections: int, duration: int) -> list[str]:
    """``wrk -t1 -c{connections} -d{duration}s --latency`` with the run's Lua script."""
    return [
        "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency",
        "--timeout", "5s", "-s", str(script), url,
    ]  # fmt: skip


def run_wrk(
    name: str,
    server: Server,
    catalog: Server,
    script: Path,
    *,
    connections: int,
    duration: int,
) -> Run:
    """Runs wrk against one target, sampling the CPU of the proxy and of the catalog."""
    proxy_pid = None if server is catalog else server.process.pid
    proxy_before = process_cpu(proxy_pid) if proxy_pid else 0.0
    catalog_before = process_cpu(catalog.process.pid)
    machine_before, children_before, self_before = (
        busy_cpu(),
        children_cpu(),
        self_cpu(),
    )
    started = time.perf_counter()
    try:
        done = subprocess.run(
            wrk_command(server.base_url, script, connections, duration),
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk against {name} ran over {duration + 60} s") from error
    wall = time.perf_counter() - started
    proxy_cpu = process_cpu(proxy_pid) - proxy_before if proxy_pid else 0.0
    catalog_cpu = process_cpu(catalog.process.pid) - catalog_before
    wrk_cpu = children_cpu() - children_before
    ours = proxy_cpu + catalog_cpu + wrk_cpu + self_cpu() - self_before
    other = busy_cpu() - machine_before - ours
    if done.returncode != 0:
        raise BenchError(
            f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    distribution, summary = parse_wrk(done.stdout)
    requests = max(int(summary["requests"]), 1)
    seconds = summary["duration_us"] / 1e6
    return Run(
        name=name,
        connections=connections,
        requests=requests,
        seconds=seconds,
        rps=requests / seconds,
        p50_ms=summary["p50"] / 1e3,  # µs from the Lua hook: finer than wrk's text
        p90_ms=distribution["90"],
        p99_ms=distribution["99"],
        max_ms=summary["max"] / 1e3,
        errors=sum(int(summary[k]) for k in ("connect", "read", "write", "timeout")),
        bad_status=int(summary["status"]),
        bytes_per_response=summary["bytes"] / requests,
        proxy_cpu_us=proxy_cpu / requests * 1e6 if proxy_pid else float("nan"),
        catalog_cpu_us=catalog_cpu / requests * 1e6,
        wrk_cpu_us=wrk_cpu / requests * 1e6,
        other_cores=max(0.0, other / wall),
    )


def wrk_scripts(work: Path, api_key: str) -> tuple[Path, Path]:
    """The Lua scripts: anonymous, and with the API key in every request."""
    anonymous = lua_script(work / "anonymous.lua", [PATH])
    keyed = work / "api-key.lua"
    keyed.write_text(
        f'wrk.headers["Authorization"] = "Bearer {api_key}"\n'
        + anonymous.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    return anonymous, keyed


# --------------------------------------------------------------------------------------------
# Rounds
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Results:
    """Every wrk run, by target and connection count, in round order."""

    runs: dict[tuple[str, int], list[Run]]
    rounds: list[list[Run]]
    notes: list[str]
    profile: list[str]


def wait_for_quiet(budget: int, window: float = 10.0) -> str:
    """Waits until the machine is quiet (our servers idle), ``budget`` seconds at most.

    Quiet: over ``window`` seconds, every process but this script used less than
    ``BUSY_MACHINE_CORES`` cores. Returns what happened, for the notes.
    """
    deadline = time.monotonic() + budget
    started = time.monotonic()
    cores = float("nan")
    while True:
        busy_before, self_before = busy_cpu(), self_cpu()
        time.sleep(window)
        cores = (busy_cpu() - busy_before - (self_cpu() - self_before)) / window
        waited = time.monotonic() - started
        if cores < BUSY_MACHINE_CORES:
            return f"waited {waited:.0f} s for a quiet machine ({cores:.2f} cores busy)"
        if time.monotonic() + window > deadline:
            return (
                f"the machine was not quiet after {waited:.0f} s ({cores:.2f} cores busy "
                "over the last 10 s): measured anyway"
            )
        print(f"  waiting for a quiet machine: {cores:.2f} cores busy …", flush=True)


def measure(
    settings: Settings, servers: dict[str, Server], api_key: str, work: Path
) -> Results:
    """Warms every target up, then runs the rounds (order reversed every other round)."""
    catalog = servers[DIRECT]
    anonymous, keyed = wrk_scripts(work, api_key)

    def run(target: str, connections: int, duration: int) -> Run:
        script = keyed if target == GATEWAY_KEY else anonymous
        return run_wrk(
            target, servers[target], catalog, script,
            connections=connections, duration=duration,
        )  # fmt: skip

    notes: list[str] = []
    if settings.wait_quiet:
        notes.append(wait_for_quiet(settings.wait_quiet))
        notes.append(f"load average when the warm-up began: {_load()}")
    print(f"  warm-up: {settings.warmup} s per target", flush=True)
    for target in settings.targets:
        run(target, settings.connections, settings.warmup)
    c = settings.connections
    plan = [(t, c) for t in settings.targets] + [(t, 1) for t in settings.targets]
    runs: dict[tuple[str, int], list[Run]] = {}
    rounds: list[list[Run]] = []
    for round_index in range(settings.rounds):
        this_round: list[Run] = []
        for target, connections in plan if round_index % 2 == 0 else plan[::-1]:
            print(
                f"  round {round_index + 1}/{settings.rounds}: {target} @{connections} …",
                end="",
                flush=True,
            )
            result = run(target, connections, settings.duration)
            print(f" {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms", flush=True)
            where = f"round {round_index + 1}, {target} @{connections}"
            if result.errors or result.bad_status:
                notes.append(
                    f"{where}: {result.errors} socket errors (timeouts 5 s included), "
                    f"{result.bad_status} responses not 2xx/3xx: not a valid measurement"
                )
            if result.other_cores > BUSY_MACHINE_CORES:
                notes.append(
                    f"{where}: other processes used {result.other_cores:.2f} cores "
                    "meanwhile (the machine was not quiet)"
                )
            runs.setdefault((target, connections), []).append(result)
            this_round.append(result)
        rounds.append(this_round)
    for target in (GATEWAY, NGINX):
        if target in servers:
            rss = psutil.Process(servers[target].process.pid).memory_info().rss
            notes.append(f"{target} RSS after the runs: {rss / 1e6:,.0f} MB")
    profile: list[str] = []
    if settings.profile:
        for target, script in ((GATEWAY, anonymous), (GATEWAY_KEY, keyed)):
            if target not in servers:
                continue
            print(f"  profile: py-spy on the {target} run for {settings.profile} s …")
            samples = work / f"profile-{target}.txt"
            profile += [
                "",
                f"### {LABELS[target]}, {settings.connections} connections",
                "",
            ]
            profile += profile_gateway(settings, servers[target], script, samples)
    return Results(runs=runs, rounds=rounds, notes=notes, profile=profile)


# --------------------------------------------------------------------------------------------
# Profile: py-spy on the gateway under load
# --------------------------------------------------------------------------------------------


def profile_gateway(
    settings: Settings, gateway: Server, script: Path, samples: Path
) -> list[str]:
    """Samples the gateway with py-spy while wrk loads it at the throughput connection count.

    Writes the samples in collapsed-stack form (speedscope and flamegraph.pl open it) to
    ``samples`` and returns a summary: CPU by package and the costliest functions, as shares
    of the samples and in µs per request (the gateway's CPU per request during the run).
    """
    py_spy = BIN / "py-spy"
    if not py_spy.exists():
        return [
            "py-spy is not installed in the venv: `.tools/bin/uv pip install --python "
            ".venv/bin/python py-spy` to profile the gateway"
        ]
    seconds = settings.profile
    output = samples.with_name(f"wrk-{samples.name}")
    cpu_before = process_cpu(gateway.process.pid)
    with output.open("w", encoding="utf-8") as out:
        load = subprocess.Popen(
            wrk_command(gateway.base_url, script, settings.connections, seconds + 2),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            time.sleep(1.0)
            record = [str(py_spy), "record", "--pid", str(gateway.process.pid)]
            record += ["--duration", str(seconds), "--rate", "250", "--format", "raw"]
            record += ["--gil", "--output", str(samples)]
            done = subprocess.run(
                record,
                capture_output=True,
                text=True,
                timeout=seconds + 60,
                check=False,
            )
            load.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired as error:
            raise BenchError("py-spy or wrk did not finish while profiling") from error
        finally:
            stop_group(load)
    cpu = process_cpu(gateway.process.pid) - cpu_before
    if done.returncode != 0 or not samples.exists():
        return [f"py-spy failed ({done.returncode}): {done.stderr.strip()[-500:]}"]
    _, summary = parse_wrk(output.read_text(encoding="utf-8"))
    requests = max(int(summary["requests"]), 1)
    return summarise_profile(samples, cpu / requests * 1e6, requests / seconds)


def _frame_name(frame: str) -> tuple[str, str]:
    """(function and file, package) of one collapsed-stack frame ``func (path:line)``."""
    match = re.match(r"^(.*) \((.*?)(?::\d+)?\)$", frame)
    function, path = (match.group(1), match.group(2)) if match else (frame, "")
    package = path.split("/", 1)[0].removesuffix(".py") or "?"
    return f"{function} ({path})", package


def summarise_profile(samples: Path, cpu_us: float, rps: float) -> list[str]:
    """Where the gateway's CPU goes: self time by package and function, inclusive time.

    Shares of py-spy's samples of the thread holding the GIL (``--gil``: threads blocked on a
    queue and the loop waiting in epoll are left out), and the same shares of the gateway's
    CPU per request measured during the run.
    """
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    total = 0
    for line in samples.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        names = [_frame_name(frame) for frame in stack.split(";")]
        total += count
        own[names[-1][0]] += count
        packages[names[-1][1]] += count
        for name in {n for n, _ in names}:
            inclusive[name] += count
    if not total:
        return ["py-spy recorded no samples"]

    def share(count: int) -> str:
        return f"{count / total:.1%} | {count / total * cpu_us:,.0f} µs"

    lines = [
        f"{total:,} samples of the thread holding the GIL, at {rps:,.0f} req/s; the gateway "
        f"used {cpu_us:,.0f} µs of CPU per request meanwhile (py-spy pauses it to sample, "
        "which slows it a little).",
        "",
        "Self time by package: "
        + ", ".join(f"{p} {n / total:.0%}" for p, n in packages.most_common(14)),
        "",
        "| self | per request | function |",
        "|---:|---:|---|",
    ]
    lines += [f"| {share(n)} | `{f}` |" for f, n in own.most_common(20)]
    lines += ["", "| inclusive | per request | function |", "|---:|---:|---|"]
    shown = [(f, n) for f, n in inclusive.most_common(100) if n / total < 0.9]
    lines += [f"| {share(n)} | `{f}` |" for f, n in shown[:40]]
    return lines


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def source_digest() -> str:
    """A short hash of the gateway's, the common library's and the proxies' sources."""
    digest = hashlib.sha256()
    for directory in SOURCE_DIRS:
        for path in sorted(directory.rglob("*.py")):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def versions() -> dict[str, str]:
    """Versions of everything that moves the figures."""
    found: dict[str, str] = {"Python": platform.python_version()}
    for package in (
        "uvicorn",
        "uvloop",
        "httptools",
        "fastapi",
        "starlette",
        "aiohttp",
        "httpx",
        "httpcore",
        "httpx-aiohttp",
        "sniffio",
        "limits",
    ):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = "not installed"
    nginx = subprocess.run(
        ["nginx", "-v"], capture_output=True, text=True, timeout=10, check=False
    )
    found["nginx"] = (nginx.stderr or nginx.stdout).strip().rpartition("/")[2] or "?"
    found.update(wrk_and_machine())
    found["source digest"] = source_digest()
    return found


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def _per_round(
    results: Results, target: str, connections: int
) -> list[tuple[Run, Run]]:
    """Per round: (the target's run, direct's run) at the same connection count."""
    pairs: list[tuple[Run, Run]] = []
    for run_round in results.rounds:
        same = [r for r in run_round if r.connections == connections]
        mine = [r for r in same if r.name == target]
        direct = [r for r in same if r.name == DIRECT]
        if mine and direct:
            pairs.append((mine[0], direct[0]))
    return pairs


def _us(value: float) -> str:
    return "–" if value != value else f"{value:,.0f} µs"  # NaN: no proxy process


def render_report(
    settings: Settings,
    found: dict[str, str],
    results: Results,
    started: datetime,
    elapsed: float,
    loads: tuple[str, str],
) -> str:
    """The Markdown report: versions, command, the table, per-round figures, notes."""
    shown = ", ".join(f"{k} {v}" for k, v in found.items() if k != "machine")
    c = settings.connections
    lines = [
        f"# Gateway benchmark, {started:%Y-%m-%d %H:%M %Z}",
        "",
        f"Command: `{settings.command}` ({elapsed / 60:.1f} min)  ",
        f"Versions: {shown}.  ",
        f"Machine: {found['machine']}; wrk, the upstream and the proxy share it. "
        f"Load average (1/5/15 min) at the start: {loads[0]}; at the end: {loads[1]}.",
        "",
        f"Upstream: {UPSTREAMS[settings.upstream]}.  ",
        "",
        f"`GET {PATH}`, {settings.rounds} round(s) of "
        f"{settings.duration} s runs of `wrk -t1 -c{c}` and `-c1` with `--latency`, every "
        "target in each round (order reversed every other round); medians over rounds. "
        "× direct and p50 − direct compare each run with the direct run of the same round.",
        "",
        "| path | conn | req/s | × direct | p50 | p50 − direct | p99 | proxy CPU/req "
        "| upstream CPU/req | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for connections in (c, 1):
        for target in settings.targets:
            runs = results.runs.get((target, connections), [])
            if not runs:
                continue
            pairs = _per_round(results, target, connections)
            ratio = median([mine.rps / direct.rps for mine, direct in pairs])
            added = median([mine.p50_ms - direct.p50_ms for mine, direct in pairs])
            goal, outcome = "", ""
            if target in GATEWAYS and connections == c:
                goal, outcome = (
                    f"≥ {RATIO_TARGET} × direct",
                    verdict(ratio >= RATIO_TARGET),
                )
            elif target in GATEWAYS and connections == 1:
                goal = f"≤ +{ADDED_P50_TARGET_MS:g} ms p50"
                outcome = verdict(added <= ADDED_P50_TARGET_MS)
            strong = target in GATEWAYS
            ratio_text = f"{ratio:.2f}"
            added_text = "–" if target == DIRECT else f"{added:+.2f} ms"
            if strong and connections == c:
                ratio_text = f"**{ratio_text}**"
            if strong and connections == 1:
                added_text = f"**{added_text}**"
            lines.append(
                f"| {LABELS[target]} | {connections} | {median([r.rps for r in runs]):,.0f} "
                f"| {ratio_text} | {median([r.p50_ms for r in runs]):.2f} ms "
                f"| {added_text} | {median([r.p99_ms for r in runs]):.2f} ms "
                f"| {_us(median([r.proxy_cpu_us for r in runs]))} "
                f"| {_us(median([r.catalog_cpu_us for r in runs]))} | {goal} | {outcome} |"
            )
    other = [r.other_cores for run_round in results.rounds for r in run_round]
    wrk_cpu = median(
        [r.wrk_cpu_us for rr in results.rounds for r in rr if r.connections == c]
    )
    lines += [
        "",
        "CPU/req: CPU time (user + system) of the proxy's process (of the upstream's) during "
        f"the run ÷ requests served; wrk itself used {wrk_cpu:,.0f} µs per request at "
        f"{c} connections (median). Other processes on the machine used "
        f"{median(other):.2f} cores during a run (median; max "
        f"{max(other, default=0.0):.2f}).",
        "",
        "Per round (req/s, p50 in ms):",
        "",
    ]
    for index, run_round in enumerate(results.rounds, start=1):
        figures = ", ".join(
            f"{r.name}@{r.connections} {r.rps:,.0f} ({r.p50_ms:.2f})" for r in run_round
        )
        lines.append(f"- round {index}: {figures}")
    lines += ["", "Notes:", ""] + [f"- {note}" for note in results.notes]
    if results.profile:
        lines += ["", "## Profile of the gateway under load (py-spy)"]
        lines += results.profile
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    """Runs the whole benchmark and prints its report."""
    settings = parse_settings(argv)
    for tool, needed in (("wrk", True), ("nginx", NGINX in settings.targets)):
        if needed and shutil.which(tool) is None:
            print(
                f"{tool} is not installed: this benchmark needs it.\n"
                "Install it (Debian/Ubuntu, as root):\n\n"
                f"    apt-get update -qq && apt-get install -y {tool}\n",
                file=sys.stderr,
            )
            return 2
    if (
        HTTPX_AIOHTTP in settings.targets
        and importlib.util.find_spec("httpx_aiohttp") is None
    ):
        print(
            "httpx-aiohttp is not installed in the venv (it is not in uv.lock, so `uv sync` "
            "removes it): its row is left out. For the benchmark only:\n\n"
            "    .tools/bin/uv pip install --python .venv/bin/python httpx-aiohttp==0.2.0\n",
            file=sys.stderr,
        )
        available = tuple(t for t in settings.targets if t != HTTPX_AIOHTTP)
        settings = dataclasses.replace(settings, targets=available)
    signal.signal(signal.SIGTERM, on_sigterm)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now().astimezone()
    started = time.perf_counter()
    load_before = _load()
    found = versions()
    print(f"Gateway benchmark: {settings.command}")
    print("  " + ", ".join(f"{k} {v}" for k, v in found.items()))
    print(f"  load average: {load_before}")
    hello = "-hello" if settings.upstream == HELLO else ""
    stem = (
        RESULTS_DIR
        / f"gateway-{started_at:%Y-%m-%d}{hello}{'-quick' if settings.quick else ''}"
    )
    servers: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as scratch:
        work = Path(scratch)
        try:
            prepared = prepare(settings, work)
            print(f"  starting the {settings.upstream} and the proxies …", flush=True)
            targets = start_all(settings, prepared, work, servers)
            notes = check_targets(settings, targets, prepared.api_key)
            results = measure(settings, targets, prepared.api_key, work)
            results.notes[:0] = notes
            for samples in sorted(work.glob("profile-*.txt")):
                kept = stem.with_name(f"{stem.name}-{samples.name}")
                shutil.copyfile(samples, kept)
                results.notes.append(
                    f"py-spy samples (collapsed stacks: speedscope opens them): "
                    f"{kept.relative_to(ROOT)}"
                )
        except (BenchError, OSError) as error:
            print(f"\nbenchmark failed: {error}", file=sys.stderr)
            return 1
        finally:
            for server in reversed(servers):
                stop_group(server.process)
    if found.get("sniffio") == "not installed":
        results.notes.append(
            "sniffio is not installed: httpcore retries a failing import on every request "
            "without it (PERFORMANCE.md), the httpx rows are slower than they should be"
        )
    elapsed = time.perf_counter() - started
    report = render_report(
        settings, found, results, started_at, elapsed, (load_before, _load())
    )
    print()
    print(report)
    stem.with_suffix(".md").write_text(report, encoding="utf-8")
    raw = {
        "settings": dataclasses.asdict(settings),
        "versions": found,
        "runs": [[dataclasses.asdict(r) for r in rr] for rr in results.rounds],
    }
    stem.with_suffix(".json").write_text(json.dumps(raw, indent=2), encoding="utf-8")
    print(f"Written: {stem.with_suffix('.md').relative_to(ROOT)} and its .json")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
