"""Jury reports (report.signed events) and the ledger of acquired blocks they feed."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import orjson
import pytest
from candidacy_factories import (
    DIPLOMA,
    NEW_TP,
    OLD_TP,
    TP,
    Catalogue,
    TokenFactory,
    admissible_candidacy,
    create_candidacy,
    create_candidate,
    deliver,
    line,
    report_event,
)

from candidacy.config import Settings
from candidacy.ledger.rules import add_years
from candidacy.main import create_app
from common import Role
from common._webhooks import load_signing_secret, signature_headers

pytestmark = pytest.mark.asyncio

TODAY = date.today()


async def _ledger(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    partner_id: str,
    candidate_id: str,
    **query: str,
) -> dict:  # type: ignore[type-arg]
    response = await client.get(
        f"/v1/candidates/{candidate_id}/blocks",
        params=query,
        headers=auth(Role.PARTNER, partner_id),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


class TestReports:
    async def test_a_diploma_block_expires_after_five_years(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(
            client, auth, catalogue, partner_id, DIPLOMA
        )
        jury = TODAY - timedelta(days=10)
        event = report_event(
            DIPLOMA,
            [
                line(
                    candidacy["id"],
                    RNCP990002BC01="VALIDATED",
                    RNCP990002BC02="NOT_VALIDATED",
                )
            ],
            jury_date=jury,
        )
        assert (await deliver(client, event_secret, event)).status_code == 200
        ledger = await _ledger(client, auth, partner_id, candidacy["candidate_id"])
        (block,) = ledger["blocks"]
        assert block["expires_on"] == add_years(jury, 5).isoformat()
        assert block["source"] == "JURY_REPORT"
        assert block["candidacy_id"] == candidacy["id"]
        later = await _ledger(
            client,
            auth,
            partner_id,
            candidacy["candidate_id"],
            as_of=(add_years(jury, 5) - timedelta(days=30)).isoformat(),
        )
        assert later["blocks"][0]["status"] == "EXPIRING"
        expired = await _ledger(
            client,
            auth,
            partner_id,
            candidacy["candidate_id"],
            as_of=add_years(jury, 5).isoformat(),
        )
        assert expired["blocks"][0]["status"] == "EXPIRED"
        (progress,) = expired["certifications"]
        assert progress["held"] == []
        assert progress["remaining_block_codes"] == ["RNCP990002BC01", "RNCP990002BC02"]

    async def test_the_full_validation_obtains_the_certification(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(
            client, auth, catalogue, partner_id, DIPLOMA
        )
        event = report_event(
            DIPLOMA,
            [
                line(
                    candidacy["id"],
                    RNCP990002BC01="VALIDATED",
                    RNCP990002BC02="VALIDATED",
                )
            ],
        )
        await deliver(client, event_secret, event)
        read = await client.get(
            f"/v1/candidacies/{candidacy['id']}", headers=auth(Role.PARTNER, partner_id)
        )
        assert read.json()["state"] == "CERTIFIED"
        assert read.json()["jury_result"] == "FULL_SUCCESS_OF_FULL_CERTIFICATION"
        ledger = await _ledger(client, auth, partner_id, candidacy["candidate_id"])
        assert ledger["certifications"][0]["obtained"] is True
        outcomes = await client.get(
            f"/v1/candidacies/{candidacy['id']}/jury-outcomes",
            headers=auth(Role.CERTIFIER, catalogue.certifier(DIPLOMA)),
        )
        (outcome,) = outcomes.json()
        assert outcome["block_results"] == {
            "RNCP990002BC01": "VALIDATED",
            "RNCP990002BC02": "VALIDATED",
        }

    async def test_an_absent_candidate_stays_admissible(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        await deliver(
            client, event_secret, report_event(TP, [line(candidacy["id"], "ABSENT")])
        )
        read = (
            await client.get(
                f"/v1/candidacies/{candidacy['id']}",
                headers=auth(Role.PARTNER, partner_id),
            )
        ).json()
        assert (read["state"], read["jury_result"]) == (
            "ADMISSIBLE",
            "CANDIDATE_ABSENT",
        )

    async def test_a_second_jury_after_a_partial_validation_completes_it(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        first = report_event(
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
        await deliver(client, event_secret, first)
        second = report_event(TP, [line(candidacy["id"], RNCP990001BC03="VALIDATED")])
        delivered = await deliver(client, event_secret, second)
        assert delivered.json()["applied"] == [candidacy["id"]]
        read = (
            await client.get(
                f"/v1/candidacies/{candidacy['id']}",
                headers=auth(Role.PARTNER, partner_id),
            )
        ).json()
        assert read["state"] == "CERTIFIED"
        assert read["jury_result"] == "FULL_SUCCESS_OF_FULL_CERTIFICATION"

    async def test_lines_that_cannot_apply_are_skipped_and_said(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidate = await create_candidate(client, auth, partner_id)
        draft = await create_candidacy(client, auth, partner_id, candidate["id"])
        other = await admissible_candidacy(client, auth, catalogue, partner_id, DIPLOMA)
        event = report_event(
            TP,
            [
                line(draft["id"], RNCP990001BC01="VALIDATED"),
                line(other["id"], RNCP990001BC01="VALIDATED"),
            ],
        )
        receipt = (await deliver(client, event_secret, event)).json()
        assert receipt["applied"] == []
        assert receipt["skipped"][draft["id"]] == "the candidacy is DRAFT"
        assert "aims at RNCP990002" in receipt["skipped"][other["id"]]

    async def test_deliveries_must_be_signed_and_well_formed(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        event = report_event(TP, [line(candidacy["id"], RNCP990001BC01="VALIDATED")])
        forged = await deliver(client, "whsec_" + "A" * 43 + "=", event)
        assert forged.status_code == 401
        unsigned = await client.post("/internal/events", content=orjson.dumps(event))
        assert unsigned.status_code == 401
        event["data"]["results"][0]["attendance"] = "SLEEPING"
        malformed = await deliver(client, event_secret, event)
        assert malformed.status_code == 422
        assert malformed.json()["code"] == "INVALID_EVENT"
        other_type = {**event, "type": "fr.vae.sessions.unknown.v1"}
        body = orjson.dumps(other_type)
        headers = signature_headers(
            load_signing_secret(event_secret), other_type["id"], body
        )
        response = await client.post("/internal/events", content=body, headers=headers)
        assert response.status_code == 200
        assert response.json()["ignored"] is True
        read = (
            await client.get(
                f"/v1/candidacies/{candidacy['id']}",
                headers=auth(Role.PARTNER, partner_id),
            )
        ).json()
        assert read["state"] == "ADMISSIBLE"


class TestCarryOver:
    async def test_blocks_of_an_old_version_count_for_the_new_one(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        old = await admissible_candidacy(client, auth, catalogue, partner_id, OLD_TP)
        await deliver(
            client,
            event_secret,
            report_event(OLD_TP, [line(old["id"], RNCP990005BC01="VALIDATED")]),
        )
        ledger = await _ledger(client, auth, partner_id, old["candidate_id"])
        progress = {c["rncp_code"]: c for c in ledger["certifications"]}
        assert set(progress) == {OLD_TP, NEW_TP}
        (carried,) = progress[NEW_TP]["held"]
        assert carried["block_code"] == "RNCP990006BC01"
        assert carried["via_block_codes"] == ["RNCP990005BC01"]
        assert progress[NEW_TP]["remaining_block_codes"] == [
            "RNCP990006BC02",
            "RNCP990006BC03",
        ]

        # A later candidacy for the new version aims only at the missing blocks.
        new = await create_candidacy(
            client, auth, partner_id, old["candidate_id"], NEW_TP
        )
        submitted = await client.post(
            f"/v1/candidacies/{new['id']}/submission",
            headers=auth(Role.PARTNER, partner_id),
        )
        assert submitted.status_code == 200, submitted.text
        assert submitted.json()["target_block_codes"] == [
            "RNCP990006BC02",
            "RNCP990006BC03",
        ]
        assert submitted.json()["snapshot"]["already_acquired_block_codes"] == [
            "RNCP990006BC01"
        ]
        explicit = await client.post(
            "/v1/candidacies",
            json={
                "candidate_id": old["candidate_id"],
                "rncp_code": NEW_TP,
                "block_codes": ["RNCP990006BC01", "RNCP990006BC03"],
            },
            headers=auth(Role.PARTNER, partner_id),
        )
        assert explicit.status_code == 422
        body = explicit.json()
        assert body["code"] == "BLOCKS_ALREADY_ACQUIRED"
        assert body["block_codes"] == ["RNCP990006BC01"]


class TestEquivalence:
    async def test_the_certifier_records_an_equivalence_once(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        path = f"/v1/candidates/{candidacy['candidate_id']}/blocks"
        payload = {
            "rncp_code": TP,
            "block_code": "RNCP990001BC03",
            "acquired_on": TODAY.isoformat(),
            "reference": "Décision DREETS 2026-118",
        }
        certifier = auth(Role.CERTIFIER, catalogue.certifier(TP))
        first = await client.post(path, json=payload, headers=certifier)
        assert first.status_code == 201, first.text
        assert first.json()["source"] == "EQUIVALENCE"
        second = await client.post(path, json=payload, headers=certifier)
        assert second.json()["id"] == first.json()["id"]
        not_certifier = await client.post(
            path,
            json=payload,
            headers=auth(Role.CERTIFIER, catalogue.certifier(DIPLOMA)),
        )
        assert not_certifier.status_code == 404
        wrong_block = await client.post(
            path, json={**payload, "block_code": "RNCP990001BC07"}, headers=certifier
        )
        assert wrong_block.json()["code"] == "BLOCKS_NOT_IN_CERTIFICATION"


class TestExpiringList:
    async def test_a_partner_lists_its_blocks_expiring_soon(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(
            client, auth, catalogue, partner_id, DIPLOMA
        )
        jury = TODAY - timedelta(days=5 * 365 - 30)
        await deliver(
            client,
            event_secret,
            report_event(
                DIPLOMA,
                [line(candidacy["id"], RNCP990002BC01="VALIDATED")],
                jury_date=jury,
            ),
        )
        mine = await client.get(
            "/v1/acquired-blocks", headers=auth(Role.PARTNER, partner_id)
        )
        assert [b["block_code"] for b in mine.json()["items"]] == ["RNCP990002BC01"]
        theirs = await client.get(
            "/v1/acquired-blocks", headers=auth(Role.PARTNER, "someone-else")
        )
        assert theirs.json()["items"] == []
        narrow = await client.get(
            "/v1/acquired-blocks",
            params={"until": (TODAY + timedelta(days=1)).isoformat()},
            headers=auth(Role.PARTNER, partner_id),
        )
        assert narrow.json()["items"] == []


class TestCarryOverAfterTheOldVersionEnded:
    async def test_a_block_of_an_ended_version_lives_on_in_its_successor(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        catalog_http: httpx.AsyncClient,
    ) -> None:
        old, new = "RNCP990010", "RNCP990011"
        new_end = TODAY + timedelta(days=4 * 365)
        for payload in (
            {
                "rncp_code": old,
                "title": "TP ancienne version",
                "kind": "TITRE_PROFESSIONNEL",
                "start_date": "2020-07-01",
                "end_date": "2025-06-30",
                "blocks": [{"code": f"{old}BC01", "title": "Bloc"}],
            },
            {
                "rncp_code": new,
                "title": "TP nouvelle version",
                "kind": "TITRE_PROFESSIONNEL",
                "start_date": "2025-07-01",
                "end_date": new_end.isoformat(),
                "previous_codes": [old],
                "blocks": [
                    {"code": f"{new}BC01", "title": "Bloc"},
                    {"code": f"{new}BC02", "title": "Bloc nouveau"},
                ],
                "correspondences": [
                    {
                        "source_block_codes": [f"{new}BC01"],
                        "destination_rncp_code": old,
                        "destination_block_codes": [f"{old}BC01"],
                    }
                ],
            },
        ):
            created = await catalog_http.post(
                "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
            )
            assert created.status_code in (201, 409), created.text
        candidate = await create_candidate(client, auth, partner_id)
        recorded = await client.post(
            f"/v1/candidates/{candidate['id']}/blocks",
            json={
                "rncp_code": old,
                "block_code": f"{old}BC01",
                "acquired_on": "2024-05-02",
                "reference": "PV 2024-05",
            },
            headers=auth(Role.ADMIN),
        )
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["status"] == "EXPIRED"
        ledger = await _ledger(client, auth, partner_id, candidate["id"])
        progress = {c["rncp_code"]: c for c in ledger["certifications"]}
        assert progress[old]["held"] == []
        (carried,) = progress[new]["held"]
        assert carried["block_code"] == f"{new}BC01"
        assert carried["via_block_codes"] == [f"{old}BC01"]
        assert carried["expires_on"] == (new_end + timedelta(days=1)).isoformat()
        assert progress[new]["remaining_block_codes"] == [f"{new}BC02"]


class TestWithoutSecret:
    async def test_no_configured_secret_refuses_every_delivery(
        self, settings: Settings, event_secret: str
    ) -> None:
        application = create_app(settings.model_copy(update={"event_secrets": []}))
        async with (
            application.router.lifespan_context(application),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=application), base_url="http://c"
            ) as client,
        ):
            response = await deliver(client, event_secret, report_event(TP, []))
        assert response.status_code == 401
        assert "CANDIDACY_EVENT_SECRETS" in response.json()["detail"]
