"""Certif Info over HTTP: the admin import, the filter, the detail, the lookup by code."""

from __future__ import annotations

import httpx
import pytest
import pytest_asyncio
from factories import TokenFactory, create_certification
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid6 import uuid7

from catalog.config import Settings
from catalog.main import create_app
from catalog.rncp_import.models import ImportJob
from catalog.rncp_import.service import ImportProgress
from common import Role, utcnow

pytestmark = pytest.mark.asyncio

CSV = (
    "Code_Diplome;Libelle_Diplome;Code_RNCP;Valideur\r\n"
    "771001;CQP opérateur « ascenseurs »;900101;Branche\r\n"
    "771002;CQP technicien;RNCP900102;Branche\r\n"
    "771003;Hors RNCP;;\r\n"
    "abc;Mauvais;900103;\r\n"
).encode("cp1252")


@pytest_asyncio.fixture
async def certifications(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as db:
        for code in ("RNCP900101", "RNCP900102", "RNCP900103"):
            await create_certification(db, rncp_code=code)


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes = CSV, **params: str
) -> httpx.Response:
    return await client.post(
        "/v1/imports/certif-info",
        content=body,
        params=params,
        headers={**headers, "Content-Type": "text/csv"},
    )


@pytest.mark.usefixtures("certifications")
class TestImportCertifInfo:
    async def test_links_and_answers_the_report(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        # Read once so that the document is cached: the import must drop it.
        before = await client.get("/v1/certifications/RNCP900101")
        assert before.json()["certif_info_id"] is None
        response = await upload(client, auth(Role.ADMIN))
        assert response.status_code == 200, response.text
        report = response.json()
        assert report["file_format"] == "CERTIF_INFO_OPEN_DATA"
        assert (report["rows_read"], report["linked"], report["skipped"]) == (4, 2, 1)
        assert report["rows_without_rncp_code"] == 1
        assert report["skipped_rows"][0]["line"] == 5
        after = await client.get("/v1/certifications/RNCP900101")
        assert after.json()["certif_info_id"] == 771001
        assert after.headers["etag"] != before.headers["etag"]
        again = (await upload(client, auth(Role.ADMIN))).json()
        assert (again["linked"], again["unchanged"]) == (0, 2)

    async def test_reports_conflicts_and_overwrites_on_request(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        await upload(client, auth(Role.ADMIN))
        moved = b"Code_Diplome;Code_RNCP\n771001;900103\n"
        kept = (await upload(client, auth(Role.ADMIN), moved)).json()
        assert (kept["linked"], kept["conflicts"]) == (0, 1)
        assert (
            kept["conflict_details"][0]["kind"]
            == "CERTIF_INFO_CODE_ON_ANOTHER_CERTIFICATION"
        )
        forced = (
            await upload(client, auth(Role.ADMIN), moved, overwrite="true")
        ).json()
        assert (forced["linked"], forced["unlinked"], forced["overwrite"]) == (
            1,
            1,
            True,
        )
        found = await client.get(
            "/v1/certifications", params={"certif_info_id": 771001}
        )
        assert [i["rncp_code"] for i in found.json()["items"]] == ["RNCP900103"]

    async def test_refuses_what_is_not_a_correspondence(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        bad = await upload(
            client, auth(Role.ADMIN), b"Numero_Fiche;Intitule\nRNCP1;X\n"
        )
        assert (bad.status_code, bad.headers["content-type"], bad.json()["code"]) == (
            422,
            "application/problem+json",
            "CERTIF_INFO_FILE_INVALID",
        )
        empty = await upload(client, auth(Role.ADMIN), b"")
        assert (empty.status_code, empty.json()["code"]) == (422, "IMPORT_FILE_EMPTY")
        listed = await client.get(
            "/v1/certifications", params={"certif_info_id": 771001}
        )
        assert listed.json()["items"] == []

    async def test_only_administrators_import(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        for role in (Role.CERTIFIER, Role.PARTNER, Role.EXAM_CENTRE):
            assert (await upload(client, auth(role, "org-1"))).status_code == 403
        assert (await upload(client, {})).status_code == 401

    async def test_refuses_a_file_over_the_limit(
        self, settings: Settings, auth: TokenFactory
    ) -> None:
        app = create_app(
            settings.model_copy(update={"certif_info_max_upload_bytes": 100})
        )
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://c"
            ) as client,
        ):
            response = await upload(client, auth(Role.ADMIN))
            assert (response.status_code, response.json()["code"]) == (
                413,
                "IMPORT_FILE_TOO_LARGE",
            )

    async def test_waits_for_a_running_rncp_import(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        now = utcnow()
        job = ImportJob(
            id=uuid7(),
            status="RUNNING",
            active_slot=1,
            file_bytes=1,
            bytes_read=0,
            fiches_read=0,
            created_at=now,
            updated_at=now,
        )
        async with app.state.sessionmaker() as db, db.begin():
            db.add(job)
        app.state.import_runner.live[job.id] = ImportProgress()
        try:
            response = await upload(client, auth(Role.ADMIN))
        finally:
            app.state.import_runner.live.pop(job.id)
        assert (response.status_code, response.json()["code"]) == (
            409,
            "IMPORT_ALREADY_RUNNING",
        )


@pytest.mark.usefixtures("certifications")
class TestLookUpByCertifInfo:
    async def test_answers_the_certification_document(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        await upload(client, auth(Role.ADMIN))
        found = await client.get("/v1/certifications/by-certif-info/771002")
        assert found.status_code == 200
        assert found.headers["content-location"] == "/v1/certifications/RNCP900102"
        direct = await client.get("/v1/certifications/RNCP900102")
        assert (found.json(), found.headers["etag"]) == (
            direct.json(),
            direct.headers["etag"],
        )
        revalidated = await client.get(
            "/v1/certifications/by-certif-info/771002",
            headers={"If-None-Match": found.headers["etag"]},
        )
        assert revalidated.status_code == 304

    async def test_answers_404_for_an_unknown_code(
        self, client: httpx.AsyncClient
    ) -> None:
        missing = await client.get("/v1/certifications/by-certif-info/123456")
        assert (missing.status_code, missing.json()["code"]) == (
            404,
            "CERTIF_INFO_CODE_NOT_FOUND",
        )
        malformed = await client.get("/v1/certifications/by-certif-info/0")
        assert malformed.status_code == 422

    async def test_lists_by_code_with_the_code_in_summaries(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        await upload(client, auth(Role.ADMIN))
        items = (
            await client.get("/v1/certifications", params={"certif_info_id": 771002})
        ).json()["items"]
        assert [(i["rncp_code"], i["certif_info_id"]) for i in items] == [
            ("RNCP900102", 771002)
        ]
