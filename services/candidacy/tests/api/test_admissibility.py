"""Admissibility decisions: who decides, If-Match, once only, revocation, races."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from candidacy_factories import (
    BRANCH_CQP,
    TP,
    Catalogue,
    TokenFactory,
    create_candidacy,
    create_candidate,
    submitted_candidacy,
)

from common import Role

pytestmark = pytest.mark.asyncio


def _decide(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    candidacy_id: str,
    decision: str = "ADMISSIBLE",
    reasons: list[str] | None = None,
    if_match: str | None = '"2"',
) -> asyncio.Future[httpx.Response] | object:
    extra = {"If-Match": if_match} if if_match is not None else {}
    return client.post(
        f"/v1/candidacies/{candidacy_id}/admissibility-decision",
        json={"decision": decision, "reasons": reasons or []},
        headers={**headers, **extra},
    )


class TestDecision:
    async def test_the_certifier_declares_admissible(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        listed = await client.get("/v1/candidacies?state=SUBMITTED", headers=certifier)
        assert candidacy["id"] in [c["id"] for c in listed.json()["items"]]
        response = await _decide(client, certifier, candidacy["id"])
        assert response.status_code == 200, response.text  # type: ignore[attr-defined]
        body = response.json()  # type: ignore[attr-defined]
        assert body["state"] == "ADMISSIBLE"
        assert body["admissibility"]["decision"] == "ADMISSIBLE"
        assert body["allowed_actions"] == []
        assert response.headers["etag"] == '"3"'  # type: ignore[attr-defined]

    async def test_if_match_is_required(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        missing = await _decide(client, certifier, candidacy["id"], if_match=None)
        assert missing.status_code == 428  # type: ignore[attr-defined]
        assert missing.json()["code"] == "IF_MATCH_REQUIRED"  # type: ignore[attr-defined]
        stale = await _decide(client, certifier, candidacy["id"], if_match='"1"')
        assert stale.status_code == 412  # type: ignore[attr-defined]
        assert stale.json()["code"] == "CANDIDACY_VERSION_MISMATCH"  # type: ignore[attr-defined]

    @pytest.mark.parametrize("decision", ["NOT_ADMISSIBLE", "INCOMPLETE"])
    async def test_refusals_need_reasons(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        decision: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        response = await _decide(client, certifier, candidacy["id"], decision)
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert response.json()["code"] == "DECISION_REASONS_REQUIRED"  # type: ignore[attr-defined]

    async def test_another_certifier_and_a_partner_cannot_decide(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        other = await _decide(
            client,
            auth(Role.CERTIFIER, catalogue.certifier(BRANCH_CQP)),
            candidacy["id"],
        )
        assert other.status_code == 404  # type: ignore[attr-defined]
        assert other.json()["code"] == "CANDIDACY_NOT_FOUND"  # type: ignore[attr-defined]
        partner = await _decide(client, auth(Role.PARTNER, partner_id), candidacy["id"])
        assert partner.status_code == 403  # type: ignore[attr-defined]

    async def test_a_draft_is_invisible_to_its_certifier(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        draft = await create_candidacy(client, auth, partner_id, candidate["id"])
        response = await client.get(
            f"/v1/candidacies/{draft['id']}",
            headers=auth(Role.CERTIFIER, catalogue.certifier(TP)),
        )
        assert response.status_code == 404

    async def test_a_decision_is_written_once_and_revoked_only_by_an_admin(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        first = await _decide(
            client,
            certifier,
            candidacy["id"],
            "NOT_ADMISSIBLE",
            ["Activités sans rapport"],
        )
        assert first.json()["state"] == "NOT_ADMISSIBLE"  # type: ignore[attr-defined]
        second = await _decide(client, certifier, candidacy["id"], if_match='"3"')
        assert second.status_code == 409  # type: ignore[attr-defined]
        assert second.json()["code"] == "ACTION_NOT_ALLOWED"  # type: ignore[attr-defined]
        path = f"/v1/candidacies/{candidacy['id']}/decision-revocation"
        by_partner = await client.post(
            path, json={}, headers={**auth(Role.PARTNER, partner_id), "If-Match": '"3"'}
        )
        assert by_partner.status_code == 403
        revoked = await client.post(
            path,
            json={"reason": "Erreur de dossier"},
            headers={**auth(Role.ADMIN), "If-Match": '"3"'},
        )
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["state"] == "SUBMITTED"
        assert revoked.json()["admissibility"] is None
        again = await _decide(client, certifier, candidacy["id"], if_match='"4"')
        assert again.json()["state"] == "ADMISSIBLE"  # type: ignore[attr-defined]
        history = await client.get(
            f"/v1/candidacies/{candidacy['id']}/history", headers=auth(Role.ADMIN)
        )
        steps = history.json()
        assert [s["action"] for s in steps] == [
            "CREATE",
            "SUBMIT",
            "DECIDE_ADMISSIBILITY",
            "REVOKE_DECISION",
            "DECIDE_ADMISSIBILITY",
        ]
        assert steps[3]["details"]["revoked"]["decision"] == "NOT_ADMISSIBLE"
        assert steps[3]["actor_role"] == "admin"

    async def test_an_incomplete_file_goes_back_and_is_resubmitted(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        incomplete = await _decide(
            client,
            certifier,
            candidacy["id"],
            "INCOMPLETE",
            ["Pièce d'identité manquante"],
        )
        body = incomplete.json()  # type: ignore[attr-defined]
        assert body["state"] == "INCOMPLETE"
        assert body["admissibility"]["reasons"] == ["Pièce d'identité manquante"]
        resubmitted = await client.post(
            f"/v1/candidacies/{candidacy['id']}/submission",
            headers=auth(Role.PARTNER, partner_id),
        )
        assert resubmitted.status_code == 200, resubmitted.text
        assert resubmitted.json()["state"] == "SUBMITTED"
        decided = await _decide(client, certifier, candidacy["id"], if_match='"4"')
        assert decided.json()["state"] == "ADMISSIBLE"  # type: ignore[attr-defined]


class TestRaces:
    async def test_two_decisions_with_the_same_etag_one_wins(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        for _ in range(3):
            candidacy = await submitted_candidacy(client, auth, partner_id)
            certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
            answers = await asyncio.gather(
                _decide(client, certifier, candidacy["id"], "ADMISSIBLE"),  # type: ignore[arg-type]
                _decide(
                    client, certifier, candidacy["id"], "NOT_ADMISSIBLE", ["Hors champ"]
                ),  # type: ignore[arg-type]
            )
            statuses = sorted(a.status_code for a in answers)
            assert statuses == [200, 412], [a.text for a in answers]
            winner = next(a for a in answers if a.status_code == 200).json()
            history = await client.get(
                f"/v1/candidacies/{candidacy['id']}/history", headers=auth(Role.ADMIN)
            )
            decisions = [
                s for s in history.json() if s["action"] == "DECIDE_ADMISSIBILITY"
            ]
            assert len(decisions) == 1
            assert decisions[0]["to_state"] == winner["state"]

    async def test_two_submissions_for_the_same_certification_and_year_one_passes(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        for _ in range(3):
            candidate = await create_candidate(client, auth, partner_id)
            drafts = [
                await create_candidacy(client, auth, partner_id, candidate["id"])
                for _ in range(2)
            ]
            answers = await asyncio.gather(
                *(
                    client.post(
                        f"/v1/candidacies/{d['id']}/submission",
                        headers=auth(Role.PARTNER, partner_id),
                    )
                    for d in drafts
                )
            )
            assert sorted(a.status_code for a in answers) == [200, 409], [
                a.text for a in answers
            ]
            refused = next(a for a in answers if a.status_code == 409)
            assert refused.json()["code"] == "SUBMISSION_LIMIT_REACHED"
            listed = await client.get(
                f"/v1/candidacies?candidate_id={candidate['id']}&state=SUBMITTED",
                headers=auth(Role.PARTNER, partner_id),
            )
            assert len(listed.json()["items"]) == 1
