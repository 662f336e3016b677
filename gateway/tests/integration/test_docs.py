"""The merged OpenAPI document, Swagger UI and ReDoc of a real gateway in front of a real catalog."""

from __future__ import annotations

import re
from typing import Any

import httpx
import orjson
import pytest
import pytest_asyncio
from gateway_processes import GatewayLauncher, RunningGateway
from openapi_spec_validator import validate

from common.testing import ServiceProcess

pytestmark = pytest.mark.asyncio
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui.css": "text/css",
    "redoc.standalone.js": "text/javascript",
    "favicon.png": "image/png",
}


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _public(operation: dict[str, Any], path: str) -> bool:
    return (
        path.startswith("/v1/")
        and "/internal/" not in path
        and not operation.get("x-internal")
    )


@pytest_asyncio.fixture(scope="module")
async def gateway(gateways: GatewayLauncher) -> RunningGateway:
    """One gateway for the module: the documentation does not depend on the registry's store."""
    return await gateways.start()


@pytest_asyncio.fixture(scope="module")
async def merged(gateway: RunningGateway) -> dict[str, Any]:
    """The gateway's /openapi.json."""
    async with httpx.AsyncClient(base_url=gateway.url) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    document: dict[str, Any] = response.json()
    return document


class TestOpenApi:
    async def test_holds_every_catalog_operation_and_the_gateways_own(
        self, merged: dict[str, Any], catalog: ServiceProcess
    ) -> None:
        async with httpx.AsyncClient(base_url=catalog.url) as client:
            own = (await client.get("/openapi.json")).json()
        expected = {
            key
            for key, operation in _operations(own).items()
            if _public(operation, key[1])
        }
        assert len(expected) >= 10
        operations = set(_operations(merged))
        assert expected <= operations
        clients = {key for key in operations if key[1].startswith("/v1/clients")}
        assert {("GET", "/v1/clients"), ("POST", "/v1/clients")} <= clients
        assert operations == expected | clients

    async def test_every_operation_has_a_summary_and_a_unique_id(
        self, merged: dict[str, Any]
    ) -> None:
        operations = _operations(merged)
        assert [key for key, op in operations.items() if not op.get("summary")] == []
        ids = [op.get("operationId") for op in operations.values()]
        assert None not in ids and len(ids) == len(set(ids))

    async def test_describes_api_keys_and_no_internal_token(
        self, merged: dict[str, Any]
    ) -> None:
        assert set(merged["components"]["securitySchemes"]) == {"apiKey"}
        assert b"internalToken" not in orjson.dumps(merged)
        operations = _operations(merged)
        assert "security" not in operations[("GET", "/v1/certifications")]
        assert operations[("POST", "/v1/certifications")]["security"] == [
            {"apiKey": []}
        ]
        assert operations[("POST", "/v1/clients")]["security"] == [{"apiKey": []}]

    async def test_documents_errors_as_problem_json(
        self, merged: dict[str, Any]
    ) -> None:
        for (method, path), operation in _operations(merged).items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")) and "$ref" not in response:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
        assert "HTTPValidationError" not in merged["components"]["schemas"]
        listed = _operations(merged)[("GET", "/v1/certifications")]["responses"]
        assert listed["429"] == {"$ref": "#/components/responses/GatewayRateLimited"}

    async def test_validates_as_openapi_3_1(self, merged: dict[str, Any]) -> None:
        assert merged["openapi"].startswith("3.1")
        validate(merged)


class TestPages:
    @pytest.mark.parametrize(
        ("page", "assets"),
        [
            ("/docs", ["swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"]),
            ("/redoc", ["redoc.standalone.js", "favicon.png"]),
        ],
    )
    async def test_pages_use_only_the_gateways_own_assets(
        self, gateway: RunningGateway, page: str, assets: list[str]
    ) -> None:
        async with httpx.AsyncClient(base_url=gateway.url) as client:
            response = await client.get(page)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/html")
            html = response.text
            assert re.findall(r"https?://", html) == []
            referenced = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert sorted(referenced) == sorted(
                f"/static/docs/{name}" for name in assets
            )
            assert "/openapi.json" in html
            policy = response.headers["content-security-policy"]
            assert "default-src 'self'" in policy
            assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
            for name in assets:
                asset = await client.get(f"/static/docs/{name}")
                assert asset.status_code == 200, name
                assert asset.headers["content-type"].startswith(ASSETS[name]), name
                assert len(asset.content) > 1000, name
