"""A session's whole life: scheduled, registered, convoked, held, report signed, applied."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from icalendar import Calendar
from sessions_factories import (
    TP,
    Catalogue,
    Clock,
    TokenFactory,
    admissible_candidacy,
    create_centre,
    register,
    scheduled_session,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.db import OutboxEvent as CandidacyOutboxEvent
from common import EventDeliveryVerifier, HttpEventSink, OutboxRelay, Role
from sessions.db import OutboxEvent
from sessions.registration.models import Registration

pytestmark = pytest.mark.asyncio


class TestJourney:
    async def test_from_scheduling_to_the_candidates_acquired_blocks(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
        event_secret: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        assert session["state"] == "SCHEDULED"
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, partner_id
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["block_codes"] == [
            f"{TP}BC01",
            f"{TP}BC02",
            f"{TP}BC03",
        ]

        calendar = await client.get(
            "/v1/exam-sessions",
            params={"rncp_code": TP},
            headers=auth(Role.PARTNER, partner_id),
        )
        (public,) = calendar.json()["items"]
        assert public["seats_left"] == 9
        assert public["jury"] is None and public["manager"] is None

        headers = centre.headers(auth)
        path = f"/v1/exam-sessions/{session['id']}"
        convoked = await client.post(f"{path}/convocations", headers=headers)
        assert convoked.status_code == 200, convoked.text
        ics = await client.get(
            f"{path}/registrations/{registered.json()['id']}/convocation",
            headers=auth(Role.PARTNER, partner_id),
        )
        assert ics.status_code == 200
        assert ics.headers["content-type"].startswith("text/calendar")
        (event,) = Calendar.from_ical(ics.content).walk("VEVENT")
        assert str(event["attendee"]) == "mailto:samia@example.org"
        assert event.decoded("dtstart") == datetime.fromisoformat(session["starts_at"])

        clock.travel_to(datetime.fromisoformat(session["ends_at"]) + timedelta(hours=1))
        attendance = await client.put(
            f"{path}/registrations/{registered.json()['id']}/attendance",
            json={"attendance": "PRESENT"},
            headers=headers,
        )
        assert attendance.status_code == 200, attendance.text
        held = await client.post(f"{path}/holding", headers=headers)
        assert held.status_code == 200, held.text
        signed = await client.post(
            f"{path}/report",
            json={
                "lines": [
                    {
                        "registration_id": registered.json()["id"],
                        "blocks": [
                            {"block_code": f"{TP}BC01", "result": "VALIDATED"},
                            {"block_code": f"{TP}BC02", "result": "VALIDATED"},
                            {"block_code": f"{TP}BC03", "result": "NOT_VALIDATED"},
                        ],
                    }
                ]
            },
            headers={**headers, "If-Match": held.headers["etag"]},
        )
        assert signed.status_code == 201, signed.text

        # The relay delivers report.signed, signed per Standard Webhooks, to the candidacy service.
        sink = HttpEventSink(
            candidacy_http,
            ["http://candidacy/internal/events"],
            signing_secret=event_secret,
        )
        assert await OutboxRelay(sessionmaker, OutboxEvent, sink).run_once() >= 1
        read = await candidacy_http.get(
            f"/v1/candidacies/{candidacy['id']}", headers=auth(Role.PARTNER, partner_id)
        )
        assert read.json()["state"] == "PARTIALLY_CERTIFIED"
        assert read.json()["jury_result"] == "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION"
        ledger = await candidacy_http.get(
            f"/v1/candidates/{candidacy['candidate_id']}/blocks",
            headers=auth(Role.PARTNER, partner_id),
        )
        assert sorted(b["block_code"] for b in ledger.json()["blocks"]) == [
            f"{TP}BC01",
            f"{TP}BC02",
        ]


class TestErasure:
    async def test_a_candidates_erasure_removes_the_data_copied_here_once(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        sessionmaker: async_sessionmaker[AsyncSession],
        event_secret: str,
        app: FastAPI,
        candidacy_app: FastAPI,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        candidacy = await admissible_candidacy(
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            links=[{"relation": "COLLEAGUE", "full_name": "Paul Girard"}],
        )
        registered = await register(
            client, auth, partner_id, session["id"], candidacy["id"]
        )
        assert registered.json()["candidate_name"].startswith("Samia")
        erased = await candidacy_http.delete(
            f"/v1/candidates/{candidacy['candidate_id']}",
            headers=auth(Role.PARTNER, partner_id),
        )
        assert erased.status_code == 204
        # The candidacy service's relay delivers its events to this service, signed.
        app.state.event_verifier = EventDeliveryVerifier([event_secret])
        sink = HttpEventSink(
            client, ["http://sessions/internal/events"], signing_secret=event_secret
        )
        relay = OutboxRelay(
            candidacy_app.state.sessionmaker, CandidacyOutboxEvent, sink
        )
        while await relay.run_once():
            pass
        async with sessionmaker() as db:
            (row,) = (await db.scalars(select(Registration))).all()
        assert (row.candidate_name, row.candidate_email, row.links) == (None, None, [])
        listed = await client.get(
            f"/v1/exam-sessions/{session['id']}/registrations",
            headers=centre.headers(auth),
        )
        assert listed.json()[0]["candidate_name"] is None
