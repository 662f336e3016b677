"""Exam centres, their sites and approvals; jurors and their habilitations."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sessions_factories import (
    ENDING_SOON,
    OTHER_TP,
    TODAY,
    TP,
    Catalogue,
    Centre,
    TokenFactory,
    approve_site,
    create_centre,
    create_juror,
    draft_session,
)

from common import Role

pytestmark = pytest.mark.asyncio


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Asserts a problem answer's status and code, and gives its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def invalid_fields(response: httpx.Response) -> list[list[Any]]:
    """The locations a VALIDATION_FAILED answer names."""
    return [
        issue["loc"] for issue in problem(response, 422, "VALIDATION_FAILED")["errors"]
    ]


def siret() -> str:
    return f"{uuid.uuid4().int % 10**14:014d}"


def site_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Plateau soudure",
        "address": "12 rue des Forges",
        "postal_code": "69200",
        "city": "Vénissieux",
        "department": "69",
    }
    body.update(overrides)
    return body


def centre_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Centre AFPA de Lyon Vénissieux",
        "siret": siret(),
        "region": "84",
        "department": "69",
        "sites": [site_body()],
    }
    body.update(overrides)
    return body


async def post_centre(
    client: httpx.AsyncClient, auth: TokenFactory, **overrides: Any
) -> httpx.Response:
    return await client.post(
        "/v1/exam-centres", json=centre_body(**overrides), headers=auth(Role.ADMIN)
    )


def approval_body(centre: Centre, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "site_id": centre.site_id,
        "rncp_code": TP,
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + timedelta(days=365)).isoformat(),
        "authority": "DREETS Auvergne-Rhône-Alpes",
        "reference": "AGR-2026-0142",
    }
    body.update(overrides)
    return body


def juror_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "given_name": "Nadia",
        "family_name": "Roux",
        "email": "nadia.roux@example.org",
        "profile": "PROFESSIONAL",
        "trade": "Soudeuse industrielle",
        "years_in_trade": 12,
        "left_trade_on": None,
    }
    body.update(overrides)
    return body


async def new_juror(
    client: httpx.AsyncClient, auth: TokenFactory, **overrides: Any
) -> str:
    created = await client.post(
        "/v1/jurors", json=juror_body(**overrides), headers=auth(Role.ADMIN)
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def habilitate(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    juror_id: str,
    *,
    rncp_code: str = TP,
    granted_on: date = TODAY - timedelta(days=30),
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/jurors/{juror_id}/habilitations",
        json={
            "rncp_code": rncp_code,
            "granted_on": granted_on.isoformat(),
            "authority": "DDETS du Rhône",
            **extra,
        },
        headers=headers or auth(Role.ADMIN),
    )


class TestCreateCentre:
    async def test_admin_registers_a_centre_with_its_sites(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        created = await post_centre(
            client, auth, sites=[site_body(), site_body(name="Atelier")]
        )
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == f"/v1/exam-centres/{body['id']}"
        assert (body["region"], body["department"], body["version"]) == ("84", "69", 1)
        assert sorted(s["name"] for s in body["sites"]) == [
            "Atelier",
            "Plateau soudure",
        ]
        read = await client.get(
            created.headers["location"], headers=auth(Role.PARTNER, str(uuid.uuid4()))
        )
        assert read.status_code == 200
        assert read.json()["siret"] == body["siret"]
        assert len(read.json()["sites"]) == 2

    async def test_keeps_the_chosen_id(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        chosen = str(uuid.uuid4())
        created = await post_centre(client, auth, id=chosen, sites=[])
        assert created.status_code == 201, created.text
        assert created.json()["id"] == chosen
        assert created.json()["sites"] == []

    async def test_accepts_every_kind_of_departement(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for department in ("01", "19", "2A", "2B", "21", "95", "971", "974", "976"):
            created = await post_centre(
                client,
                auth,
                department=department,
                sites=[site_body(department=department)],
            )
            assert created.status_code == 201, (department, created.text)

    async def test_refuses_a_second_centre_with_the_same_siret(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        first = await post_centre(client, auth)
        again = await post_centre(client, auth, siret=first.json()["siret"])
        body = problem(again, 409, "EXAM_CENTRE_ALREADY_EXISTS")
        assert first.json()["siret"] in body["detail"]
        listed = await client.get("/v1/exam-centres", headers=auth(Role.ADMIN))
        assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]

    async def test_refuses_a_second_centre_with_the_same_id(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        chosen = str(uuid.uuid4())
        assert (await post_centre(client, auth, id=chosen)).status_code == 201
        problem(
            await post_centre(client, auth, id=chosen),
            409,
            "EXAM_CENTRE_ALREADY_EXISTS",
        )

    async def test_only_administrators_register_centres(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for role in (Role.EXAM_CENTRE, Role.PARTNER, Role.CERTIFIER):
            refused = await client.post(
                "/v1/exam-centres",
                json=centre_body(),
                headers=auth(role, str(uuid.uuid4())),
            )
            problem(refused, 403, "FORBIDDEN")
        listed = await client.get("/v1/exam-centres", headers=auth(Role.ADMIN))
        assert listed.json()["items"] == []

    async def test_refuses_an_anonymous_caller(self, client: httpx.AsyncClient) -> None:
        refused = await client.post("/v1/exam-centres", json=centre_body())
        assert refused.status_code == 401, refused.text

    async def test_names_the_invalid_field(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        cases: list[tuple[dict[str, Any], list[Any]]] = [
            ({"region": "99"}, ["body", "region"]),
            ({"region": "8"}, ["body", "region"]),
            ({"department": "96"}, ["body", "department"]),
            ({"department": "20"}, ["body", "department"]),  # Corsica is 2A and 2B
            ({"department": "977"}, ["body", "department"]),
            ({"siret": "8242281420065"}, ["body", "siret"]),
            ({"siret": "8242281420065A"}, ["body", "siret"]),
            (
                {"sites": [site_body(department="2C")]},
                ["body", "sites", 0, "department"],
            ),
            (
                {"sites": [site_body(postal_code="6900")]},
                ["body", "sites", 0, "postal_code"],
            ),
        ]
        for overrides, location in cases:
            response = await post_centre(client, auth, **overrides)
            assert invalid_fields(response) == [location], overrides


class TestListCentres:
    async def test_filters_by_region_and_departement(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        lyon = (await post_centre(client, auth, region="84", department="69")).json()[
            "id"
        ]
        grenoble = (
            await post_centre(client, auth, region="84", department="38")
        ).json()["id"]
        paris = (await post_centre(client, auth, region="11", department="75")).json()[
            "id"
        ]
        headers = auth(Role.PARTNER, str(uuid.uuid4()))

        async def ids(**params: str) -> set[str]:
            listed = await client.get(
                "/v1/exam-centres", params=params, headers=headers
            )
            assert listed.status_code == 200, listed.text
            return {c["id"] for c in listed.json()["items"]}

        assert await ids() == {lyon, grenoble, paris}
        assert await ids(region="84") == {lyon, grenoble}
        assert await ids(region="11") == {paris}
        assert await ids(department="38") == {grenoble}
        assert await ids(region="84", department="75") == set()
        assert await ids(region="53") == set()

    async def test_pages_with_a_cursor(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        created = {(await post_centre(client, auth)).json()["id"] for _ in range(5)}
        seen: list[str] = []
        params: dict[str, Any] = {"limit": 2}
        pages = 0
        while True:
            page = await client.get(
                "/v1/exam-centres", params=params, headers=auth(Role.ADMIN)
            )
            assert page.status_code == 200, page.text
            body = page.json()
            pages += 1
            seen += [c["id"] for c in body["items"]]
            if body["next_cursor"] is None:
                assert "link" not in page.headers
                break
            assert 'rel="next"' in page.headers["link"]
            assert len(body["items"]) == 2
            params = {"limit": 2, "cursor": body["next_cursor"]}
        assert pages == 3
        assert seen == sorted(seen) and set(seen) == created and len(seen) == 5

    async def test_refuses_a_foreign_cursor(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        problem(
            await client.get(
                "/v1/exam-centres",
                params={"cursor": "garbage!"},
                headers=auth(Role.ADMIN),
            ),
            422,
            "INVALID_CURSOR",
        )

    async def test_names_an_invalid_filter(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for name, value in (
            ("region", "00"),
            ("department", "100"),
            ("department", "20"),
        ):
            listed = await client.get(
                "/v1/exam-centres", params={name: value}, headers=auth(Role.ADMIN)
            )
            assert invalid_fields(listed) == [["query", name]], (name, value)


class TestGetCentre:
    async def test_an_unknown_centre_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        unknown = uuid.uuid4()
        body = problem(
            await client.get(f"/v1/exam-centres/{unknown}", headers=auth(Role.ADMIN)),
            404,
            "EXAM_CENTRE_NOT_FOUND",
        )
        assert str(unknown) in body["detail"]


class TestAddSite:
    async def test_the_centre_adds_its_own_site(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        added = await client.post(
            f"/v1/exam-centres/{centre.id}/sites",
            json=site_body(
                name="Atelier chaudronnerie", department="2A", postal_code="20000"
            ),
            headers=centre.headers(auth),
        )
        assert added.status_code == 201, added.text
        assert added.json()["department"] == "2A"
        read = await client.get(
            f"/v1/exam-centres/{centre.id}", headers=auth(Role.ADMIN)
        )
        assert {s["id"] for s in read.json()["sites"]} == {
            centre.site_id,
            added.json()["id"],
        }

    async def test_an_administrator_adds_a_site(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        added = await client.post(
            f"/v1/exam-centres/{centre.id}/sites",
            json=site_body(),
            headers=auth(Role.ADMIN),
        )
        assert added.status_code == 201, added.text

    async def test_another_centre_may_not_add_a_site(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        other = await create_centre(client, auth, approve=())
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/sites",
            json=site_body(),
            headers=other.headers(auth),
        )
        problem(refused, 403, "FORBIDDEN")
        read = await client.get(
            f"/v1/exam-centres/{centre.id}", headers=auth(Role.ADMIN)
        )
        assert [s["id"] for s in read.json()["sites"]] == [centre.site_id]

    async def test_other_roles_may_not_add_a_site(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        for role in (Role.PARTNER, Role.CERTIFIER):
            refused = await client.post(
                f"/v1/exam-centres/{centre.id}/sites",
                json=site_body(),
                headers=auth(role, centre.id),
            )
            problem(refused, 403, "FORBIDDEN")

    async def test_an_unknown_centre_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        problem(
            await client.post(
                f"/v1/exam-centres/{uuid.uuid4()}/sites",
                json=site_body(),
                headers=auth(Role.ADMIN),
            ),
            404,
            "EXAM_CENTRE_NOT_FOUND",
        )

    async def test_names_an_invalid_departement(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/sites",
            json=site_body(department="99"),
            headers=centre.headers(auth),
        )
        assert invalid_fields(refused) == [["body", "department"]]


class TestAddApproval:
    async def test_an_administrator_records_an_approval(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        recorded = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals",
            json=approval_body(centre),
            headers=auth(Role.ADMIN),
        )
        assert recorded.status_code == 201, recorded.text
        body = recorded.json()
        assert body["centre_id"] == centre.id and body["site_id"] == centre.site_id
        assert (body["rncp_code"], body["reference"], body["withdrawn_at"]) == (
            TP,
            "AGR-2026-0142",
            None,
        )
        listed = await client.get(
            f"/v1/exam-centres/{centre.id}/approvals", headers=centre.headers(auth)
        )
        assert [a["id"] for a in listed.json()] == [body["id"]]

    async def test_the_centre_itself_may_not_record_an_approval(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals",
            json=approval_body(centre),
            headers=centre.headers(auth),
        )
        problem(refused, 403, "FORBIDDEN")

    async def test_refuses_an_approval_outliving_the_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        end = catalogue.end_date_of[ENDING_SOON]
        refused = await approve_site(
            client, auth, centre, ENDING_SOON, end=end + timedelta(days=1)
        )
        body = problem(refused, 422, "APPROVAL_BEYOND_CERTIFICATION_END")
        assert body["certification_end_date"] == end.isoformat()
        listed = await client.get(
            f"/v1/exam-centres/{centre.id}/approvals", headers=auth(Role.ADMIN)
        )
        assert listed.json() == []

    async def test_admits_an_approval_ending_with_the_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        end = catalogue.end_date_of[ENDING_SOON]
        recorded = await approve_site(client, auth, centre, ENDING_SOON, end=end)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["end_date"] == end.isoformat()

    async def test_refuses_a_start_after_the_end(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals",
            json=approval_body(
                centre,
                start_date=(TODAY + timedelta(days=10)).isoformat(),
                end_date=(TODAY + timedelta(days=9)).isoformat(),
            ),
            headers=auth(Role.ADMIN),
        )
        assert invalid_fields(refused) == [["body"]]
        assert "end_date must not be before start_date" in refused.json()["detail"]

    async def test_refuses_a_site_of_another_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        other = await create_centre(client, auth, approve=())
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals",
            json=approval_body(other),
            headers=auth(Role.ADMIN),
        )
        body = problem(refused, 404, "SITE_NOT_FOUND")
        assert other.site_id in body["detail"]

    async def test_refuses_an_unknown_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        refused = await approve_site(client, auth, centre, "RNCP999999")
        assert "RNCP999999" in problem(refused, 422, "CERTIFICATION_UNKNOWN")["detail"]

    async def test_refuses_an_unknown_centre(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        refused = await client.post(
            f"/v1/exam-centres/{uuid.uuid4()}/approvals",
            json=approval_body(centre),
            headers=auth(Role.ADMIN),
        )
        problem(refused, 404, "EXAM_CENTRE_NOT_FOUND")


class TestWithdrawApproval:
    async def test_marks_the_approval_withdrawn_once(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        approval = (await approve_site(client, auth, centre, TP)).json()
        path = f"/v1/exam-centres/{centre.id}/approvals/{approval['id']}/withdrawal"
        withdrawn = await client.post(path, headers=auth(Role.ADMIN))
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["withdrawn_at"] is not None
        again = await client.post(path, headers=auth(Role.ADMIN))
        assert again.status_code == 200
        assert again.json()["withdrawn_at"] == withdrawn.json()["withdrawn_at"]

    async def test_the_centre_may_not_withdraw_an_approval(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        approval = (await approve_site(client, auth, centre, TP)).json()
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals/{approval['id']}/withdrawal",
            headers=centre.headers(auth),
        )
        problem(refused, 403, "FORBIDDEN")

    async def test_an_approval_of_another_centre_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth, approve=())
        other = await create_centre(client, auth, approve=())
        approval = (await approve_site(client, auth, other, TP)).json()
        refused = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals/{approval['id']}/withdrawal",
            headers=auth(Role.ADMIN),
        )
        # There is no APPROVAL_NOT_FOUND code: the service answers with the centre's.
        problem(refused, 404, "EXAM_CENTRE_NOT_FOUND")

    async def test_a_session_cannot_be_scheduled_on_a_withdrawn_approval(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        centre = await create_centre(client, auth)
        (approval,) = (
            await client.get(
                f"/v1/exam-centres/{centre.id}/approvals", headers=auth(Role.ADMIN)
            )
        ).json()
        withdrawn = await client.post(
            f"/v1/exam-centres/{centre.id}/approvals/{approval['id']}/withdrawal",
            headers=auth(Role.ADMIN),
        )
        assert withdrawn.status_code == 200, withdrawn.text
        session = await draft_session(client, auth, centre)
        jurors = [await create_juror(client, auth) for _ in range(2)]
        jury = await client.put(
            f"/v1/exam-sessions/{session['id']}/jury",
            json={"members": [{"juror_id": j["id"]} for j in jurors]},
            headers=centre.headers(auth),
        )
        assert jury.status_code == 200, jury.text
        refused = await client.post(
            f"/v1/exam-sessions/{session['id']}/scheduling",
            headers=centre.headers(auth),
        )
        assert TP in problem(refused, 422, "SESSION_NOT_APPROVED")["detail"]
        # A new approval lets it go on.
        assert (await approve_site(client, auth, centre, TP)).status_code == 201
        scheduled = await client.post(
            f"/v1/exam-sessions/{session['id']}/scheduling",
            headers=centre.headers(auth),
        )
        assert scheduled.status_code == 200, scheduled.text


class TestCreateJuror:
    async def test_a_centre_or_an_administrator_registers_a_juror(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for role in (Role.EXAM_CENTRE, Role.ADMIN):
            created = await client.post(
                "/v1/jurors", json=juror_body(), headers=auth(role, str(uuid.uuid4()))
            )
            assert created.status_code == 201, created.text
            body = created.json()
            assert created.headers["location"] == f"/v1/jurors/{body['id']}"
            assert (body["family_name"], body["profile"], body["habilitations"]) == (
                "Roux",
                "PROFESSIONAL",
                [],
            )
            read = await client.get(
                created.headers["location"], headers=auth(Role.ADMIN)
            )
            assert read.json()["email"] == "nadia.roux@example.org"

    async def test_other_roles_may_not_register_a_juror(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for role in (Role.PARTNER, Role.CERTIFIER):
            refused = await client.post(
                "/v1/jurors", json=juror_body(), headers=auth(role, str(uuid.uuid4()))
            )
            problem(refused, 403, "FORBIDDEN")

    async def test_partners_may_not_read_jurors(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth)
        partner = auth(Role.PARTNER, str(uuid.uuid4()))
        problem(
            await client.get(f"/v1/jurors/{juror}", headers=partner), 403, "FORBIDDEN"
        )
        problem(await client.get("/v1/jurors", headers=partner), 403, "FORBIDDEN")

    async def test_names_the_invalid_field(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        cases: list[tuple[dict[str, Any], str]] = [
            ({"profile": "PRESIDENT"}, "profile"),
            ({"email": "not-an-email"}, "email"),
            ({"years_in_trade": -1}, "years_in_trade"),
        ]
        for overrides, field in cases:
            refused = await client.post(
                "/v1/jurors", json=juror_body(**overrides), headers=auth(Role.ADMIN)
            )
            assert invalid_fields(refused) == [["body", field]], overrides

    async def test_an_unknown_juror_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        problem(
            await client.get(f"/v1/jurors/{uuid.uuid4()}", headers=auth(Role.ADMIN)),
            404,
            "JUROR_NOT_FOUND",
        )


class TestGrantHabilitation:
    async def test_lasts_until_the_certification_ends_by_default(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        juror = await new_juror(client, auth)
        granted = await habilitate(client, auth, juror)
        assert granted.status_code == 201, granted.text
        assert granted.json()["valid_until"] == catalogue.end_date_of[TP].isoformat()
        read = await client.get(f"/v1/jurors/{juror}", headers=auth(Role.ADMIN))
        assert [h["id"] for h in read.json()["habilitations"]] == [granted.json()["id"]]

    async def test_is_capped_at_the_certification_end(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        juror = await new_juror(client, auth)
        granted = await habilitate(
            client,
            auth,
            juror,
            rncp_code=ENDING_SOON,
            valid_until=(TODAY + timedelta(days=400)).isoformat(),
        )
        assert granted.status_code == 201, granted.text
        assert (
            granted.json()["valid_until"]
            == catalogue.end_date_of[ENDING_SOON].isoformat()
        )

    async def test_keeps_an_earlier_end(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth)
        until = (TODAY + timedelta(days=50)).isoformat()
        granted = await habilitate(
            client, auth, juror, rncp_code=ENDING_SOON, valid_until=until
        )
        assert granted.status_code == 201, granted.text
        assert granted.json()["valid_until"] == until

    async def test_refuses_an_end_before_the_grant(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth)
        refused = await habilitate(
            client, auth, juror, valid_until=(TODAY - timedelta(days=31)).isoformat()
        )
        assert invalid_fields(refused) == [["body"]]

    async def test_refuses_a_grant_after_the_certification_ended(
        self, client: httpx.AsyncClient, auth: TokenFactory, catalogue: Catalogue
    ) -> None:
        juror = await new_juror(client, auth)
        end = catalogue.end_date_of[ENDING_SOON]
        refused = await habilitate(
            client,
            auth,
            juror,
            rncp_code=ENDING_SOON,
            granted_on=end + timedelta(days=1),
        )
        body = problem(refused, 422, "CERTIFICATION_INACTIVE")
        assert body["certification_end_date"] == end.isoformat()

    async def test_refuses_two_years_in_the_trade(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth, years_in_trade=2)
        body = problem(
            await habilitate(client, auth, juror), 422, "JUROR_EXPERIENCE_TOO_SHORT"
        )
        assert body["juror_id"] == juror
        assert "Nadia Roux" in body["detail"] and "at least 3" in body["detail"]
        read = await client.get(f"/v1/jurors/{juror}", headers=auth(Role.ADMIN))
        assert read.json()["habilitations"] == []

    async def test_admits_three_years_in_the_trade(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth, years_in_trade=3)
        assert (await habilitate(client, auth, juror)).status_code == 201

    async def test_refuses_one_who_left_the_trade_six_years_before(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth, left_trade_on="2018-03-01")
        refused = await habilitate(client, auth, juror, granted_on=date(2024, 3, 1))
        body = problem(refused, 422, "JUROR_LEFT_TRADE_TOO_LONG_AGO")
        assert body["juror_id"] == juror and "2018-03-01" in body["detail"]

    async def test_admits_one_who_left_exactly_five_years_before(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth, left_trade_on="2019-03-01")
        granted = await habilitate(client, auth, juror, granted_on=date(2024, 3, 1))
        assert granted.status_code == 201, granted.text
        refused = await habilitate(client, auth, juror, granted_on=date(2024, 3, 2))
        problem(refused, 422, "JUROR_LEFT_TRADE_TOO_LONG_AGO")

    async def test_refuses_the_same_habilitation_twice(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth)
        assert (await habilitate(client, auth, juror)).status_code == 201
        again = await habilitate(client, auth, juror)
        assert TP in problem(again, 409, "HABILITATION_ALREADY_EXISTS")["detail"]
        # Another date, or another certification, is another habilitation.
        renewed = await habilitate(client, auth, juror, granted_on=TODAY)
        assert renewed.status_code == 201, renewed.text
        other = await habilitate(client, auth, juror, rncp_code=OTHER_TP)
        assert other.status_code == 201, other.text

    async def test_only_administrators_record_habilitations(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth)
        for role in (Role.EXAM_CENTRE, Role.PARTNER, Role.CERTIFIER):
            refused = await habilitate(
                client, auth, juror, headers=auth(role, str(uuid.uuid4()))
            )
            problem(refused, 403, "FORBIDDEN")

    async def test_refuses_an_unknown_juror(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        problem(
            await habilitate(client, auth, str(uuid.uuid4())), 404, "JUROR_NOT_FOUND"
        )

    async def test_refuses_an_unknown_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await new_juror(client, auth)
        refused = await habilitate(client, auth, juror, rncp_code="RNCP999999")
        problem(refused, 422, "CERTIFICATION_UNKNOWN")


class TestListJurors:
    async def test_lists_those_habilitated_for_a_certification(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        tp = await create_juror(client, auth, habilitated_for=(TP,))
        both = await create_juror(client, auth, habilitated_for=(TP, OTHER_TP))
        other = await create_juror(client, auth, habilitated_for=(OTHER_TP,))
        none = await create_juror(client, auth, habilitated_for=())
        centre = auth(Role.EXAM_CENTRE, str(uuid.uuid4()))

        async def ids(**params: str) -> set[str]:
            listed = await client.get("/v1/jurors", params=params, headers=centre)
            assert listed.status_code == 200, listed.text
            return {j["id"] for j in listed.json()["items"]}

        assert await ids(rncp_code=TP) == {tp["id"], both["id"]}
        assert await ids(rncp_code=OTHER_TP) == {both["id"], other["id"]}
        assert await ids(rncp_code=ENDING_SOON) == set()
        assert await ids() == {tp["id"], both["id"], other["id"], none["id"]}

    async def test_shows_each_jurors_habilitations(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        juror = await create_juror(client, auth, habilitated_for=(TP, OTHER_TP))
        listed = await client.get(
            "/v1/jurors", params={"rncp_code": TP}, headers=auth(Role.ADMIN)
        )
        (read,) = listed.json()["items"]
        assert read["id"] == juror["id"]
        assert sorted(h["rncp_code"] for h in read["habilitations"]) == [TP, OTHER_TP]

    async def test_pages_with_a_cursor(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        created = {(await create_juror(client, auth))["id"] for _ in range(3)}
        first = await client.get(
            "/v1/jurors", params={"limit": 2}, headers=auth(Role.ADMIN)
        )
        assert len(first.json()["items"]) == 2 and first.json()["next_cursor"]
        second = await client.get(
            "/v1/jurors",
            params={"limit": 2, "cursor": first.json()["next_cursor"]},
            headers=auth(Role.ADMIN),
        )
        assert second.json()["next_cursor"] is None
        seen = [j["id"] for j in first.json()["items"] + second.json()["items"]]
        assert set(seen) == created and len(seen) == 3

    async def test_names_an_invalid_rncp_code(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        listed = await client.get(
            "/v1/jurors", params={"rncp_code": "38077"}, headers=auth(Role.ADMIN)
        )
        assert invalid_fields(listed) == [["query", "rncp_code"]]
