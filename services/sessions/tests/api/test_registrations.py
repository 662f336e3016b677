"""Registrations (inscriptions), their cancellation, convocations and attendance (émargement)."""

from __future__ import annotations

import calendar
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from sessions_factories import (
    OTHER_TP,
    PARIS,
    TP,
    Catalogue,
    Centre,
    Clock,
    TokenFactory,
    admissible_candidacy,
    at,
    create_centre,
    create_juror,
    draft_session,
    register,
    scheduled_session,
)
from uuid6 import uuid7

from common import HttpEventSink, Role, to_cloudevent, utcnow
from common.testing import free_port
from sessions.clients.candidacy import CandidacyClient
from sessions.config import EVENT_SOURCE
from sessions.db import OutboxEvent

pytestmark = pytest.mark.asyncio

BC01, BC02, BC03 = (f"{TP}BC0{i}" for i in (1, 2, 3))


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Checks a refusal: its status, its problem code, its media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _path(session: dict[str, Any]) -> str:
    return f"/v1/exam-sessions/{session['id']}"


async def _seats_left(
    client: httpx.AsyncClient, auth: TokenFactory, session: dict[str, Any]
) -> int:
    read = await client.get(_path(session), headers=auth(Role.ADMIN))
    assert read.status_code == 200, read.text
    return int(read.json()["seats_left"])


async def _submitted_candidacy(
    candidacy_http: httpx.AsyncClient, auth: TokenFactory, partner_id: str
) -> dict[str, Any]:
    """A candidacy submitted to the certifier, with no decision yet."""
    partner = auth(Role.PARTNER, partner_id)
    candidate = await candidacy_http.post(
        "/v1/candidates",
        json={
            "given_name": "Paul",
            "family_name": f"Martin-{uuid.uuid4().hex[:6]}",
            "email": "paul@example.org",
            "department": "69",
            "experiences": [
                {"nature": "SALARIED", "title": "Soudeur", "start_date": "2016-01-01"}
            ],
            "links": [],
        },
        headers=partner,
    )
    assert candidate.status_code == 201, candidate.text
    created = await candidacy_http.post(
        "/v1/candidacies",
        json={"candidate_id": candidate.json()["id"], "rncp_code": TP},
        headers=partner,
    )
    assert created.status_code == 201, created.text
    submitted = await candidacy_http.post(
        f"/v1/candidacies/{created.json()['id']}/submission", headers=partner
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "SUBMITTED"
    return dict(submitted.json())


async def _deliver_report(
    candidacy_http: httpx.AsyncClient,
    event_secret: str,
    candidacy: dict[str, Any],
    results: dict[str, str],
) -> None:
    """Delivers a signed report of an earlier session to the candidacy service, as the relay would."""
    event = OutboxEvent(
        id=uuid7(),
        type="fr.vae.sessions.report-signed.v1",
        source=EVENT_SOURCE,
        subject=str(uuid.uuid4()),
        data={
            "report_id": str(uuid.uuid4()),
            "session_id": str(uuid.uuid4()),
            "rncp_code": candidacy["rncp_code"],
            "jury_date": (utcnow().date() - timedelta(days=10)).isoformat(),
            "signed_at": utcnow().isoformat(),
            "results": [
                {
                    "candidacy_id": candidacy["id"],
                    "attendance": "PRESENT",
                    "blocks": [
                        {"block_code": code, "result": result}
                        for code, result in results.items()
                    ],
                }
            ],
        },
        occurred_at=utcnow(),
    )
    sink = HttpEventSink(
        candidacy_http,
        ["http://candidacy/internal/events"],
        signing_secret=event_secret,
    )
    await sink.deliver(to_cloudevent(event), event)


async def _convoked(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    centre: Centre,
    session: dict[str, Any],
) -> httpx.Response:
    convoked = await client.post(
        f"{_path(session)}/convocations", headers=centre.headers(auth)
    )
    assert convoked.status_code == 200, convoked.text
    assert convoked.json()["state"] == "CONVOCATIONS_SENT"
    return convoked


class TestRegister:
    async def test_registers_the_blocks_the_candidacy_aims_at_and_takes_a_seat(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre, capacity=3)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id, block_codes=[BC01, BC03]
        )

        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        assert registered.status_code == 201, registered.text
        body = registered.json()
        assert (
            registered.headers["location"]
            == f"{_path(session)}/registrations/{body['id']}"
        )
        assert body["session_id"] == session["id"]
        assert body["candidacy_id"] == candidacy["id"]
        assert body["candidate_id"] == candidacy["candidate_id"]
        assert body["organisation_id"] == partner_id
        assert body["block_codes"] == [BC01, BC03]
        assert body["candidate_name"].startswith("Samia Benali-")
        assert body["attendance"] is None
        assert await _seats_left(client, auth, session) == 2

    async def test_registers_only_the_blocks_asked_for(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"], block_codes=[BC02]
        )

        assert registered.status_code == 201, registered.text
        assert registered.json()["block_codes"] == [BC02]

    async def test_a_draft_session_is_not_found_by_a_partner(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        assert_problem(refused, 404, "EXAM_SESSION_NOT_FOUND")

    async def test_an_unknown_session_is_not_found(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        refused = await register(
            client, auth, partner_id, str(uuid.uuid4()), candidacy["id"]
        )

        assert_problem(refused, 404, "EXAM_SESSION_NOT_FOUND")

    async def test_refuses_once_the_convocations_are_sent(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        await _convoked(client, auth, centre, session)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        body = assert_problem(refused, 409, "ACTION_NOT_ALLOWED")
        assert body["state"] == "CONVOCATIONS_SENT"

    async def test_refuses_in_a_cancelled_session(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        cancelled = await client.post(
            f"{_path(session)}/cancellation",
            json={"reason": "Plateau technique indisponible"},
            headers=centre.headers(auth),
        )
        assert cancelled.status_code == 200, cancelled.text
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        assert_problem(refused, 409, "ACTION_NOT_ALLOWED")

    async def test_closes_at_midnight_in_paris_one_month_before_the_first_day(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre = await create_centre(client, auth)
        # 00:30 in Paris is still the day before in UTC: the deadline follows Paris.
        starts_at = at(90, 0) + timedelta(minutes=30)
        session = await scheduled_session(
            client,
            auth,
            centre,
            starts_at=starts_at.isoformat(),
            ends_at=at(91, 17).isoformat(),
        )
        deadline = datetime.fromisoformat(session["registration_deadline"])
        in_paris = deadline.astimezone(PARIS)
        first_day = starts_at.date()
        year, month = divmod(first_day.year * 12 + first_day.month - 2, 12)
        last_of_month = calendar.monthrange(year, month + 1)[1]
        assert in_paris.time() == time(0)
        assert in_paris.date() == date(
            year, month + 1, min(first_day.day, last_of_month)
        )
        early, late = [
            await admissible_candidacy(candidacy_http, auth, catalogue, partner_id)
            for _ in range(2)
        ]

        clock.travel_to(deadline - timedelta(minutes=1))
        accepted = await register(client, auth, partner_id, session["id"], early["id"])
        clock.travel_to(deadline)
        refused = await register(client, auth, partner_id, session["id"], late["id"])

        assert accepted.status_code == 201, accepted.text
        assert_problem(refused, 409, "REGISTRATION_CLOSED")

    async def test_stays_closed_after_the_deadline(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        clock.travel_to(
            datetime.fromisoformat(session["registration_deadline"]) + timedelta(days=3)
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        assert_problem(refused, 409, "REGISTRATION_CLOSED")
        assert await _seats_left(client, auth, session) == session["capacity"]

    async def test_another_partners_candidacy_is_not_found(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        theirs = await admissible_candidacy(
            candidacy_http, auth, catalogue, str(uuid.uuid4())
        )

        refused = await register(client, auth, partner_id, session["id"], theirs["id"])

        assert_problem(refused, 404, "CANDIDACY_NOT_FOUND")
        assert await _seats_left(client, auth, session) == session["capacity"]

    async def test_an_unknown_candidacy_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)

        refused = await register(
            client, auth, partner_id, session["id"], str(uuid.uuid4())
        )

        assert_problem(refused, 404, "CANDIDACY_NOT_FOUND")

    async def test_refuses_a_candidacy_not_yet_admissible(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        submitted = await _submitted_candidacy(candidacy_http, auth, partner_id)

        refused = await register(
            client, auth, partner_id, session["id"], submitted["id"]
        )

        assert_problem(refused, 422, "CANDIDACY_NOT_ADMISSIBLE")

    async def test_accepts_a_partially_certified_candidacy_for_its_remaining_blocks(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        await _deliver_report(
            candidacy_http,
            event_secret,
            candidacy,
            {BC01: "VALIDATED", BC02: "VALIDATED", BC03: "NOT_VALIDATED"},
        )
        read = await candidacy_http.get(
            f"/v1/candidacies/{candidacy['id']}", headers=auth(Role.PARTNER, partner_id)
        )
        assert read.json()["state"] == "PARTIALLY_CERTIFIED"

        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"], block_codes=[BC03]
        )

        assert registered.status_code == 201, registered.text
        assert registered.json()["block_codes"] == [BC03]

    async def test_refuses_a_candidacy_for_another_certification(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        other = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id, rncp_code=OTHER_TP
        )

        refused = await register(client, auth, partner_id, session["id"], other["id"])

        assert_problem(refused, 422, "CANDIDACY_CERTIFICATION_MISMATCH")

    async def test_refuses_a_block_the_candidacy_does_not_aim_at(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id, block_codes=[BC01]
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"], block_codes=[BC02]
        )

        body = assert_problem(refused, 422, "BLOCKS_NOT_IN_TARGET")
        assert body["block_codes"] == [BC02]

    async def test_refuses_a_session_that_assesses_none_of_the_target_blocks(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(
            client, auth, centre, kind="CCP", block_codes=[BC03]
        )
        assert session["block_codes"] == [BC03]
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id, block_codes=[BC01]
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        assert_problem(refused, 422, "BLOCKS_NOT_IN_TARGET")

    async def test_refuses_a_block_the_session_does_not_assess(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(
            client, auth, centre, kind="CCP", block_codes=[BC02, BC03]
        )
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        refused = await register(
            client,
            auth,
            partner_id,
            session["id"],
            candidacy["id"],
            block_codes=[BC01, BC02],
        )

        body = assert_problem(refused, 422, "BLOCKS_NOT_IN_TARGET")
        assert body["block_codes"] == [BC01]

    async def test_refuses_a_second_registration_of_the_candidacy(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        first = await register(client, auth, partner_id, session["id"], candidacy["id"])
        assert first.status_code == 201, first.text

        again = await register(client, auth, partner_id, session["id"], candidacy["id"])

        assert_problem(again, 409, "ALREADY_REGISTERED")
        assert await _seats_left(client, auth, session) == session["capacity"] - 1

    async def test_refuses_a_candidate_already_in_an_overlapping_session(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        lyon, villeurbanne = [await create_centre(client, auth) for _ in range(2)]
        first = await scheduled_session(client, auth, lyon)
        # Starts on the first session's last day.
        second = await scheduled_session(
            client,
            auth,
            villeurbanne,
            starts_at=at(91, 13).isoformat(),
            ends_at=at(92, 17).isoformat(),
        )
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, first["id"], candidacy["id"]
        )
        assert registered.status_code == 201, registered.text

        refused = await register(
            client, auth, partner_id, second["id"], candidacy["id"]
        )

        body = assert_problem(refused, 409, "CANDIDATE_DOUBLE_BOOKED")
        assert body["other_session_id"] == first["id"]
        assert await _seats_left(client, auth, second) == second["capacity"]

    async def test_accepts_the_candidate_in_a_later_session(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        first = await scheduled_session(client, auth, centre)
        # Starts the hour the first one ends: no overlap.
        second = await scheduled_session(
            client,
            auth,
            centre,
            starts_at=at(91, 17).isoformat(),
            ends_at=at(92, 17).isoformat(),
        )
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        for session in (first, second):
            registered = await register(
                client, auth, partner_id, session["id"], candidacy["id"]
            )
            assert registered.status_code == 201, registered.text

    async def test_a_cancelled_session_frees_the_candidates_days(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        lyon, villeurbanne = [await create_centre(client, auth) for _ in range(2)]
        first = await scheduled_session(client, auth, lyon)
        second = await scheduled_session(client, auth, villeurbanne)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, first["id"], candidacy["id"]
        )
        assert registered.status_code == 201, registered.text
        cancelled = await client.post(
            f"{_path(first)}/cancellation",
            json={"reason": "Jury indisponible"},
            headers=lyon.headers(auth),
        )
        assert cancelled.status_code == 200, cancelled.text

        moved = await register(client, auth, partner_id, second["id"], candidacy["id"])

        assert moved.status_code == 201, moved.text

    async def test_refuses_beyond_the_capacity(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre, capacity=1)
        first, second = [
            await admissible_candidacy(candidacy_http, auth, catalogue, partner_id)
            for _ in range(2)
        ]
        registered = await register(
            client, auth, partner_id, session["id"], first["id"]
        )
        assert registered.status_code == 201, registered.text

        refused = await register(client, auth, partner_id, session["id"], second["id"])

        assert_problem(refused, 409, "SESSION_FULL")
        assert await _seats_left(client, auth, session) == 0
        listed = await client.get(
            f"{_path(session)}/registrations", headers=centre.headers(auth)
        )
        assert [r["candidacy_id"] for r in listed.json()] == [first["id"]]

    async def test_refuses_a_candidate_linked_to_the_session_manager(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            links=[{"relation": "SUPERVISOR", "full_name": "Julien BERTRAND"}],
        )

        refused = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        assert_problem(refused, 409, "SESSION_MANAGER_CONFLICT_OF_INTEREST")
        assert await _seats_left(client, auth, session) == session["capacity"]

    async def test_answers_503_when_the_candidacy_service_is_down(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        async with httpx.AsyncClient() as nowhere:
            app.state.candidacy = CandidacyClient(
                nowhere, f"http://127.0.0.1:{free_port()}"
            )
            refused = await register(
                client, auth, partner_id, session["id"], str(uuid.uuid4())
            )

        assert_problem(refused, 503, "CANDIDACY_SERVICE_UNAVAILABLE")
        assert await _seats_left(client, auth, session) == session["capacity"]

    @pytest.mark.parametrize(
        "role", [Role.EXAM_CENTRE, Role.CERTIFIER, Role.ADMIN], ids=lambda r: r.value
    )
    async def test_only_partners_register(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        role: Role,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        organisation = {
            Role.EXAM_CENTRE: centre.id,
            Role.CERTIFIER: catalogue.certifier_of[TP],
            Role.ADMIN: None,
        }[role]

        refused = await client.post(
            f"{_path(session)}/registrations",
            json={"candidacy_id": candidacy["id"]},
            headers=auth(role, organisation),
        )

        assert_problem(refused, 403, "FORBIDDEN")

    async def test_refuses_a_partner_bound_to_no_organisation(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )

        refused = await client.post(
            f"{_path(session)}/registrations",
            json={"candidacy_id": candidacy["id"]},
            headers=auth(Role.PARTNER, None),
        )

        assert_problem(refused, 403, "FORBIDDEN")

    async def test_refuses_an_unknown_field(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)

        refused = await register(
            client, auth, partner_id, session["id"], str(uuid.uuid4()), seats=2
        )

        assert_problem(refused, 422, "VALIDATION_FAILED")


class TestCancelRegistration:
    async def test_gives_the_seat_back(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre, capacity=1)
        first, second = [
            await admissible_candidacy(candidacy_http, auth, catalogue, partner_id)
            for _ in range(2)
        ]
        registered = await register(
            client, auth, partner_id, session["id"], first["id"]
        )
        assert await _seats_left(client, auth, session) == 0

        cancelled = await client.delete(
            f"{_path(session)}/registrations/{registered.json()['id']}",
            headers=auth(Role.PARTNER, partner_id),
        )

        assert cancelled.status_code == 204, cancelled.text
        assert await _seats_left(client, auth, session) == 1
        listed = await client.get(
            f"{_path(session)}/registrations", headers=centre.headers(auth)
        )
        assert listed.json() == []
        taken = await register(client, auth, partner_id, session["id"], second["id"])
        assert taken.status_code == 201, taken.text

    async def test_the_centre_may_cancel_a_registration(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        cancelled = await client.delete(
            f"{_path(session)}/registrations/{registered.json()['id']}",
            headers=centre.headers(auth),
        )

        assert cancelled.status_code == 204, cancelled.text
        assert await _seats_left(client, auth, session) == session["capacity"]

    async def test_refuses_once_the_convocations_are_sent(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )
        await _convoked(client, auth, centre, session)

        refused = await client.delete(
            f"{_path(session)}/registrations/{registered.json()['id']}",
            headers=auth(Role.PARTNER, partner_id),
        )

        assert_problem(refused, 409, "ACTION_NOT_ALLOWED")
        assert await _seats_left(client, auth, session) == session["capacity"] - 1

    async def test_another_partners_registration_is_not_found(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        refused = await client.delete(
            f"{_path(session)}/registrations/{registered.json()['id']}",
            headers=auth(Role.PARTNER, str(uuid.uuid4())),
        )

        assert_problem(refused, 404, "REGISTRATION_NOT_FOUND")
        assert await _seats_left(client, auth, session) == session["capacity"] - 1

    async def test_an_unknown_registration_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)

        refused = await client.delete(
            f"{_path(session)}/registrations/{uuid.uuid4()}",
            headers=auth(Role.PARTNER, partner_id),
        )

        assert_problem(refused, 404, "REGISTRATION_NOT_FOUND")

    async def test_a_registration_of_another_session_is_not_found(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        other = await scheduled_session(
            client,
            auth,
            centre,
            starts_at=at(120, 8).isoformat(),
            ends_at=at(121, 17).isoformat(),
        )
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        refused = await client.delete(
            f"{_path(other)}/registrations/{registered.json()['id']}",
            headers=auth(Role.PARTNER, partner_id),
        )

        assert_problem(refused, 404, "REGISTRATION_NOT_FOUND")


class TestListRegistrations:
    async def test_a_partner_sees_its_own_the_centre_all(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        other_partner = str(uuid.uuid4())
        mine = await admissible_candidacy(candidacy_http, auth, catalogue, partner_id)
        theirs = await admissible_candidacy(
            candidacy_http, auth, catalogue, other_partner
        )
        for partner, candidacy in ((partner_id, mine), (other_partner, theirs)):
            registered = await register(
                client, auth, partner, session["id"], candidacy["id"]
            )
            assert registered.status_code == 201, registered.text

        own = await client.get(
            f"{_path(session)}/registrations", headers=auth(Role.PARTNER, partner_id)
        )
        every = await client.get(
            f"{_path(session)}/registrations", headers=centre.headers(auth)
        )

        assert [r["candidacy_id"] for r in own.json()] == [mine["id"]]
        assert sorted(r["candidacy_id"] for r in every.json()) == sorted(
            [mine["id"], theirs["id"]]
        )


class TestSendConvocations:
    async def test_is_too_late_from_the_registration_deadline(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        clock: Clock,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        clock.travel_to(datetime.fromisoformat(session["registration_deadline"]))

        refused = await client.post(
            f"{_path(session)}/convocations", headers=centre.headers(auth)
        )

        assert_problem(refused, 409, "CONVOCATIONS_TOO_LATE")

    async def test_is_in_time_a_minute_before_the_deadline(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        clock: Clock,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        clock.travel_to(
            datetime.fromisoformat(session["registration_deadline"])
            - timedelta(minutes=1)
        )

        await _convoked(client, auth, centre, session)

    async def test_refuses_a_partner(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)

        refused = await client.post(
            f"{_path(session)}/convocations", headers=auth(Role.PARTNER, partner_id)
        )

        assert_problem(refused, 403, "FORBIDDEN")


class TestCandidateConvocation:
    async def test_is_an_icalendar_event_once_the_convocations_are_sent(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )
        path = f"{_path(session)}/registrations/{registered.json()['id']}/convocation"
        early = await client.get(path, headers=auth(Role.PARTNER, partner_id))
        assert_problem(early, 409, "ACTION_NOT_ALLOWED")
        await _convoked(client, auth, centre, session)

        sent = await client.get(path, headers=auth(Role.PARTNER, partner_id))

        assert sent.status_code == 200, sent.text
        assert sent.headers["content-type"].startswith("text/calendar")
        assert "convocation.ics" in sent.headers["content-disposition"]
        calendar = Calendar.from_ical(sent.content)
        assert str(calendar["method"]) == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event.decoded("dtstart") == datetime.fromisoformat(session["starts_at"])
        assert event.decoded("dtend") == datetime.fromisoformat(session["ends_at"])
        assert (
            str(event["location"]) == "Plateau technique, 1 rue des Essais, 69007 Lyon"
        )
        assert str(event["attendee"]) == "mailto:samia@example.org"
        assert (
            str(event["attendee"].params["cn"]) == registered.json()["candidate_name"]
        )
        assert str(event["organizer"]) == "mailto:julien.bertrand@example.org"
        assert TP in str(event["description"])

    async def test_another_partners_candidate_is_not_found(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )
        await _convoked(client, auth, centre, session)

        refused = await client.get(
            f"{_path(session)}/registrations/{registered.json()['id']}/convocation",
            headers=auth(Role.PARTNER, str(uuid.uuid4())),
        )

        assert_problem(refused, 404, "REGISTRATION_NOT_FOUND")


class TestJurorConvocation:
    async def test_is_an_icalendar_event_for_the_juror(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [
            await create_juror(client, auth, email=f"jure{i}@example.org")
            for i in range(2)
        ]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        path = f"{_path(session)}/jury/{jurors[0]['id']}/convocation"
        early = await client.get(path, headers=centre.headers(auth))
        assert_problem(early, 409, "ACTION_NOT_ALLOWED")
        await _convoked(client, auth, centre, session)

        sent = await client.get(path, headers=centre.headers(auth))

        assert sent.status_code == 200, sent.text
        assert sent.headers["content-type"].startswith("text/calendar")
        (event,) = Calendar.from_ical(sent.content).walk("VEVENT")
        assert event.decoded("dtstart") == datetime.fromisoformat(session["starts_at"])
        assert str(event["location"]).startswith("Plateau technique, 1 rue des Essais")
        assert str(event["attendee"]) == "mailto:jure0@example.org"
        assert (
            str(event["attendee"].params["cn"])
            == f"{jurors[0]['given_name']} {jurors[0]['family_name']}"
        )

    async def test_a_juror_off_the_jury_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        await _convoked(client, auth, centre, session)
        stranger = await create_juror(client, auth)

        refused = await client.get(
            f"{_path(session)}/jury/{stranger['id']}/convocation",
            headers=centre.headers(auth),
        )

        assert_problem(refused, 404, "JUROR_NOT_FOUND")

    async def test_refuses_another_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre, other = [await create_centre(client, auth) for _ in range(2)]
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        await _convoked(client, auth, centre, session)

        refused = await client.get(
            f"{_path(session)}/jury/{jurors[0]['id']}/convocation",
            headers=other.headers(auth),
        )

        assert_problem(refused, 403, "FORBIDDEN")


class TestRecordAttendance:
    async def _convoked_registrations(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        count: int,
    ) -> tuple[Centre, dict[str, Any], list[str]]:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        ids = []
        for _ in range(count):
            candidacy = await admissible_candidacy(
                candidacy_http, auth, catalogue, partner_id
            )
            registered = await register(
                client, auth, partner_id, session["id"], candidacy["id"]
            )
            assert registered.status_code == 201, registered.text
            ids.append(registered.json()["id"])
        await _convoked(client, auth, centre, session)
        return centre, session, ids

    async def test_records_each_candidates_attendance_from_the_start(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre, session, ids = await self._convoked_registrations(
            client, candidacy_http, auth, catalogue, partner_id, 4
        )
        clock.travel_to(datetime.fromisoformat(session["starts_at"]))
        values = ["PRESENT", "LATE", "ABSENT", "EXCUSED"]

        for registration_id, value in zip(ids, values, strict=True):
            recorded = await client.put(
                f"{_path(session)}/registrations/{registration_id}/attendance",
                json={"attendance": value},
                headers=centre.headers(auth),
            )
            assert recorded.status_code == 200, recorded.text
            assert recorded.json()["attendance"] == value

        listed = await client.get(
            f"{_path(session)}/registrations", headers=centre.headers(auth)
        )
        assert {r["id"]: r["attendance"] for r in listed.json()} == dict(
            zip(ids, values, strict=True)
        )
        # The partner sees what was recorded for its candidates.
        own = await client.get(
            f"{_path(session)}/registrations", headers=auth(Role.PARTNER, partner_id)
        )
        assert [r["attendance"] for r in own.json()] == values

    async def test_corrects_a_recorded_attendance(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre, session, (registration_id,) = await self._convoked_registrations(
            client, candidacy_http, auth, catalogue, partner_id, 1
        )
        clock.travel_to(
            datetime.fromisoformat(session["starts_at"]) + timedelta(hours=1)
        )
        path = f"{_path(session)}/registrations/{registration_id}/attendance"
        for value in ("ABSENT", "LATE"):
            recorded = await client.put(
                path, json={"attendance": value}, headers=centre.headers(auth)
            )
            assert recorded.status_code == 200, recorded.text

        assert recorded.json()["attendance"] == "LATE"

    async def test_refuses_before_the_start(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre, session, (registration_id,) = await self._convoked_registrations(
            client, candidacy_http, auth, catalogue, partner_id, 1
        )
        clock.travel_to(
            datetime.fromisoformat(session["starts_at"]) - timedelta(minutes=1)
        )

        refused = await client.put(
            f"{_path(session)}/registrations/{registration_id}/attendance",
            json={"attendance": "PRESENT"},
            headers=centre.headers(auth),
        )

        assert_problem(refused, 409, "SESSION_NOT_STARTED")

    async def test_refuses_before_the_convocations(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )

        refused = await client.put(
            f"{_path(session)}/registrations/{registered.json()['id']}/attendance",
            json={"attendance": "PRESENT"},
            headers=centre.headers(auth),
        )

        assert_problem(refused, 409, "ACTION_NOT_ALLOWED")

    async def test_refuses_a_partner(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        _, session, (registration_id,) = await self._convoked_registrations(
            client, candidacy_http, auth, catalogue, partner_id, 1
        )
        clock.travel_to(
            datetime.fromisoformat(session["starts_at"]) + timedelta(hours=1)
        )

        refused = await client.put(
            f"{_path(session)}/registrations/{registration_id}/attendance",
            json={"attendance": "PRESENT"},
            headers=auth(Role.PARTNER, partner_id),
        )

        assert_problem(refused, 403, "FORBIDDEN")

    async def test_refuses_an_unknown_value(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
    ) -> None:
        centre, session, (registration_id,) = await self._convoked_registrations(
            client, candidacy_http, auth, catalogue, partner_id, 1
        )
        clock.travel_to(
            datetime.fromisoformat(session["starts_at"]) + timedelta(hours=1)
        )

        refused = await client.put(
            f"{_path(session)}/registrations/{registration_id}/attendance",
            json={"attendance": "SICK"},
            headers=centre.headers(auth),
        )

        assert_problem(refused, 422, "VALIDATION_FAILED")
