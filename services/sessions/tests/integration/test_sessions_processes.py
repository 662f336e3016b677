"""End to end across real processes: the report reaches the candidacy service exactly once,
even when that service is down while the report is signed and comes back later."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sessions_factories import PARIS, TODAY, TP, at
from sqlalchemy import select

from candidacy.config import ALEMBIC_INI as CANDIDACY_ALEMBIC_INI
from catalog.config import ALEMBIC_INI as CATALOG_ALEMBIC_INI
from common import (
    Principal,
    Role,
    create_engine,
    create_sessionmaker,
    generate_event_signing_secret,
    generate_signing_keys,
    mint_internal_token,
    upgrade_to_head,
)
from common.testing import ServiceProcess, free_port, sqlite_url, uvicorn_command
from sessions.config import ALEMBIC_INI
from sessions.db import OutboxEvent

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


class System:
    """The catalog, candidacy and sessions processes, each on its own SQLite database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private, public = generate_signing_keys()
        self.private_key = private
        (folder / "public.pem").write_text(public)
        self.secret = generate_event_signing_secret()
        self.ports = {
            name: free_port() for name in ("catalog", "candidacy", "sessions")
        }
        self.urls = {
            name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()
        }
        self.databases = {name: sqlite_url(folder, name) for name in self.ports}
        self.processes: dict[str, ServiceProcess] = {}

    def headers(self, role: Role, organisation_id: str | None = None) -> dict[str, str]:
        principal = Principal(
            client_id=f"e2e-{role.value}", role=role, organisation_id=organisation_id
        )
        token = mint_internal_token(
            self.private_key, principal, ttl=timedelta(minutes=10)
        )
        return {"Authorization": f"Bearer {token}"}

    def start(self, name: str, **extra: str) -> None:
        prefix = name.upper()
        env = {
            f"{prefix}_ENVIRONMENT": "test",
            f"{prefix}_DATABASE_URL": self.databases[name],
            f"{prefix}_INTERNAL_TOKEN_PUBLIC_KEY_FILE": str(self.folder / "public.pem"),
            **extra,
        }
        process = ServiceProcess(
            name,
            uvicorn_command(f"{name}.main:app", self.ports[name]),
            env=env,
            port=self.ports[name],
        )
        process.wait_ready("/readyz")
        self.processes[name] = process

    def start_candidacy(self) -> None:
        self.start(
            "candidacy",
            CANDIDACY_CATALOG_URL=self.urls["catalog"],
            CANDIDACY_EVENT_SECRETS=orjson.dumps([self.secret]).decode(),
        )

    def start_sessions(self, clock_offset: timedelta) -> None:
        self.start(
            "sessions",
            SESSIONS_CATALOG_URL=self.urls["catalog"],
            SESSIONS_CANDIDACY_URL=self.urls["candidacy"],
            SESSIONS_EVENT_SUBSCRIBERS=orjson.dumps(
                [self.urls["candidacy"] + "/internal/events"]
            ).decode(),
            SESSIONS_EVENT_SIGNING_SECRET=self.secret,
            SESSIONS_OUTBOX_POLL_SECONDS="0.2",
            SESSIONS_CLOCK_OFFSET_SECONDS=str(clock_offset.total_seconds()),
        )

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    """The three processes' databases, migrated; the processes are started by the test."""
    running = System(tmp_path)
    for name, ini in (
        ("catalog", CATALOG_ALEMBIC_INI),
        ("candidacy", CANDIDACY_ALEMBIC_INI),
        ("sessions", ALEMBIC_INI),
    ):
        asyncio.run(upgrade_to_head(ini, running.databases[name]))
    try:
        yield running
    finally:
        running.stop()


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    return dict(response.json())


async def test_the_report_reaches_the_candidacy_exactly_once_after_an_outage(
    system: System,
) -> None:
    system.start("catalog")
    system.start_candidacy()
    system.start_sessions(timedelta(0))
    admin, partner = (
        system.headers(Role.ADMIN),
        system.headers(Role.PARTNER, "partner-e2e"),
    )
    catalog, candidacy, sessions = (
        system.urls[n] for n in ("catalog", "candidacy", "sessions")
    )
    async with httpx.AsyncClient(timeout=10) as http:
        certification = {
            "rncp_code": TP,
            "title": "Titre professionnel de bout en bout",
            "kind": "TITRE_PROFESSIONNEL",
            "start_date": (TODAY - timedelta(days=400)).isoformat(),
            "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
            "certifiers": [{"name": "MINISTERE DU TRAVAIL (E2E)"}],
            "blocks": [{"code": f"{TP}BC0{i}", "title": f"Bloc {i}"} for i in (1, 2)],
        }
        _ok(
            await http.post(
                f"{catalog}/v1/certifications", json=certification, headers=admin
            ),
            201,
        )
        certifier_id = _ok(await http.get(f"{catalog}/v1/certifications/{TP}"))[
            "certifiers"
        ][0]["id"]

        # The candidacy: candidate, submission, admissibility.
        candidate = _ok(
            await http.post(
                f"{candidacy}/v1/candidates",
                json={
                    "given_name": "Lina",
                    "family_name": "Morel",
                    "department": "69",
                    "experiences": [
                        {
                            "nature": "SALARIED",
                            "title": "Soudeuse",
                            "start_date": "2014-01-01",
                        }
                    ],
                },
                headers=partner,
            ),
            201,
        )
        created = _ok(
            await http.post(
                f"{candidacy}/v1/candidacies",
                json={"candidate_id": candidate["id"], "rncp_code": TP},
                headers=partner,
            ),
            201,
        )
        submitted = await http.post(
            f"{candidacy}/v1/candidacies/{created['id']}/submission", headers=partner
        )
        _ok(
            await http.post(
                f"{candidacy}/v1/candidacies/{created['id']}/admissibility-decision",
                json={"decision": "ADMISSIBLE"},
                headers={
                    **system.headers(Role.CERTIFIER, certifier_id),
                    "If-Match": submitted.headers["etag"],
                },
            )
        )

        # The session: centre, approval, jury, scheduling, registration, convocations.
        centre = _ok(
            await http.post(
                f"{sessions}/v1/exam-centres",
                json={
                    "name": "Centre de bout en bout",
                    "siret": "13002526500013",
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
                headers=admin,
            ),
            201,
        )
        site = centre["sites"][0]["id"]
        _ok(
            await http.post(
                f"{sessions}/v1/exam-centres/{centre['id']}/approvals",
                json={
                    "site_id": site,
                    "rncp_code": TP,
                    "start_date": TODAY.isoformat(),
                    "end_date": (TODAY + timedelta(days=700)).isoformat(),
                    "authority": "DREETS",
                },
                headers=admin,
            ),
            201,
        )
        jurors = []
        for name in ("Nadia", "Omar"):
            juror = _ok(
                await http.post(
                    f"{sessions}/v1/jurors",
                    json={
                        "given_name": name,
                        "family_name": "Jury",
                        "profile": "PROFESSIONAL",
                        "trade": "Soudure",
                        "years_in_trade": 8,
                    },
                    headers=admin,
                ),
                201,
            )
            _ok(
                await http.post(
                    f"{sessions}/v1/jurors/{juror['id']}/habilitations",
                    json={
                        "rncp_code": TP,
                        "granted_on": TODAY.isoformat(),
                        "authority": "DDETS",
                    },
                    headers=admin,
                ),
                201,
            )
            jurors.append(juror["id"])
        centre_headers = system.headers(Role.EXAM_CENTRE, centre["id"])
        session = _ok(
            await http.post(
                f"{sessions}/v1/exam-sessions",
                json={
                    "centre_id": centre["id"],
                    "site_id": site,
                    "rncp_code": TP,
                    "kind": "TITLE",
                    "starts_at": at(60, 8).isoformat(),
                    "ends_at": at(60, 18).isoformat(),
                    "test_hours": 8,
                    "capacity": 4,
                    "manager": {"full_name": "Julien Bertrand"},
                },
                headers=centre_headers,
            ),
            201,
        )
        path = f"{sessions}/v1/exam-sessions/{session['id']}"
        _ok(
            await http.put(
                f"{path}/jury",
                json={"members": [{"juror_id": j} for j in jurors]},
                headers=centre_headers,
            )
        )
        _ok(await http.post(f"{path}/scheduling", headers=centre_headers))
        registration = _ok(
            await http.post(
                f"{path}/registrations",
                json={"candidacy_id": created["id"]},
                headers=partner,
            ),
            201,
        )
        _ok(await http.post(f"{path}/convocations", headers=centre_headers))

        # The candidacy service goes down; the sessions service lives after the session's end.
        system.processes["candidacy"].kill()
        system.processes["sessions"].stop()
        after_the_session = datetime.fromisoformat(session["ends_at"]) + timedelta(
            hours=2
        )
        system.start_sessions(after_the_session - datetime.now(PARIS))
        _ok(await http.post(f"{path}/holding", headers=centre_headers))
        current = await http.get(path, headers=centre_headers)
        _ok(
            await http.post(
                f"{path}/report",
                json={
                    "lines": [
                        {
                            "registration_id": registration["id"],
                            "attendance": "PRESENT",
                            "blocks": [
                                {"block_code": f"{TP}BC01", "result": "VALIDATED"},
                                {"block_code": f"{TP}BC02", "result": "VALIDATED"},
                            ],
                        }
                    ]
                },
                headers={**centre_headers, "If-Match": current.headers["etag"]},
            ),
            201,
        )
        await asyncio.sleep(1.5)  # the relay tries, fails, and backs off
        engine = create_engine(system.databases["sessions"])
        async with create_sessionmaker(engine)() as db:
            pending = (
                await db.scalars(
                    select(OutboxEvent).where(OutboxEvent.type.like("%report-signed%"))
                )
            ).one()
        assert pending.delivered_at is None and pending.attempts >= 1

        # The candidacy service comes back: the relay's next attempt delivers, once.
        system.start_candidacy()
        deadline = time.monotonic() + 40
        state = None
        while time.monotonic() < deadline:
            state = _ok(
                await http.get(
                    f"{candidacy}/v1/candidacies/{created['id']}", headers=partner
                )
            )["state"]
            if state == "CERTIFIED":
                break
            await asyncio.sleep(0.5)
        assert state == "CERTIFIED"
        history = await http.get(
            f"{candidacy}/v1/candidacies/{created['id']}/history", headers=partner
        )
        assert [s["action"] for s in history.json()].count("RECORD_JURY_OUTCOME") == 1
        # The jury sat 60 days ahead of the real clock: ask for the standing after it.
        ledger = _ok(
            await http.get(
                f"{candidacy}/v1/candidates/{candidate['id']}/blocks",
                params={"as_of": (TODAY + timedelta(days=61)).isoformat()},
                headers=partner,
            )
        )
        assert sorted(b["block_code"] for b in ledger["blocks"]) == [
            f"{TP}BC01",
            f"{TP}BC02",
        ]
        assert ledger["certifications"][0]["obtained"] is True
        async with create_sessionmaker(engine)() as db:
            delivered = (
                await db.scalars(
                    select(OutboxEvent).where(OutboxEvent.type.like("%report-signed%"))
                )
            ).one()
        assert delivered.delivered_at is not None
        await engine.dispose()
