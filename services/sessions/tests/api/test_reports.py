"""The session report (procès-verbal): holding, signing once, its event, revocation, reading."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sessions_factories import (
    PARIS,
    TP,
    Catalogue,
    Centre,
    Clock,
    TokenFactory,
    admissible_candidacy,
    at,
    create_centre,
    register,
    scheduled_session,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.outcome.schemas import ReportSigned
from common import Role
from sessions.db import OutboxEvent

pytestmark = pytest.mark.asyncio

BC01, BC02, BC03 = (f"{TP}BC0{i}" for i in (1, 2, 3))
REPORT_SIGNED = "fr.vae.sessions.report-signed.v1"


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Checks a refusal: its status, its problem code, its media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


@dataclass
class Held:
    """A session that took place, with its registrations (as the centre read them)."""

    centre: Centre
    session: dict[str, Any]
    registrations: list[dict[str, Any]]
    etag: str

    @property
    def path(self) -> str:
        return f"/v1/exam-sessions/{self.session['id']}"


async def convoked_session(
    client: httpx.AsyncClient,
    candidacy_http: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    candidates: list[tuple[str, list[str] | None]],
    **overrides: Any,
) -> tuple[Centre, dict[str, Any], list[dict[str, Any]]]:
    """A scheduled session with candidates (partner, blocks aimed at) registered, then convoked."""
    centre = await create_centre(client, auth)
    session = await scheduled_session(client, auth, centre, **overrides)
    registrations = []
    for partner, blocks in candidates:
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner, block_codes=blocks
        )
        registered = await register(
            client, auth, partner, session["id"], candidacy["id"]
        )
        assert registered.status_code == 201, registered.text
        registrations.append(registered.json())
    convoked = await client.post(
        f"/v1/exam-sessions/{session['id']}/convocations", headers=centre.headers(auth)
    )
    assert convoked.status_code == 200, convoked.text
    return centre, convoked.json(), registrations


async def held_session(
    client: httpx.AsyncClient,
    candidacy_http: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    clock: Clock,
    candidates: list[tuple[str, list[str] | None]],
    **overrides: Any,
) -> Held:
    """A convoked session, after its end, marked held."""
    centre, session, registrations = await convoked_session(
        client, candidacy_http, auth, catalogue, candidates, **overrides
    )
    clock.travel_to(datetime.fromisoformat(session["ends_at"]) + timedelta(hours=1))
    held = await client.post(
        f"/v1/exam-sessions/{session['id']}/holding", headers=centre.headers(auth)
    )
    assert held.status_code == 200, held.text
    assert held.json()["state"] == "HELD"
    return Held(centre, held.json(), registrations, held.headers["etag"])


def line(
    registration: dict[str, Any], attendance: str | None = None, **results: str
) -> dict[str, Any]:
    """A report line: attendance (omitted: as recorded) and results by block suffix (BC01=...)."""
    body: dict[str, Any] = {
        "registration_id": registration["id"],
        "blocks": [{"block_code": f"{TP}{c}", "result": r} for c, r in results.items()],
    }
    if attendance is not None:
        body["attendance"] = attendance
    return body


async def sign(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    held: Held,
    lines: list[dict[str, Any]],
    *,
    etag: str | None = None,
) -> httpx.Response:
    """The centre signs a report."""
    return await client.post(
        f"{held.path}/report",
        json={"lines": lines},
        headers={**held.centre.headers(auth), "If-Match": etag or held.etag},
    )


async def _session(
    client: httpx.AsyncClient, auth: TokenFactory, held: Held
) -> httpx.Response:
    read = await client.get(held.path, headers=auth(Role.ADMIN))
    assert read.status_code == 200, read.text
    return read


async def _events(
    sessionmaker: async_sessionmaker[AsyncSession], type_: str
) -> list[OutboxEvent]:
    async with sessionmaker() as db:
        return list(
            (
                await db.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.type == type_)
                    .order_by(OutboxEvent.id)
                )
            ).all()
        )


class TestMarkHeld:
    async def test_refuses_before_the_end(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre, session, _ = await convoked_session(
            client, candidacy_http, auth, catalogue, [(partner_id, None)]
        )
        clock.travel_to(
            datetime.fromisoformat(session["ends_at"]) - timedelta(minutes=1)
        )

        refused = await client.post(
            f"/v1/exam-sessions/{session['id']}/holding", headers=centre.headers(auth)
        )

        assert_problem(refused, 409, "SESSION_NOT_ENDED")

    async def test_refuses_before_the_convocations(
        self, client: httpx.AsyncClient, auth: TokenFactory, clock: Clock
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        clock.travel_to(datetime.fromisoformat(session["ends_at"]) + timedelta(hours=1))

        refused = await client.post(
            f"/v1/exam-sessions/{session['id']}/holding", headers=centre.headers(auth)
        )

        assert_problem(refused, 409, "ACTION_NOT_ALLOWED")


class TestSignReport:
    async def test_signs_the_report_and_publishes_its_results(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        # Ends at 00:30 in Paris: still the day before in UTC, but the jury date is Paris's.
        ends_at = at(91, 0) + timedelta(minutes=30)
        held = await held_session(
            client,
            candidacy_http,
            auth,
            catalogue,
            clock,
            [
                (partner_id, None),
                (partner_id, [BC01, BC02]),
                (partner_id, None),
                (partner_id, None),
            ],
            ends_at=ends_at.isoformat(),
        )
        present, late, absent, excused = held.registrations
        recorded = await client.put(
            f"{held.path}/registrations/{late['id']}/attendance",
            json={"attendance": "LATE"},
            headers=held.centre.headers(auth),
        )
        assert recorded.status_code == 200, recorded.text
        etag = (await _session(client, auth, held)).headers["etag"]

        signed = await sign(
            client,
            auth,
            held,
            [
                line(
                    present,
                    "PRESENT",
                    BC01="VALIDATED",
                    BC02="NOT_VALIDATED",
                    BC03="NOT_ASSESSED",
                ),
                # Attendance omitted: as recorded by the session manager.
                line(late, BC02="VALIDATED", BC01="VALIDATED"),
                line(absent, "ABSENT"),
                line(excused, "EXCUSED", BC01="NOT_ASSESSED"),
            ],
            etag=etag,
        )

        assert signed.status_code == 201, signed.text
        report = signed.json()
        assert report["session_id"] == held.session["id"]
        assert report["revoked_at"] is None
        by_registration = {entry["registration_id"]: entry for entry in report["lines"]}
        assert by_registration[present["id"]]["blocks"] == [
            {"block_code": BC01, "result": "VALIDATED"},
            {"block_code": BC02, "result": "NOT_VALIDATED"},
            {"block_code": BC03, "result": "NOT_ASSESSED"},
        ]
        assert by_registration[late["id"]]["attendance"] == "LATE"
        assert [b["block_code"] for b in by_registration[late["id"]]["blocks"]] == [
            BC01,
            BC02,
        ]
        assert by_registration[absent["id"]] == {
            "registration_id": absent["id"],
            "candidacy_id": absent["candidacy_id"],
            "attendance": "ABSENT",
            "blocks": [],
        }
        assert by_registration[excused["id"]]["blocks"] == []

        session = await client.get(held.path, headers=held.centre.headers(auth))
        assert session.json()["state"] == "REPORT_SIGNED"
        # Only an administrator may act on a signed report now: revoke it.
        assert session.json()["allowed_actions"] == []
        assert (await _session(client, auth, held)).json()["allowed_actions"] == [
            "REVOKE_REPORT"
        ]
        listed = await client.get(
            f"{held.path}/registrations", headers=held.centre.headers(auth)
        )
        assert {r["id"]: r["attendance"] for r in listed.json()} == {
            present["id"]: "PRESENT",
            late["id"]: "LATE",
            absent["id"]: "ABSENT",
            excused["id"]: "EXCUSED",
        }

        (event,) = await _events(sessionmaker, REPORT_SIGNED)
        assert event.subject == held.session["id"]
        data = event.data
        # The candidacy service reads exactly this contract.
        ReportSigned.model_validate(data)
        assert data["report_id"] == report["id"]
        assert data["session_id"] == held.session["id"]
        # Who may receive it, for partner webhooks: the centre and the certifiers.
        assert data["centre_id"] == held.centre.id
        assert data["certifier_ids"] == [catalogue.certifier_of[TP]]
        assert data["rncp_code"] == TP
        assert data["jury_date"] == ends_at.astimezone(PARIS).date().isoformat()
        assert ends_at.astimezone(UTC).date() < ends_at.astimezone(PARIS).date()
        assert sorted(data["results"], key=lambda r: r["candidacy_id"]) == sorted(
            [
                {
                    "candidacy_id": present["candidacy_id"],
                    "attendance": "PRESENT",
                    "blocks": [
                        {"block_code": BC01, "result": "VALIDATED"},
                        {"block_code": BC02, "result": "NOT_VALIDATED"},
                        {"block_code": BC03, "result": "NOT_ASSESSED"},
                    ],
                },
                {
                    "candidacy_id": late["candidacy_id"],
                    "attendance": "LATE",
                    "blocks": [
                        {"block_code": BC01, "result": "VALIDATED"},
                        {"block_code": BC02, "result": "VALIDATED"},
                    ],
                },
                {
                    "candidacy_id": absent["candidacy_id"],
                    "attendance": "ABSENT",
                    "blocks": [],
                },
                {
                    "candidacy_id": excused["candidacy_id"],
                    "attendance": "EXCUSED",
                    "blocks": [],
                },
            ],
            key=lambda r: str(r["candidacy_id"]),
        )

    async def test_requires_if_match(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        refused = await client.post(
            f"{held.path}/report",
            json={"lines": [line(held.registrations[0], "PRESENT", BC01="VALIDATED")]},
            headers=held.centre.headers(auth),
        )

        assert_problem(refused, 428, "IF_MATCH_REQUIRED")
        assert (await _session(client, auth, held)).json()["state"] == "HELD"
        assert await _events(sessionmaker, REPORT_SIGNED) == []

    async def test_refuses_a_stale_etag(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        stale = f'"{held.session["version"] - 1}"'

        refused = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], "PRESENT", BC01="VALIDATED")],
            etag=stale,
        )

        assert_problem(refused, 412, "SESSION_VERSION_MISMATCH")

    async def test_refuses_a_report_missing_a_candidate(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client,
            candidacy_http,
            auth,
            catalogue,
            clock,
            [(partner_id, [BC01]), (partner_id, [BC01])],
        )
        first, second = held.registrations

        refused = await sign(
            client, auth, held, [line(first, "PRESENT", BC01="VALIDATED")]
        )

        body = assert_problem(refused, 422, "REPORT_INCOMPLETE")
        assert body["missing_registration_ids"] == [second["id"]]
        assert (await _session(client, auth, held)).json()["state"] == "HELD"

    async def test_refuses_a_line_of_no_registration(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        stranger = {"id": str(uuid.uuid4())}

        refused = await sign(
            client,
            auth,
            held,
            [
                line(held.registrations[0], "PRESENT", BC01="VALIDATED"),
                line(stranger, "PRESENT", BC01="VALIDATED"),
            ],
        )

        body = assert_problem(refused, 422, "REPORT_INCOMPLETE")
        assert body["unknown_registration_ids"] == [stranger["id"]]

    async def test_refuses_a_candidate_twice(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        (registration,) = held.registrations

        refused = await sign(
            client,
            auth,
            held,
            [
                line(registration, "PRESENT", BC01="VALIDATED"),
                line(registration, "PRESENT", BC01="NOT_VALIDATED"),
            ],
        )

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    async def test_refuses_a_present_candidate_missing_a_block(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01, BC02])]
        )

        refused = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], "PRESENT", BC01="VALIDATED")],
        )

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    async def test_refuses_a_block_the_candidate_was_not_registered_for(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        refused = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], "LATE", BC01="VALIDATED", BC03="VALIDATED")],
        )

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    async def test_refuses_a_block_result_given_twice(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        twice = line(held.registrations[0], "PRESENT", BC01="VALIDATED")
        twice["blocks"].append({"block_code": BC01, "result": "NOT_VALIDATED"})

        refused = await sign(client, auth, held, [twice])

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    @pytest.mark.parametrize("attendance", ["ABSENT", "EXCUSED"])
    async def test_refuses_a_result_for_a_candidate_who_did_not_sit(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        attendance: str,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        refused = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], attendance, BC01="VALIDATED")],
        )

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    async def test_refuses_an_unassessed_block_the_absent_candidate_was_not_registered_for(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        refused = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], "ABSENT", BC03="NOT_ASSESSED")],
        )

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    async def test_refuses_a_line_without_any_attendance(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        refused = await sign(
            client, auth, held, [line(held.registrations[0], BC01="VALIDATED")]
        )

        assert_problem(refused, 422, "REPORT_INCOMPLETE")

    async def test_signs_once(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        lines = [line(held.registrations[0], "PRESENT", BC01="VALIDATED")]
        first = await sign(client, auth, held, lines)
        assert first.status_code == 201, first.text

        etag = (await _session(client, auth, held)).headers["etag"]

        again = await sign(client, auth, held, lines, etag=etag)

        assert_problem(again, 409, "ACTION_NOT_ALLOWED")
        assert len(await _events(sessionmaker, REPORT_SIGNED)) == 1

    async def test_refuses_before_the_session_is_held(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre, session, (registration,) = await convoked_session(
            client, candidacy_http, auth, catalogue, [(partner_id, [BC01])]
        )
        clock.travel_to(datetime.fromisoformat(session["ends_at"]) + timedelta(hours=1))

        refused = await client.post(
            f"/v1/exam-sessions/{session['id']}/report",
            json={"lines": [line(registration, "PRESENT", BC01="VALIDATED")]},
            headers={**centre.headers(auth), "If-Match": f'"{session["version"]}"'},
        )

        assert_problem(refused, 409, "ACTION_NOT_ALLOWED")

    async def test_signs_an_empty_session(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        held = await held_session(client, candidacy_http, auth, catalogue, clock, [])

        signed = await sign(client, auth, held, [])

        assert signed.status_code == 201, signed.text
        (event,) = await _events(sessionmaker, REPORT_SIGNED)
        assert event.data["results"] == []

    @pytest.mark.parametrize(
        "role", [Role.PARTNER, Role.CERTIFIER], ids=lambda r: r.value
    )
    async def test_refuses_roles_that_do_not_sign(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        role: Role,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        organisation = (
            partner_id if role is Role.PARTNER else catalogue.certifier_of[TP]
        )

        refused = await client.post(
            f"{held.path}/report",
            json={"lines": [line(held.registrations[0], "PRESENT", BC01="VALIDATED")]},
            headers={**auth(role, organisation), "If-Match": held.etag},
        )

        assert_problem(refused, 403, "FORBIDDEN")


class TestRevokeReport:
    async def _signed(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> tuple[Held, dict[str, Any], str]:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )
        signed = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], "PRESENT", BC01="NOT_VALIDATED")],
        )
        assert signed.status_code == 201, signed.text
        etag = (await _session(client, auth, held)).headers["etag"]
        return held, signed.json(), etag

    async def test_an_administrator_revokes_and_a_new_report_can_be_signed(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        held, first, etag = await self._signed(
            client, candidacy_http, auth, catalogue, partner_id, clock
        )

        revoked = await client.post(
            f"{held.path}/report/revocation",
            json={"reason": "Erreur de saisie du bloc 1"},
            headers={**auth(Role.ADMIN), "If-Match": etag},
        )

        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["id"] == first["id"]
        assert revoked.json()["revoked_at"] is not None
        assert revoked.json()["revocation_reason"] == "Erreur de saisie du bloc 1"
        session = await _session(client, auth, held)
        assert session.json()["state"] == "HELD"
        (event,) = await _events(sessionmaker, "fr.vae.sessions.report-revoked.v1")
        assert event.data["centre_id"] == held.centre.id
        assert event.data["certifier_ids"] == [catalogue.certifier_of[TP]]
        assert event.data["state"] == "HELD"

        resigned = await sign(
            client,
            auth,
            held,
            [line(held.registrations[0], "PRESENT", BC01="VALIDATED")],
            etag=session.headers["etag"],
        )
        assert resigned.status_code == 201, resigned.text
        reports = await client.get(
            f"{held.path}/report", headers=held.centre.headers(auth)
        )
        assert reports.status_code == 200
        assert [(r["id"], r["revoked_at"] is None) for r in reports.json()] == [
            (resigned.json()["id"], True),
            (first["id"], False),
        ]
        assert reports.json()[1]["lines"][0]["blocks"] == [
            {"block_code": BC01, "result": "NOT_VALIDATED"}
        ]
        assert len(await _events(sessionmaker, REPORT_SIGNED)) == 2

    @pytest.mark.parametrize(
        "role", [Role.EXAM_CENTRE, Role.CERTIFIER, Role.PARTNER], ids=lambda r: r.value
    )
    async def test_only_an_administrator_revokes(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        role: Role,
    ) -> None:
        held, _, etag = await self._signed(
            client, candidacy_http, auth, catalogue, partner_id, clock
        )
        organisation = {
            Role.EXAM_CENTRE: held.centre.id,
            Role.CERTIFIER: catalogue.certifier_of[TP],
            Role.PARTNER: partner_id,
        }[role]

        refused = await client.post(
            f"{held.path}/report/revocation",
            json={"reason": "Erreur de saisie"},
            headers={**auth(role, organisation), "If-Match": etag},
        )

        assert_problem(refused, 403, "FORBIDDEN")
        assert (await _session(client, auth, held)).json()["state"] == "REPORT_SIGNED"

    async def test_requires_if_match(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held, _, _ = await self._signed(
            client, candidacy_http, auth, catalogue, partner_id, clock
        )

        refused = await client.post(
            f"{held.path}/report/revocation",
            json={"reason": "Erreur de saisie"},
            headers=auth(Role.ADMIN),
        )

        assert_problem(refused, 428, "IF_MATCH_REQUIRED")

    async def test_refuses_a_stale_etag(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held, _, _ = await self._signed(
            client, candidacy_http, auth, catalogue, partner_id, clock
        )

        refused = await client.post(
            f"{held.path}/report/revocation",
            json={"reason": "Erreur de saisie"},
            headers={**auth(Role.ADMIN), "If-Match": held.etag},
        )

        assert_problem(refused, 412, "SESSION_VERSION_MISMATCH")

    async def test_refuses_without_a_signed_report(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        refused = await client.post(
            f"{held.path}/report/revocation",
            json={"reason": "Erreur de saisie"},
            headers={**auth(Role.ADMIN), "If-Match": held.etag},
        )

        assert_problem(refused, 409, "ACTION_NOT_ALLOWED")


class TestGetReports:
    async def test_a_partner_reads_only_its_candidates_lines(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        other_partner = str(uuid.uuid4())
        held = await held_session(
            client,
            candidacy_http,
            auth,
            catalogue,
            clock,
            [(partner_id, [BC01]), (other_partner, [BC02]), (partner_id, [BC03])],
        )
        mine_first, theirs, mine_second = held.registrations
        signed = await sign(
            client,
            auth,
            held,
            [
                line(mine_first, "PRESENT", BC01="VALIDATED"),
                line(theirs, "ABSENT"),
                line(mine_second, "PRESENT", BC03="NOT_VALIDATED"),
            ],
        )
        assert signed.status_code == 201, signed.text

        own = await client.get(
            f"{held.path}/report", headers=auth(Role.PARTNER, partner_id)
        )
        other = await client.get(
            f"{held.path}/report", headers=auth(Role.PARTNER, other_partner)
        )
        whole = await client.get(
            f"{held.path}/report", headers=held.centre.headers(auth)
        )

        assert own.status_code == other.status_code == whole.status_code == 200
        (own_report,) = own.json()
        assert sorted(
            entry["registration_id"] for entry in own_report["lines"]
        ) == sorted([mine_first["id"], mine_second["id"]])
        assert [entry["registration_id"] for entry in other.json()[0]["lines"]] == [
            theirs["id"]
        ]
        assert len(whole.json()[0]["lines"]) == 3

    async def test_there_is_none_before_signing(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        held = await held_session(
            client, candidacy_http, auth, catalogue, clock, [(partner_id, [BC01])]
        )

        reports = await client.get(
            f"{held.path}/report", headers=held.centre.headers(auth)
        )

        assert reports.status_code == 200
        assert reports.json() == []
