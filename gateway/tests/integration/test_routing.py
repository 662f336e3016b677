"""Routing and authentication through a real gateway in front of a real catalog."""

from __future__ import annotations

import httpx
import pytest
from gateway_processes import StartGateway

from common import Role

pytestmark = pytest.mark.asyncio


class TestRouting:
    async def test_public_catalog_reads_need_no_key(
        self, start_gateway: StartGateway
    ) -> None:
        gateway = await start_gateway()
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.get("/v1/certifications", params={"q": "soudeur"})
        assert response.status_code == 200
        assert [item["rncp_code"] for item in response.json()["items"]] == ["RNCP38077"]
        assert response.headers["ratelimit-limit"] == "600"
        assert len(response.headers["x-request-id"]) >= 8

    async def test_unknown_segments_are_404_problems(
        self, start_gateway: StartGateway
    ) -> None:
        gateway = await start_gateway()
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.get("/v1/nothing")
        assert (response.status_code, response.json()["code"]) == (
            404,
            "ROUTE_NOT_FOUND",
        )

    async def test_writes_need_a_key_and_the_right_role(
        self, start_gateway: StartGateway
    ) -> None:
        gateway = await start_gateway()
        partner = await gateway.client_key(Role.PARTNER)
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            anonymous = await client.get("/v1/imports")
            assert (
                anonymous.status_code == 401
                and "Bearer" in anonymous.headers["www-authenticate"]
            )
            unknown = await client.get(
                "/v1/imports",
                headers={"Authorization": "Bearer vae_0000000000000000_" + "x" * 43},
            )
            assert unknown.status_code == 401
            refused = await client.get(
                "/v1/imports", headers={"Authorization": f"Bearer {partner}"}
            )
            assert (refused.status_code, refused.json()["code"]) == (403, "FORBIDDEN")
            allowed = await client.get("/v1/imports", headers=gateway.admin())
            # The list holds the imports other tests made on the shared catalog.
            assert allowed.status_code == 200 and isinstance(allowed.json(), list)
