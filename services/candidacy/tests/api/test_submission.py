"""Submission: every check, each refused with its own problem code."""

from __future__ import annotations

import httpx
import pytest
from candidacy_factories import (
    BRANCH_CQP,
    DIPLOMA,
    INACTIVE,
    NEW_TP,
    NOT_VAE,
    OLD_TP,
    TP,
    Catalogue,
    TokenFactory,
    create_candidacy,
    create_candidate,
    submitted_candidacy,
)
from fastapi import FastAPI

from candidacy.clients.catalog import CatalogClient
from common import Role
from common.testing import free_port

pytestmark = pytest.mark.asyncio


async def _submit(
    client: httpx.AsyncClient, auth: TokenFactory, partner_id: str, candidacy_id: str
) -> httpx.Response:
    return await client.post(
        f"/v1/candidacies/{candidacy_id}/submission",
        headers=auth(Role.PARTNER, partner_id),
    )


class TestTargetChecks:
    @pytest.mark.parametrize(
        ("rncp_code", "blocks", "code"),
        [
            ("RNCP999999", None, "CERTIFICATION_UNKNOWN"),
            (INACTIVE, None, "CERTIFICATION_INACTIVE"),
            (NOT_VAE, None, "CERTIFICATION_NOT_OPEN_TO_VAE"),
            (TP, ["RNCP990001BC09"], "BLOCKS_NOT_IN_CERTIFICATION"),
        ],
    )
    async def test_refused_at_creation(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        rncp_code: str,
        blocks: list[str] | None,
        code: str,
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        response = await client.post(
            "/v1/candidacies",
            json={
                "candidate_id": candidate["id"],
                "rncp_code": rncp_code,
                "block_codes": blocks,
            },
            headers=auth(Role.PARTNER, partner_id),
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code

    async def test_the_inactive_refusal_names_the_end_and_the_successors(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        response = await client.post(
            "/v1/candidacies",
            json={"candidate_id": candidate["id"], "rncp_code": INACTIVE},
            headers=auth(Role.PARTNER, partner_id),
        )
        assert "2020-01-01" in response.json()["detail"]

    async def test_a_candidacy_for_someone_elses_candidate_is_404(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        response = await client.post(
            "/v1/candidacies",
            json={"candidate_id": candidate["id"], "rncp_code": TP},
            headers=auth(Role.PARTNER, "another-partner"),
        )
        assert response.status_code == 404
        assert response.json()["code"] == "CANDIDATE_NOT_FOUND"

    async def test_a_certification_deactivated_after_creation_is_refused_at_submission(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        catalog_http: httpx.AsyncClient,
    ) -> None:
        code = "RNCP990099"
        admin = auth(Role.ADMIN)
        payload = {
            "rncp_code": code,
            "title": "Certification bientôt retirée",
            "kind": "CQP",
            "end_date": "2099-01-01",
            "blocks": [{"code": f"{code}BC01", "title": "Bloc"}],
        }
        created = await catalog_http.post(
            "/v1/certifications", json=payload, headers=admin
        )
        assert created.status_code in (201, 409)
        candidate = await create_candidate(client, auth, partner_id)
        candidacy = await create_candidacy(
            client, auth, partner_id, candidate["id"], code
        )
        current = await catalog_http.get(f"/v1/certifications/{code}")
        replaced = await catalog_http.put(
            f"/v1/certifications/{code}",
            json={**payload, "vae_eligible": False},
            headers={**admin, "If-Match": current.headers["etag"]},
        )
        assert replaced.status_code == 200, replaced.text
        response = await _submit(client, auth, partner_id, candidacy["id"])
        assert response.json()["code"] == "CERTIFICATION_NOT_OPEN_TO_VAE"
        await catalog_http.put(
            f"/v1/certifications/{code}",
            json=payload,
            headers={**admin, "If-Match": replaced.headers["etag"]},
        )


class TestSubmission:
    async def test_submission_snapshots_the_catalog(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        submitted = await submitted_candidacy(client, auth, partner_id, DIPLOMA)
        assert submitted["state"] == "SUBMITTED"
        snapshot = submitted["snapshot"]
        assert snapshot["kind"] == "DIPLOME"
        assert snapshot["retention_policy"] == "FIXED_YEARS"
        assert snapshot["retention_years"] == 5
        assert [b["code"] for b in snapshot["blocks"]] == [
            "RNCP990002BC01",
            "RNCP990002BC02",
        ]
        assert snapshot["certifier_ids"] == [catalogue.certifier(DIPLOMA)]
        assert submitted["target_block_codes"] == ["RNCP990002BC01", "RNCP990002BC02"]
        assert submitted["allowed_actions"] == ["WITHDRAW"]
        history = await client.get(
            f"/v1/candidacies/{submitted['id']}/history",
            headers=auth(Role.PARTNER, partner_id),
        )
        assert [(h["action"], h["to_state"]) for h in history.json()] == [
            ("CREATE", "DRAFT"),
            ("SUBMIT", "SUBMITTED"),
        ]

    async def test_no_experience_declared(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id, experiences=[])
        candidacy = await create_candidacy(client, auth, partner_id, candidate["id"])
        response = await _submit(client, auth, partner_id, candidacy["id"])
        assert response.status_code == 422
        assert response.json()["code"] == "NO_EXPERIENCE_DECLARED"

    async def test_one_request_per_certification_per_year(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        first = await submitted_candidacy(client, auth, partner_id)
        withdrawn = await client.post(
            f"/v1/candidacies/{first['id']}/withdrawal",
            json={"reason": "changement de projet"},
            headers=auth(Role.PARTNER, partner_id),
        )
        assert withdrawn.json()["state"] == "WITHDRAWN"
        second = await create_candidacy(client, auth, partner_id, first["candidate_id"])
        response = await _submit(client, auth, partner_id, second["id"])
        assert response.status_code == 409
        assert response.json()["code"] == "SUBMISSION_LIMIT_REACHED"

    async def test_three_certifications_per_year(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        for code in (TP, DIPLOMA, BRANCH_CQP):
            await submitted_candidacy(
                client, auth, partner_id, code, candidate_id=candidate["id"]
            )
        fourth = await create_candidacy(
            client, auth, partner_id, candidate["id"], NEW_TP
        )
        response = await _submit(client, auth, partner_id, fourth["id"])
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "YEARLY_CERTIFICATION_LIMIT_REACHED"
        assert TP in body["detail"]

    async def test_limits_are_configurable(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
    ) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"submissions_per_certification_per_year": 2}
        )
        first = await submitted_candidacy(client, auth, partner_id)
        second = await create_candidacy(client, auth, partner_id, first["candidate_id"])
        assert (
            await _submit(client, auth, partner_id, second["id"])
        ).status_code == 200
        third = await create_candidacy(client, auth, partner_id, first["candidate_id"])
        refused = await _submit(client, auth, partner_id, third["id"])
        assert refused.json()["code"] == "SUBMISSION_LIMIT_REACHED"

    async def test_a_submitted_candidacy_cannot_be_submitted_again(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        submitted = await submitted_candidacy(client, auth, partner_id)
        response = await _submit(client, auth, partner_id, submitted["id"])
        assert response.status_code == 409
        body = response.json()
        assert body["code"] == "ACTION_NOT_ALLOWED"
        assert body["allowed_actions"] == ["WITHDRAW"]

    async def test_a_stale_if_match_is_refused(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        candidacy = await create_candidacy(client, auth, partner_id, candidate["id"])
        response = await client.post(
            f"/v1/candidacies/{candidacy['id']}/submission",
            headers={**auth(Role.PARTNER, partner_id), "If-Match": '"7"'},
        )
        assert response.status_code == 412
        assert response.json()["code"] == "CANDIDACY_VERSION_MISMATCH"

    async def test_an_unreachable_catalog_is_503_never_an_accept(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        candidacy = await create_candidacy(client, auth, partner_id, candidate["id"])
        async with httpx.AsyncClient(timeout=1.0) as http:
            app.state.catalog = CatalogClient(http, f"http://127.0.0.1:{free_port()}")
            response = await _submit(client, auth, partner_id, candidacy["id"])
        assert response.status_code == 503
        assert response.json()["code"] == "CATALOG_UNAVAILABLE"
        read = await client.get(
            f"/v1/candidacies/{candidacy['id']}", headers=auth(Role.PARTNER, partner_id)
        )
        assert read.json()["state"] == "DRAFT"


class TestDraftChanges:
    async def test_a_draft_changes_its_target(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        candidacy = await create_candidacy(client, auth, partner_id, candidate["id"])
        headers = auth(Role.PARTNER, partner_id)
        changed = await client.patch(
            f"/v1/candidacies/{candidacy['id']}",
            json={"block_codes": ["RNCP990001BC02"]},
            headers={**headers, "If-Match": '"1"'},
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["requested_block_codes"] == ["RNCP990001BC02"]
        moved = await client.patch(
            f"/v1/candidacies/{candidacy['id']}",
            json={"rncp_code": OLD_TP},
            headers=headers,
        )
        assert moved.json()["rncp_code"] == OLD_TP
        assert moved.json()["requested_block_codes"] is None
        wrong = await client.patch(
            f"/v1/candidacies/{candidacy['id']}",
            json={"block_codes": ["RNCP990001BC01"]},
            headers=headers,
        )
        assert wrong.json()["code"] == "BLOCKS_NOT_IN_CERTIFICATION"
        submitted = await _submit(client, auth, partner_id, candidacy["id"])
        frozen = await client.patch(
            f"/v1/candidacies/{candidacy['id']}",
            json={"block_codes": None},
            headers=headers,
        )
        assert submitted.status_code == 200
        assert frozen.json()["code"] == "ACTION_NOT_ALLOWED"
