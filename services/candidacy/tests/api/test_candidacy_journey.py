"""The main path: candidate → candidacy → submission → admissibility → jury → ledger."""

from __future__ import annotations

import httpx
import pytest
from candidacy_factories import (
    TP,
    Catalogue,
    TokenFactory,
    admissible_candidacy,
    deliver,
    line,
    report_event,
)

from common import Role

pytestmark = pytest.mark.asyncio


class TestJourney:
    async def test_report_records_blocks_and_outcome(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        assert candidacy["state"] == "ADMISSIBLE"
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
        delivered = await deliver(client, event_secret, event)
        assert delivered.status_code == 200, delivered.text
        assert delivered.json()["applied"] == [candidacy["id"]]

        partner = auth(Role.PARTNER, partner_id)
        read = (
            await client.get(f"/v1/candidacies/{candidacy['id']}", headers=partner)
        ).json()
        assert read["state"] == "PARTIALLY_CERTIFIED"
        assert read["jury_result"] == "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION"
        ledger = (
            await client.get(
                f"/v1/candidates/{candidacy['candidate_id']}/blocks", headers=partner
            )
        ).json()
        assert sorted(b["block_code"] for b in ledger["blocks"]) == [
            "RNCP990001BC01",
            "RNCP990001BC02",
        ]
        expected_expiry = catalogue.end_date_of[TP].toordinal() + 1
        assert all(
            b["expires_on"] and b["status"] == "VALID" for b in ledger["blocks"]
        ), ledger
        from datetime import date

        assert {
            date.fromisoformat(b["expires_on"]).toordinal() for b in ledger["blocks"]
        } == {expected_expiry}
        (progress,) = [c for c in ledger["certifications"] if c["rncp_code"] == TP]
        assert progress["remaining_block_codes"] == ["RNCP990001BC03"]
        assert progress["obtained"] is False

        again = await deliver(client, event_secret, event)
        assert again.status_code == 200 and again.json()["duplicate"] is True
