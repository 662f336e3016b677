"""Scale-out on one machine (issue 6): two replicas of each service, two gateways, one
PostgreSQL, one Redis. The rate limit is shared, registrations never exceed capacity, the
outbox relays of every replica deliver each event once to the consumer's effect, and killing
one replica of each (and one gateway) loses no acknowledged request after retry."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from e2e_platform import ok
from e2e_replicas import ReplicatedPlatform

from common import Role

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
TP = "RNCP970101"
REPORT_SIGNED = "fr.vae.sessions.report-signed.v1"
# The sessions replicas start 70 days back in time, so that sessions held ten days ago are
# still open for registrations (they close a month before); they come back to today for reports.
PAST = timedelta(days=-70)


def _at(days: int, hour: int) -> datetime:
    return datetime.combine(
        TODAY + timedelta(days=days), clock_time(hour), tzinfo=PARIS
    )


@dataclass
class World:
    """The platform and what every test shares: a certification, a centre, jurors, clients."""

    platform: ReplicatedPlatform
    http: httpx.AsyncClient
    partner: dict[str, str]
    certifier: dict[str, str]
    centre: dict[str, str]
    centre_id: str
    site_id: str
    jurors: list[str]

    def gw(self, i: int) -> str:
        return self.platform.gateway(i % 2)


@pytest_asyncio.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Every replica started on fresh databases, and the reference data made through gateway 0."""
    platform = ReplicatedPlatform(tmp_path_factory.mktemp("scale"))
    await platform.create_databases()
    try:
        await platform.start_all(sessions_clock_offset=PAST)
        async with httpx.AsyncClient(timeout=15) as http:
            yield await _reference_data(platform, http)
    finally:
        platform.stop()
        await platform.drop_databases()


async def _reference_data(
    platform: ReplicatedPlatform, http: httpx.AsyncClient
) -> World:
    gw, admin = platform.gateway(0), platform.admin()
    ok(
        await http.post(
            f"{gw}/v1/certifications",
            json={
                "rncp_code": TP,
                "title": f"Titre professionnel Soudeur assembleur industriel {TP}",
                "kind": "TITRE_PROFESSIONNEL",
                "level": 3,
                "start_date": (TODAY - timedelta(days=300)).isoformat(),
                "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
                "certifiers": [{"name": "MINISTERE DU TRAVAIL (E2E SCALE)"}],
                "blocks": [
                    {"code": f"{TP}BC0{i}", "title": f"Bloc {i}"} for i in (1, 2, 3)
                ],
            },
            headers=admin,
        ),
        201,
    )
    certifier_id = ok(await http.get(f"{gw}/v1/certifications/{TP}"))["certifiers"][0][
        "id"
    ]
    centre_id = str(uuid.uuid4())
    partner = await platform.client(http, Role.PARTNER, "partner-scale")
    certifier = await platform.client(http, Role.CERTIFIER, certifier_id)
    centre = await platform.client(http, Role.EXAM_CENTRE, centre_id)
    ok(
        await http.post(
            f"{gw}/v1/exam-centres",
            json={
                "id": centre_id,
                "name": "Centre scale",
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
            headers=admin,
        ),
        201,
    )
    site_id = ok(await http.get(f"{gw}/v1/exam-centres/{centre_id}", headers=centre))[
        "sites"
    ][0]["id"]
    ok(
        await http.post(
            f"{gw}/v1/exam-centres/{centre_id}/approvals",
            json={
                "site_id": site_id,
                "rncp_code": TP,
                "start_date": (TODAY - timedelta(days=30)).isoformat(),
                "end_date": (TODAY + timedelta(days=700)).isoformat(),
                "authority": "DREETS",
            },
            headers=admin,
        ),
        201,
    )
    jurors = []
    for given, family in (("Nadia", "Roux"), ("Omar", "Diallo")):
        juror = ok(
            await http.post(
                f"{gw}/v1/jurors",
                json={
                    "given_name": given,
                    "family_name": family,
                    "profile": "PROFESSIONAL",
                    "trade": "Soudure",
                    "years_in_trade": 9,
                },
                headers=centre,
            ),
            201,
        )
        ok(
            await http.post(
                f"{gw}/v1/jurors/{juror['id']}/habilitations",
                json={
                    "rncp_code": TP,
                    "granted_on": (TODAY - timedelta(days=100)).isoformat(),
                    "authority": "DDETS du Rhône",
                },
                headers=admin,
            ),
            201,
        )
        jurors.append(juror["id"])
    return World(platform, http, partner, certifier, centre, centre_id, site_id, jurors)


async def _admissible_candidacy(world: World, n: int) -> tuple[str, str]:
    """A candidate and an admissible candidacy, made through gateway ``n % 2``."""
    http, gw = world.http, world.gw(n)
    candidate = ok(
        await http.post(
            f"{gw}/v1/candidates",
            json={
                "given_name": f"Cand{n}",
                "family_name": "Scale",
                "department": "69",
                "experiences": [
                    {
                        "nature": "SALARIED",
                        "title": "Soudeur",
                        "start_date": "2014-01-01",
                    }
                ],
            },
            headers=world.partner,
        ),
        201,
    )
    candidacy = ok(
        await http.post(
            f"{gw}/v1/candidacies",
            json={"candidate_id": candidate["id"], "rncp_code": TP},
            headers=world.partner,
        ),
        201,
    )
    submitted = await http.post(
        f"{gw}/v1/candidacies/{candidacy['id']}/submission", headers=world.partner
    )
    ok(submitted)
    ok(
        await http.post(
            f"{gw}/v1/candidacies/{candidacy['id']}/admissibility-decision",
            json={"decision": "ADMISSIBLE"},
            headers={**world.certifier, "If-Match": submitted.headers["etag"]},
        )
    )
    return candidate["id"], candidacy["id"]


async def _scheduled_session(world: World, capacity: int, day: int) -> str:
    """A session held ``-day`` days ago, scheduled (the sessions replicas are 70 days back)."""
    http, gw = world.http, world.gw(0)
    session = ok(
        await http.post(
            f"{gw}/v1/exam-sessions",
            json={
                "centre_id": world.centre_id,
                "site_id": world.site_id,
                "rncp_code": TP,
                "kind": "TITLE",
                "starts_at": _at(day, 8).isoformat(),
                "ends_at": _at(day, 18).isoformat(),
                "test_hours": 8,
                "capacity": capacity,
                "manager": {"full_name": "Julien Bertrand"},
            },
            headers=world.centre,
        ),
        201,
    )
    path = f"/v1/exam-sessions/{session['id']}"
    ok(
        await http.put(
            f"{gw}{path}/jury",
            json={"members": [{"juror_id": j} for j in world.jurors]},
            headers=world.centre,
        )
    )
    ok(await http.post(f"{gw}{path}/scheduling", headers=world.centre))
    return path


async def _until_acknowledged(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    json: object = None,
    seconds: float = 20,
) -> httpx.Response:
    """Sends a write with one Idempotency-Key until an answer below 500 (a client's retry)."""
    headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = await http.request(method, url, json=json, headers=headers)
            if response.status_code < 500:
                return response
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        else:
            if time.monotonic() > deadline:
                return response
        await asyncio.sleep(0.2)


async def _outbox_drained(platform: ReplicatedPlatform, seconds: float = 20) -> int:
    """Waits until every outbox event of candidacy and sessions is delivered; returns how many
    the sessions outbox holds."""
    deadline = time.monotonic() + seconds
    while True:
        pending = 0
        for name in ("candidacy", "sessions"):
            pending += await platform.sql(
                name, "SELECT count(*) FROM outbox_event WHERE delivered_at IS NULL"
            )
        if pending == 0:
            return int(
                await platform.sql("sessions", "SELECT count(*) FROM outbox_event")
            )
        assert time.monotonic() < deadline, f"{pending} events still undelivered"
        await asyncio.sleep(0.2)


async def test_the_rate_limit_is_shared_by_both_gateways(world: World) -> None:
    limited = await world.platform.client(
        world.http, Role.PARTNER, "partner-limited", rate_limit="10/minute"
    )
    answers = [
        await world.http.get(f"{world.gw(n)}/v1/certifications/{TP}", headers=limited)
        for n in range(20)
    ]
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 10, 429: 10}, statuses
    # Each gateway let some through and refused some: the budget is one, in Redis.
    for i in (0, 1):
        assert {a.status_code for a in answers[i::2]} == {200, 429}
    refused = [a for a in answers if a.status_code == 429]
    assert all(int(a.headers["retry-after"]) > 0 for a in refused)


async def test_registrations_never_exceed_capacity_across_replicas(
    world: World,
) -> None:
    http = world.http
    candidacies = await asyncio.gather(
        *(_admissible_candidacy(world, n) for n in range(30))
    )
    path = await _scheduled_session(world, capacity=10, day=-10)
    answers = await asyncio.gather(
        *(
            http.post(
                f"{world.gw(n)}{path}/registrations",
                json={"candidacy_id": candidacy_id},
                headers=world.partner,
            )
            for n, (_, candidacy_id) in enumerate(candidacies)
        )
    )
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: 10, 409: 20}, [(a.status_code, a.text) for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {
        "SESSION_FULL"
    }
    registered = ok(
        await http.get(f"{world.gw(1)}{path}/registrations", headers=world.partner)
    )
    assert len(registered) == 10
    session_id = uuid.UUID(path.rsplit("/", 1)[1])
    assert (
        await world.platform.sql(
            "sessions",
            "SELECT count(*) FROM registration WHERE session_id = $1",
            session_id,
        )
        == 10
    )


async def test_a_replica_of_each_dies_and_nothing_is_lost_or_applied_twice(
    world: World,
) -> None:
    platform, http = world.platform, world.http
    candidacies = await asyncio.gather(
        *(_admissible_candidacy(world, n) for n in range(3))
    )
    path = await _scheduled_session(world, capacity=5, day=-12)
    registrations = [
        ok(
            await http.post(
                f"{world.gw(n)}{path}/registrations",
                json={"candidacy_id": candidacy_id},
                headers=world.partner,
            ),
            201,
        )["id"]
        for n, (_, candidacy_id) in enumerate(candidacies)
    ]
    ok(await http.post(f"{world.gw(1)}{path}/convocations", headers=world.centre))

    # Back to today, one sessions replica at a time (the other keeps serving), then held.
    for i in (0, 1):
        await platform.restart("sessions", i, timedelta(0))
    ok(await http.post(f"{world.gw(0)}{path}/holding", headers=world.centre))
    # The relays' leases last a minute: let every event in flight land before the crash.
    await _outbox_drained(platform)

    # Replica 0 of every service and gateway 0 crash while writes go through gateway 1.
    survivor = world.gw(1)
    marker = f"Crash{uuid.uuid4().hex[:8]}"
    writes = [
        _until_acknowledged(
            http,
            "POST",
            f"{survivor}/v1/candidates",
            json={"given_name": f"W{n}", "family_name": marker, "department": "69"},
            headers=world.partner,
        )
        for n in range(12)
    ]

    async def crash() -> None:
        await asyncio.sleep(0.05)
        for name in ("catalog", "candidacy", "sessions", "gateway"):
            platform.kill(name, 0)

    killer = asyncio.create_task(crash())
    answers = await asyncio.gather(*writes)
    await killer
    # A write the dead replica was running keeps its Idempotency-Key claimed until the claim's
    # lease (60 s) ends: its client is told 409 IDEMPOTENCY_KEY_IN_USE, "retry in a moment".
    # Every other write is acknowledged, and every acknowledged write is kept.
    in_flight = [a for a in answers if a.status_code == 409]
    assert all(a.json()["code"] == "IDEMPOTENCY_KEY_IN_USE" for a in in_flight)
    created = {ok(a, 201)["id"] for a in answers if a.status_code != 409}
    assert len(created) + len(in_flight) == 12
    for candidate_id in created:
        ok(
            await http.get(
                f"{survivor}/v1/candidates/{candidate_id}", headers=world.partner
            )
        )
    stored = await platform.sql(
        "candidacy", "SELECT count(*) FROM candidate WHERE family_name = $1", marker
    )
    assert len(created) <= stored <= 12

    # The report, through the surviving gateway, retried until acknowledged.
    current = await http.get(f"{survivor}{path}", headers=world.centre)
    ok(current)
    report = {
        "lines": [
            {
                "registration_id": registration_id,
                "attendance": "PRESENT",
                "blocks": [
                    {"block_code": f"{TP}BC01", "result": "VALIDATED"},
                    {"block_code": f"{TP}BC02", "result": "VALIDATED"},
                    {"block_code": f"{TP}BC03", "result": "NOT_VALIDATED"},
                ],
            }
            for registration_id in registrations
        ]
    }
    ok(
        await _until_acknowledged(
            http,
            "POST",
            f"{survivor}{path}/report",
            json=report,
            headers={**world.centre, "If-Match": current.headers["etag"]},
        ),
        201,
    )

    async def outcome_recorded_once() -> None:
        for candidate_id, candidacy_id in candidacies:
            read = ok(
                await http.get(
                    f"{survivor}/v1/candidacies/{candidacy_id}", headers=world.partner
                )
            )
            assert (read["state"], read["jury_result"]) == (
                "PARTIALLY_CERTIFIED",
                "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION",
            )
            history = ok(
                await http.get(
                    f"{survivor}/v1/candidacies/{candidacy_id}/history",
                    headers=world.partner,
                )
            )
            actions = Counter(step["action"] for step in history)
            assert actions["RECORD_JURY_OUTCOME"] == 1, history
            ledger = ok(
                await http.get(
                    f"{survivor}/v1/candidates/{candidate_id}/blocks",
                    headers=world.partner,
                )
            )
            assert sorted(b["block_code"] for b in ledger["blocks"]) == [
                f"{TP}BC01",
                f"{TP}BC02",
            ]
        assert (
            await platform.sql(
                "candidacy",
                "SELECT count(*) FROM handled_event WHERE type = $1",
                REPORT_SIGNED,
            )
            == 1
        )

    delivered = await _outbox_drained(platform)
    await outcome_recorded_once()

    # A relay that crashed after delivering and before recording it delivers again: every
    # event of the sessions outbox goes out a second time (now to the other candidacy
    # replica), and the consumer's effect stays the same.
    await platform.sql(
        "sessions",
        "UPDATE outbox_event SET delivered_at = NULL, locked_until = NULL,"
        " next_attempt_at = now() - interval '1 second'",
    )
    assert await _outbox_drained(platform) == delivered
    await outcome_recorded_once()
    assert (
        await platform.sql(
            "sessions",
            "SELECT count(*) FROM outbox_event WHERE type = $1 AND delivered_at IS NOT NULL",
            REPORT_SIGNED,
        )
        == 1
    )

    # Reads and keyed writes through the surviving gateway keep succeeding on the first try:
    # it skips the dead replicas.
    for n in range(10):
        ok(await http.get(f"{survivor}/v1/certifications/{TP}"))
        ok(await http.get(f"{survivor}{path}", headers=world.centre))
        ok(
            await http.post(
                f"{survivor}/v1/candidates",
                json={
                    "given_name": f"After{n}",
                    "family_name": "Scale",
                    "department": "69",
                },
                headers={**world.partner, "Idempotency-Key": str(uuid.uuid4())},
            ),
            201,
        )
