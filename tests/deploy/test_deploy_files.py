"""The deployment files, checked by reading them: no Docker engine nor cluster is needed.

- The Dockerfiles: a uv builder stage (with every workspace member's pyproject.toml) and a
  slim runtime stage, non-root, a HEALTHCHECK on /livez, the process's port, uvicorn with
  forwarded headers trusted only as configured, and only what runs (src, alembic.ini,
  migrations) copied from a context that .dockerignore keeps free of secrets.
- docker-compose.yml: valid against the Compose Specification schema (vendored by
  check-jsonschema), a migration step before each process, health checks and the env wiring
  (every service's events reach the webhooks service, which verifies each signer's secret);
  the environment it gives each process starts that process's Settings in production, with
  the webhooks service's production target policy (https only, no private networks).
- deploy/k8s: every manifest valid against the Kubernetes schemas (kubernetes-validate, strict,
  pinned version), probes, resources and non-root pods, a migration Job per process with the
  Deployment's image and settings, HPA and PDB, Secret references only; the environment built
  from the ConfigMaps and the Secret keys starts each process's Settings in production.
- docs/deployment.md: creates every Secret key the manifests read; its YAML examples are valid
  Kubernetes objects.

Each rule is a function returning the problems it finds; the tests at the end break a copy of
the real files and check that the rule notices.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import stat
import subprocess
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic_settings import BaseSettings

from candidacy.config import Settings as CandidacySettings
from catalog.config import Settings as CatalogSettings
from common import Environment
from common.testing import skip_unless_ci
from gateway.config import Settings as GatewaySettings
from sessions.config import Settings as SessionsSettings
from webhooks.config import Settings as WebhooksSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / "compose" / ".env.example"
MAKE_SECRETS = ROOT / "deploy" / "compose" / "make-secrets.sh"
POSTGRES_INIT = ROOT / "deploy" / "compose" / "postgres" / "create-databases.sh"
K8S = ROOT / "deploy" / "k8s"
GUIDE = ROOT / "docs" / "deployment.md"
KUBERNETES_VERSION = "1.30"
# libyaml's safe loader when PyYAML has it (several times faster), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Variables a process reads without its prefix: uvicorn's trusted proxies.
UNPREFIXED = {"FORWARDED_ALLOW_IPS"}
# Names of settings that hold secrets: never a literal in a manifest or a ConfigMap.
SECRET_NAME = re.compile(
    r"(DATABASE_URL|PEPPER|SECRETS?|PASSWORD|PRIVATE_KEY|TOKEN_PUBLIC_KEY|ENCRYPTION_KEYS?)$"
)


@dataclass(frozen=True)
class Process:
    """A process of the system and where its files are."""

    name: str
    folder: str
    port: int
    settings: type[BaseSettings]

    @property
    def prefix(self) -> str:
        return f"{self.name.upper()}_"

    @property
    def dockerfile(self) -> Path:
        return ROOT / self.folder / "Dockerfile"


PROCESSES = [
    Process("catalog", "services/catalog", 8001, CatalogSettings),
    Process("candidacy", "services/candidacy", 8002, CandidacySettings),
    Process("sessions", "services/sessions", 8003, SessionsSettings),
    Process("webhooks", "services/webhooks", 8004, WebhooksSettings),
    Process("gateway", "gateway", 8000, GatewaySettings),
]
BY_NAME = {process.name: process for process in PROCESSES}
SERVICES = [process for process in PROCESSES if process.name != "gateway"]
# The services whose outbox relays deliver their events, signed, to the others' /internal/events
# (the webhooks service receives every one of them and forwards them to partners).
EVENT_SOURCES = ["catalog", "candidacy", "sessions"]
ids = [process.name for process in PROCESSES]


def read_yaml(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def read_yaml_documents(path: Path) -> list[Any]:
    return list(yaml.load_all(path.read_text(), Loader=_YAML_LOADER))


# ---- shared checks --------------------------------------------------------------------------


def settings_problems(
    process: Process, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Tells why ``env`` would not start the process in production (its Settings refuse it)."""
    problems = [
        f"{name} is not a setting of {process.name}"
        for name in env
        if name.startswith(process.prefix)
        and name.removeprefix(process.prefix).lower()
        not in process.settings.model_fields
    ]
    problems += [
        f"{name} is read by nothing"
        for name in env
        if not name.startswith(process.prefix) and name not in UNPREFIXED
    ]
    if env.get(f"{process.prefix}ENVIRONMENT") != Environment.PRODUCTION.value:
        problems.append(f"{process.prefix}ENVIRONMENT is not production")
    for name in list(os.environ):
        if name.startswith(process.prefix):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        settings: Any = process.settings()
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        return [*problems, f"{process.name} refuses its settings: {error}"]
    finally:
        for name in env:
            monkeypatch.delenv(name, raising=False)
    if settings.environment is not Environment.PRODUCTION:
        problems.append(f"{process.name} does not run in production")
    if not settings.database_url.startswith("postgresql+asyncpg://"):
        problems.append(f"{process.name}'s database is not PostgreSQL (asyncpg)")
    if process.name == "webhooks":
        # Partners' endpoints: https only, never an address of the deployment's own networks.
        if settings.allow_http:
            problems.append("webhooks delivers to http:// targets")
        if settings.allowed_networks:
            problems.append(
                f"webhooks delivers to the networks {settings.allowed_networks}"
            )
        if settings.clock_offset_seconds:
            problems.append("webhooks runs with a moved clock")
    return problems


def wiring_problems(env: dict[str, dict[str, str]], ports: dict[str, int]) -> list[str]:
    """Checks the URLs and event secrets between processes; ``ports`` maps host → port."""
    problems: list[str] = []

    def target(url: str, *, path: str = "") -> None:
        parts = urlsplit(url)
        if parts.hostname not in ports:
            problems.append(f"{url}: no such host in the deployment")
        elif parts.port != ports[parts.hostname]:
            problems.append(
                f"{url}: {parts.hostname} listens on {ports[parts.hostname]}"
            )
        if path and parts.path != path:
            problems.append(f"{url}: expected the path {path}")

    try:
        target(env["candidacy"]["CANDIDACY_CATALOG_URL"])
        target(env["sessions"]["SESSIONS_CATALOG_URL"])
        target(env["sessions"]["SESSIONS_CANDIDACY_URL"])
        subscribers = {
            source: json.loads(env[source][f"{source.upper()}_EVENT_SUBSCRIBERS"])
            for source in EVENT_SOURCES
        }
        signing = {
            source: env[source][f"{source.upper()}_EVENT_SIGNING_SECRET"]
            for source in EVENT_SOURCES
        }
        candidacy_subscribers = subscribers["candidacy"]
        sessions_subscribers = subscribers["sessions"]
        upstreams = json.loads(env["gateway"]["GATEWAY_UPSTREAMS"])
        storage = env["gateway"]["GATEWAY_RATE_LIMIT_STORAGE_URL"]
        candidacy_secrets = json.loads(env["candidacy"]["CANDIDACY_EVENT_SECRETS"])
        sessions_secrets = json.loads(env["sessions"]["SESSIONS_EVENT_SECRETS"])
        webhooks_secrets = json.loads(env["webhooks"]["WEBHOOKS_EVENT_SECRETS"])
        sessions_signing = signing["sessions"]
        candidacy_signing = signing["candidacy"]
    except (KeyError, json.JSONDecodeError) as error:
        return [f"missing or malformed wiring: {error!r}"]
    for source, urls in subscribers.items():
        for url in urls:
            target(url, path="/internal/events")
        if len(set(urls)) != len(urls):
            problems.append(f"the {source} service delivers twice to a subscriber")
        # Every event reaches the webhooks service, which verifies the signer's secret.
        if not any(urlsplit(u).hostname == "webhooks" for u in urls):
            problems.append(f"the {source} service's events do not reach webhooks")
        if signing[source] not in webhooks_secrets:
            problems.append(f"the webhooks service cannot verify the {source} events")
    if len(set(signing.values())) != len(signing):
        problems.append("two services sign their events with the same secret")
    if not any(urlsplit(u).hostname == "sessions" for u in candidacy_subscribers):
        problems.append(
            "the candidacy service's events do not reach the sessions service"
        )
    if not any(urlsplit(u).hostname == "candidacy" for u in sessions_subscribers):
        problems.append("report.signed does not reach the candidacy service")
    if sorted(upstreams) != sorted(p.name for p in SERVICES):
        problems.append(f"GATEWAY_UPSTREAMS names {sorted(upstreams)}")
    for service, urls in upstreams.items():
        for url in urls:
            target(url)
            if urlsplit(url).hostname != service:
                problems.append(f"the {service} upstream {url} is another host")
    if not storage.startswith("async+redis://"):
        problems.append("the gateway's rate limits are not shared through Redis")
    else:
        target(storage)
    if sessions_signing not in candidacy_secrets:
        problems.append("the candidacy service cannot verify report.signed")
    if candidacy_signing not in sessions_secrets:
        problems.append("the sessions service cannot verify the candidacy's events")
    return problems


# ---- Dockerfiles ----------------------------------------------------------------------------


@dataclass
class Stage:
    name: str
    base: str
    instructions: list[tuple[str, str]]

    def all(self, keyword: str) -> list[str]:
        return [args for kind, args in self.instructions if kind == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Returns the global ARG defaults and the stages of a Dockerfile."""
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            continue  # comments and blank lines may sit inside a continuation
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    arguments: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", args, re.IGNORECASE)
            assert match, f"unreadable FROM {args}"
            base = re.sub(
                r"\$\{?(\w+)\}?",
                lambda m: arguments.get(m.group(1), ""),
                match.group(1),
            )
            stages.append(Stage(match.group(2) or "", base, []))
        elif not stages:
            if keyword == "ARG":
                name, _, default = args.partition("=")
                arguments[name] = default
        else:
            stages[-1].instructions.append((keyword, args))
    return arguments, stages


def copy_sources(args: str) -> tuple[str | None, list[str], str]:
    """Splits a COPY's flags, sources and destination; returns (--from stage, sources, dest)."""
    words = args.split()
    origin = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--from="):
            origin = flag.removeprefix("--from=")
    return origin, words[:-1], words[-1]


def env_pairs(stage: Stage) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for args in stage.all("ENV"):
        for name, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
            pairs[name] = value.strip('"')
    return pairs


def dockerignore_rules() -> list[tuple[bool, re.Pattern[str]]]:
    """The .dockerignore patterns as (exclude?, regex), in order (Go filepath.Match and **)."""
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclude = not line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = ""
        for token in re.split(r"(\*\*/|\*\*|\*|\?)", pattern):
            regex += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                token, re.escape(token)
            )
        rules.append((exclude, re.compile(regex)))
    return rules


def dockerignored(path: str) -> bool:
    """Tells whether the build context leaves out ``path`` (or a folder holding it)."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        verdict = False
        for exclude, regex in dockerignore_rules():
            if regex.fullmatch(prefix):
                verdict = exclude
        if verdict:
            return True
    return False


@cache
def workspace_members() -> tuple[str, ...]:
    """The uv workspace's members (folders), from the root pyproject.toml."""
    with (ROOT / "pyproject.toml").open("rb") as file:
        members = tomllib.load(file)["tool"]["uv"]["workspace"]["members"]
    return tuple(members)


def dockerfile_problems(process: Process, text: str) -> list[str]:
    _, stages = parse_dockerfile(text)
    if len(stages) < 2:
        return [f"one stage only: {[s.name for s in stages]}"]
    problems: list[str] = []
    builder, runtime = stages[0], stages[-1]
    # The builder: uv with the workspace's lock, this process and `common` only.
    if builder.name != "builder":
        problems.append("the first stage is not named builder")
    syncs = [a for a in builder.all("RUN") if re.search(r"\buv (sync|export)\b", a)]
    if not syncs:
        problems.append("the builder does not use uv")
    for command in syncs:
        for flag in ("--frozen", "--no-dev", f"--package {process.name}"):
            if not re.search(rf"{re.escape(flag)}(\s|$)", command):
                problems.append(f"a uv command lacks {flag}: {command}")
    copied = [copy_sources(a)[1] for a in builder.all("COPY")]
    if not any("uv.lock" in sources for sources in copied):
        problems.append("the builder does not copy uv.lock")
    # uv reads every member's metadata to use the lock (--frozen fails without one of them).
    copied_files = {source for sources in copied for source in sources}
    for member in workspace_members():
        if f"{member}/pyproject.toml" not in copied_files:
            problems.append(f"the builder does not copy {member}/pyproject.toml")
    # The runtime: slim Python 3.11, not root.
    if not re.fullmatch(r"python:3\.11(\.\d+)?-slim(-\w+)?", runtime.base):
        problems.append(f"the runtime stage is built on {runtime.base}")
    users = runtime.all("USER")
    if not users or users[-1].split(":")[0] in {"root", "0"}:
        problems.append("the runtime stage runs as root")
    # Only what runs: the venv and src from the builder, alembic.ini and the migrations.
    expected_from_builder = {
        "/app/.venv",
        "/app/libs/common/src",
        f"/app/{process.folder}/src",
    }
    expected_from_context = {
        f"{process.folder}/alembic.ini",
        f"{process.folder}/migrations",
    }
    from_builder: set[str] = set()
    from_context: set[str] = set()
    for args in runtime.all("COPY") + runtime.all("ADD"):
        origin, sources, _ = copy_sources(args)
        (from_context if origin is None else from_builder).update(sources)
    if from_builder != expected_from_builder:
        problems.append(f"the runtime copies {sorted(from_builder)} from the builder")
    if from_context != expected_from_context:
        problems.append(f"the runtime copies {sorted(from_context)} from the context")
    if runtime.all("WORKDIR")[-1:] != [f"/app/{process.folder}"]:
        problems.append("the WORKDIR is not the folder of alembic.ini")
    # Every context path copied exists and is not left out by .dockerignore.
    for stage in stages:
        for args in stage.all("COPY"):
            origin, sources, _ = copy_sources(args)
            if origin is not None:
                continue
            for source in sources:
                if not (ROOT / source).exists():
                    problems.append(f"COPY {source}: no such file")
                elif dockerignored(source):
                    problems.append(f"COPY {source}: left out by .dockerignore")
    # The port, the health check, the command.
    if str(process.port) not in " ".join(runtime.all("EXPOSE")).split():
        problems.append(f"the runtime does not EXPOSE {process.port}")
    healthchecks = runtime.all("HEALTHCHECK")
    if len(healthchecks) != 1:
        problems.append("the runtime has no HEALTHCHECK")
    else:
        check = healthchecks[0]
        for needed in ("urllib", f"127.0.0.1:{process.port}/livez"):
            if needed not in check:
                problems.append(f"the HEALTHCHECK lacks {needed}")
        if re.search(r"\b(curl|wget)\b", check):
            problems.append("the HEALTHCHECK needs curl or wget")
    commands = runtime.all("CMD")
    if len(commands) != 1:
        return [*problems, "the runtime has no CMD"]
    try:
        command = " ".join(json.loads(commands[0]))
    except json.JSONDecodeError:
        return [*problems, "the CMD is not in exec form"]
    for needed in (
        f"uvicorn --factory {process.name}.main:app",
        "--host 0.0.0.0",
        f"--port {process.port}",
        "--proxy-headers",
        '--forwarded-allow-ips "$FORWARDED_ALLOW_IPS"',
    ):
        if needed not in command:
            problems.append(f"the CMD lacks {needed}")
    if not command.startswith("exec ") and "sh -c exec " not in command:
        problems.append("the CMD does not exec uvicorn (PID 1 would not get SIGTERM)")
    env = env_pairs(runtime)
    if env.get("FORWARDED_ALLOW_IPS") not in {"127.0.0.1", "127.0.0.1,::1"}:
        problems.append("FORWARDED_ALLOW_IPS does not default to the loopback")
    if env.get(f"{process.prefix}ENVIRONMENT") != "production":
        problems.append(
            f"the image does not set {process.prefix}ENVIRONMENT=production"
        )
    return problems


@pytest.mark.parametrize("process", PROCESSES, ids=ids)
def test_dockerfile(process: Process) -> None:
    assert dockerfile_problems(process, process.dockerfile.read_text()) == []


@pytest.mark.parametrize("process", PROCESSES, ids=ids)
def test_dockerfile_installs_the_uv_the_makefile_pins(process: Process) -> None:
    pinned = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M)
    assert pinned
    assert f"uv=={pinned.group(1)}" in process.dockerfile.read_text()


def test_every_process_is_a_workspace_member() -> None:
    assert {p.folder for p in PROCESSES} <= set(workspace_members())


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    for path in (
        ".env",
        "deploy/compose/.env",
        "keys/internal-token.pem",
        ".run/keys/internal-token.pem",
        ".venv",
        ".git",
        "services/catalog/tests/test_api.py",
        "services/webhooks/tests/conftest.py",
        "services/catalog/src/catalog/__pycache__/main.cpython-311.pyc",
    ):
        assert dockerignored(path), path
    for path in (
        "uv.lock",
        "services/catalog/src/catalog/main.py",
        "services/webhooks/pyproject.toml",
        "gateway/alembic.ini",
    ):
        assert not dockerignored(path), path


# ---- docker-compose.yml ---------------------------------------------------------------------


def read_env_file(path: Path) -> dict[str, str]:
    """Reads an env file as Compose does: double-quoted values take \\n escapes."""
    values: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace("\\n", "\n").replace('\\"', '"')
        elif len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        values[name] = value
    return values


_VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)")


def interpolate(node: Any, values: dict[str, str], missing: set[str]) -> Any:
    """Compose's interpolation of ${VAR}, ${VAR:-default} and ${VAR:?error}."""
    if isinstance(node, dict):
        return {key: interpolate(value, values, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, values, missing) for value in node]
    if not isinstance(node, str):
        return node

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(4)
        operator, argument = match.group(2), match.group(3)
        value = values.get(name)
        if operator in {":-", "-"}:
            return value if value else argument
        if value is None or (operator == ":?" and not value):
            missing.add(name)
            return ""
        return value

    return _VARIABLE.sub(substitute, node.replace("$$", "\0")).replace("\0", "$")


def variables_used(node: Any) -> set[str]:
    """Variables the file reads without a default."""
    text = json.dumps(node)
    return {
        match.group(1) or match.group(4)
        for match in _VARIABLE.finditer(text)
        if match.group(2) not in {":-", "-"}
    }


@cache
def compose_schema_validator() -> jsonschema.protocols.Validator:
    schema = get_builtin_schema("vendor.compose-spec")
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)  # type: ignore[no-any-return]


def compose_schema_errors(document: Any) -> list[str]:
    return [
        f"{'.'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in compose_schema_validator().iter_errors(document)
    ]


def load_compose() -> dict[str, Any]:
    document = read_yaml(COMPOSE_FILE)
    assert isinstance(document, dict)
    return document


def compose_with(values: dict[str, str]) -> dict[str, Any]:
    missing: set[str] = set()
    document = interpolate(load_compose(), values, missing)
    assert not missing, f"unset variables: {sorted(missing)}"
    return document  # type: ignore[no-any-return]


def compose_structure_problems(compose: dict[str, Any]) -> list[str]:
    services = compose.get("services", {})
    problems: list[str] = []
    for name in ("postgres", "redis"):
        if "healthcheck" not in services.get(name, {}):
            problems.append(f"{name} has no health check")
    for process in PROCESSES:
        service = services.get(process.name)
        migrate = services.get(f"{process.name}-migrate")
        if service is None or migrate is None:
            problems.append(f"{process.name} or its migration is missing")
            continue
        build = service.get("build", {})
        if build.get("context") != "." or build.get("dockerfile") != (
            f"{process.folder}/Dockerfile"
        ):
            problems.append(
                f"{process.name} is not built from its Dockerfile at the root"
            )
        if migrate.get("image") != service.get("image") or not service.get("image"):
            problems.append(f"{process.name}'s migration runs another image")
        if migrate.get("command") != ["alembic", "upgrade", "head"]:
            problems.append(
                f"{process.name}'s migration does not run alembic upgrade head"
            )
        if migrate.get("environment") != service.get("environment"):
            problems.append(f"{process.name}'s migration has other settings")
        if migrate.get("restart", "no") != "no":
            problems.append(f"{process.name}'s migration restarts")
        depends = service.get("depends_on", {})
        if not isinstance(depends, dict) or depends.get(f"{process.name}-migrate") != {
            "condition": "service_completed_successfully"
        }:
            problems.append(f"{process.name} does not wait for its migration")
        if (migrate.get("depends_on") or {}).get("postgres") != {
            "condition": "service_healthy"
        }:
            problems.append(f"{process.name}'s migration does not wait for PostgreSQL")
        test = " ".join((service.get("healthcheck") or {}).get("test", []))
        if not re.search(rf"127\.0\.0\.1:{process.port}/(readyz|livez)", test):
            problems.append(f"{process.name} has no health check on its port")
        if process.name != "gateway" and service.get("ports"):
            problems.append(f"{process.name} is published: only the gateway is")
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) and "${" not in str(value):
                problems.append(
                    f"{process.name}: {key} is written in the file, not in .env"
                )
    gateway_depends = services.get("gateway", {}).get("depends_on", {})
    for name in ("redis", *(p.name for p in SERVICES)):
        if gateway_depends.get(name) != {"condition": "service_healthy"}:
            problems.append(f"the gateway does not wait for {name} to be healthy")
    # Whatever a service waits to be healthy has a health check.
    for name, service in services.items():
        for target, condition in (service.get("depends_on") or {}).items():
            if condition.get("condition") == "service_healthy" and (
                not services.get(target, {}).get("healthcheck")
                or services[target]["healthcheck"].get("disable")
            ):
                problems.append(f"{name} waits for {target}, which has no health check")
    return problems


def compose_env(compose: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        process.name: {
            key: str(value)
            for key, value in compose["services"][process.name]["environment"].items()
        }
        for process in PROCESSES
    }


def test_compose_validates_against_the_compose_specification() -> None:
    assert compose_schema_errors(load_compose()) == []
    assert compose_schema_errors(compose_with(read_env_file(ENV_EXAMPLE))) == []


def test_compose_structure() -> None:
    assert compose_structure_problems(load_compose()) == []


def test_env_example_names_every_variable_compose_needs() -> None:
    example = read_env_file(ENV_EXAMPLE)
    assert variables_used(load_compose()) == set(example)


@pytest.fixture(scope="module")
def generated_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A .env made by make-secrets.sh, as a deployer would."""
    if shutil.which("openssl") is None:
        message = "make-secrets.sh needs openssl (Debian package openssl)"
        skip_unless_ci(message)
    target = tmp_path_factory.mktemp("compose") / ".env"
    subprocess.run(
        ["sh", str(MAKE_SECRETS), str(target)], check=True, capture_output=True
    )
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    again = subprocess.run(["sh", str(MAKE_SECRETS), str(target)], capture_output=True)
    assert again.returncode != 0, "make-secrets.sh overwrote an existing .env"
    return read_env_file(target)


def test_make_secrets_writes_every_variable_with_real_secrets(
    generated_env: dict[str, str],
) -> None:
    assert set(generated_env) == set(read_env_file(ENV_EXAMPLE))
    private = serialization.load_pem_private_key(
        generated_env["INTERNAL_TOKEN_PRIVATE_KEY"].encode(), password=None
    )
    public = serialization.load_pem_public_key(
        generated_env["INTERNAL_TOKEN_PUBLIC_KEY"].encode()
    )
    assert isinstance(private, Ed25519PrivateKey)
    assert isinstance(public, Ed25519PublicKey)
    assert private.public_key().public_bytes_raw() == public.public_bytes_raw()
    event_secrets = [f"{source.upper()}_EVENTS_SECRET" for source in EVENT_SOURCES]
    for name in event_secrets:
        secret = generated_env[name]
        assert secret.startswith("whsec_")
        assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    assert len({generated_env[name] for name in event_secrets}) == len(EVENT_SOURCES)
    # A Fernet key (32 URL-safe base64 bytes) of its own, not the development one.
    key = generated_env["WEBHOOKS_SECRET_ENCRYPTION_KEY"]
    Fernet(key)
    assert (
        key
        != WebhooksSettings.model_fields["secret_encryption_key"]
        .get_default(call_default_factory=True)
        .get_secret_value()
    )
    passwords = [v for k, v in generated_env.items() if k.endswith("_PASSWORD")]
    # PostgreSQL's own and one per process.
    assert len(set(passwords)) == len(PROCESSES) + 1
    assert all(re.fullmatch(r"[0-9a-f]{48}", p) for p in passwords)


@pytest.mark.parametrize("process", PROCESSES, ids=ids)
def test_compose_environment_starts_the_process_in_production(
    process: Process, generated_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = compose_env(compose_with(generated_env))[process.name]
    assert settings_problems(process, env, monkeypatch) == []
    url = urlsplit(env[f"{process.prefix}DATABASE_URL"].replace("+asyncpg", ""))
    assert (url.hostname, url.path, url.username) == (
        "postgres",
        f"/{process.name}",
        process.name,
    )


def test_compose_wiring(generated_env: dict[str, str]) -> None:
    compose = compose_with(generated_env)
    ports = {p.name: p.port for p in PROCESSES} | {"redis": 6379, "postgres": 5432}
    assert set(ports) <= set(compose["services"])
    assert wiring_problems(compose_env(compose), ports) == []


def test_compose_postgres_creates_a_database_per_process() -> None:
    postgres = load_compose()["services"]["postgres"]
    script = POSTGRES_INIT.read_text()
    loop = re.search(r"^for service in (.+); do$", script, re.M)
    assert loop
    assert set(loop.group(1).split()) == set(BY_NAME)
    assert any(
        volume.startswith(
            f"./{POSTGRES_INIT.relative_to(ROOT)}:/docker-entrypoint-initdb.d/"
        )
        for volume in postgres["volumes"]
    )
    for process in PROCESSES:
        assert f"{process.name.upper()}_DB_PASSWORD" in postgres["environment"]


# ---- Kubernetes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Manifest:
    path: Path
    index: int
    document: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.document.get("kind"))

    @property
    def name(self) -> str:
        return str(self.document.get("metadata", {}).get("name"))

    def __str__(self) -> str:
        return f"{self.path.relative_to(K8S)}#{self.index} {self.kind}/{self.name}"


def kustomizations() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def load_manifests() -> list[Manifest]:
    manifests = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for index, document in enumerate(read_yaml_documents(path)):
            if document:
                manifests.append(Manifest(path, index, document))
    return manifests


MANIFESTS = load_manifests()


def find(
    kind: str, name: str, manifests: list[Manifest] | None = None
) -> dict[str, Any]:
    found = [
        m.document for m in manifests or MANIFESTS if m.kind == kind and m.name == name
    ]
    assert len(found) == 1, f"{kind}/{name}: {len(found)} manifests"
    return found[0]


def kubernetes_schema_errors(document: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(item) for item in error.path)
        return [f"{path}: {error.message}"]
    except kubernetes_validate.SchemaNotFoundError as error:
        return [error.message]
    return []


@pytest.mark.parametrize("manifest", MANIFESTS, ids=str)
def test_manifest_validates_against_the_kubernetes_schema(manifest: Manifest) -> None:
    assert kubernetes_schema_errors(manifest.document) == []


def test_kustomizations_list_every_manifest_and_pin_the_same_images() -> None:
    tags = {}
    for kustomization in kustomizations():
        spec = read_yaml(kustomization)
        folder = kustomization.parent
        listed = set(spec["resources"])
        present = {p.name for p in folder.glob("*.yaml")} - {"kustomization.yaml"}
        assert listed == present, folder
        images = {
            m.document["spec"]["template"]["spec"]["containers"][0]["image"].split(":")[
                0
            ]
            for m in MANIFESTS
            if m.path.parent == folder and m.kind in {"Deployment", "Job"}
        }
        ours = {image for image in images if image.startswith("vae/")}
        if ours:
            tags[folder.name] = {i["name"]: i["newTag"] for i in spec.get("images", [])}
            assert set(tags[folder.name]) == ours, folder
    assert tags["migrate"] == tags["app"]


def pod_problems(where: str, pod: dict[str, Any], *, server: bool) -> list[str]:
    """Non-root, hardened, sized pods; with both probes when they serve."""
    problems = []
    pod_security = pod.get("securityContext", {})
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: mounts a service account token")
    for container in pod.get("containers", []) + pod.get("initContainers", []):
        name = f"{where} {container.get('name')}"
        security = container.get("securityContext", {})
        run_as_non_root = security.get("runAsNonRoot", pod_security.get("runAsNonRoot"))
        user = security.get("runAsUser", pod_security.get("runAsUser"))
        if run_as_non_root is not True or user in (None, 0):
            problems.append(f"{name}: may run as root")
        if security.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allows privilege escalation")
        if security.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{name}: writable root filesystem")
        if "ALL" not in security.get("capabilities", {}).get("drop", []):
            problems.append(f"{name}: keeps capabilities")
        resources = container.get("resources", {})
        for need in ("cpu", "memory"):
            if need not in resources.get("requests", {}):
                problems.append(f"{name}: no {need} request")
        if "memory" not in resources.get("limits", {}):
            problems.append(f"{name}: no memory limit")
        if server:
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.append(f"{name}: no {probe}")
    if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        problems.append(f"{where}: no RuntimeDefault seccomp profile")
    return problems


def process_pod_problems(
    process: Process, pod: dict[str, Any], *, server: bool
) -> list[str]:
    """The process's own container: its port, its probes, its image."""
    problems = []
    if pod.get("enableServiceLinks") is not False:
        problems.append(
            f"{process.name}: service links would add {process.prefix}* variables"
        )
    container = pod["containers"][0]
    if not container.get("image", "").startswith(f"vae/{process.name}:"):
        problems.append(f"{process.name}: runs the image {container.get('image')}")
    if server:
        ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
        if process.port not in ports.values():
            problems.append(f"{process.name}: does not declare the port {process.port}")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/livez")):
            check = container.get(probe, {}).get("httpGet", {})
            port = ports.get(check.get("port"), check.get("port"))
            if check.get("path") != path or port != process.port:
                problems.append(
                    f"{process.name}: {probe} is not GET {path} on {process.port}"
                )
    return problems


def all_pods() -> Iterator[Any]:
    for manifest in MANIFESTS:
        if manifest.kind in {"Deployment", "Job"}:
            pod = manifest.document["spec"]["template"]["spec"]
            server = manifest.kind == "Deployment"
            yield pytest.param(str(manifest), pod, server, id=str(manifest))


@pytest.mark.parametrize(("where", "pod", "server"), list(all_pods()))
def test_pods_are_non_root_sized_and_probed(
    where: str, pod: dict[str, Any], server: bool
) -> None:
    assert pod_problems(where, pod, server=server) == []


def migration_problems(
    process: Process, deployment: dict[str, Any], job: dict[str, Any]
) -> list[str]:
    problems = []
    served = deployment["spec"]["template"]["spec"]
    migrating = job["spec"]["template"]["spec"]
    server, migrate = served["containers"][0], migrating["containers"][0]
    if migrate.get("command") != ["alembic", "upgrade", "head"]:
        problems.append(f"{process.name}: the Job does not run alembic upgrade head")
    for key in ("image", "env", "envFrom", "volumeMounts"):
        if migrate.get(key) != server.get(key):
            problems.append(
                f"{process.name}: the Job's {key} differs from the Deployment's"
            )
    if migrating.get("volumes") != served.get("volumes"):
        problems.append(f"{process.name}: the Job mounts other volumes")
    if migrating.get("restartPolicy") not in {"Never", "OnFailure"}:
        problems.append(f"{process.name}: the Job's pods restart forever")
    return problems


def scaling_problems(
    process: Process,
    deployment: dict[str, Any],
    service: dict[str, Any],
    hpa: dict[str, Any],
    pdb: dict[str, Any],
) -> list[str]:
    problems = []
    labels = deployment["spec"]["template"]["metadata"]["labels"]

    def selects(selector: dict[str, str]) -> bool:
        return bool(selector) and all(labels.get(k) == v for k, v in selector.items())

    if not selects(deployment["spec"]["selector"]["matchLabels"]):
        problems.append(f"{process.name}: the Deployment does not select its pods")
    if not selects(service["spec"].get("selector", {})):
        problems.append(f"{process.name}: the Service selects other pods")
    if [p["port"] for p in service["spec"]["ports"]] != [process.port]:
        problems.append(
            f"{process.name}: the Service does not listen on {process.port}"
        )
    target = hpa["spec"]["scaleTargetRef"]
    if (target["kind"], target["name"]) != (
        "Deployment",
        deployment["metadata"]["name"],
    ):
        problems.append(f"{process.name}: the HPA scales something else")
    minimum = hpa["spec"].get("minReplicas", 1)
    if minimum < 2:
        problems.append(f"{process.name}: the HPA allows a single replica")
    if not selects(pdb["spec"]["selector"].get("matchLabels", {})):
        problems.append(f"{process.name}: the PDB protects other pods")
    available = pdb["spec"].get("minAvailable")
    if not isinstance(available, int) or not 1 <= available < minimum:
        problems.append(
            f"{process.name}: the PDB would block every drain or protect nothing"
        )
    return problems


@pytest.mark.parametrize("process", PROCESSES, ids=ids)
def test_process_deployment_job_service_hpa_pdb(process: Process) -> None:
    deployment = find("Deployment", process.name)
    job = find("Job", f"{process.name}-migrate")
    assert (
        process_pod_problems(
            process, deployment["spec"]["template"]["spec"], server=True
        )
        == []
    )
    assert (
        process_pod_problems(process, job["spec"]["template"]["spec"], server=False)
        == []
    )
    assert migration_problems(process, deployment, job) == []
    assert (
        scaling_problems(
            process,
            deployment,
            find("Service", process.name),
            find("HorizontalPodAutoscaler", process.name),
            find("PodDisruptionBudget", process.name),
        )
        == []
    )


def secret_value_problems(manifests: list[Manifest]) -> list[str]:
    """No secret value anywhere: Secrets are created apart, manifests only reference them."""
    problems = []
    for manifest in manifests:
        document = manifest.document
        if manifest.kind == "Secret":
            for field in ("data", "stringData"):
                if document.get(field):
                    problems.append(f"{manifest}: holds values in {field}")
        if manifest.kind == "ConfigMap":
            for key, value in (document.get("data") or {}).items():
                if SECRET_NAME.search(key):
                    problems.append(f"{manifest}: {key} is a secret in a ConfigMap")
                if re.search(r"whsec_|PRIVATE KEY|://[^/@\s]+:[^/@\s]+@", str(value)):
                    problems.append(f"{manifest}: {key} holds a secret value")
        if manifest.kind in {"Deployment", "Job"}:
            for container in document["spec"]["template"]["spec"]["containers"]:
                env = container.get("env", [])
                from_secrets = {
                    e["name"] for e in env if "secretKeyRef" in e.get("valueFrom", {})
                }
                for entry in env:
                    name, value = entry["name"], entry.get("value")
                    if value is None:
                        if SECRET_NAME.search(name) and name not in from_secrets:
                            problems.append(f"{manifest}: {name} is not from a Secret")
                        continue
                    references = set(re.findall(r"\$\((\w+)\)", value))
                    if re.search(
                        r"whsec_|PRIVATE KEY|://[^/@\s]+:[^/@\s]+@", value
                    ) or (
                        SECRET_NAME.search(name)
                        and (not references or not references <= from_secrets)
                    ):
                        problems.append(
                            f"{manifest}: {name} has a literal secret value"
                        )
    return problems


def test_no_manifest_holds_a_secret_value() -> None:
    assert secret_value_problems(MANIFESTS) == []


# Placeholder values per Secret key: what `kubectl create secret` receives (docs/deployment.md).
SECRET_PLACEHOLDERS: dict[str, Callable[[str], str]] = {
    "database-url": lambda process: (
        f"postgresql+asyncpg://{process}:placeholder@postgres.example.internal:5432/{process}"
    ),
    "api-key-pepper": lambda _: "placeholder-pepper-" + "x" * 40,
    "sessions-events": lambda _: "whsec_" + base64.b64encode(b"s" * 32).decode(),
    "candidacy-events": lambda _: "whsec_" + base64.b64encode(b"c" * 32).decode(),
    "catalog-events": lambda _: "whsec_" + base64.b64encode(b"k" * 32).decode(),
    "secret-encryption-key": lambda _: base64.urlsafe_b64encode(b"e" * 32).decode(),
}


def container_env(
    process: Process, container: dict[str, Any], manifests: list[Manifest]
) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """The environment the kubelet would give the container (placeholders for Secret keys),
    and for each variable read from a Secret, its (Secret, key)."""
    env: dict[str, str] = {}
    references: dict[str, tuple[str, str]] = {}
    for source in container.get("envFrom", []):
        assert set(source) == {"configMapRef"}, f"unexpected envFrom {source}"
        config = find("ConfigMap", source["configMapRef"]["name"], manifests)
        env.update({k: str(v) for k, v in config["data"].items()})
    for entry in container.get("env", []):
        name = entry["name"]
        if "value" in entry:
            # Kubernetes expands $(VAR) from the variables defined before.
            env[name] = re.sub(
                r"\$\((\w+)\)",
                lambda m: env.get(m.group(1), m.group(0)),
                entry["value"],
            )
            continue
        reference = entry["valueFrom"]["secretKeyRef"]
        references[name] = (reference["name"], reference["key"])
        assert reference["key"] in SECRET_PLACEHOLDERS, (
            f"{name} reads the Secret key {reference['key']}, unknown to this test and the guide"
        )
        env[name] = SECRET_PLACEHOLDERS[reference["key"]](process.name)
    return env, references


def mounted_file_problems(
    process: Process, pod: dict[str, Any], env: dict[str, str]
) -> list[str]:
    """Every *_FILE setting names a file that a Secret volume mounts."""
    container = pod["containers"][0]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    files = set()
    for mount in container.get("volumeMounts", []):
        secret = volumes.get(mount["name"], {}).get("secret")
        if secret is None:
            continue
        for item in secret.get("items", []):
            files.add(f"{mount['mountPath'].rstrip('/')}/{item['path']}")
    return [
        f"{process.name}: {name}={value} is mounted from no Secret"
        for name, value in env.items()
        if name.endswith("_FILE") and value not in files
    ]


@pytest.mark.parametrize("process", PROCESSES, ids=ids)
def test_kubernetes_environment_starts_the_process_in_production(
    process: Process, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = find("Deployment", process.name)["spec"]["template"]["spec"]
    env, _ = container_env(process, pod["containers"][0], MANIFESTS)
    # The variables that only feed $(VAR) expansions are not settings.
    helpers = {name for name in env if name.startswith("VAE_")}
    settings_env = {k: v for k, v in env.items() if k not in helpers}
    assert settings_problems(process, settings_env, monkeypatch) == []
    assert mounted_file_problems(process, pod, env) == []


def test_kubernetes_wiring() -> None:
    envs = {}
    references = {}
    for process in PROCESSES:
        container = find("Deployment", process.name)["spec"]["template"]["spec"][
            "containers"
        ][0]
        envs[process.name], references[process.name] = container_env(
            process, container, MANIFESTS
        )
    ports = {
        m.name: m.document["spec"]["ports"][0]["port"]
        for m in MANIFESTS
        if m.kind == "Service"
    }
    assert wiring_problems(envs, ports) == []
    # The signer and the verifier of each direction read the same Secret key.
    assert (
        references["sessions"]["SESSIONS_EVENT_SIGNING_SECRET"]
        == (references["candidacy"]["VAE_SESSIONS_EVENTS_SECRET"])
    )
    assert (
        references["candidacy"]["CANDIDACY_EVENT_SIGNING_SECRET"]
        == (references["sessions"]["VAE_CANDIDACY_EVENTS_SECRET"])
    )
    for source in EVENT_SOURCES:
        prefix = source.upper()
        assert (
            references[source][f"{prefix}_EVENT_SIGNING_SECRET"]
            == references["webhooks"][f"VAE_{prefix}_EVENTS_SECRET"]
        ), (
            f"the webhooks service reads another key than the {source} service signs with"
        )


def test_the_guide_creates_every_secret_the_manifests_reference() -> None:
    guide = GUIDE.read_text()
    wanted: dict[str, set[str]] = {}
    for manifest in MANIFESTS:
        if manifest.kind not in {"Deployment", "Job"}:
            continue
        pod = manifest.document["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for entry in container.get("env", []):
                reference = entry.get("valueFrom", {}).get("secretKeyRef")
                if reference:
                    wanted.setdefault(reference["name"], set()).add(reference["key"])
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                keys = {item["key"] for item in volume["secret"].get("items", [])}
                wanted.setdefault(volume["secret"]["secretName"], set()).update(keys)
    for name, keys in wanted.items():
        command = re.search(
            rf"kubectl [^\n]*create secret generic {re.escape(name)}\b((?:[^\n]*\\\n)*[^\n]*)",
            guide,
        )
        assert command, f"docs/deployment.md does not create the Secret {name}"
        created = set(
            re.findall(r"--from-(?:literal|file)=([\w.-]+)=", command.group(1))
        )
        assert keys <= created, f"{name}: the guide creates {created}, not {keys}"


def test_the_guide_s_kubernetes_examples_are_valid() -> None:
    """The YAML blocks of docs/deployment.md (e.g. the webhooks egress policy) validate."""
    blocks = re.findall(r"^```yaml\n(.*?)^```$", GUIDE.read_text(), re.M | re.S)
    assert blocks, "docs/deployment.md has no YAML example"
    for block in blocks:
        for document in yaml.load_all(block, Loader=_YAML_LOADER):
            if document:
                assert kubernetes_schema_errors(document) == [], document


# ---- the rules notice broken files ----------------------------------------------------------


def _broken_dockerfiles() -> Iterator[tuple[str, str]]:
    """The catalog's Dockerfile, broken one rule at a time."""
    text = BY_NAME["catalog"].dockerfile.read_text()
    yield "root user", text.replace("USER 10001:10001", "USER root")
    yield "no user", text.replace("USER 10001:10001\n", "")
    yield "one stage", text[text.index("FROM ${PYTHON_IMAGE} AS runtime") :]
    yield "no healthcheck", re.sub(r"HEALTHCHECK[^\n]*\\\n[^\n]*\n", "", text)
    yield (
        "curl",
        text.replace(
            '["python", "-c", "import urllib.request;',
            '["curl", "-f", "import urllib.request;',
        ),
    )
    yield "wrong port", text.replace("EXPOSE 8001", "EXPOSE 8080")
    yield (
        "tests copied",
        text.replace(
            "COPY services/catalog/migrations",
            "COPY services/catalog/tests /app/services/catalog/tests\nCOPY services/catalog/migrations",
        ),
    )
    yield (
        "missing file",
        text.replace("services/catalog/alembic.ini /app", "alembic.ini /app"),
    )
    yield (
        "no lock",
        text.replace("--frozen --no-dev --package catalog \\", "--package catalog \\"),
    )
    yield (
        "trust all",
        text.replace("FORWARDED_ALLOW_IPS=127.0.0.1", "FORWARDED_ALLOW_IPS=*"),
    )
    yield "fat base", text.replace("python:3.11-slim-bookworm", "python:3.11-bookworm")
    yield (
        "a member's pyproject missing",
        text.replace("COPY services/webhooks/pyproject.toml services/webhooks/\n", ""),
    )


@pytest.mark.parametrize(
    ("case", "text"),
    [pytest.param(*case, id=case[0]) for case in _broken_dockerfiles()],
)
def test_a_broken_dockerfile_is_noticed(case: str, text: str) -> None:
    assert text != BY_NAME["catalog"].dockerfile.read_text(), (
        f"{case}: nothing was broken"
    )
    assert dockerfile_problems(BY_NAME["catalog"], text), case


def test_a_broken_compose_file_is_noticed(
    generated_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    compose = load_compose()
    typo = copy.deepcopy(compose)
    typo["services"]["catalog"]["helthcheck"] = typo["services"]["catalog"].pop(
        "healthcheck"
    )
    assert compose_schema_errors(typo)
    wrong_type = copy.deepcopy(compose)
    wrong_type["services"]["gateway"]["ports"] = "8000:8000"
    assert compose_schema_errors(wrong_type)

    no_wait = copy.deepcopy(compose)
    del no_wait["services"]["sessions"]["depends_on"]["sessions-migrate"]
    assert compose_structure_problems(no_wait)
    no_health = copy.deepcopy(compose)
    del no_health["services"]["redis"]["healthcheck"]
    assert compose_structure_problems(no_health)

    env = compose_env(compose_with(generated_env))
    sqlite = dict(env["catalog"], CATALOG_DATABASE_URL="sqlite+aiosqlite:///x.db")
    assert settings_problems(BY_NAME["catalog"], sqlite, monkeypatch)
    no_key = {k: v for k, v in env["gateway"].items() if "PRIVATE_KEY" not in k}
    assert settings_problems(BY_NAME["gateway"], no_key, monkeypatch)
    typo_env = dict(env["sessions"], SESSIONS_EVENT_SUBSCRIBER="[]")
    assert settings_problems(BY_NAME["sessions"], typo_env, monkeypatch)
    crossed = copy.deepcopy(env)
    crossed["candidacy"]["CANDIDACY_EVENT_SECRETS"] = json.dumps(
        [generated_env["CANDIDACY_EVENTS_SECRET"]]
    )
    ports = {p.name: p.port for p in PROCESSES} | {"redis": 6379}
    assert wiring_problems(crossed, ports)
    memory = copy.deepcopy(env)
    memory["gateway"]["GATEWAY_RATE_LIMIT_STORAGE_URL"] = "async+memory://"
    assert wiring_problems(memory, ports)
    unheard = copy.deepcopy(env)
    unheard["catalog"]["CATALOG_EVENT_SUBSCRIBERS"] = "[]"
    assert wiring_problems(unheard, ports)
    unverified = copy.deepcopy(env)
    unverified["webhooks"]["WEBHOOKS_EVENT_SECRETS"] = json.dumps(
        [
            generated_env["CANDIDACY_EVENTS_SECRET"],
            generated_env["SESSIONS_EVENTS_SECRET"],
        ]
    )
    assert wiring_problems(unverified, ports)
    shared = copy.deepcopy(env)
    shared["catalog"]["CATALOG_EVENT_SIGNING_SECRET"] = generated_env[
        "SESSIONS_EVENTS_SECRET"
    ]
    assert wiring_problems(shared, ports)
    no_upstream = copy.deepcopy(env)
    upstreams = json.loads(no_upstream["gateway"]["GATEWAY_UPSTREAMS"])
    del upstreams["webhooks"]
    no_upstream["gateway"]["GATEWAY_UPSTREAMS"] = json.dumps(upstreams)
    assert wiring_problems(no_upstream, ports)
    webhooks = BY_NAME["webhooks"]
    for unsafe in (
        {"WEBHOOKS_ALLOW_HTTP": "true"},
        {"WEBHOOKS_ALLOWED_NETWORKS": '["10.0.0.0/8"]'},
        # Unset: the development key, which production refuses.
        {"WEBHOOKS_SECRET_ENCRYPTION_KEY": ""},
    ):
        changed = {k: v for k, v in env["webhooks"].items() if k not in unsafe}
        changed.update({k: v for k, v in unsafe.items() if v})
        assert settings_problems(webhooks, changed, monkeypatch), unsafe


def test_broken_manifests_are_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    deployment = find("Deployment", "sessions")
    pod = deployment["spec"]["template"]["spec"]
    sessions = BY_NAME["sessions"]

    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert kubernetes_schema_errors(typo)
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "two"
    assert kubernetes_schema_errors(wrong_type)

    for breaking in (
        lambda p: p["containers"][0].pop("readinessProbe"),
        lambda p: p["containers"][0].pop("livenessProbe"),
        lambda p: p["containers"][0]["resources"].pop("requests"),
        lambda p: p["securityContext"].update(runAsUser=0),
        lambda p: [
            context.pop("runAsNonRoot")
            for context in (p["securityContext"], p["containers"][0]["securityContext"])
        ],
        lambda p: p["containers"][0]["securityContext"].update(
            readOnlyRootFilesystem=False
        ),
    ):
        broken = copy.deepcopy(pod)
        breaking(broken)
        assert pod_problems("sessions", broken, server=True)

    wrong_probe = copy.deepcopy(pod)
    wrong_probe["containers"][0]["readinessProbe"]["httpGet"]["path"] = "/health"
    assert process_pod_problems(sessions, wrong_probe, server=True)

    job = copy.deepcopy(find("Job", "sessions-migrate"))
    job["spec"]["template"]["spec"]["containers"][0]["image"] = "vae/sessions:0.0.9"
    assert migration_problems(sessions, deployment, job)

    single = copy.deepcopy(find("HorizontalPodAutoscaler", "sessions"))
    single["spec"]["minReplicas"] = 1
    assert scaling_problems(
        sessions, deployment, find("Service", "sessions"), single,
        find("PodDisruptionBudget", "sessions"),
    )  # fmt: skip

    literal = copy.deepcopy(MANIFESTS)
    for manifest in literal:
        if manifest.kind == "Deployment" and manifest.name == "sessions":
            container = manifest.document["spec"]["template"]["spec"]["containers"][0]
            container["env"][0] = {
                "name": "SESSIONS_DATABASE_URL",
                "value": "postgresql+asyncpg://sessions:hunter2@db/sessions",
            }
    assert secret_value_problems(literal)
    secret = Manifest(K8S / "x.yaml", 0, {"kind": "Secret", "stringData": {"k": "v"}})
    assert secret_value_problems([secret])
    in_config = copy.deepcopy(MANIFESTS)
    for manifest in in_config:
        if manifest.kind == "ConfigMap" and manifest.name == "gateway-config":
            manifest.document["data"]["GATEWAY_API_KEY_PEPPER"] = "oops"
    assert secret_value_problems(in_config)
    key_in_config = copy.deepcopy(MANIFESTS)
    for manifest in key_in_config:
        if manifest.kind == "ConfigMap" and manifest.name == "webhooks-config":
            manifest.document["data"]["WEBHOOKS_SECRET_ENCRYPTION_KEY"] = (
                base64.urlsafe_b64encode(b"e" * 32).decode()
            )
    assert secret_value_problems(key_in_config)

    # A ConfigMap that misses a production setting, or misnames one, stops the process.
    container = pod["containers"][0]
    for change in (
        lambda data: data.pop("SESSIONS_INTERNAL_TOKEN_PUBLIC_KEY_FILE"),
        lambda data: data.update(SESSIONS_ENVIRONMENT="development"),
        lambda data: data.update(SESSIONS_CANDIDACY_URI="http://candidacy:8002"),
    ):
        changed = copy.deepcopy(MANIFESTS)
        for manifest in changed:
            if manifest.kind == "ConfigMap" and manifest.name == "sessions-config":
                change(manifest.document["data"])
        env, _ = container_env(sessions, container, changed)
        env = {k: v for k, v in env.items() if not k.startswith("VAE_")}
        assert settings_problems(sessions, env, monkeypatch)
    env, _ = container_env(sessions, container, MANIFESTS)
    elsewhere = dict(env, SESSIONS_INTERNAL_TOKEN_PUBLIC_KEY_FILE="/etc/vae/public.pem")
    assert mounted_file_problems(sessions, pod, elsewhere)
