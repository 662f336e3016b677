"""vocabulary=france-vae on the candidacy reads, the state filter, and the vocabulary table."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from candidacy_factories import (
    TP,
    Catalogue,
    TokenFactory,
    admissible_candidacy,
    decided_candidacy,
    deliver,
    line,
    report_event,
    submitted_candidacy,
    withdraw,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.db import OutboxEvent
from common import Role

pytestmark = pytest.mark.asyncio


def _ours(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "france_vae"}


class TestDetail:
    async def test_france_vae_is_added_and_our_fields_keep_their_meaning(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        partner = auth(Role.PARTNER, partner_id)
        url = f"/v1/candidacies/{candidacy['id']}"
        ours = await client.get(url, headers=partner)
        theirs = await client.get(
            url, params={"vocabulary": "france-vae"}, headers=partner
        )
        explicit = await client.get(url, params={"vocabulary": "vae"}, headers=partner)

        assert ours.status_code == theirs.status_code == 200, theirs.text
        assert ours.json()["france_vae"] is None
        assert explicit.json() == ours.json()
        assert _ours(theirs.json()) == _ours(ours.json())
        assert theirs.json()["state"] == "ADMISSIBLE"
        assert theirs.json()["france_vae"] == {
            "status": "DOSSIER_FAISABILITE_RECEVABLE",
            "status_match": "EXACT",
            "dropped_out": False,
            "feasibility_decision": "ADMISSIBLE",
            "feasibility_status_interop": "RECEVABLE",
            "jury_result": None,
            "jury_result_interop": None,
        }
        assert theirs.headers["etag"] == ours.headers["etag"]

    async def test_a_jury_outcome_is_the_nearest_step_with_its_result(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        event = report_event(
            TP,
            [
                line(
                    candidacy["id"],
                    RNCP990001BC01="VALIDATED",
                    RNCP990001BC02="VALIDATED",
                    RNCP990001BC03="NOT_VALIDATED",
                )
            ],
        )
        assert (await deliver(client, event_secret, event)).status_code == 200
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        read = (
            await client.get(
                f"/v1/candidacies/{candidacy['id']}",
                params={"vocabulary": "france-vae"},
                headers=certifier,
            )
        ).json()

        assert read["state"] == "PARTIALLY_CERTIFIED"
        assert read["jury_result"] == "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION"
        assert read["france_vae"] == {
            "status": "DOSSIER_DE_VALIDATION_ENVOYE",
            "status_match": "APPROXIMATE",
            "dropped_out": False,
            "feasibility_decision": "ADMISSIBLE",
            "feasibility_status_interop": "RECEVABLE",
            "jury_result": "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION",
            "jury_result_interop": "SUCCES_PARTIEL_CERTIFICATION_COMPLETE",
        }

    async def test_a_withdrawal_keeps_the_step_reached_and_its_history_says_so(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await decided_candidacy(
            client, auth, catalogue, partner_id, "INCOMPLETE"
        )
        await withdraw(client, auth, partner_id, candidacy["id"])
        partner = auth(Role.PARTNER, partner_id)
        params = {"vocabulary": "france-vae"}
        read = (
            await client.get(
                f"/v1/candidacies/{candidacy['id']}", params=params, headers=partner
            )
        ).json()
        history = await client.get(
            f"/v1/candidacies/{candidacy['id']}/history", params=params, headers=partner
        )
        plain = await client.get(
            f"/v1/candidacies/{candidacy['id']}/history", headers=partner
        )

        assert read["state"] == "WITHDRAWN"
        assert read["france_vae"]["status"] == "DOSSIER_FAISABILITE_INCOMPLET"
        assert read["france_vae"]["dropped_out"] is True
        assert read["france_vae"]["feasibility_decision"] == "INCOMPLETE"
        assert read["france_vae"]["feasibility_status_interop"] == "ABANDONNE"
        assert history.status_code == 200, history.text
        steps = [
            (s["action"], s["france_vae"]["from_status"], s["france_vae"]["to_status"])
            for s in history.json()
        ]
        assert steps == [
            ("CREATE", None, "PROJET"),
            ("SUBMIT", "PROJET", "DOSSIER_FAISABILITE_ENVOYE"),
            (
                "DECIDE_ADMISSIBILITY",
                "DOSSIER_FAISABILITE_ENVOYE",
                "DOSSIER_FAISABILITE_INCOMPLET",
            ),
            (
                "WITHDRAW",
                "DOSSIER_FAISABILITE_INCOMPLET",
                "DOSSIER_FAISABILITE_INCOMPLET",
            ),
        ]
        decided = history.json()[2]["france_vae"]
        assert decided["feasibility_decision"] == "INCOMPLETE"
        assert [s["france_vae"]["dropped_out"] for s in history.json()] == [
            False,
            False,
            False,
            True,
        ]
        assert [_ours(s) for s in history.json()] == [_ours(s) for s in plain.json()]
        assert all(s["france_vae"] is None for s in plain.json())

    async def test_authorisation_is_unchanged(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)
        stranger = auth(Role.PARTNER, "another-partner")
        params = {"vocabulary": "france-vae"}
        for path in ("", "/history"):
            response = await client.get(
                f"/v1/candidacies/{candidacy['id']}{path}",
                params=params,
                headers=stranger,
            )
            assert response.status_code == 404, path
            assert response.json()["code"] == "CANDIDACY_NOT_FOUND"
        listed = await client.get(
            "/v1/candidacies",
            params={**params, "state": "DOSSIER_FAISABILITE_ENVOYE"},
            headers=stranger,
        )
        assert listed.json()["items"] == []


class TestStateFilter:
    async def test_france_vae_statuses_select_their_states(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        submitted = await submitted_candidacy(client, auth, partner_id)
        admissible = await admissible_candidacy(client, auth, catalogue, partner_id)
        partner = auth(Role.PARTNER, partner_id)

        async def listed(**params: str) -> list[dict[str, Any]]:
            response = await client.get(
                "/v1/candidacies", params=params, headers=partner
            )
            assert response.status_code == 200, response.text
            return list(response.json()["items"])

        recevable = await listed(
            vocabulary="france-vae", state="DOSSIER_FAISABILITE_RECEVABLE"
        )
        assert [c["id"] for c in recevable] == [admissible["id"]]
        assert recevable[0]["france_vae"]["status"] == "DOSSIER_FAISABILITE_RECEVABLE"
        sent = await listed(vocabulary="france-vae", state="DOSSIER_FAISABILITE_ENVOYE")
        assert [c["id"] for c in sent] == [submitted["id"]]
        assert (
            await listed(vocabulary="france-vae", state="DOSSIER_DE_VALIDATION_ENVOYE")
            == []
        )
        ours_too = await listed(vocabulary="france-vae", state="ADMISSIBLE")
        assert [c["id"] for c in ours_too] == [admissible["id"]]
        plain = await listed(state="ADMISSIBLE")
        assert [c["id"] for c in plain] == [admissible["id"]]
        assert plain[0]["france_vae"] is None
        everything = await listed(vocabulary="france-vae")
        assert {c["id"] for c in everything} == {submitted["id"], admissible["id"]}

    @pytest.mark.parametrize(
        ("params", "code"),
        [
            ({"state": "DOSSIER_FAISABILITE_RECEVABLE"}, "UNKNOWN_STATE"),
            ({"state": "RECEVABLE", "vocabulary": "france-vae"}, "UNKNOWN_STATE"),
            (
                {"state": "PRISE_EN_CHARGE", "vocabulary": "france-vae"},
                "STATE_WITHOUT_EQUIVALENT",
            ),
            ({"vocabulary": "reva"}, "VALIDATION_FAILED"),
        ],
    )
    async def test_a_value_that_selects_nothing_is_a_clear_422(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        params: dict[str, str],
        code: str,
    ) -> None:
        response = await client.get(
            "/v1/candidacies", params=params, headers=auth(Role.PARTNER, partner_id)
        )

        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == code
        assert problem["errors"], problem
        if code != "VALIDATION_FAILED":
            assert problem["errors"][0]["loc"] == ["query", "state"]
            assert params["state"] in problem["detail"]


class TestVocabularyTable:
    async def test_the_whole_table_as_json(
        self, client: httpx.AsyncClient, auth: TokenFactory, partner_id: str
    ) -> None:
        response = await client.get(
            "/v1/candidacies/vocabulary", headers=auth(Role.PARTNER, partner_id)
        )

        assert response.status_code == 200, response.text
        body = response.json()
        assert any("SocialGouv/reva" in source for source in body["sources"])
        enums = {e["enum"]: e for e in body["enums"]}
        assert list(enums) == [
            "State",
            "Decision",
            "JuryResult",
            "BlockResult",
            "Attendance",
            "Action",
        ]
        states = {v["value"]: v for v in enums["State"]["values"]}
        assert states["SUBMITTED"]["france_vae"] == ["DOSSIER_FAISABILITE_ENVOYE"]
        assert states["SUBMITTED"]["match"] == "EXACT"
        assert states["WITHDRAWN"]["france_vae"] == []
        france_vae = {v["value"]: v for v in enums["State"]["france_vae_values"]}
        assert france_vae["PRISE_EN_CHARGE"]["ours"] == []
        assert france_vae["PRISE_EN_CHARGE"]["note"]
        assert france_vae["DOSSIER_DE_VALIDATION_ENVOYE"]["ours"] == [
            "CERTIFIED",
            "PARTIALLY_CERTIFIED",
            "NOT_CERTIFIED",
        ]
        decisions = {v["value"]: v for v in enums["Decision"]["values"]}
        assert decisions["NOT_ADMISSIBLE"]["france_vae"] == ["REJECTED"]
        assert decisions["NOT_ADMISSIBLE"]["france_vae_interop"] == ["IRRECEVABLE"]

    async def test_every_role_may_read_it_but_not_anonymously(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for role in (Role.CERTIFIER, Role.EXAM_CENTRE, Role.ADMIN):
            response = await client.get(
                "/v1/candidacies/vocabulary", headers=auth(role, "org-1")
            )
            assert response.status_code == 200, (role, response.text)
        anonymous = await client.get("/v1/candidacies/vocabulary")
        assert anonymous.status_code == 401


class TestEvents:
    async def test_events_keep_their_representation(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        candidacy = await submitted_candidacy(client, auth, partner_id)

        async with sessionmaker() as db:
            events = (
                await db.scalars(
                    select(OutboxEvent).where(OutboxEvent.subject == candidacy["id"])
                )
            ).all()
        assert [e.type for e in events] == ["fr.vae.candidacy.submitted.v1"]
        assert events[0].data["state"] == "SUBMITTED"
        assert "france_vae" not in events[0].data
