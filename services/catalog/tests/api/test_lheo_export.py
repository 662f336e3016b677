"""The LHEO export over HTTP: a valid streamed document, the list's filters, 204, 304."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from factories import TokenFactory, certification_payload, create_certification
from lheo_schemas import NS, validated
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.demo.loader import load_demo
from catalog.rncp_import.service import import_rncp_export
from common import Role
from common.testing import require_reference_data

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def catalog(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The real RNCP sample and the demo certifications with their Certif Info codes."""
    await import_rncp_export(
        sessionmaker,
        require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml",
    )
    async with sessionmaker() as db:
        await load_demo(db)


async def export(client: httpx.AsyncClient, **params: Any) -> Any:
    response = await client.get("/v1/certifications/lheo", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    return validated(response.content)


def numbers(tree: Any) -> list[str]:
    return [
        str(n.text)
        for n in tree.iterfind(".//l:formation/l:certification/l:code-RNCP", NS)
    ]


async def offered(client: httpx.AsyncClient, **params: Any) -> list[str]:
    """What the export should hold: VAE-open, active certifications with a certifier's SIRET."""
    found, cursor = [], None
    while True:
        page = await client.get(
            "/v1/certifications",
            params={"vae_eligible": True, "active": True, "limit": 100, **params}
            | ({"cursor": cursor} if cursor else {}),
        )
        found += [item["rncp_code"] for item in page.json()["items"]]
        if (cursor := page.json()["next_cursor"]) is None:
            break
    with_siret = []
    for code in found:
        detail = (await client.get(f"/v1/certifications/{code}")).json()
        if any(c["siret"] for c in detail["certifiers"]):
            with_siret.append(code.removeprefix("RNCP"))
    return sorted(with_siret)


@pytest.mark.usefixtures("catalog")
class TestExportLheo:
    async def test_exports_every_active_vae_route_as_a_valid_formation(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/lheo")
        assert "content-length" not in response.headers  # streamed
        tree = validated(response.content)
        assert tree.tag == "{http://lheo.gouv.fr/2.3}lheo"
        assert sorted(numbers(tree)) == await offered(client)
        assert len(numbers(tree)) > 40
        (formation,) = [
            f
            for f in tree.iterfind(".//l:formation", NS)
            if f.findtext("l:certification/l:code-RNCP", None, NS) == "38362"
        ]
        assert (
            formation.findtext("l:certification/l:code-CERTIFINFO", None, NS)
            == "990006"
        )
        assert formation.findtext("l:code-niveau-sortie", None, NS) == "15"
        codes = [
            str(c.text)
            for c in formation.iterfind(".//l:bloc-competences/l:code-bloc", NS)
        ]
        assert codes and all(c.startswith("RNCP38362BC") for c in codes)

    async def test_applies_the_list_s_filters(self, client: httpx.AsyncClient) -> None:
        level_5 = await export(client, level=5)
        assert {
            str(n.text) for n in level_5.iterfind(".//l:code-niveau-sortie", NS)
        } == {"15"}
        assert sorted(numbers(level_5)) == await offered(client, level=5)
        cqpm = await export(client, kind="CQPM")
        assert sorted(numbers(cqpm)) == await offered(client, kind="CQPM")
        assert numbers(await export(client, certif_info_id=990006)) == ["38362"]
        searched = await export(client, q="coiffure")
        assert numbers(searched) == ["12281"]
        certifier = (await client.get("/v1/certifiers", params={"q": "UIMM"})).json()[
            "items"
        ][0]
        by_certifier = await export(client, certifier=certifier["id"])
        assert sorted(numbers(by_certifier)) == await offered(
            client, certifier=certifier["id"]
        )

    async def test_answers_204_when_nothing_matches(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/lheo", params={"q": "zzzyxw"})
        assert (response.status_code, response.content) == (204, b"")

    async def test_revalidates_with_the_etag_until_the_catalog_changes(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
    ) -> None:
        first = await client.get("/v1/certifications/lheo", params={"level": 5})
        etag = first.headers["etag"]
        assert etag.startswith('W/"')
        again = await client.get(
            "/v1/certifications/lheo",
            params={"level": 5},
            headers={"If-None-Match": etag},
        )
        assert (again.status_code, again.content) == (304, b"")
        other = await client.get(
            "/v1/certifications/lheo",
            params={"level": 6},
            headers={"If-None-Match": etag},
        )
        assert other.status_code == 200
        created = await client.post(
            "/v1/certifications",
            json=certification_payload(level=5),
            headers=auth(Role.ADMIN),
        )
        assert created.status_code == 201
        changed = await client.get(
            "/v1/certifications/lheo",
            params={"level": 5},
            headers={"If-None-Match": etag},
        )
        assert changed.status_code == 200 and changed.headers["etag"] != etag

    async def test_refuses_bad_filters_with_problem_details(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/lheo", params={"level": 12})
        assert (response.status_code, response.headers["content-type"]) == (
            422,
            "application/problem+json",
        )


class TestExportSpecialCases:
    async def test_an_empty_catalog_answers_204(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/lheo")
        assert (response.status_code, response.content) == (204, b"")

    async def test_keeps_special_characters_intact(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        title = "CQP Agent « sûreté & sécurité » <niveau> – l’expert"
        async with sessionmaker() as db:
            code = await create_certification(
                db,
                title=title,
                certifiers=[
                    {"name": "BRANCHE « SÛRETÉ » & CIE", "siret": "12345678900011"}
                ],
                blocks=[],
            )
        response = await client.get("/v1/certifications/lheo")
        assert b"&amp;" in response.content and b"&lt;niveau&gt;" in response.content
        tree = validated(response.content)
        formation = tree.find("l:offres/l:formation", NS)
        assert formation is not None
        assert formation.get("numero") == f"VAE-{code}"
        assert formation.findtext("l:intitule-formation", None, NS) == (
            f"Validation des acquis de l'expérience (VAE) : {title}"
        )
        assert (
            formation.findtext(".//l:nom-organisme", None, NS)
            == "BRANCHE « SÛRETÉ » & CIE"
        )

    async def test_leaves_out_certifications_no_certifier_of_which_has_a_siret(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as db:
            await create_certification(
                db, certifiers=[{"name": "SANS SIRET", "siret": None}]
            )
        response = await client.get("/v1/certifications/lheo")
        assert response.status_code == 204
