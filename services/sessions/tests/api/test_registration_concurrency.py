"""Capacity and uniqueness of registrations under concurrency: the database hands out the seats."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sessions_factories import (
    Catalogue,
    TokenFactory,
    admissible_candidacy,
    at,
    create_centre,
    register,
    scheduled_session,
)

pytestmark = pytest.mark.asyncio

CANDIDATES = 200
SEATS = 20
ROUNDS = 3
# Candidacies built at once: fewer than the candidacy app's SQLite pool (5 + 10 overflow), so
# none waits out the pool's 30 s on a loaded machine.
BATCH = 10


def _outcomes(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    """Counts answers by (status, problem code)."""
    return Counter(
        (r.status_code, None if r.status_code < 400 else r.json().get("code"))
        for r in responses
    )


@pytest.fixture(scope="session")
def crowd_partner() -> str:
    """The partner of the crowd of candidacies."""
    return str(uuid.uuid4())


@pytest_asyncio.fixture(scope="session")
async def crowd(
    candidacy_http: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    crowd_partner: str,
) -> list[dict[str, Any]]:
    """200 admissible candidacies of distinct candidates, built once for both dialects.

    Session-scoped: pytest runs every SQLite test before every PostgreSQL one, so a
    module-scoped crowd would be built twice. The candidacy service is shared by both runs and
    a registration does not change a candidacy, so the same crowd races for every session.
    """
    built: list[dict[str, Any]] = []
    for start in range(0, CANDIDATES, BATCH):
        built += await asyncio.gather(
            *(
                admissible_candidacy(candidacy_http, auth, catalogue, crowd_partner)
                for _ in range(start, min(start + BATCH, CANDIDATES))
            )
        )
    assert len({c["candidate_id"] for c in built}) == CANDIDATES
    return built


class TestCapacityUnderConcurrency:
    async def test_hands_out_exactly_the_seats_of_each_session(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        crowd: list[dict[str, Any]],
        crowd_partner: str,
    ) -> None:
        centre = await create_centre(client, auth)
        for round_ in range(ROUNDS):
            # Sessions ten days apart: the crowd never sits two overlapping sessions.
            session = await scheduled_session(
                client,
                auth,
                centre,
                capacity=SEATS,
                starts_at=at(90 + 10 * round_, 8).isoformat(),
                ends_at=at(91 + 10 * round_, 17).isoformat(),
            )
            responses = await asyncio.gather(
                *(
                    register(client, auth, crowd_partner, session["id"], c["id"])
                    for c in crowd
                )
            )
            outcomes = _outcomes(list(responses))
            assert outcomes == {
                (201, None): SEATS,
                (409, "SESSION_FULL"): CANDIDATES - SEATS,
            }, outcomes
            read = await client.get(
                f"/v1/exam-sessions/{session['id']}", headers=centre.headers(auth)
            )
            assert read.json()["seats_left"] == 0
            listed = await client.get(
                f"/v1/exam-sessions/{session['id']}/registrations",
                headers=centre.headers(auth),
            )
            assert listed.status_code == 200
            winners = {
                r.json()["candidacy_id"] for r in responses if r.status_code == 201
            }
            assert {r["candidacy_id"] for r in listed.json()} == winners
            assert len(listed.json()) == SEATS


class TestUniquenessUnderConcurrency:
    async def test_registers_a_candidacy_once_when_asked_twice_at_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        crowd: list[dict[str, Any]],
        crowd_partner: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre, capacity=10)
        for candidacy in crowd[:5]:
            pair = await asyncio.gather(
                *(
                    register(
                        client, auth, crowd_partner, session["id"], candidacy["id"]
                    )
                    for _ in range(2)
                )
            )
            assert _outcomes(list(pair)) == {
                (201, None): 1,
                (409, "ALREADY_REGISTERED"): 1,
            }
        read = await client.get(
            f"/v1/exam-sessions/{session['id']}", headers=centre.headers(auth)
        )
        # The loser's seat went back with its rolled-back transaction.
        assert read.json()["seats_left"] == 5


class TestDoubleBookingUnderConcurrency:
    async def test_seats_a_candidate_in_one_of_overlapping_sessions_asked_at_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        crowd: list[dict[str, Any]],
        crowd_partner: str,
    ) -> None:
        # The same two days at four centres: no row is common to the four registrations.
        sessions = [
            await scheduled_session(
                client, auth, await create_centre(client, auth), capacity=100
            )
            for _ in range(4)
        ]
        for candidacy in crowd[:20]:
            attempts = await asyncio.gather(
                *(
                    register(client, auth, crowd_partner, s["id"], candidacy["id"])
                    for s in sessions
                )
            )
            assert _outcomes(list(attempts)) == {
                (201, None): 1,
                (409, "CANDIDATE_DOUBLE_BOOKED"): 3,
            }
