"""RGPD erasure, and the anonymous statistics that survive it."""

from __future__ import annotations

import uuid

import httpx
import pytest
from candidacy_factories import (
    DIPLOMA,
    TP,
    Catalogue,
    TokenFactory,
    admissible_candidacy,
    create_candidate,
    deliver,
    line,
    report_event,
    submitted_candidacy,
)
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.candidate.models import Candidate, CandidateLink, Experience
from candidacy.ledger.models import AcquiredBlock
from common import Role

pytestmark = pytest.mark.asyncio


class TestErasure:
    async def test_erasure_removes_personal_data_and_keeps_statistics(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        candidacy = await admissible_candidacy(client, auth, catalogue, partner_id)
        candidate_id = candidacy["candidate_id"]
        await client.post(
            f"/v1/candidates/{candidate_id}/links",
            json={"relation": "COLLEAGUE", "full_name": "Jean Dupont"},
            headers=auth(Role.PARTNER, partner_id),
        )
        await deliver(
            client,
            event_secret,
            report_event(TP, [line(candidacy["id"], RNCP990001BC01="VALIDATED")]),
        )
        headers = auth(Role.PARTNER, partner_id)
        erased = await client.delete(f"/v1/candidates/{candidate_id}", headers=headers)
        assert erased.status_code == 204
        assert (
            await client.get(f"/v1/candidates/{candidate_id}", headers=headers)
        ).status_code == 404
        assert (
            await client.get(f"/v1/candidacies/{candidacy['id']}", headers=headers)
        ).status_code == 404
        again = await client.delete(f"/v1/candidates/{candidate_id}", headers=headers)
        assert again.status_code == 404

        async with sessionmaker() as db:
            stored = await db.get(Candidate, uuid.UUID(candidate_id))
            assert stored is not None
            assert (stored.given_name, stored.family_name, stored.email) == (
                None,
                None,
                None,
            )
            assert stored.erased_at is not None
            for model in (Experience, CandidateLink, AcquiredBlock):
                rows = await db.scalars(
                    select(model).where(model.candidate_id == stored.id)  # type: ignore[attr-defined]
                )
                assert rows.all() == [], model

        statistics = await client.get(
            "/v1/candidacies/statistics",
            params={"group_by": ["certification", "state", "department"]},
            headers=auth(Role.ADMIN),
        )
        cells = statistics.json()["cells"]
        assert {
            "rncp_code": TP,
            "state": "WITHDRAWN",
            "department": "69",
            "count": 1,
        }.items() <= next(c for c in cells if c["rncp_code"] == TP).items()


class TestStatistics:
    async def test_counts_by_dimension_without_personal_data(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalogue: Catalogue,
        partner_id: str,
        event_secret: str,
    ) -> None:
        for department in ("69", "69", "75"):
            await submitted_candidacy(
                client,
                auth,
                partner_id,
                DIPLOMA,
                candidate_id=(
                    await create_candidate(
                        client, auth, partner_id, department=department
                    )
                )["id"],
            )
        certified = await admissible_candidacy(client, auth, catalogue, partner_id, TP)
        await deliver(
            client,
            event_secret,
            report_event(
                TP,
                [
                    line(
                        certified["id"],
                        RNCP990001BC01="VALIDATED",
                        RNCP990001BC02="VALIDATED",
                        RNCP990001BC03="VALIDATED",
                    )
                ],
            ),
        )
        response = await client.get(
            "/v1/candidacies/statistics",
            params={
                "group_by": ["certification", "department", "level", "kind", "outcome"]
            },
            headers=auth(Role.EXAM_CENTRE, "centre"),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"] == 4
        assert {
            (c["rncp_code"], c["department"], c["kind"], c["outcome"], c["count"])
            for c in body["cells"]
        } == {
            (DIPLOMA, "69", "DIPLOME", None, 2),
            (DIPLOMA, "75", "DIPLOME", None, 1),
            (TP, "69", "TITRE_PROFESSIONNEL", "FULL_SUCCESS_OF_FULL_CERTIFICATION", 1),
        }
        assert "given_name" not in response.text and "Benali" not in response.text

    async def test_small_groups_are_suppressed(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
    ) -> None:
        app.state.settings = app.state.settings.model_copy(
            update={"statistics_min_cell_size": 2}
        )
        for code in (TP, TP, DIPLOMA):
            await submitted_candidacy(client, auth, partner_id, code)
        body = (
            await client.get(
                "/v1/candidacies/statistics?group_by=certification",
                headers=auth(Role.ADMIN),
            )
        ).json()
        assert body["cells"] == [{**body["cells"][0], "rncp_code": TP, "count": 2}]
        assert body["suppressed_cells"] == 1
        assert body["total"] == 3

    async def test_an_unknown_dimension_is_a_clear_422(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/candidacies/statistics?group_by=name", headers=auth(Role.ADMIN)
        )
        assert response.status_code == 422
        assert "group_by" in response.json()["detail"]


class TestPersonalDataStaysOutOfLogs:
    async def test_names_and_emails_never_reach_the_log(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        partner_id: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        seeded = {"given_name": "Zéphyrine", "family_name": "Quintal-Orsoni"}
        candidate = await create_candidate(
            client, auth, partner_id, email="zephyrine.qo@example.org", **seeded
        )
        headers = auth(Role.PARTNER, partner_id)
        await client.patch(
            f"/v1/candidates/{candidate['id']}",
            json={"email": "zephyrine.qo@bad", "phone": "abc"},
            headers=headers,
        )
        await client.post(
            "/v1/candidates",
            json={**seeded, "department": "00", "email": "zephyrine.qo@example.org"},
            headers=headers,
        )
        await client.get(f"/v1/candidates/{candidate['id']}", headers=headers)
        await client.delete(f"/v1/candidates/{candidate['id']}", headers=headers)
        captured = capsys.readouterr()
        logs = captured.out + captured.err
        assert "request" in logs  # the access log was captured
        for value in ("Zéphyrine", "Quintal-Orsoni", "zephyrine.qo"):
            assert value not in logs
