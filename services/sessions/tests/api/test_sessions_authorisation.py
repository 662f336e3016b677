"""Object-level authorisation of registrations, convocations, attendance and reports.

Two centres, two partners and two certifiers around one session: the session's centre and the
certifier of its certification see it whole, each partner only its own candidates, everyone
else the public calendar; acting is for the centre (and administrators), reading never leaks
another's candidates.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sessions_factories import (
    TP,
    Catalogue,
    Centre,
    Clock,
    TokenFactory,
    admissible_candidacy,
    create_centre,
    create_juror,
    draft_session,
    register,
    scheduled_session,
)

from common import Role

pytestmark = pytest.mark.asyncio

BC01 = f"{TP}BC01"
ACTORS = (
    "centre",
    "other_centre",
    "partner",
    "other_partner",
    "certifier",
    "other_certifier",
    "admin",
)


@dataclass
class World:
    """Who is around a session of TP at ``centre``: ``partner`` registered R1 and R3, the other R2."""

    centre: Centre
    other_centre: Centre
    partner: str
    other_partner: str
    certifier: str
    other_certifier: str
    session: dict[str, Any]
    registrations: list[dict[str, Any]]
    jurors: list[dict[str, Any]]

    @property
    def path(self) -> str:
        return f"/v1/exam-sessions/{self.session['id']}"

    def headers(self, auth: TokenFactory, actor: str) -> dict[str, str]:
        """The credentials of an actor."""
        return {
            "centre": lambda: self.centre.headers(auth),
            "other_centre": lambda: self.other_centre.headers(auth),
            "partner": lambda: auth(Role.PARTNER, self.partner),
            "other_partner": lambda: auth(Role.PARTNER, self.other_partner),
            "certifier": lambda: auth(Role.CERTIFIER, self.certifier),
            "other_certifier": lambda: auth(Role.CERTIFIER, self.other_certifier),
            "admin": lambda: auth(Role.ADMIN),
        }[actor]()


async def world(
    client: httpx.AsyncClient,
    candidacy_http: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
) -> World:
    """A scheduled session with three registrations of two partners."""
    centre, other_centre = [await create_centre(client, auth) for _ in range(2)]
    jurors = [
        await create_juror(client, auth, email=f"j{i}@example.org") for i in range(2)
    ]
    session = await scheduled_session(client, auth, centre, jurors=jurors)
    partner, other_partner = str(uuid.uuid4()), str(uuid.uuid4())
    registrations = []
    for owner in (partner, other_partner, partner):
        candidacy = await admissible_candidacy(
            candidacy_http, auth, catalogue, owner, block_codes=[BC01]
        )
        registered = await register(client, auth, owner, session["id"], candidacy["id"])
        assert registered.status_code == 201, registered.text
        registrations.append(registered.json())
    return World(
        centre=centre,
        other_centre=other_centre,
        partner=partner,
        other_partner=other_partner,
        certifier=catalogue.certifier_of[TP],
        # A certifier of no certification of these sessions.
        other_certifier=str(uuid.uuid4()),
        session=session,
        registrations=registrations,
        jurors=jurors,
    )


def outcome(response: httpx.Response) -> int | str:
    """A success's status, or a refusal's "status CODE"."""
    if response.status_code < 400:
        return response.status_code
    return f"{response.status_code} {response.json()['code']}"


async def _convoke(client: httpx.AsyncClient, auth: TokenFactory, w: World) -> None:
    convoked = await client.post(
        f"{w.path}/convocations", headers=w.centre.headers(auth)
    )
    assert convoked.status_code == 200, convoked.text


async def _hold(
    client: httpx.AsyncClient, auth: TokenFactory, w: World, clock: Clock
) -> str:
    await _convoke(client, auth, w)
    clock.travel_to(datetime.fromisoformat(w.session["ends_at"]) + timedelta(hours=1))
    held = await client.post(f"{w.path}/holding", headers=w.centre.headers(auth))
    assert held.status_code == 200, held.text
    return str(held.headers["etag"])


def _lines(w: World) -> list[dict[str, Any]]:
    return [
        {
            "registration_id": r["id"],
            "attendance": "PRESENT",
            "blocks": [{"block_code": BC01, "result": "VALIDATED"}],
        }
        for r in w.registrations
    ]


class TestRegistrationsAuthorisation:
    async def test_who_lists_which_registrations(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        r1, r2, r3 = (r["id"] for r in w.registrations)

        seen = {}
        for actor in ACTORS:
            listed = await client.get(
                f"{w.path}/registrations", headers=w.headers(auth, actor)
            )
            assert listed.status_code == 200, (actor, listed.text)
            seen[actor] = sorted(r["id"] for r in listed.json())

        everything = sorted([r1, r2, r3])
        assert seen == {
            "centre": everything,
            "other_centre": [],
            "partner": sorted([r1, r3]),
            "other_partner": [r2],
            "certifier": everything,
            "other_certifier": [],
            "admin": everything,
        }

    async def test_a_draft_and_its_registrations_stay_private(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        draft = await draft_session(client, auth, w.centre)

        answers = {
            actor: outcome(
                await client.get(
                    f"/v1/exam-sessions/{draft['id']}/registrations",
                    headers=w.headers(auth, actor),
                )
            )
            for actor in ACTORS
        }

        hidden = "404 EXAM_SESSION_NOT_FOUND"
        assert answers == {
            "centre": 200,
            "other_centre": hidden,
            "partner": hidden,
            "other_partner": hidden,
            "certifier": 200,
            "other_certifier": hidden,
            "admin": 200,
        }

    async def test_who_cancels_a_registration(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        r1, r2, r3 = (r["id"] for r in w.registrations)

        refusals = {
            actor: outcome(
                await client.delete(
                    f"{w.path}/registrations/{r1}", headers=w.headers(auth, actor)
                )
            )
            for actor in (
                "other_centre",
                "other_partner",
                "certifier",
                "other_certifier",
            )
        }
        mine = await client.delete(
            f"{w.path}/registrations/{r1}", headers=w.headers(auth, "partner")
        )
        by_centre = await client.delete(
            f"{w.path}/registrations/{r2}", headers=w.headers(auth, "centre")
        )
        by_admin = await client.delete(
            f"{w.path}/registrations/{r3}", headers=w.headers(auth, "admin")
        )

        hidden = "404 REGISTRATION_NOT_FOUND"
        assert refusals == {
            "other_centre": hidden,
            "other_partner": hidden,
            # No certifier cancels registrations: refused by role, before any look-up.
            "certifier": "403 FORBIDDEN",
            "other_certifier": "403 FORBIDDEN",
        }
        assert [mine.status_code, by_centre.status_code, by_admin.status_code] == [
            204
        ] * 3
        listed = await client.get(
            f"{w.path}/registrations", headers=w.headers(auth, "admin")
        )
        assert listed.json() == []

    async def test_who_reads_a_candidates_convocation(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        await _convoke(client, auth, w)
        r1 = w.registrations[0]["id"]

        answers = {
            actor: outcome(
                await client.get(
                    f"{w.path}/registrations/{r1}/convocation",
                    headers=w.headers(auth, actor),
                )
            )
            for actor in ACTORS
        }

        hidden = "404 REGISTRATION_NOT_FOUND"
        assert answers == {
            "centre": 200,
            "other_centre": hidden,
            "partner": 200,
            "other_partner": hidden,
            "certifier": 200,
            "other_certifier": hidden,
            "admin": 200,
        }

    async def test_who_reads_a_jurors_convocation(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        await _convoke(client, auth, w)

        answers = {
            actor: outcome(
                await client.get(
                    f"{w.path}/jury/{w.jurors[0]['id']}/convocation",
                    headers=w.headers(auth, actor),
                )
            )
            for actor in ACTORS
        }

        assert answers == {
            "centre": 200,
            "other_centre": "403 FORBIDDEN",
            "partner": "403 FORBIDDEN",
            "other_partner": "403 FORBIDDEN",
            "certifier": "403 FORBIDDEN",
            "other_certifier": "403 FORBIDDEN",
            "admin": 200,
        }

    async def test_who_records_attendance(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        clock: Clock,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        await _convoke(client, auth, w)
        clock.travel_to(
            datetime.fromisoformat(w.session["starts_at"]) + timedelta(hours=1)
        )
        r1 = w.registrations[0]["id"]

        answers = {
            actor: outcome(
                await client.put(
                    f"{w.path}/registrations/{r1}/attendance",
                    json={"attendance": "PRESENT"},
                    headers=w.headers(auth, actor),
                )
            )
            for actor in ACTORS
        }

        assert answers == {
            "centre": 200,
            "other_centre": "404 REGISTRATION_NOT_FOUND",
            "partner": "403 FORBIDDEN",
            "other_partner": "403 FORBIDDEN",
            "certifier": "403 FORBIDDEN",
            "other_certifier": "403 FORBIDDEN",
            "admin": 200,
        }


class TestReportsAuthorisation:
    async def test_only_the_centre_or_an_administrator_signs(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        clock: Clock,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        etag = await _hold(client, auth, w, clock)

        refusals = {
            actor: outcome(
                await client.post(
                    f"{w.path}/report",
                    json={"lines": _lines(w)},
                    headers={**w.headers(auth, actor), "If-Match": etag},
                )
            )
            for actor in ACTORS
            if actor not in ("centre", "admin")
        }
        signed = await client.post(
            f"{w.path}/report",
            json={"lines": _lines(w)},
            headers={**w.headers(auth, "centre"), "If-Match": etag},
        )

        assert refusals == {
            actor: "403 FORBIDDEN"
            for actor in (
                "other_centre",
                "partner",
                "other_partner",
                "certifier",
                "other_certifier",
            )
        }
        assert signed.status_code == 201, signed.text

    async def test_who_reads_which_lines_of_the_report(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        clock: Clock,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        etag = await _hold(client, auth, w, clock)
        signed = await client.post(
            f"{w.path}/report",
            json={"lines": _lines(w)},
            headers={**w.headers(auth, "centre"), "If-Match": etag},
        )
        assert signed.status_code == 201, signed.text
        r1, r2, r3 = (r["id"] for r in w.registrations)

        seen = {}
        for actor in ACTORS:
            read = await client.get(f"{w.path}/report", headers=w.headers(auth, actor))
            assert read.status_code == 200, (actor, read.text)
            (report,) = read.json()
            assert report["id"] == signed.json()["id"]
            seen[actor] = sorted(line["registration_id"] for line in report["lines"])

        everything = sorted([r1, r2, r3])
        assert seen == {
            "centre": everything,
            "other_centre": [],
            "partner": sorted([r1, r3]),
            "other_partner": [r2],
            "certifier": everything,
            "other_certifier": [],
            "admin": everything,
        }

    async def test_only_an_administrator_revokes(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        clock: Clock,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        held_etag = await _hold(client, auth, w, clock)
        signed = await client.post(
            f"{w.path}/report",
            json={"lines": _lines(w)},
            headers={**w.headers(auth, "centre"), "If-Match": held_etag},
        )
        assert signed.status_code == 201, signed.text
        etag = (await client.get(w.path, headers=w.headers(auth, "admin"))).headers[
            "etag"
        ]

        answers = {
            actor: outcome(
                await client.post(
                    f"{w.path}/report/revocation",
                    json={"reason": "Erreur matérielle"},
                    headers={**w.headers(auth, actor), "If-Match": etag},
                )
            )
            for actor in ACTORS
        }

        assert answers == {
            **{actor: "403 FORBIDDEN" for actor in ACTORS if actor != "admin"},
            "admin": 200,
        }

    async def test_a_draft_has_no_report_for_outsiders(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
    ) -> None:
        w = await world(client, candidacy_http, auth, catalogue)
        draft = await draft_session(client, auth, w.centre)

        answers = {
            actor: outcome(
                await client.get(
                    f"/v1/exam-sessions/{draft['id']}/report",
                    headers=w.headers(auth, actor),
                )
            )
            for actor in ACTORS
        }

        hidden = "404 EXAM_SESSION_NOT_FOUND"
        assert answers == {
            "centre": 200,
            "other_centre": hidden,
            "partner": hidden,
            "other_partner": hidden,
            "certifier": 200,
            "other_certifier": hidden,
            "admin": 200,
        }
