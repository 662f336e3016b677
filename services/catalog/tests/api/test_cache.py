"""Cached reads: answered from memory, identical to a fresh render, dropped on every write."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from factories import TokenFactory, certification_payload
from fastapi import FastAPI

from catalog.config import Settings
from catalog.main import create_app
from common import Role

pytestmark = pytest.mark.asyncio

VOLATILE = {"x-request-id", "date"}


def stable(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VOLATILE}


class TestCachedReads:
    async def test_a_cached_answer_equals_the_first_render(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        code = payload["rncp_code"]
        await client.post("/v1/certifications", json=payload, headers=auth(Role.ADMIN))
        for path in (
            f"/v1/certifications/{code}",
            f"/v1/certifications/{code}/blocks",
            f"/v1/blocks/{code}BC01",
            f"/v1/certifications/{code}/partners",
            "/v1/certifications?limit=1",
        ):
            first, second = await client.get(path), await client.get(path)
            assert first.status_code == second.status_code == 200
            assert first.content == second.content
            assert stable(first) == stable(second), path
            head = await client.head(path)
            assert (
                head.status_code == 200
                and head.content == b""
                and head.headers["etag"] == first.headers["etag"]
            )
            not_modified = await client.get(
                path, headers={"If-None-Match": f"W/{first.headers['etag']}"}
            )
            assert not_modified.status_code == 304

    async def test_a_write_is_visible_at_once_in_the_writing_replica(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        payload = certification_payload()
        code = payload["rncp_code"]
        created = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        listed = (
            await client.get("/v1/certifications", params={"q": "ascenseurs"})
        ).json()
        assert [i["rncp_code"] for i in listed["items"]] == [code]
        await client.put(
            f"/v1/certifications/{code}",
            json={**payload, "title": "CQP Technicien d'escaliers mécaniques"},
            headers={**auth(Role.ADMIN), "If-Match": created.headers["etag"]},
        )
        assert (
            (await client.get(f"/v1/certifications/{code}"))
            .json()["title"]
            .endswith("escaliers mécaniques")
        )
        assert (
            await client.get("/v1/certifications", params={"q": "ascenseurs"})
        ).json()["items"] == []

    async def test_another_replica_sees_a_write_after_one_poll(
        self, client: httpx.AsyncClient, auth: TokenFactory, settings: Settings
    ) -> None:
        payload = certification_payload()
        code = payload["rncp_code"]
        created = await client.post(
            "/v1/certifications", json=payload, headers=auth(Role.ADMIN)
        )
        other: FastAPI = create_app(settings)
        async with (
            other.router.lifespan_context(other),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=other), base_url="http://replica"
            ) as replica,
        ):
            assert (await replica.get(f"/v1/certifications/{code}")).json()[
                "version"
            ] == 1
            await client.put(
                f"/v1/certifications/{code}/retention-policy",
                json={"policy": "NONE"},
                headers={**auth(Role.ADMIN), "If-Match": created.headers["etag"]},
            )
            for _ in range(50):
                if (await replica.get(f"/v1/certifications/{code}")).json()[
                    "version"
                ] == 2:
                    break
                await asyncio.sleep(settings.cache_revision_poll_seconds)
            else:
                raise AssertionError(
                    "the other replica kept serving its stale document"
                )
