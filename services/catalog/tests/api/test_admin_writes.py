"""Administrators' writes: kept certifications and retention policies, with If-Match."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from factories import TokenFactory, certification_payload
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.db import OutboxEvent
from catalog.rncp_import.service import import_rncp_export
from common import Role
from common.testing import require_reference_data

pytestmark = pytest.mark.asyncio


class TestCreateCertification:
    async def test_creates_and_serves_it(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        response = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert (
            body["source"] == "MANUAL"
            and body["kind"] == "CQP"
            and body["version"] == 1
        )
        assert [b["code"] for b in body["blocks"]] == [
            f"{payload['rncp_code']}BC01",
            f"{payload['rncp_code']}BC02",
        ]
        assert (
            response.headers["location"] == f"/v1/certifications/{payload['rncp_code']}"
        )
        found = (
            await client.get("/v1/certifications", params={"q": "ascenseurs"})
        ).json()["items"]
        assert [item["rncp_code"] for item in found] == [payload["rncp_code"]]

    async def test_keeps_block_correspondences_with_another_version(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        old = certification_payload()
        new = certification_payload(
            previous_codes=[old["rncp_code"]],
            correspondences=[
                {
                    "source_block_codes": [],
                    "destination_rncp_code": old["rncp_code"],
                    "destination_block_codes": [f"{old['rncp_code']}BC01"],
                }
            ],
        )
        for payload in (old, new):
            created = await client.post(
                "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
            )
            assert created.status_code == 201, created.text
        lineage = await client.get(f"/v1/certifications/{old['rncp_code']}/lineage")
        assert [n["rncp_code"] for n in lineage.json()["successors"]] == [
            new["rncp_code"]
        ]
        assert lineage.json()["correspondences"] == [
            {
                "declared_by": new["rncp_code"],
                "source_block_codes": [],
                "destination_rncp_code": old["rncp_code"],
                "destination_block_codes": [f"{old['rncp_code']}BC01"],
            }
        ]

    async def test_refuses_a_duplicate(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        await client.post("/v1/certifications", json=payload, headers=auth(Role.ADMIN))
        again = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        assert (again.status_code, again.json()["code"]) == (
            409,
            "CERTIFICATION_ALREADY_EXISTS",
        )

    async def test_a_retry_with_the_same_idempotency_key_gets_the_first_answer(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        headers = {**auth(Role.ADMIN), "Idempotency-Key": "create-cqp-ascenseurs"}
        first = await client.post("/v1/certifications", json=payload, headers=headers)
        retry = await client.post("/v1/certifications", json=payload, headers=headers)
        assert first.status_code == retry.status_code == 201, retry.text
        assert retry.json() == first.json()
        assert retry.headers["idempotent-replayed"] == "true"
        other = await client.post(
            "/v1/certifications", json=certification_payload(), headers=headers
        )
        assert (other.status_code, other.json()["code"]) == (
            422,
            "IDEMPOTENCY_KEY_REUSED",
        )

    async def test_the_rncp_upload_is_not_kept_for_replays(
        self, client: httpx.AsyncClient
    ) -> None:
        document = (await client.get("/openapi.json")).json()
        takes_a_key = {
            path: "Idempotency-Key"
            in [p["name"] for p in item["post"].get("parameters", [])]
            for path, item in document["paths"].items()
            if "post" in item
        }
        assert takes_a_key == {
            "/v1/certifications": True,
            "/v1/imports": False,
            "/v1/imports/certif-info": True,
        }

    async def test_creates_once_under_concurrency(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        responses = await asyncio.gather(
            *(
                client.post(
                    "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
                )
                for _ in range(4)
            )
        )
        assert sorted(r.status_code for r in responses) == [201, 409, 409, 409]

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"rncp_code": "34691"}, "rncp_code"),
            ({"level": 9}, "level"),
            ({"end_date": "2020-01-01", "start_date": "2024-01-01"}, "end_date"),
            (
                {"blocks": [{"code": "RNCP1BC01", "title": "Bloc d'un autre"}]},
                "RNCP1BC01",
            ),
            ({"rome_codes": [{"code": "m1805"}]}, "rome_codes"),
            ({"unknown": 1}, "unknown"),
        ],
    )
    async def test_rejects_invalid_bodies(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        change: dict[str, object],
        field: str,
    ) -> None:
        response = await client.post(
            "/v1/certifications",
            json=certification_payload(**change),
            headers=auth(Role.ADMIN),
        )
        assert response.status_code == 422
        assert field in response.json()["detail"]

    async def test_only_administrators_write(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for role in (Role.CERTIFIER, Role.PARTNER, Role.EXAM_CENTRE):
            response = await client.post(
                "/v1/certifications",
                json=certification_payload(),
                headers=auth(role, "org-1"),
            )
            assert response.status_code == 403
        forged = await client.post(
            "/v1/certifications",
            json=certification_payload(),
            headers={"Authorization": "Bearer forged.token.here"},
        )
        assert forged.status_code == 401


class TestReplaceCertification:
    async def test_replaces_with_the_current_etag_only(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        code = payload["rncp_code"]
        created = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        etag = created.headers["etag"]
        missing = await client.put(
            f"/v1/certifications/{code}",
            json={**payload, "title": "Nouveau titre"},
            headers=auth(Role.ADMIN),
        )
        assert (missing.status_code, missing.json()["code"]) == (
            428,
            "IF_MATCH_REQUIRED",
        )
        replaced = await client.put(
            f"/v1/certifications/{code}",
            json={**payload, "title": "Nouveau titre"},
            headers={**auth(Role.ADMIN), "If-Match": etag},
        )
        assert (
            replaced.status_code == 200
            and replaced.json()["title"] == "Nouveau titre"
            and replaced.json()["version"] == 2
        )
        stale = await client.put(
            f"/v1/certifications/{code}",
            json={**payload, "title": "Encore"},
            headers={**auth(Role.ADMIN), "If-Match": etag},
        )
        assert (stale.status_code, stale.json()["code"]) == (
            412,
            "CERTIFICATION_VERSION_MISMATCH",
        )
        assert (await client.get(f"/v1/certifications/{code}")).json()[
            "title"
        ] == "Nouveau titre"

    async def test_refuses_a_certification_of_the_rncp_export(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await import_rncp_export(
            sessionmaker,
            require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml",
        )
        etag = (await client.get("/v1/certifications/RNCP37674")).headers["etag"]
        response = await client.put(
            "/v1/certifications/RNCP37674",
            json=certification_payload(rncp_code="RNCP37674", blocks=[]),
            headers={**auth(Role.ADMIN), "If-Match": etag},
        )
        assert (response.status_code, response.json()["code"]) == (
            409,
            "CERTIFICATION_MANAGED_BY_RNCP",
        )

    async def test_refuses_a_body_for_another_code(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        created = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        other = certification_payload(blocks=[])
        response = await client.put(
            f"/v1/certifications/{payload['rncp_code']}",
            json=other,
            headers={**auth(Role.ADMIN), "If-Match": created.headers["etag"]},
        )
        assert (
            response.status_code == 422
            and other["rncp_code"] in response.json()["detail"]
        )


class TestSetRetentionPolicy:
    async def test_sets_the_policy_and_publishes_an_event(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        sessionmaker: async_sessionmaker[AsyncSession],
    ) -> None:
        await import_rncp_export(
            sessionmaker,
            require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml",
        )
        before = await client.get("/v1/certifications/RNCP37674")
        response = await client.put(
            "/v1/certifications/RNCP37674/retention-policy",
            json={"policy": "FIXED_YEARS", "years": 3},
            headers={**auth(Role.ADMIN), "If-Match": before.headers["etag"]},
        )
        assert response.status_code == 200, response.text
        assert response.json()["retention"] == {
            "policy": "FIXED_YEARS",
            "years": 3,
            "source": "MANUAL",
        }
        assert (await client.get("/v1/certifications/RNCP37674")).json()["retention"][
            "years"
        ] == 3
        async with sessionmaker() as db:
            data = (
                await db.scalars(
                    select(OutboxEvent.data).where(
                        OutboxEvent.type == "fr.vae.catalog.certification-updated.v1"
                    )
                )
            ).all()
        assert data == [
            {
                "rncp_code": "RNCP37674",
                "retention": {"policy": "FIXED_YEARS", "years": 3},
            }
        ]

    @pytest.mark.parametrize(
        "body",
        [
            {"policy": "FIXED_YEARS"},
            {"policy": "NONE", "years": 2},
            {"policy": "FOREVER"},
        ],
    )
    async def test_rejects_inconsistent_policies(
        self, client: httpx.AsyncClient, auth: TokenFactory, body: dict[str, object]
    ) -> None:
        response = await client.put(
            "/v1/certifications/RNCP37674/retention-policy",
            json=body,
            headers={**auth(Role.ADMIN), "If-Match": '"x"'},
        )
        assert response.status_code == 422

    async def test_one_of_two_concurrent_decisions_wins(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        created = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        url = f"/v1/certifications/{payload['rncp_code']}/retention-policy"
        headers = {**auth(Role.ADMIN), "If-Match": created.headers["etag"]}
        responses = await asyncio.gather(
            client.put(url, json={"policy": "NONE"}, headers=headers),
            client.put(
                url, json={"policy": "FIXED_YEARS", "years": 2}, headers=headers
            ),
        )
        assert sorted(r.status_code for r in responses) == [200, 412]
