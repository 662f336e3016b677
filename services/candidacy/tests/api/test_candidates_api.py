"""Candidates: creation, reads, changes, experiences, links, and who may see them."""

from __future__ import annotations

import uuid

import httpx
import pytest
from candidacy_factories import (
    BRANCH_CQP,
    TP,
    Catalogue,
    TokenFactory,
    candidate_payload,
    create_candidate,
    submitted_candidacy,
)

from common import Role

pytestmark = pytest.mark.asyncio


class TestCreateCandidate:
    async def test_creates_with_experiences_and_links(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        payload = candidate_payload(
            links=[
                {
                    "relation": "TRAINER",
                    "full_name": "Claire Martin",
                    "organisation": "AFPA",
                }
            ]
        )
        response = await client.post(
            "/v1/candidates", json=payload, headers=auth(Role.PARTNER, partner_id)
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["organisation_id"] == partner_id
        assert response.headers["location"] == f"/v1/candidates/{body['id']}"
        assert response.headers["etag"] == '"1"'
        assert [e["nature"] for e in body["experiences"]] == ["SALARIED"]
        assert body["links"][0]["relation"] == "TRAINER"

    @pytest.mark.parametrize("role", [Role.CERTIFIER, Role.EXAM_CENTRE, Role.ADMIN])
    async def test_only_partners_create_candidates(
        self, client: httpx.AsyncClient, auth: TokenFactory, role: Role
    ) -> None:
        response = await client.post(
            "/v1/candidates",
            json=candidate_payload(),
            headers=auth(role, str(uuid.uuid4())),
        )
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"

    async def test_a_partner_bound_to_no_organisation_is_refused(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/candidates", json=candidate_payload(), headers=auth(Role.PARTNER, None)
        )
        assert response.status_code == 403
        assert "bound to no organisation" in response.json()["detail"]

    async def test_without_token_401(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/candidates", json=candidate_payload())
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("department", "99"),
            ("email", "not-an-email"),
            ("given_name", ""),
        ],
    )
    async def test_bad_fields_are_named(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        field: str,
        value: str,
    ) -> None:
        response = await client.post(
            "/v1/candidates",
            json=candidate_payload(**{field: value}),
            headers=auth(Role.PARTNER, partner_id),
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"][-1] == field

    async def test_experience_dates_must_be_in_order(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        payload = candidate_payload(
            experiences=[
                {
                    "nature": "VOLUNTEER",
                    "title": "Bénévole",
                    "start_date": "2020-01-01",
                    "end_date": "2019-01-01",
                }
            ]
        )
        response = await client.post(
            "/v1/candidates", json=payload, headers=auth(Role.PARTNER, partner_id)
        )
        assert response.status_code == 422
        assert "end_date" in response.json()["detail"]

    async def test_an_idempotency_key_replays_the_creation(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        headers = {
            **auth(Role.PARTNER, partner_id),
            "Idempotency-Key": "create-samia-1",
        }
        first = await client.post(
            "/v1/candidates", json=candidate_payload(), headers=headers
        )
        second = await client.post(
            "/v1/candidates", json=candidate_payload(), headers=headers
        )
        assert first.status_code == second.status_code == 201
        assert second.json()["id"] == first.json()["id"]
        assert second.headers["idempotent-replayed"] == "true"
        listed = await client.get(
            "/v1/candidates", headers=auth(Role.PARTNER, partner_id)
        )
        assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]
        other = await client.post(
            "/v1/candidates",
            json=candidate_payload(given_name="Autre"),
            headers=headers,
        )
        assert other.status_code == 422
        assert other.json()["code"] == "IDEMPOTENCY_KEY_REUSED"


class TestVisibility:
    async def test_another_partner_gets_404_everywhere(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        stranger = auth(Role.PARTNER, str(uuid.uuid4()))
        base = f"/v1/candidates/{candidate['id']}"
        for method, path, body in (
            ("GET", base, None),
            ("PATCH", base, {"department": "75"}),
            ("DELETE", base, None),
            ("GET", f"{base}/experiences", None),
            ("GET", f"{base}/links", None),
            ("GET", f"{base}/blocks", None),
            (
                "POST",
                f"{base}/experiences",
                {"nature": "OTHER", "title": "Rien", "start_date": "2020-01-01"},
            ),
        ):
            response = await client.request(method, path, json=body, headers=stranger)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["code"] == "CANDIDATE_NOT_FOUND"
        listed = await client.get("/v1/candidates", headers=stranger)
        assert listed.json()["items"] == []

    async def test_a_certifier_sees_candidates_once_submitted_to_it_and_changes_nothing(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        path = f"/v1/candidates/{candidate['id']}"
        assert (await client.get(path, headers=certifier)).status_code == 404
        await submitted_candidacy(
            client, auth, partner_id, candidate_id=candidate["id"]
        )
        seen = await client.get(path, headers=certifier)
        assert seen.status_code == 200
        assert seen.json()["experiences"][0]["title"] == "Soudeuse en chaudronnerie"
        other_certifier = auth(Role.CERTIFIER, catalogue.certifier(BRANCH_CQP))
        assert (await client.get(path, headers=other_certifier)).status_code == 404
        change = await client.patch(path, json={"department": "75"}, headers=certifier)
        assert change.status_code == 403

    async def test_lists_page_with_a_cursor(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        ids = [
            (await create_candidate(client, auth, partner_id))["id"] for _ in range(3)
        ]
        headers = auth(Role.PARTNER, partner_id)
        first = await client.get("/v1/candidates?limit=2", headers=headers)
        assert [c["id"] for c in first.json()["items"]] == ids[:2]
        assert 'rel="next"' in first.headers["link"]
        second = await client.get(
            f"/v1/candidates?limit=2&cursor={first.json()['next_cursor']}",
            headers=headers,
        )
        assert [c["id"] for c in second.json()["items"]] == ids[2:]
        assert second.json()["next_cursor"] is None
        bad = await client.get("/v1/candidates?cursor=garbage", headers=headers)
        assert bad.status_code == 422 and bad.json()["code"] == "INVALID_CURSOR"


class TestChanges:
    async def test_patch_honours_if_match(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        headers = auth(Role.PARTNER, partner_id)
        path = f"/v1/candidates/{candidate['id']}"
        changed = await client.patch(
            path, json={"department": "2A"}, headers={**headers, "If-Match": '"1"'}
        )
        assert changed.status_code == 200
        assert changed.json()["department"] == "2A"
        assert changed.headers["etag"] == '"2"'
        stale = await client.patch(
            path, json={"department": "75"}, headers={**headers, "If-Match": '"1"'}
        )
        assert stale.status_code == 412
        assert stale.json()["code"] == "CANDIDATE_VERSION_MISMATCH"

    async def test_experiences_and_links_are_added_and_deleted(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id, experiences=[])
        headers = auth(Role.PARTNER, partner_id)
        base = f"/v1/candidates/{candidate['id']}"
        experience = await client.post(
            f"{base}/experiences",
            json={
                "nature": "FAMILY_CAREGIVER",
                "title": "Aidante de sa mère",
                "start_date": "2018-01-01",
                "weekly_hours": 20,
            },
            headers=headers,
        )
        assert experience.status_code == 201
        link = await client.post(
            f"{base}/links",
            json={
                "relation": "SUPERVISOR",
                "full_name": "Paul Girard",
                "email": "p@example.org",
            },
            headers=headers,
        )
        assert link.status_code == 201
        read = (await client.get(base, headers=headers)).json()
        assert read["version"] == 3
        assert len(read["experiences"]) == len(read["links"]) == 1
        gone = await client.delete(
            f"{base}/experiences/{experience.json()['id']}", headers=headers
        )
        assert gone.status_code == 204
        again = await client.delete(
            f"{base}/experiences/{experience.json()['id']}", headers=headers
        )
        assert again.json()["code"] == "EXPERIENCE_NOT_FOUND"
        assert (
            await client.delete(f"{base}/links/{link.json()['id']}", headers=headers)
        ).status_code == 204
        missing = await client.delete(f"{base}/links/{uuid.uuid4()}", headers=headers)
        assert missing.json()["code"] == "LINK_NOT_FOUND"
