"""Public reads of certifications, blocks, lineage and certifiers, over HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from factories import create_certification
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.demo.loader import load_demo
from catalog.rncp_import.service import import_rncp_export
from common.testing import require_reference_data

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def catalog(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The real RNCP sample and the demo certifications."""
    await import_rncp_export(
        sessionmaker,
        require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml",
    )
    async with sessionmaker() as db:
        await load_demo(db)


def codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["rncp_code"] for item in response.json()["items"]]


@pytest.mark.usefixtures("catalog")
class TestSearchCertifications:
    async def test_finds_with_or_without_accents_and_case(
        self, client: httpx.AsyncClient
    ) -> None:
        accented = codes(
            await client.get("/v1/certifications", params={"q": "Éducateur spécialisé"})
        )
        plain = codes(
            await client.get("/v1/certifications", params={"q": "EDUCATEUR SPECIALISE"})
        )
        assert "RNCP37676" in accented
        assert accented == plain

    async def test_matches_word_prefixes(self, client: httpx.AsyncClient) -> None:
        assert "RNCP37674" in codes(
            await client.get("/v1/certifications", params={"q": "développ web"})
        )

    async def test_ranks_title_matches_first(self, client: httpx.AsyncClient) -> None:
        found = codes(
            await client.get("/v1/certifications", params={"q": "développeur web"})
        )
        assert found[:2] == sorted(found[:2]) or {"RNCP37674", "RNCP35959"} >= set(
            found[:2]
        )
        assert set(found[:2]) == {"RNCP37674", "RNCP35959"}

    async def test_finds_nothing_for_unknown_words_or_punctuation(
        self, client: httpx.AsyncClient
    ) -> None:
        assert (
            codes(await client.get("/v1/certifications", params={"q": "zzyzx"})) == []
        )
        assert (
            codes(await client.get("/v1/certifications", params={"q": "&|!:*()"})) == []
        )

    async def test_filters_by_kind_level_and_codes(
        self, client: httpx.AsyncClient
    ) -> None:
        tpm = codes(
            await client.get("/v1/certifications", params={"kind": "TPM", "limit": 100})
        )
        assert tpm and all(code.startswith("RNCP") for code in tpm)
        assert codes(
            await client.get("/v1/certifications", params={"rome": "M1805"})
        ) == ["RNCP35419", "RNCP36490", "RNCP37674", "RNCP37873"]
        assert codes(
            await client.get("/v1/certifications", params={"rome": "M1805", "level": 5})
        ) == ["RNCP37674"]
        assert codes(
            await client.get("/v1/certifications", params={"nsf": "212t"})
        ) == ["RNCP40344"]
        assert codes(
            await client.get("/v1/certifications", params={"formacode": "31090"})
        ) == ["RNCP35959", "RNCP37674"]

    async def test_filters_by_certifier(self, client: httpx.AsyncClient) -> None:
        certifiers = (
            await client.get("/v1/certifiers", params={"q": "TRAVAIL", "limit": 100})
        ).json()["items"]
        labour = next(c for c in certifiers if c["siret"] == "11000007200014")
        found = codes(
            await client.get(
                "/v1/certifications", params={"certifier": labour["id"], "limit": 100}
            )
        )
        assert "RNCP37674" in found and "RNCP37873" in found
        assert len(found) == labour["certifications_count"]

    async def test_filters_activity_as_of_a_date(
        self, client: httpx.AsyncClient
    ) -> None:
        params = {"q": "management grande école", "limit": 100}
        in_2022 = codes(
            await client.get(
                "/v1/certifications",
                params={**params, "active": True, "as_of": "2022-01-01"},
            )
        )
        in_2025 = codes(
            await client.get(
                "/v1/certifications",
                params={**params, "active": True, "as_of": "2025-01-01"},
            )
        )
        assert "RNCP34762" in in_2022 and "RNCP39568" not in in_2022
        assert "RNCP39568" in in_2025 and "RNCP34762" not in in_2025
        inactive = codes(
            await client.get(
                "/v1/certifications",
                params={**params, "active": False, "as_of": "2025-01-01"},
            )
        )
        assert "RNCP34762" in inactive

    async def test_filters_vae_eligibility(
        self, client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
    ) -> None:
        async with sessionmaker() as db:
            closed = await create_certification(db, vae_eligible=False)
        eligible = codes(
            await client.get(
                "/v1/certifications", params={"vae_eligible": True, "limit": 100}
            )
        )
        not_eligible = codes(
            await client.get(
                "/v1/certifications", params={"vae_eligible": False, "limit": 100}
            )
        )
        assert eligible and not set(eligible) & set(not_eligible)
        assert not_eligible == [closed]

    async def test_pages_through_everything_once(
        self, client: httpx.AsyncClient
    ) -> None:
        for params in (
            {"limit": 7},
            {"limit": 7, "sort": "-title"},
            {"limit": 3, "q": "développeur"},
            {"limit": 5, "sort": "level"},
        ):
            seen: list[str] = []
            response = await client.get("/v1/certifications", params=params)
            while True:
                seen += codes(response)
                cursor = response.json()["next_cursor"]
                if cursor is None:
                    assert "link" not in response.headers
                    break
                assert response.headers["link"].endswith('rel="next"')
                response = await client.get(
                    "/v1/certifications", params={**params, "cursor": cursor}
                )
            everything = codes(
                await client.get("/v1/certifications", params={**params, "limit": 100})
            )
            assert seen == everything and len(seen) == len(set(seen))

    async def test_refuses_a_cursor_of_another_query(
        self, client: httpx.AsyncClient
    ) -> None:
        cursor = (await client.get("/v1/certifications", params={"limit": 2})).json()[
            "next_cursor"
        ]
        response = await client.get(
            "/v1/certifications", params={"limit": 2, "sort": "title", "cursor": cursor}
        )
        assert response.status_code == 422
        assert response.json()["code"] == "INVALID_CURSOR"
        garbage = await client.get(
            "/v1/certifications", params={"cursor": "not-a-cursor"}
        )
        assert (garbage.status_code, garbage.json()["code"]) == (422, "INVALID_CURSOR")

    async def test_rejects_bad_filters_with_problem_details(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            "/v1/certifications", params={"level": 9, "rome": "m18"}
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "VALIDATION_FAILED"
        assert {tuple(e["loc"]) for e in problem["errors"]} == {
            ("query", "level"),
            ("query", "rome"),
        }
        assert "query.level" in problem["detail"]


@pytest.mark.usefixtures("catalog")
class TestGetCertification:
    async def test_returns_the_certification_with_blocks(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/RNCP37674")
        assert response.status_code == 200
        body = response.json()
        assert body["title"] == "Développeur web et web mobile"
        assert body["kind"] == "TITRE_PROFESSIONNEL"
        assert body["retention"] == {
            "policy": "UNTIL_END_DATE",
            "years": None,
            "source": "DEFAULT",
        }
        assert [b["code"] for b in body["blocks"]] == ["RNCP37674BC01", "RNCP37674BC02"]
        assert body["certifiers"][0]["siret"] == "11000007200014"
        assert [c["code"] for c in body["rome_codes"]] == ["M1805"]
        assert body["partners_count"] == 471
        assert body["previous_codes"] == ["RNCP31114"]
        assert response.headers["cache-control"].startswith("public")

    async def test_answers_304_to_a_current_etag(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await client.get("/v1/certifications/RNCP37674")
        etag = first.headers["etag"]
        again = await client.get(
            "/v1/certifications/RNCP37674", headers={"If-None-Match": etag}
        )
        assert (
            again.status_code == 304
            and again.content == b""
            and again.headers["etag"] == etag
        )
        stale = await client.get(
            "/v1/certifications/RNCP37674", headers={"If-None-Match": '"stale"'}
        )
        assert stale.status_code == 200

    async def test_evaluates_activity_as_of_a_date(
        self, client: httpx.AsyncClient
    ) -> None:
        then = (
            await client.get(
                "/v1/certifications/RNCP34762", params={"as_of": "2022-06-01"}
            )
        ).json()
        now = (await client.get("/v1/certifications/RNCP34762")).json()
        assert (then["active"], then["as_of"]) == (True, "2022-06-01")
        assert now["active"] is False and now["rncp_active"] is False

    async def test_answers_404_problem_for_an_unknown_code(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/RNCP999999")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["code"] == "CERTIFICATION_NOT_FOUND"
        assert (
            "RNCP999999" in problem["detail"]
            and problem["instance"] == "/v1/certifications/RNCP999999"
        )

    @pytest.mark.parametrize(
        "bad", ["34691", "rncp34691", "RNCP", "RNCP1234567", "RS5000"]
    )
    async def test_answers_422_problem_for_a_malformed_code(
        self, client: httpx.AsyncClient, bad: str
    ) -> None:
        response = await client.get(f"/v1/certifications/{bad}")
        assert response.status_code == 422
        problem = response.json()
        assert problem["code"] == "VALIDATION_FAILED" and problem["errors"][0][
            "loc"
        ] == ["path", "rncp_code"]

    async def test_lists_partner_organisations(self, client: httpx.AsyncClient) -> None:
        partners = (await client.get("/v1/certifications/RNCP37674/partners")).json()
        assert len(partners) == 471
        assert partners[0] == {
            "name": "10MENTIONWEB FORMATION",
            "siret": "88055223700047",
            "habilitation": "TRAIN_AND_ASSESS",
            "state": "ACTIVE",
        }
        assert (await client.get("/v1/certifications/RNCP37488/partners")).json() == []
        missing = await client.get("/v1/certifications/RNCP999999/partners")
        assert (missing.status_code, missing.json()["code"]) == (
            404,
            "CERTIFICATION_NOT_FOUND",
        )

    async def test_lists_and_gets_blocks(self, client: httpx.AsyncClient) -> None:
        blocks = (await client.get("/v1/certifications/RNCP40344/blocks")).json()
        assert [b["code"] for b in blocks] == [f"RNCP40344BC0{i}" for i in range(1, 5)]
        block = await client.get("/v1/blocks/RNCP40344BC02")
        assert block.json()["title"].startswith("Contribuer à l’organisation")
        missing = await client.get("/v1/blocks/RNCP40344BC09")
        assert (missing.status_code, missing.json()["code"]) == (404, "BLOCK_NOT_FOUND")


@pytest.mark.usefixtures("catalog")
class TestGetLineage:
    async def test_walks_both_ways_with_correspondences(
        self, client: httpx.AsyncClient
    ) -> None:
        old = (await client.get("/v1/certifications/RNCP34762/lineage")).json()
        assert [n["rncp_code"] for n in old["successors"]] == ["RNCP39568"]
        assert old["successors"][0]["title"].startswith(
            "Diplôme d’études supérieures en management"
        )
        assert [(n["rncp_code"], n["title"]) for n in old["predecessors"]] == [
            ("RNCP24998", None)
        ]
        new = (await client.get("/v1/certifications/RNCP40344/lineage")).json()
        assert {c["destination_rncp_code"] for c in new["correspondences"]} == {
            "RNCP37507",
            "RNCP37982",
        }

    async def test_follows_demo_chains(self, client: httpx.AsyncClient) -> None:
        lineage = (await client.get("/v1/certifications/RNCP41936/lineage")).json()
        assert [(n["rncp_code"], n["active"]) for n in lineage["predecessors"]] == [
            ("RNCP35298", False)
        ]


@pytest.mark.usefixtures("catalog")
class TestCertifiers:
    async def test_lists_pages_and_gets_certifiers(
        self, client: httpx.AsyncClient
    ) -> None:
        seen: list[str] = []
        params: dict[str, object] = {"limit": 4}
        while True:
            page = (await client.get("/v1/certifiers", params=params)).json()
            seen += [c["name"] for c in page["items"]]
            if page["next_cursor"] is None:
                break
            params["cursor"] = page["next_cursor"]
        assert seen == sorted(seen) and len(seen) > 10
        first = (await client.get("/v1/certifiers", params={"limit": 1})).json()[
            "items"
        ][0]
        assert (await client.get(f"/v1/certifiers/{first['id']}")).json() == first
        missing = await client.get(
            "/v1/certifiers/00000000-0000-0000-0000-000000000000"
        )
        assert (missing.status_code, missing.json()["code"]) == (
            404,
            "CERTIFIER_NOT_FOUND",
        )


async def test_unknown_paths_and_methods_get_problem_details(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/nothing-here")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    wrong = await client.delete("/v1/certifiers")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "METHOD_NOT_ALLOWED")


async def test_documents_every_operation(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    schema = (await client.get("/openapi.json")).json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert all(op.get("summary") for op in operations)
    assert len({op["operationId"] for op in operations}) == len(operations)
    assert "internalToken" in schema["components"]["securitySchemes"]
