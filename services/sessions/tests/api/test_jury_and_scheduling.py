"""Sessions: creation, jury, scheduling, double bookings, conflicts of interest, visibility."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sessions_factories import (
    DIPLOMA,
    ENDING_SOON,
    OTHER_TP,
    TODAY,
    TP,
    Catalogue,
    Centre,
    TokenFactory,
    admissible_candidacy,
    approve_site,
    at,
    create_centre,
    create_juror,
    draft_session,
    register,
    scheduled_session,
    session_payload,
)

from common import Role

pytestmark = pytest.mark.asyncio

Juror = dict[str, Any]
Seat = Juror | tuple[Juror, str]


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Asserts a problem answer's status and code, and gives its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def full_name(juror: Juror) -> str:
    return f"{juror['given_name']} {juror['family_name']}"


def path(session: dict[str, Any], *parts: str) -> str:
    return "/".join([f"/v1/exam-sessions/{session['id']}", *parts])


async def put_jury(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    session: dict[str, Any],
    *seats: Seat,
) -> httpx.Response:
    """Replaces a session's jury; a seat is a juror (a MEMBER) or (juror, role)."""
    members = [
        {"juror_id": s[0]["id"], "role": s[1]}
        if isinstance(s, tuple)
        else {"juror_id": s["id"]}
        for s in seats
    ]
    return await client.put(
        path(session, "jury"), json={"members": members}, headers=headers
    )


async def schedule(
    client: httpx.AsyncClient, headers: dict[str, str], session: dict[str, Any]
) -> httpx.Response:
    return await client.post(path(session, "scheduling"), headers=headers)


async def read(
    client: httpx.AsyncClient, headers: dict[str, str], session: dict[str, Any]
) -> dict[str, Any]:
    response = await client.get(path(session), headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def habilitate(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    juror: Juror,
    *,
    rncp_code: str = TP,
    granted_on: date,
    valid_until: date | None = None,
) -> None:
    granted = await client.post(
        f"/v1/jurors/{juror['id']}/habilitations",
        json={
            "rncp_code": rncp_code,
            "granted_on": granted_on.isoformat(),
            "valid_until": valid_until.isoformat() if valid_until else None,
            "authority": "DDETS du Rhône",
        },
        headers=auth(Role.ADMIN),
    )
    assert granted.status_code == 201, granted.text


def days(first: int, last: int, **overrides: Any) -> dict[str, Any]:
    """A session's dates: from 08:00 on day ``first`` to 17:00 on day ``last`` (Paris)."""
    return {
        "starts_at": at(first, 8).isoformat(),
        "ends_at": at(last, 17).isoformat(),
        **overrides,
    }


class TestCreateSession:
    async def test_creates_a_draft_with_every_block(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        created = await client.post(
            "/v1/exam-sessions",
            json=session_payload(centre),
            headers=centre.headers(auth),
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == f"/v1/exam-sessions/{body['id']}"
        assert created.headers["etag"]
        assert body["state"] == "DRAFT"
        assert body["block_codes"] == [f"{TP}BC01", f"{TP}BC02", f"{TP}BC03"]
        assert body["allowed_actions"] == ["UPDATE", "SET_JURY", "SCHEDULE", "CANCEL"]
        assert (body["jury"], body["seats_left"], body["department"]) == ([], 10, "69")
        assert body["manager"]["full_name"] == "Julien Bertrand"

    @pytest.mark.parametrize("day", [90, 200])  # winter and summer time
    async def test_keeps_the_instants_given_in_paris_time(
        self, client: httpx.AsyncClient, auth: TokenFactory, day: int
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre, **days(day, day + 1))
        stored = await read(client, centre.headers(auth), session)
        assert datetime.fromisoformat(stored["starts_at"]) == at(day, 8)
        assert datetime.fromisoformat(stored["ends_at"]) == at(day + 1, 17)
        listed = await client.get(
            "/v1/exam-sessions",
            params={"starts_after": at(day, 8).isoformat()},
            headers=centre.headers(auth),
        )
        assert [s["id"] for s in listed.json()["items"]] == [session["id"]]

    async def test_keeps_the_chosen_blocks_in_the_catalogue_order(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(
            client, auth, centre, kind="CCP", block_codes=[f"{TP}BC03", f"{TP}BC01"]
        )
        assert session["block_codes"] == [f"{TP}BC01", f"{TP}BC03"]

    async def test_admits_twelve_hours_of_tests_over_two_days(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre, test_hours=12)
        assert session["test_hours"] == 12

    async def test_refuses_more_than_twelve_hours_of_tests(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(centre, **days(90, 93), test_hours=12.5),
            headers=centre.headers(auth),
        )
        assert "12.5" in problem(refused, 422, "SESSION_TOO_LONG")["detail"]

    async def test_refuses_an_end_before_the_start(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(
                centre, starts_at=at(91, 8).isoformat(), ends_at=at(90, 17).isoformat()
            ),
            headers=centre.headers(auth),
        )
        body = problem(refused, 422, "VALIDATION_FAILED")
        assert "ends_at must come after starts_at" in body["detail"]

    async def test_refuses_hours_that_do_not_fit_the_dates(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(
                centre,
                starts_at=at(90, 8).isoformat(),
                ends_at=at(90, 12).isoformat(),
                test_hours=6,
            ),
            headers=centre.headers(auth),
        )
        assert "(4 hours)" in problem(refused, 422, "SESSION_DATES_INVALID")["detail"]

    async def test_refuses_blocks_outside_the_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(
                centre,
                kind="CCP",
                block_codes=[f"{TP}BC01", f"{TP}BC09", f"{OTHER_TP}BC02"],
            ),
            headers=centre.headers(auth),
        )
        body = problem(refused, 422, "BLOCKS_NOT_IN_CERTIFICATION")
        assert body["block_codes"] == [f"{TP}BC09", f"{OTHER_TP}BC02"]

    async def test_refuses_an_unknown_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(centre, rncp_code="RNCP999999"),
            headers=centre.headers(auth),
        )
        problem(refused, 422, "CERTIFICATION_UNKNOWN")

    async def test_refuses_a_site_of_another_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        other = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(centre, site_id=other.site_id),
            headers=centre.headers(auth),
        )
        problem(refused, 404, "SITE_NOT_FOUND")

    async def test_refuses_a_session_of_another_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        other = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(centre),
            headers=other.headers(auth),
        )
        problem(refused, 403, "FORBIDDEN")

    async def test_other_roles_may_not_create_sessions(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        for role in (Role.PARTNER, Role.CERTIFIER):
            refused = await client.post(
                "/v1/exam-sessions",
                json=session_payload(centre),
                headers=auth(role, centre.id),
            )
            problem(refused, 403, "FORBIDDEN")

    async def test_refuses_an_unknown_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        refused = await client.post(
            "/v1/exam-sessions",
            json=session_payload(centre, centre_id=str(uuid.uuid4())),
            headers=auth(Role.ADMIN),
        )
        problem(refused, 404, "EXAM_CENTRE_NOT_FOUND")


class TestUpdateSessionDates:
    async def test_moves_a_draft(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        moved = await client.patch(
            path(session), json=days(120, 121), headers=centre.headers(auth)
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["starts_at"].startswith(
            (TODAY + timedelta(days=120)).isoformat()
        )

    async def test_fixes_the_dates_of_a_scheduled_session(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        refused = await client.patch(
            path(session), json=days(120, 121), headers=centre.headers(auth)
        )
        problem(refused, 422, "SESSION_DATES_INVALID")
        assert (await read(client, centre.headers(auth), session))[
            "starts_at"
        ] == session["starts_at"]

    async def test_refuses_an_end_before_the_start(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        refused = await client.patch(
            path(session),
            json={"ends_at": at(89, 17).isoformat()},
            headers=centre.headers(auth),
        )
        assert (
            "end after it starts"
            in problem(refused, 422, "SESSION_DATES_INVALID")["detail"]
        )

    async def test_refuses_more_than_twelve_hours(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        refused = await client.patch(
            path(session), json={"test_hours": 13}, headers=centre.headers(auth)
        )
        problem(refused, 422, "SESSION_TOO_LONG")

    async def test_refuses_dates_the_hours_no_longer_fit(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)  # 11 hours of tests
        refused = await client.patch(
            path(session),
            json={"ends_at": at(90, 12).isoformat()},
            headers=centre.headers(auth),
        )
        problem(refused, 422, "SESSION_DATES_INVALID")

    async def test_refuses_a_null_field_and_keeps_the_session(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        """Found by schemathesis: a null manager crashed the conflict-of-interest check."""
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        before = await client.get(path(session), headers=centre.headers(auth))
        refused = await client.patch(
            path(session),
            json={"manager": None, "capacity": None},
            headers=centre.headers(auth),
        )
        problem(refused, 422, "VALIDATION_FAILED")
        assert "capacity, manager may not be null" in refused.text
        after = await client.get(path(session), headers=centre.headers(auth))
        assert after.json() == before.json()


class TestSetJury:
    async def test_a_draft_takes_a_partial_jury(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        juror = await create_juror(client, auth)
        seated = await put_jury(client, centre.headers(auth), session, juror)
        assert seated.status_code == 200, seated.text
        (seat,) = seated.json()["jury"]
        assert (seat["juror_id"], seat["role"], seat["full_name"]) == (
            juror["id"],
            "MEMBER",
            full_name(juror),
        )
        assert seated.json()["version"] == session["version"] + 1

    async def test_refuses_a_juror_habilitated_for_another_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        lawful = await create_juror(client, auth)
        other = await create_juror(client, auth, habilitated_for=(OTHER_TP,))
        refused = await put_jury(client, centre.headers(auth), session, lawful, other)
        assert (
            full_name(other) in problem(refused, 422, "JUROR_NOT_HABILITATED")["detail"]
        )
        assert (await read(client, centre.headers(auth), session))["jury"] == []

    async def test_refuses_a_juror_habilitated_only_after_the_session(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre, **days(90, 91))
        late = await create_juror(client, auth, habilitated_for=())
        await habilitate(client, auth, late, granted_on=TODAY + timedelta(days=91))
        refused = await put_jury(client, centre.headers(auth), session, late)
        assert (
            full_name(late) in problem(refused, 422, "JUROR_NOT_HABILITATED")["detail"]
        )

    async def test_refuses_a_habilitation_ending_before_the_last_day(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre, **days(90, 91))
        juror = await create_juror(client, auth, habilitated_for=())
        await habilitate(
            client,
            auth,
            juror,
            granted_on=TODAY - timedelta(days=10),
            valid_until=TODAY + timedelta(days=90),
        )
        refused = await put_jury(client, centre.headers(auth), session, juror)
        problem(refused, 422, "JUROR_NOT_HABILITATED")

    async def test_admits_a_habilitation_from_the_first_to_the_last_day(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre, **days(90, 91))
        juror = await create_juror(client, auth, habilitated_for=())
        await habilitate(
            client,
            auth,
            juror,
            granted_on=TODAY + timedelta(days=90),
            valid_until=TODAY + timedelta(days=91),
        )
        seated = await put_jury(client, centre.headers(auth), session, juror)
        assert seated.status_code == 200, seated.text

    async def test_refuses_an_unknown_juror(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        ghost = {"id": str(uuid.uuid4())}
        refused = await put_jury(client, centre.headers(auth), session, ghost)
        assert ghost["id"] in problem(refused, 404, "JUROR_NOT_FOUND")["detail"]

    async def test_refuses_the_same_juror_twice(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        juror = await create_juror(client, auth)
        refused = await put_jury(client, centre.headers(auth), session, juror, juror)
        body = problem(refused, 422, "VALIDATION_FAILED")
        assert [issue["loc"] for issue in body["errors"]] == [["body", "members"]]

    async def test_keeps_a_scheduled_sessions_jury_lawful(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        refused = await put_jury(client, centre.headers(auth), session, jurors[0])
        assert "it has 1" in problem(refused, 422, "JURY_TOO_SMALL")["detail"]
        kept = await read(client, centre.headers(auth), session)
        assert {s["juror_id"] for s in kept["jury"]} == {j["id"] for j in jurors}

    async def test_seats_only_members_in_a_tp_jury(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        refused = await put_jury(
            client, centre.headers(auth), session, (jurors[0], "PRESIDENT"), jurors[1]
        )
        body = problem(refused, 422, "JURY_COMPOSITION_INVALID")
        assert full_name(jurors[0]) in body["detail"]

    async def test_replaces_a_scheduled_sessions_jury(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        jurors = [await create_juror(client, auth) for _ in range(3)]
        replaced = await put_jury(client, centre.headers(auth), session, *jurors)
        assert replaced.status_code == 200, replaced.text
        assert {s["juror_id"] for s in replaced.json()["jury"]} == {
            j["id"] for j in jurors
        }
        assert replaced.json()["state"] == "SCHEDULED"


class TestScheduleSession:
    async def test_schedules_a_lawful_draft(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        seated = await put_jury(client, centre.headers(auth), session, *jurors)
        scheduled = await schedule(client, centre.headers(auth), session)
        assert scheduled.status_code == 200, scheduled.text
        body = scheduled.json()
        assert body["state"] == "SCHEDULED"
        assert body["version"] == seated.json()["version"] + 1
        assert scheduled.headers["etag"] == f'"{body["version"]}"'
        assert body["allowed_actions"] == [
            "UPDATE",
            "SET_JURY",
            "SEND_CONVOCATIONS",
            "CANCEL",
        ]

    async def test_refuses_an_approval_ending_during_the_session(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        approved = await approve_site(
            client, auth, centre, TP, end=TODAY + timedelta(days=90)
        )
        assert approved.status_code == 201, approved.text
        session = await draft_session(client, auth, centre, **days(90, 91))
        await put_jury(
            client,
            centre.headers(auth),
            session,
            *[await create_juror(client, auth) for _ in range(2)],
        )
        refused = await schedule(client, centre.headers(auth), session)
        body = problem(refused, 422, "SESSION_NOT_APPROVED")
        first, last = TODAY + timedelta(days=90), TODAY + timedelta(days=91)
        assert f"from {first} to {last}" in body["detail"]
        assert (await read(client, centre.headers(auth), session))["state"] == "DRAFT"

    async def test_refuses_an_approval_starting_after_the_first_day(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        await approve_site(client, auth, centre, TP, start=TODAY + timedelta(days=91))
        session = await draft_session(client, auth, centre, **days(90, 91))
        await put_jury(
            client,
            centre.headers(auth),
            session,
            *[await create_juror(client, auth) for _ in range(2)],
        )
        problem(
            await schedule(client, centre.headers(auth), session),
            422,
            "SESSION_NOT_APPROVED",
        )

    async def test_admits_an_approval_of_exactly_the_session_days(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        await approve_site(
            client,
            auth,
            centre,
            TP,
            start=TODAY + timedelta(days=90),
            end=TODAY + timedelta(days=91),
        )
        session = await draft_session(client, auth, centre, **days(90, 91))
        await put_jury(
            client,
            centre.headers(auth),
            session,
            *[await create_juror(client, auth) for _ in range(2)],
        )
        scheduled = await schedule(client, centre.headers(auth), session)
        assert scheduled.status_code == 200, scheduled.text

    async def test_needs_one_approval_over_every_day(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        await approve_site(client, auth, centre, TP, end=TODAY + timedelta(days=90))
        await approve_site(
            client,
            auth,
            centre,
            TP,
            start=TODAY + timedelta(days=91),
            end=TODAY + timedelta(days=400),
        )
        session = await draft_session(client, auth, centre, **days(90, 91))
        await put_jury(
            client,
            centre.headers(auth),
            session,
            *[await create_juror(client, auth) for _ in range(2)],
        )
        problem(
            await schedule(client, centre.headers(auth), session),
            422,
            "SESSION_NOT_APPROVED",
        )

    async def test_refuses_an_approval_of_another_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=(OTHER_TP,))
        session = await draft_session(client, auth, centre)
        await put_jury(
            client,
            centre.headers(auth),
            session,
            *[await create_juror(client, auth) for _ in range(2)],
        )
        problem(
            await schedule(client, centre.headers(auth), session),
            422,
            "SESSION_NOT_APPROVED",
        )

    async def test_refuses_an_approval_of_another_site(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        added = await client.post(
            f"/v1/exam-centres/{centre.id}/sites",
            json={
                "name": "Autre plateau",
                "address": "2 rue des Essais",
                "postal_code": "69008",
                "city": "Lyon",
                "department": "69",
            },
            headers=centre.headers(auth),
        )
        assert added.status_code == 201, added.text
        approved = await approve_site(
            client, auth, Centre(centre.id, added.json()["id"]), TP
        )
        assert approved.status_code == 201, approved.text
        session = await draft_session(client, auth, centre)  # at the first site
        await put_jury(
            client,
            centre.headers(auth),
            session,
            *[await create_juror(client, auth) for _ in range(2)],
        )
        problem(
            await schedule(client, centre.headers(auth), session),
            422,
            "SESSION_NOT_APPROVED",
        )

    async def test_refuses_a_session_after_the_certification_ends(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        centre = await create_centre(client, auth, approve=(ENDING_SOON,))
        session = await draft_session(
            client, auth, centre, rncp_code=ENDING_SOON, **days(110, 111)
        )
        refused = await schedule(client, centre.headers(auth), session)
        # The certification is checked first: no approval can outlive it anyway.
        body = problem(refused, 422, "CERTIFICATION_INACTIVE")
        assert ENDING_SOON in body["detail"]

    async def test_refuses_a_session_running_past_the_certification_end(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        end = catalogue.end_date_of[ENDING_SOON]
        centre = await create_centre(client, auth, approve=())
        await approve_site(client, auth, centre, ENDING_SOON, end=end)
        session = await draft_session(
            client, auth, centre, rncp_code=ENDING_SOON, **days(100, 101)
        )
        refused = await schedule(client, centre.headers(auth), session)
        body = problem(refused, 422, "CERTIFICATION_INACTIVE")
        assert f"its registration ends on {end}" in body["detail"]

    async def test_schedules_a_session_ending_with_the_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        end = catalogue.end_date_of[ENDING_SOON]
        centre = await create_centre(client, auth, approve=())
        await approve_site(client, auth, centre, ENDING_SOON, end=end)
        jurors = [
            await create_juror(client, auth, habilitated_for=(ENDING_SOON,))
            for _ in range(2)
        ]
        session = await scheduled_session(
            client, auth, centre, jurors=jurors, rncp_code=ENDING_SOON, **days(99, 100)
        )
        assert session["state"] == "SCHEDULED"

    @pytest.mark.parametrize("size", [0, 1])
    async def test_refuses_a_jury_too_small(
        self, client: httpx.AsyncClient, auth: TokenFactory, size: int
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        jurors = [await create_juror(client, auth) for _ in range(size)]
        await put_jury(client, centre.headers(auth), session, *jurors)
        refused = await schedule(client, centre.headers(auth), session)
        assert f"it has {size}" in problem(refused, 422, "JURY_TOO_SMALL")["detail"]
        assert (await read(client, centre.headers(auth), session))["state"] == "DRAFT"

    async def test_rechecks_habilitations_after_the_dates_moved(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre, **days(90, 91))
        lasting = await create_juror(client, auth)
        expiring = await create_juror(client, auth, habilitated_for=())
        await habilitate(
            client,
            auth,
            expiring,
            granted_on=TODAY - timedelta(days=10),
            valid_until=TODAY + timedelta(days=95),
        )
        seated = await put_jury(
            client, centre.headers(auth), session, lasting, expiring
        )
        assert seated.status_code == 200, seated.text
        moved = await client.patch(
            path(session), json=days(120, 121), headers=centre.headers(auth)
        )
        assert moved.status_code == 200, moved.text
        refused = await schedule(client, centre.headers(auth), session)
        assert (
            full_name(expiring)
            in problem(refused, 422, "JUROR_NOT_HABILITATED")["detail"]
        )

    async def test_refuses_a_session_already_scheduled(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        body = problem(
            await schedule(client, centre.headers(auth), session),
            409,
            "ACTION_NOT_ALLOWED",
        )
        assert body["state"] == "SCHEDULED"
        assert body["allowed_actions"] == [
            "UPDATE",
            "SET_JURY",
            "SEND_CONVOCATIONS",
            "CANCEL",
        ]

    async def test_refuses_a_cancelled_session(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        cancelled = await client.post(
            path(session, "cancellation"),
            json={"reason": "Plateau indisponible"},
            headers=centre.headers(auth),
        )
        assert cancelled.status_code == 200, cancelled.text
        body = problem(
            await schedule(client, centre.headers(auth), session),
            409,
            "ACTION_NOT_ALLOWED",
        )
        assert (body["state"], body["allowed_actions"]) == ("CANCELLED", [])

    async def test_refuses_a_stale_etag(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        await put_jury(client, centre.headers(auth), session, *jurors)
        refused = await client.post(
            path(session, "scheduling"),
            headers={**centre.headers(auth), "If-Match": f'"{session["version"]}"'},
        )
        problem(refused, 412, "SESSION_VERSION_MISMATCH")


async def diploma_jurors(
    client: httpx.AsyncClient, auth: TokenFactory
) -> dict[str, Juror]:
    """Jurors of a diploma: they hold no habilitation (that is a TP's rule)."""
    return {
        "president": await create_juror(
            client, auth, habilitated_for=(), given_name="Anne"
        ),
        "teacher": await create_juror(
            client,
            auth,
            habilitated_for=(),
            given_name="Paul",
            profile="TEACHER_TRAINER",
        ),
        "teacher2": await create_juror(
            client,
            auth,
            habilitated_for=(),
            given_name="Eve",
            profile="TEACHER_TRAINER",
        ),
        "professional": await create_juror(
            client, auth, habilitated_for=(), given_name="Marc"
        ),
    }


LAWFUL_DIPLOMA = [
    ("president", "PRESIDENT"),
    ("teacher", "TEACHER_TRAINER"),
    ("professional", "PROFESSIONAL"),
]


class TestDiplomaJury:
    async def test_schedules_a_lawful_diploma_jury(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=(DIPLOMA,))
        session = await draft_session(
            client, auth, centre, rncp_code=DIPLOMA, kind="DIPLOMA_JURY"
        )
        jurors = await diploma_jurors(client, auth)
        seated = await put_jury(
            client,
            centre.headers(auth),
            session,
            *[(jurors[k], role) for k, role in LAWFUL_DIPLOMA],
        )
        assert seated.status_code == 200, seated.text
        scheduled = await schedule(client, centre.headers(auth), session)
        assert scheduled.status_code == 200, scheduled.text
        assert sorted(s["role"] for s in scheduled.json()["jury"]) == [
            "PRESIDENT",
            "PROFESSIONAL",
            "TEACHER_TRAINER",
        ]

    @pytest.mark.parametrize(
        ("seats", "detail"),
        [
            (
                [("teacher", "TEACHER_TRAINER"), ("professional", "PROFESSIONAL")],
                "has 0",
            ),
            (
                [
                    ("president", "PRESIDENT"),
                    ("teacher", "PRESIDENT"),
                    ("professional", "PROFESSIONAL"),
                ],
                "has 2",
            ),
            (
                [("president", "PRESIDENT"), ("professional", "PROFESSIONAL")],
                "teacher trainer",
            ),
            (
                [("president", "PRESIDENT"), ("teacher", "TEACHER_TRAINER")],
                "professional",
            ),
            (
                [
                    ("president", "PRESIDENT"),
                    ("teacher", "TEACHER_TRAINER"),
                    ("teacher2", "PROFESSIONAL"),
                ],
                "is a TEACHER_TRAINER",
            ),
            (
                [
                    ("president", "PRESIDENT"),
                    ("professional", "TEACHER_TRAINER"),
                    ("teacher", "PROFESSIONAL"),
                ],
                "is a PROFESSIONAL",
            ),
            ([*LAWFUL_DIPLOMA, ("teacher2", "MEMBER")], "sits as MEMBER"),
        ],
    )
    async def test_refuses_an_unlawful_composition_at_scheduling(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        seats: list[tuple[str, str]],
        detail: str,
    ) -> None:
        centre = await create_centre(client, auth, approve=(DIPLOMA,))
        session = await draft_session(
            client, auth, centre, rncp_code=DIPLOMA, kind="DIPLOMA_JURY"
        )
        jurors = await diploma_jurors(client, auth)
        # A draft's jury may be incomplete.
        seated = await put_jury(
            client,
            centre.headers(auth),
            session,
            *[(jurors[k], role) for k, role in seats],
        )
        assert seated.status_code == 200, seated.text
        refused = await schedule(client, centre.headers(auth), session)
        assert detail in problem(refused, 422, "JURY_COMPOSITION_INVALID")["detail"]

    async def test_keeps_a_scheduled_diploma_jury_lawful(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=(DIPLOMA,))
        session = await draft_session(
            client, auth, centre, rncp_code=DIPLOMA, kind="DIPLOMA_JURY"
        )
        jurors = await diploma_jurors(client, auth)
        lawful = [(jurors[k], role) for k, role in LAWFUL_DIPLOMA]
        await put_jury(client, centre.headers(auth), session, *lawful)
        assert (
            await schedule(client, centre.headers(auth), session)
        ).status_code == 200
        refused = await put_jury(client, centre.headers(auth), session, *lawful[1:])
        problem(refused, 422, "JURY_COMPOSITION_INVALID")


async def booked_session(
    client: httpx.AsyncClient, auth: TokenFactory, centre: Centre, jurors: list[Juror]
) -> dict[str, Any]:
    """A session scheduled on days 90 to 91 with these jurors."""
    return await scheduled_session(client, auth, centre, jurors=jurors, **days(90, 91))


class TestDoubleBooking:
    async def test_refuses_a_juror_in_two_overlapping_sessions(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        busy, other, fresh = [await create_juror(client, auth) for _ in range(3)]
        first = await booked_session(client, auth, centre, [busy, other])
        second = await draft_session(client, auth, centre, **days(91, 92))
        refused = await put_jury(client, centre.headers(auth), second, fresh, busy)
        body = problem(refused, 409, "JUROR_DOUBLE_BOOKED")
        assert (body["person"], body["juror_id"], body["other_session_id"]) == (
            full_name(busy),
            busy["id"],
            first["id"],
        )
        assert (await read(client, centre.headers(auth), second))["jury"] == []

    async def test_refuses_a_booking_in_another_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        elsewhere = await create_centre(client, auth)
        busy, other = [await create_juror(client, auth) for _ in range(2)]
        first = await booked_session(client, auth, elsewhere, [busy, other])
        second = await draft_session(client, auth, centre, **days(90, 90, test_hours=7))
        refused = await put_jury(client, centre.headers(auth), second, busy)
        assert (
            problem(refused, 409, "JUROR_DOUBLE_BOOKED")["other_session_id"]
            == first["id"]
        )

    async def test_admits_the_juror_once_the_other_session_is_cancelled(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        busy, other, fresh = [await create_juror(client, auth) for _ in range(3)]
        first = await booked_session(client, auth, centre, [busy, other])
        second = await draft_session(client, auth, centre, **days(91, 92))
        problem(
            await put_jury(client, centre.headers(auth), second, busy, fresh),
            409,
            "JUROR_DOUBLE_BOOKED",
        )
        cancelled = await client.post(
            path(first, "cancellation"),
            json={"reason": "Trop peu d'inscrits"},
            headers=centre.headers(auth),
        )
        assert cancelled.status_code == 200, cancelled.text
        seated = await put_jury(client, centre.headers(auth), second, busy, fresh)
        assert seated.status_code == 200, seated.text
        assert (await schedule(client, centre.headers(auth), second)).status_code == 200

    async def test_admits_sessions_on_other_days(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        busy, other = [await create_juror(client, auth) for _ in range(2)]
        await booked_session(client, auth, centre, [busy, other])
        later = await scheduled_session(
            client, auth, centre, jurors=[busy, other], **days(92, 93)
        )
        assert later["state"] == "SCHEDULED"

    async def test_admits_a_session_starting_when_the_other_ends(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        busy, other = [await create_juror(client, auth) for _ in range(2)]
        morning = await scheduled_session(
            client,
            auth,
            centre,
            jurors=[busy, other],
            starts_at=at(90, 8).isoformat(),
            ends_at=at(90, 12).isoformat(),
            test_hours=4,
        )
        afternoon = await scheduled_session(
            client,
            auth,
            centre,
            jurors=[busy, other],
            starts_at=morning["ends_at"],
            ends_at=at(90, 17).isoformat(),
            test_hours=5,
        )
        assert afternoon["state"] == "SCHEDULED"

    async def test_refuses_at_scheduling_a_draft_moved_onto_a_booking(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        busy, other, fresh = [await create_juror(client, auth) for _ in range(3)]
        first = await booked_session(client, auth, centre, [busy, other])
        second = await draft_session(client, auth, centre, **days(120, 121))
        assert (
            await put_jury(client, centre.headers(auth), second, busy, fresh)
        ).status_code == 200
        moved = await client.patch(
            path(second), json=days(91, 92), headers=centre.headers(auth)
        )
        assert moved.status_code == 200, moved.text
        refused = await schedule(client, centre.headers(auth), second)
        body = problem(refused, 409, "JUROR_DOUBLE_BOOKED")
        assert (body["juror_id"], body["other_session_id"]) == (busy["id"], first["id"])


HELENE = {
    "given_name": "Hélène",
    "family_name": "Lefèvre-Durand",
    "email": "Helene.Lefevre@Example.org",
}


async def linked_registration(
    client: httpx.AsyncClient,
    candidacy_http: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    partner_id: str,
    session: dict[str, Any],
    *links: dict[str, Any],
) -> tuple[httpx.Response, str]:
    """Registers a new candidate who declared these links; gives the answer and the candidacy id."""
    candidacy = await admissible_candidacy(
        candidacy_http, auth, catalogue, partner_id, links=list(links)
    )
    return await register(
        client, auth, partner_id, session["id"], candidacy["id"]
    ), str(candidacy["id"])


def trainer(**fields: Any) -> dict[str, Any]:
    return {"relation": "TRAINER", "full_name": "Quelqu'un d'autre", **fields}


class TestConflictsOfInterest:
    @pytest.mark.parametrize(
        "link",
        [
            pytest.param({"full_name": "helene LEFEVRE durand"}, id="name"),
            pytest.param({"email": "HELENE.LEFEVRE@example.org"}, id="email"),
            pytest.param({"juror_id": None}, id="juror_id"),
        ],
    )
    async def test_refuses_seating_a_juror_a_candidate_declared(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        link: dict[str, Any],
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        helene = await create_juror(client, auth, **HELENE)
        if "juror_id" in link:
            link = {"juror_id": helene["id"]}
        registered, candidacy = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            trainer(**link),
        )
        assert registered.status_code == 201, registered.text
        refused = await put_jury(
            client, centre.headers(auth), session, jurors[0], helene
        )
        body = problem(refused, 409, "JUROR_CONFLICT_OF_INTEREST")
        assert (
            body["person"],
            body["juror_id"],
            body["rule"],
            body["candidacy_id"],
        ) == (
            "Hélène Lefèvre-Durand",
            helene["id"],
            "TRAINER",
            candidacy,
        )
        kept = await read(client, centre.headers(auth), session)
        assert {s["juror_id"] for s in kept["jury"]} == {j["id"] for j in jurors}

    async def test_seats_a_namesake_the_candidate_did_not_declare(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        helene = await create_juror(client, auth, **HELENE)
        registered, _ = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            trainer(full_name="Hélène Lefèvre", email="h.lefevre@example.com"),
        )
        assert registered.status_code == 201, registered.text
        seated = await put_jury(
            client, centre.headers(auth), session, jurors[0], helene
        )
        assert seated.status_code == 200, seated.text

    async def test_refuses_registering_a_candidate_linked_to_a_sitting_juror(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        helene = await create_juror(client, auth, **HELENE)
        session = await scheduled_session(
            client, auth, centre, jurors=[helene, await create_juror(client, auth)]
        )
        refused, candidacy = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            trainer(full_name="Helene Lefevre Durand"),
        )
        body = problem(refused, 409, "JUROR_CONFLICT_OF_INTEREST")
        assert (
            body["person"],
            body["juror_id"],
            body["rule"],
            body["candidacy_id"],
        ) == (
            "Hélène Lefèvre-Durand",
            helene["id"],
            "TRAINER",
            candidacy,
        )
        after = await read(client, centre.headers(auth), session)
        assert after["seats_left"] == session["capacity"]
        listed = await client.get(
            path(session, "registrations"), headers=centre.headers(auth)
        )
        assert listed.json() == []

    @pytest.mark.parametrize(
        "link",
        [
            pytest.param({"full_name": "JULIEN BERTRAND"}, id="name"),
            pytest.param(
                {"full_name": "J. Bertrand", "email": "Julien.Bertrand@Example.org"},
                id="email",
            ),
        ],
    )
    async def test_refuses_registering_a_candidate_linked_to_the_manager(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        link: dict[str, Any],
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(
            client, auth, centre
        )  # managed by Julien Bertrand
        refused, candidacy = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            {"relation": "INTERNSHIP_TUTOR", **link},
        )
        body = problem(refused, 409, "SESSION_MANAGER_CONFLICT_OF_INTEREST")
        assert (body["person"], body["rule"], body["candidacy_id"]) == (
            "Julien Bertrand",
            "INTERNSHIP_TUTOR",
            candidacy,
        )

    async def test_refuses_registering_a_candidate_linked_to_a_supervisor(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(
            client, auth, centre
        )  # supervised by Inès Garnier
        refused, candidacy = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            {"relation": "COLLEAGUE", "full_name": "ines garnier"},
        )
        body = problem(refused, 409, "SUPERVISOR_CONFLICT_OF_INTEREST")
        assert (body["person"], body["rule"], body["candidacy_id"]) == (
            "Inès Garnier",
            "COLLEAGUE",
            candidacy,
        )

    async def test_refuses_a_new_manager_linked_to_a_registered_candidate(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        registered, candidacy = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            trainer(full_name="Claire Martin", email="claire.martin@example.org"),
        )
        assert registered.status_code == 201, registered.text
        refused = await client.patch(
            path(session),
            json={"manager": {"full_name": "Claire Martin"}},
            headers=centre.headers(auth),
        )
        body = problem(refused, 409, "SESSION_MANAGER_CONFLICT_OF_INTEREST")
        assert (body["person"], body["rule"], body["candidacy_id"]) == (
            "Claire Martin",
            "TRAINER",
            candidacy,
        )
        kept = await read(client, centre.headers(auth), session)
        assert kept["manager"]["full_name"] == "Julien Bertrand"
        assert kept["version"] == session["version"]

    async def test_refuses_a_new_supervisor_linked_to_a_registered_candidate(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        registered, candidacy = await linked_registration(
            client,
            candidacy_http,
            auth,
            catalogue,
            partner_id,
            session,
            trainer(full_name="Claire Martin", email="claire.martin@example.org"),
        )
        assert registered.status_code == 201, registered.text
        refused = await client.patch(
            path(session),
            json={
                "supervisors": [
                    {"full_name": "Inès Garnier"},
                    {"full_name": "C. Martin", "email": "CLAIRE.MARTIN@example.org"},
                ]
            },
            headers=centre.headers(auth),
        )
        body = problem(refused, 409, "SUPERVISOR_CONFLICT_OF_INTEREST")
        assert (body["person"], body["rule"], body["candidacy_id"]) == (
            "C. Martin",
            "TRAINER",
            candidacy,
        )
        kept = await read(client, centre.headers(auth), session)
        assert [p["full_name"] for p in kept["supervisors"]] == ["Inès Garnier"]

    async def test_a_jurors_declaration_stops_the_convocations(
        self,
        client: httpx.AsyncClient,
        candidacy_http: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        centre = await create_centre(client, auth)
        linked, other, replacement = [
            await create_juror(client, auth) for _ in range(3)
        ]
        session = await scheduled_session(client, auth, centre, jurors=[linked, other])
        registered, candidacy = await linked_registration(
            client, candidacy_http, auth, catalogue, partner_id, session
        )
        assert registered.status_code == 201, registered.text
        declared = await client.put(
            path(session, "jury", linked["id"], "declaration"),
            json={"linked_candidacy_ids": [candidacy]},
            headers=centre.headers(auth),
        )
        assert declared.status_code == 200, declared.text
        (seat,) = [s for s in declared.json()["jury"] if s["juror_id"] == linked["id"]]
        assert seat["declared_candidacy_ids"] == [candidacy] and seat["declared_at"]

        refused = await client.post(
            path(session, "convocations"), headers=centre.headers(auth)
        )
        body = problem(refused, 409, "JUROR_CONFLICT_OF_INTEREST")
        assert (
            body["person"],
            body["juror_id"],
            body["rule"],
            body["candidacy_id"],
        ) == (
            full_name(linked),
            linked["id"],
            "DECLARED_BY_JUROR",
            candidacy,
        )
        assert (await read(client, centre.headers(auth), session))[
            "state"
        ] == "SCHEDULED"

        # The declaration stays with a juror who stays on the jury ...
        kept = await put_jury(
            client, centre.headers(auth), session, linked, replacement
        )
        assert (
            problem(kept, 409, "JUROR_CONFLICT_OF_INTEREST")["rule"]
            == "DECLARED_BY_JUROR"
        )
        # ... and the session goes on once the juror is replaced.
        replaced = await put_jury(
            client, centre.headers(auth), session, other, replacement
        )
        assert replaced.status_code == 200, replaced.text
        convoked = await client.post(
            path(session, "convocations"), headers=centre.headers(auth)
        )
        assert convoked.status_code == 200, convoked.text

    async def test_a_declaration_of_no_registered_candidate_stops_nothing(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        declared = await client.put(
            path(session, "jury", jurors[0]["id"], "declaration"),
            json={"linked_candidacy_ids": [str(uuid.uuid4())]},
            headers=centre.headers(auth),
        )
        assert declared.status_code == 200, declared.text
        convoked = await client.post(
            path(session, "convocations"), headers=centre.headers(auth)
        )
        assert convoked.status_code == 200, convoked.text

    async def test_a_declaration_needs_a_juror_of_the_jury(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        stranger = await create_juror(client, auth)
        refused = await client.put(
            path(session, "jury", stranger["id"], "declaration"),
            json={"linked_candidacy_ids": []},
            headers=centre.headers(auth),
        )
        problem(refused, 404, "JUROR_NOT_FOUND")

    async def test_only_the_centre_records_declarations(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        centre = await create_centre(client, auth)
        other = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        for headers in (other.headers(auth), auth(Role.PARTNER, partner_id)):
            refused = await client.put(
                path(session, "jury", jurors[0]["id"], "declaration"),
                json={"linked_candidacy_ids": []},
                headers=headers,
            )
            problem(refused, 403, "FORBIDDEN")


class TestVisibility:
    async def test_a_centre_cannot_see_another_centres_draft(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        other = await create_centre(client, auth)
        session = await draft_session(client, auth, centre)
        juror = await create_juror(client, auth)
        for response in (
            await client.get(path(session), headers=other.headers(auth)),
            await put_jury(client, other.headers(auth), session, juror),
            await schedule(client, other.headers(auth), session),
            await client.patch(
                path(session), json={"capacity": 3}, headers=other.headers(auth)
            ),
        ):
            problem(response, 404, "EXAM_SESSION_NOT_FOUND")
        listed = await client.get("/v1/exam-sessions", headers=other.headers(auth))
        assert listed.json()["items"] == []

    async def test_a_centre_cannot_change_another_centres_session(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        other = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        juror = await create_juror(client, auth)
        seen = await read(client, other.headers(auth), session)
        assert (seen["jury"], seen["manager"], seen["supervisors"]) == (
            None,
            None,
            None,
        )
        assert seen["allowed_actions"] == []
        for response in (
            await client.patch(
                path(session), json={"capacity": 3}, headers=other.headers(auth)
            ),
            await put_jury(client, other.headers(auth), session, juror),
            await client.post(
                path(session, "convocations"), headers=other.headers(auth)
            ),
            await client.post(
                path(session, "cancellation"),
                json={"reason": "Pour voir"},
                headers=other.headers(auth),
            ),
        ):
            problem(response, 403, "FORBIDDEN")
        unchanged = await read(client, centre.headers(auth), session)
        assert (unchanged["state"], unchanged["capacity"], unchanged["version"]) == (
            "SCHEDULED",
            10,
            session["version"],
        )

    async def test_the_certifier_sees_the_whole_session(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        centre = await create_centre(client, auth)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        session = await scheduled_session(client, auth, centre, jurors=jurors)
        seen = await read(
            client, auth(Role.CERTIFIER, catalogue.certifier_of[TP]), session
        )
        assert {s["juror_id"] for s in seen["jury"]} == {j["id"] for j in jurors}
        assert seen["manager"] == {
            "full_name": "Julien Bertrand",
            "email": "julien.bertrand@example.org",
        }
        assert seen["supervisors"] == [{"full_name": "Inès Garnier", "email": None}]
        assert seen["allowed_actions"] == []
        listed = await client.get(
            "/v1/exam-sessions",
            headers=auth(Role.CERTIFIER, catalogue.certifier_of[TP]),
        )
        (item,) = listed.json()["items"]
        assert item["manager"] is not None and len(item["jury"]) == 2

    async def test_another_certifier_sees_the_public_calendar_only(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        draft = await draft_session(client, auth, centre, **days(120, 121))
        stranger = auth(Role.CERTIFIER, str(uuid.uuid4()))
        seen = await read(client, stranger, session)
        assert (seen["jury"], seen["manager"], seen["supervisors"]) == (
            None,
            None,
            None,
        )
        problem(
            await client.get(path(draft), headers=stranger),
            404,
            "EXAM_SESSION_NOT_FOUND",
        )

    async def test_partners_see_the_public_calendar_without_drafts(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        centre = await create_centre(client, auth)
        session = await scheduled_session(client, auth, centre)
        draft = await draft_session(client, auth, centre, **days(120, 121))
        partner = auth(Role.PARTNER, partner_id)
        seen = await read(client, partner, session)
        assert (seen["jury"], seen["manager"], seen["supervisors"]) == (
            None,
            None,
            None,
        )
        assert seen["allowed_actions"] == ["REGISTER"]
        problem(
            await client.get(path(draft), headers=partner),
            404,
            "EXAM_SESSION_NOT_FOUND",
        )
        listed = await client.get("/v1/exam-sessions", headers=partner)
        assert [s["id"] for s in listed.json()["items"]] == [session["id"]]
        assert listed.json()["items"][0]["jury"] is None

    async def test_the_centre_and_administrators_see_their_drafts_whole(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        draft = await draft_session(client, auth, centre)
        juror = await create_juror(client, auth)
        await put_jury(client, centre.headers(auth), draft, juror)
        for headers in (centre.headers(auth), auth(Role.ADMIN)):
            seen = await read(client, headers, draft)
            assert [s["juror_id"] for s in seen["jury"]] == [juror["id"]]
            assert seen["allowed_actions"] == [
                "UPDATE",
                "SET_JURY",
                "SCHEDULE",
                "CANCEL",
            ]
