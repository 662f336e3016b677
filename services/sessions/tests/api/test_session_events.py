"""The calendar events of a session carry who may receive them: its centre and certifiers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sessions_factories import (
    TP,
    Catalogue,
    Clock,
    TokenFactory,
    create_centre,
    draft_session,
    scheduled_session,
)
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sessions.db import OutboxEvent
from sessions.session.models import ExamSessionCertifier

pytestmark = pytest.mark.asyncio


async def events_of(
    sessionmaker: async_sessionmaker[AsyncSession], session_id: str
) -> dict[str, dict[str, Any]]:
    """The session's events in the outbox, by type."""
    async with sessionmaker() as db:
        found = (
            await db.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.subject == session_id)
                .order_by(OutboxEvent.id)
            )
        ).all()
    return {event.type: dict(event.data) for event in found}


class TestCalendarEvents:
    async def test_every_calendar_event_names_the_centre_and_the_certifiers(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        clock: Clock,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        path = f"/v1/exam-sessions/{session['id']}"
        convoked = await client.post(
            f"{path}/convocations", headers=centre.headers(auth)
        )
        assert convoked.status_code == 200, convoked.text
        clock.travel_to(datetime.fromisoformat(session["ends_at"]) + timedelta(hours=1))
        held = await client.post(f"{path}/holding", headers=centre.headers(auth))
        assert held.status_code == 200, held.text

        events = await events_of(sessionmaker, session["id"])

        assert set(events) == {
            "fr.vae.sessions.session-scheduled.v1",
            "fr.vae.sessions.convocations-sent.v1",
            "fr.vae.sessions.session-held.v1",
        }
        for data in events.values():
            assert data["centre_id"] == centre.id
            assert data["certifier_ids"] == [catalogue.certifier_of[TP]]
            # Still the public calendar's view: no staff, no jury.
            assert not {"manager", "supervisors", "jury", "allowed_actions"} & set(data)

    async def test_a_cancelled_session_without_recorded_certifiers_names_none(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        async with sessionmaker() as db, db.begin():
            await db.execute(
                delete(ExamSessionCertifier).where(
                    ExamSessionCertifier.session_id == uuid.UUID(session["id"])
                )
            )

        cancelled = await client.post(
            f"/v1/exam-sessions/{session['id']}/cancellation",
            json={"reason": "Centre fermé"},
            headers=centre.headers(auth),
        )

        assert cancelled.status_code == 200, cancelled.text
        events = await events_of(sessionmaker, session["id"])
        data = events["fr.vae.sessions.session-cancelled.v1"]
        assert data["centre_id"] == centre.id
        assert data["certifier_ids"] == []
        assert data["state"] == "CANCELLED"
