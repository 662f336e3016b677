"""Schemathesis against the gateway's merged OpenAPI, on the real platform, once per role and
anonymously, with every default check (server errors, status codes, media types, headers,
response schemas, positive and negative data, missing headers, ignored auth, unsupported
methods, Allow headers, use after delete and resource availability in the stateful phase).

Bounded and deterministic for CI: ``FUZZ_MAX_EXAMPLES`` examples per operation (default 5)
and a fixed seed (``FUZZ_SEED``). The coverage phase (every boundary and negative value the
schema defines, about 5,000 cases whatever the examples) runs for the identities named in
``FUZZ_COVERAGE_FOR`` (default: admin, who may call nearly every operation; the other
identities' answers to the same bodies are 401/403/404 before validation). The long run
covers everyone with more examples::

    FUZZ_MAX_EXAMPLES=100 FUZZ_COVERAGE_FOR=all FUZZ_RUN_TIMEOUT=3000 \
        .venv/bin/pytest tests/fuzz/test_schemathesis_fuzz.py -q -o timeout=3600

Schemathesis runs through its CLI, each identity in its own run. Its pytest loader for a
schema built in a fixture (``schemathesis.pytest.from_fixture``) fails on pytest 9.2
(``'Function' object has no attribute '_nodeid'``), and the schema only exists once the
platform runs; the CLI runs the same engine with every phase (examples, coverage, fuzzing,
stateful) and prints each failure with a curl command that reproduces it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fuzz_platform import Platform, Seeded, running_platform

from common import Role

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "5"))
SEED = int(os.environ.get("FUZZ_SEED", "20260427"))
# Bounded: a run that hangs fails the test with what it printed so far.
RUN_TIMEOUT_SECONDS = float(os.environ.get("FUZZ_RUN_TIMEOUT", "280"))
ANONYMOUS = "anonymous"
# The administrator last: its run withdraws, cancels and revokes the seeded objects.
IDENTITIES = [
    ANONYMOUS,
    Role.PARTNER.value,
    Role.CERTIFIER.value,
    Role.EXAM_CENTRE.value,
    Role.ADMIN.value,
]
COVERAGE_FOR = os.environ.get("FUZZ_COVERAGE_FOR", Role.ADMIN.value)


def _phases(identity: str) -> str:
    """The phases of one identity's run: coverage only where FUZZ_COVERAGE_FOR names it."""
    named = {name.strip() for name in COVERAGE_FOR.split(",")}
    covered = "all" in named or identity in named
    return ",".join(
        ["examples", *(["coverage"] if covered else []), "fuzzing", "stateful"]
    )


@pytest.fixture(scope="module")
def seeded_platform(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Platform, Seeded]]:
    """The five processes on PostgreSQL, with real objects and one API key per role."""
    with running_platform(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


def _toml(value: Any) -> str:
    # JSON strings, numbers and arrays are valid TOML values; this config needs no more.
    if isinstance(value, dict):
        return (
            "{ "
            + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items())
            + " }"
        )
    return json.dumps(value)


def _config(seeded: Seeded, identity: str, base_url: str) -> str:
    """The schemathesis.toml of one identity's run."""
    lines = [
        f"seed = {SEED}",
        f"base-url = {json.dumps(base_url)}",
        "request-timeout = 30",
        "",
        "[generation]",
        f"max-examples = {MAX_EXAMPLES}",
        'mode = "all"',
        "",
        # A schema-valid request may still break a rule JSON Schema cannot state; the service
        # then answers with the rule's own code: 412/428 for a stale or missing If-Match
        # (Schemathesis cannot know the current ETag), 422 for an opaque cursor it never
        # issued, an Idempotency-Key reused with another body, or a webhook host that does
        # not resolve. The hook `schema_valid_request_passes_request_validation` still fails
        # any 422 from request validation itself (code VALIDATION_FAILED).
        "[checks.positive_data_acceptance]",
        'expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "428", "429"]',
        "",
    ]
    if identity != ANONYMOUS:
        lines += [
            "[auth.openapi.apiKey]",
            f"bearer = {json.dumps(seeded.keys[Role(identity)])}",
            "",
        ]
    # Generated ids are random and match nothing: half of them are the seeded objects' ids,
    # so that the checks also see answers about resources that exist.
    lines.append("[parameters]")
    for name in seeded.values:
        for location in ("path", "query"):
            binding = {"dictionary": name, "probability": 0.5}
            lines.append(f"{json.dumps(location + '.' + name)} = {_toml(binding)}")
    lines.append("")
    for name, values in seeded.values.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    return "\n".join(lines)


def _run(config: Path, schema_url: str, phases: str, log: Path) -> tuple[int, str]:
    """Runs the Schemathesis CLI in its own process group, stopped on timeout."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]),
        "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
        "NO_COLOR": "1",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(SCHEMATHESIS),
                "--config-file",
                str(config),
                "run",
                schema_url,
                "--no-color",
                "--phases",
                phases,
                "--generation-database",
                "none",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=config.parent,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=RUN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            code = -1
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
    return code, log.read_text(errors="replace")


def test_a_wrong_method_gets_405_with_allow_even_anonymously(
    seeded_platform: tuple[Platform, Seeded],
) -> None:
    """What the unsupported-method check found: the answer names the methods that exist."""
    platform, seeded = seeded_platform
    partner = {"Authorization": f"Bearer {seeded.keys[Role.PARTNER]}"}
    candidacy = seeded.values["candidacy_id"][0]
    cases = [
        ("TRACE", "/v1/blocks/RNCP980001BC01", {}, "GET"),
        ("PATCH", "/v1/certifications/RNCP980001/blocks", {}, "GET"),
        ("PUT", "/v1/certifications/lheo", platform.admin(), "GET"),
        ("PATCH", "/v1/candidacies/statistics", partner, "GET"),
        ("DELETE", "/v1/candidacies/vocabulary", partner, "GET"),
        ("OPTIONS", "/v1/candidacies", partner, "GET, POST"),
        ("OPTIONS", f"/v1/candidacies/{candidacy}", partner, "GET, PATCH"),
        ("GET", "/v1/imports/certif-info", platform.admin(), "POST"),
    ]
    with httpx.Client(base_url=platform.gateway, timeout=10) as http:
        for method, path, headers, allowed in cases:
            response = http.request(method, path, headers=headers)
            assert (response.status_code, response.headers.get("allow")) == (
                405,
                allowed,
            ), (method, path, response.text)
            assert response.json()["code"] == "METHOD_NOT_ALLOWED"
        # An anonymous write on a public path still needs a key.
        anonymous_write = http.post("/v1/certifications", json={})
        assert anonymous_write.status_code == 401
        assert anonymous_write.headers["www-authenticate"].startswith("Bearer")


def test_dates_in_query_strings_are_iso_8601_only(
    seeded_platform: tuple[Platform, Seeded],
) -> None:
    """What negative-data rejection found: `as_of=0` meant 1970-01-01 (a Unix timestamp)."""
    platform, seeded = seeded_platform
    partner = {"Authorization": f"Bearer {seeded.keys[Role.PARTNER]}"}
    centre = {"Authorization": f"Bearer {seeded.keys[Role.EXAM_CENTRE]}"}
    candidate = seeded.values["candidate_id"][0]
    cases = [
        ("/v1/certifications", {"as_of": "0"}, {}),
        ("/v1/certifications/lheo", {"as_of": "1700000000"}, {}),
        (f"/v1/candidates/{candidate}/blocks", {"as_of": "0"}, partner),
        ("/v1/acquired-blocks", {"until": "20260901"}, partner),
        ("/v1/exam-sessions", {"starts_after": "0.5"}, centre),
        ("/v1/exam-sessions/lheo", {"starts_before": "1700000000"}, centre),
    ]
    with httpx.Client(base_url=platform.gateway, timeout=30) as http:
        for path, params, headers in cases:
            refused = http.get(path, params=params, headers=headers)
            assert refused.status_code == 422, (path, params, refused.text)
            assert refused.json()["errors"][0]["loc"] == ["query", next(iter(params))]
            assert "e.g. 2026-09-01" in refused.json()["detail"]
        accepted = http.get(
            f"/v1/candidates/{candidate}/blocks",
            params={"as_of": "2026-09-01"},
            headers=partner,
        )
        assert accepted.json()["as_of"] == "2026-09-01"
        window = http.get(
            "/v1/exam-sessions",
            params={"starts_after": "2026-09-01T08:00:00+02:00"},
            headers=centre,
        )
        assert window.status_code == 200, window.text


# Last in the file: the runs change the seeded objects the tests above read.
@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_generated_call_gets_an_answer_true_to_the_contract(
    seeded_platform: tuple[Platform, Seeded], identity: str, tmp_path: Path
) -> None:
    platform, seeded = seeded_platform
    config = tmp_path / "schemathesis.toml"
    config.write_text(_config(seeded, identity, platform.gateway))
    code, output = _run(
        config,
        platform.gateway + "/openapi.json",
        _phases(identity),
        tmp_path / "run.log",
    )

    failures = output[output.find("=== FAILURES") :] if "=== FAILURES" in output else ""
    assert code == 0, (
        f"schemathesis ({identity}) exited with {code}:\n{failures or output[-6000:]}"
    )
    tested = re.search(r"Tested:\s+(\d+)", output)
    selected = re.search(r"Selected:\s+(\d+)/(\d+)", output)
    assert tested and selected, output[-3000:]
    # Every documented operation was exercised, none skipped for a schema problem.
    assert int(tested.group(1)) == int(selected.group(2)) >= 80, output[-3000:]
    # The figures of the run, for `make numbers` (pytest -s) and the docs.
    cases = re.search(r"(\d+) generated", output)
    took = re.search(r"in ([\d.]+)s =", output)
    print(
        f"\nfuzz {identity}: {tested.group(1)} operations, "
        f"{cases.group(1) if cases else '?'} cases, phases {_phases(identity)}, "
        f"{took.group(1) if took else '?'} s, 0 failures"
    )
