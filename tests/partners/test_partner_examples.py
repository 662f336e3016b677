"""The partner guide's webhook verifiers (docs/partners/), against the platform's own signer.

Each verifier (Python with ``standardwebhooks``, Python with the standard library, Node.js with
``node:crypto``) must accept a delivery signed by ``common`` and refuse a tampered body, a wrong
secret, a forged timestamp and a timestamp outside the five-minute tolerance. The receivers the
guide runs (``python verify_webhook.py``, ``node verify-webhook.mjs``) are started as shown.
"""

from __future__ import annotations

import base64
import functools
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

import common._webhooks
from common import generate_event_signing_secret
from common._webhooks import load_signing_secret, signature_headers
from common.testing import ServiceProcess, free_port, skip_unless_ci

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partners.md"
EXAMPLES = GUIDE.parent / "partners"
# A code block of the guide marked as an excerpt of an example file.
EXCERPT = re.compile(
    r"<!-- excerpt: (?P<file>\S+) -->\n```\w*\n(?P<code>.*?)\n```", re.DOTALL
)
NODE = shutil.which("node")
EVENT_ID = "0193a1c4-7d2e-7b51-a0f4-5c8e2d9b6a13"
EVENT: dict[str, Any] = {
    "id": EVENT_ID,
    "source": "/vae/candidacy",
    "type": "fr.vae.candidacy.admissibility-decided.v1",
    "specversion": "1.0",
    "time": "2026-11-27T14:03:12.402Z",
    "datacontenttype": "application/json",
    "subject": "0193a1c4-1f00-7e2a-9b3c-8d4e5f6a7b8c",
    "data": {
        "id": "0193a1c4-1f00-7e2a-9b3c-8d4e5f6a7b8c",
        "rncp_code": "RNCP34691",
        "state": "ADMISSIBLE",
        "admissibility": {
            "decision": "ADMISSIBLE",
            "reasons": ["Dossier complet, expérience d'éducateur spécialisé"],
        },
    },
}
# Compact JSON with raw UTF-8, as the platform sends it: the bytes signed are the bytes sent.
BODY = json.dumps(EVENT, ensure_ascii=False, separators=(",", ":")).encode()

Verifier = Callable[[str, bytes, dict[str, str]], dict[str, Any]]


class RefusedError(Exception):
    """A verifier refused the delivery (the outcome some tests expect)."""


@functools.cache
def _python_example() -> ModuleType:
    """docs/partners/verify_webhook.py, imported from its file as the guide shows it."""
    spec = importlib.util.spec_from_file_location(
        "verify_webhook", EXAMPLES / "verify_webhook.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _require_node() -> str:
    if NODE is None:
        message = "node is not installed: the JavaScript example is not checked"
        skip_unless_ci(message)
    return NODE


# Calls verifyWebhook from the .mjs file: the case comes on stdin (body in base64), the
# outcome goes to stdout as JSON.
_NODE_DRIVER = """
import { readFileSync } from "node:fs";
const { verifyWebhook, InvalidWebhookError } = await import(process.env.EXAMPLE_URL);
const input = JSON.parse(readFileSync(0, "utf8"));
try {
  const event = verifyWebhook(input.secret, Buffer.from(input.body, "base64"), input.headers);
  console.log(JSON.stringify({ event }));
} catch (error) {
  if (!(error instanceof InvalidWebhookError)) throw error;
  console.log(JSON.stringify({ refused: error.message }));
}
"""


def _node_verify(secret: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    node = _require_node()
    completed = subprocess.run(
        [node, "--input-type=module", "-e", _NODE_DRIVER],
        input=json.dumps(
            {
                "secret": secret,
                "body": base64.b64encode(body).decode(),
                "headers": headers,
            }
        ),
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "EXAMPLE_URL": (EXAMPLES / "verify-webhook.mjs").as_uri(),
        },
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    outcome: dict[str, Any] = json.loads(completed.stdout)
    if "refused" in outcome:
        raise RefusedError(outcome["refused"])
    event: dict[str, Any] = outcome["event"]
    return event


def _python_verify(name: str) -> Verifier:
    def verify(secret: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        example = _python_example()
        try:
            event: dict[str, Any] = getattr(example, name)(secret, body, headers)
        except example.InvalidWebhookError as error:
            raise RefusedError(str(error)) from error
        return event

    return verify


VERIFIERS: dict[str, Verifier] = {
    "python-standardwebhooks": _python_verify("verify_with_library"),
    "python-stdlib": _python_verify("verify_with_stdlib"),
    "node": _node_verify,
}


@pytest.fixture(params=sorted(VERIFIERS))
def verify(request: pytest.FixtureRequest) -> Verifier:
    """Each example verifier in turn."""
    return VERIFIERS[request.param]


@pytest.fixture
def secret() -> str:
    """A fresh ``whsec_`` secret, as the webhooks service issues one."""
    return generate_event_signing_secret()


def _signed(secret: str, body: bytes = BODY) -> dict[str, str]:
    """The Standard Webhooks headers the platform sends with this body, signed now."""
    return signature_headers(load_signing_secret(secret), EVENT_ID, body)


def _signed_at(
    monkeypatch: pytest.MonkeyPatch, secret: str, at: datetime
) -> dict[str, str]:
    """The same headers, signed by a sender whose clock reads ``at``."""
    with monkeypatch.context() as patch:
        patch.setattr(common._webhooks, "utcnow", lambda: at)
        return _signed(secret)


class TestVerifyDelivery:
    def test_accepts_a_delivery_signed_by_the_platform(
        self, verify: Verifier, secret: str
    ) -> None:
        assert verify(secret, BODY, _signed(secret)) == EVENT

    def test_accepts_one_good_signature_among_several(
        self, verify: Verifier, secret: str
    ) -> None:
        headers = _signed(secret)
        stale = _signed(generate_event_signing_secret())["webhook-signature"]
        headers["webhook-signature"] = f"{stale} {headers['webhook-signature']}"

        assert verify(secret, BODY, headers) == EVENT

    def test_refuses_a_tampered_body(self, verify: Verifier, secret: str) -> None:
        headers = _signed(secret)
        tampered = BODY.replace(b'"state":"ADMISSIBLE"', b'"state":"NOT_ADMISSIBLE"')
        assert tampered != BODY

        with pytest.raises(RefusedError):
            verify(secret, tampered, headers)

    def test_refuses_a_body_parsed_and_serialised_again(
        self, verify: Verifier, secret: str
    ) -> None:
        # The same JSON, other bytes: a receiver must verify the raw body it received.
        headers = _signed(secret)

        with pytest.raises(RefusedError):
            verify(secret, json.dumps(EVENT).encode(), headers)

    def test_refuses_a_wrong_secret(self, verify: Verifier, secret: str) -> None:
        headers = _signed(generate_event_signing_secret())

        with pytest.raises(RefusedError):
            verify(secret, BODY, headers)

    def test_refuses_a_forged_timestamp(self, verify: Verifier, secret: str) -> None:
        headers = _signed(secret)
        headers["webhook-timestamp"] = str(int(headers["webhook-timestamp"]) - 60)

        with pytest.raises(RefusedError):
            verify(secret, BODY, headers)

    @pytest.mark.parametrize(
        "age",
        [timedelta(minutes=6), timedelta(minutes=-6)],
        ids=["six-minutes-old", "six-minutes-ahead"],
    )
    def test_refuses_a_timestamp_outside_the_tolerance(
        self,
        verify: Verifier,
        secret: str,
        age: timedelta,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        headers = _signed_at(monkeypatch, secret, datetime.now(UTC) - age)

        with pytest.raises(RefusedError):
            verify(secret, BODY, headers)

    def test_accepts_a_timestamp_within_the_tolerance(
        self, verify: Verifier, secret: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        headers = _signed_at(
            monkeypatch, secret, datetime.now(UTC) - timedelta(minutes=4)
        )

        assert verify(secret, BODY, headers) == EVENT

    def test_refuses_a_delivery_without_signature(
        self, verify: Verifier, secret: str
    ) -> None:
        headers = _signed(secret)
        del headers["webhook-signature"]

        with pytest.raises(RefusedError):
            verify(secret, BODY, headers)


def _receiver_commands() -> dict[str, list[str]]:
    return {
        "python": [sys.executable, str(EXAMPLES / "verify_webhook.py")],
        "node": ["node", str(EXAMPLES / "verify-webhook.mjs")],
    }


@pytest.fixture(params=["python", "node"])
def receiver(request: pytest.FixtureRequest, secret: str) -> Iterator[ServiceProcess]:
    """The example receiver, started as the guide shows (WEBHOOK_SECRET, PORT)."""
    if request.param == "node":
        _require_node()
    port = free_port()
    process = ServiceProcess(
        f"receiver-{request.param}",
        _receiver_commands()[request.param],
        env={"WEBHOOK_SECRET": secret, "PORT": str(port)},
        port=port,
        cwd=EXAMPLES,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if process.process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(
                        f"the receiver did not start:\n{process.log.read_text()}"
                    )
                time.sleep(0.05)
        yield process
    finally:
        process.stop()


class TestReceiver:
    def test_processes_a_delivery_once_and_refuses_a_forgery(
        self, receiver: ServiceProcess, secret: str
    ) -> None:
        headers = _signed(secret)
        with httpx.Client(base_url=receiver.url, timeout=10) as http:
            first = http.post("/", content=BODY, headers=headers)
            again = http.post("/", content=BODY, headers=headers)
            forged = http.post(
                "/", content=BODY.replace(b"RNCP34691", b"RNCP00000"), headers=headers
            )
        receiver.stop()

        assert (first.status_code, again.status_code, forged.status_code) == (
            204,
            204,
            400,
        )
        lines = receiver.log.read_text().splitlines()
        outcomes = ("received", "duplicate", "refused")
        assert [line for line in lines if line.startswith(outcomes)] == [
            f"received {EVENT_ID} {EVENT['type']} {EVENT['subject']}",
            f"duplicate {EVENT_ID}",
            "refused: no webhook-signature matches the secret",
        ]


class TestGuide:
    def test_shows_the_example_files_as_they_are(self) -> None:
        excerpts = EXCERPT.findall(GUIDE.read_text())

        assert len(excerpts) == 4
        for file, code in excerpts:
            assert code in (GUIDE.parent / file).read_text(), (
                f"docs/partners.md shows code that docs/{file} does not hold:\n{code}"
            )
