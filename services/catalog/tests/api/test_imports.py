"""RNCP imports over HTTP: upload, follow the job, refusals."""

from __future__ import annotations

import asyncio
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from factories import TokenFactory

from catalog.config import Settings
from catalog.main import create_app
from common import Role
from common.testing import require_reference_data

pytestmark = pytest.mark.asyncio


async def wait_for_job(
    client: httpx.AsyncClient, location: str, headers: dict[str, str]
) -> dict[str, Any]:
    for _ in range(300):
        job: dict[str, Any] = (await client.get(location, headers=headers)).json()
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import did not finish: {job}")


@pytest.fixture
def sample_zip(tmp_path: Path) -> Path:
    archive = tmp_path / "export-fiches-rncp-v4-1-2026-08-16.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(
            require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml",
            "export_fiches_RNCP_V4_1_2026-08-16.xml",
        )
    return archive


class TestCreateImport:
    async def test_imports_an_uploaded_zip_and_reports(
        self, client: httpx.AsyncClient, auth: TokenFactory, sample_zip: Path
    ) -> None:
        admin = auth(Role.ADMIN)
        response = await client.post(
            "/v1/imports",
            content=sample_zip.read_bytes(),
            headers={**admin, "Content-Type": "application/zip"},
            params={"file_name": sample_zip.name},
        )
        assert response.status_code == 202, response.text
        assert response.json()["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")
        job = await wait_for_job(client, response.headers["location"], admin)
        assert job["status"] == "SUCCEEDED", job
        assert job["file_name"] == sample_zip.name
        assert job["report"]["created"] == 12 and job["report"]["version"] == "4.1"
        assert (
            job["progress"]["percent"] == 100.0 and job["progress"]["fiches_read"] == 12
        )
        detail = await client.get("/v1/certifications/RNCP37674")
        assert detail.status_code == 200
        listed = (await client.get("/v1/imports", headers=admin)).json()
        assert [j["id"] for j in listed] == [job["id"]]

    async def test_a_bad_file_fails_the_job_and_changes_nothing(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        admin = auth(Role.ADMIN)
        body = b'<?xml version="1.0"?><FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE><NUMERO_FICHE>RNCP1</NUMERO_FICHE>'
        response = await client.post(
            "/v1/imports",
            content=body,
            headers={**admin, "Content-Type": "application/xml"},
        )
        job = await wait_for_job(client, response.headers["location"], admin)
        assert (
            job["status"] == "FAILED"
            and "truncated" in job["error"]
            and job["report"] is None
        )
        assert (await client.get("/v1/certifications")).json()["items"] == []

    async def test_needs_an_administrator(
        self, client: httpx.AsyncClient, auth: TokenFactory, sample_zip: Path
    ) -> None:
        anonymous = await client.post("/v1/imports", content=b"<x/>")
        assert anonymous.status_code == 401 and anonymous.headers[
            "www-authenticate"
        ].startswith("Bearer")
        partner = await client.post(
            "/v1/imports", content=b"<x/>", headers=auth(Role.PARTNER, "org-1")
        )
        assert (partner.status_code, partner.json()["code"]) == (403, "FORBIDDEN")
        expired = await client.get(
            "/v1/imports", headers=auth(Role.ADMIN, ttl=timedelta(seconds=-60))
        )
        assert expired.status_code == 401

    async def test_refuses_an_empty_body(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.post(
            "/v1/imports", content=b"", headers=auth(Role.ADMIN)
        )
        assert (response.status_code, response.json()["code"]) == (
            422,
            "IMPORT_FILE_EMPTY",
        )

    async def test_refuses_a_file_over_the_limit(
        self, settings: Settings, auth: TokenFactory
    ) -> None:
        small = settings.model_copy(update={"import_max_upload_bytes": 1000})
        app = create_app(small)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://c"
            ) as client,
        ):
            response = await client.post(
                "/v1/imports", content=b"x" * 5000, headers=auth(Role.ADMIN)
            )
            assert (response.status_code, response.json()["code"]) == (
                413,
                "IMPORT_FILE_TOO_LARGE",
            )
            assert (
                list(
                    (settings.import_work_dir or Path("/nonexistent")).glob("*.upload")
                )
                == []
            )

    async def test_refuses_a_second_import_while_one_runs(
        self, client: httpx.AsyncClient, auth: TokenFactory, sample_zip: Path
    ) -> None:
        admin = auth(Role.ADMIN)
        body = sample_zip.read_bytes()
        responses = await asyncio.gather(
            *(client.post("/v1/imports", content=body, headers=admin) for _ in range(3))
        )
        statuses = sorted(r.status_code for r in responses)
        accepted = [r for r in responses if r.status_code == 202]
        assert statuses.count(202) >= 1 and set(statuses) <= {202, 409}
        refused = [r for r in responses if r.status_code == 409]
        assert all(r.json()["code"] == "IMPORT_ALREADY_RUNNING" for r in refused)
        for response in accepted:
            assert (await wait_for_job(client, response.headers["location"], admin))[
                "status"
            ] == "SUCCEEDED"

    async def test_unknown_job_is_404(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        response = await client.get(
            "/v1/imports/00000000-0000-7000-8000-000000000000", headers=auth(Role.ADMIN)
        )
        assert (response.status_code, response.json()["code"]) == (
            404,
            "IMPORT_NOT_FOUND",
        )


class TestFollowImport:
    async def test_reads_and_refusals_do_not_wait_for_a_running_import(
        self, client: httpx.AsyncClient, auth: TokenFactory, tmp_path: Path
    ) -> None:
        synthetic = pytest.importorskip("catalog.rncp_import.synthetic")
        export = tmp_path / "export-fiches-rncp-v4-1-2026-11-27.zip"
        synthetic.write_synthetic_export(export, fiches=1500, seed=3)
        admin = auth(Role.ADMIN)
        started = await client.post(
            "/v1/imports", content=export.read_bytes(), headers=admin
        )
        assert started.status_code == 202
        location = started.headers["location"]
        seen = set()
        refused = None
        for _ in range(400):
            job = (await client.get(location, headers=admin)).json()
            seen.add(job["status"])
            if job["status"] == "RUNNING" and refused is None:
                refused = await client.post(
                    "/v1/imports", content=b"<FICHES/>", headers=admin
                )
            if job["status"] in ("SUCCEEDED", "FAILED"):
                break
            await asyncio.sleep(0.02)
        assert job["status"] == "SUCCEEDED", job
        assert "RUNNING" in seen and job["report"]["created"] == 1500
        assert refused is not None and refused.status_code == 409
        assert started.json()["id"] in refused.json()["detail"]
