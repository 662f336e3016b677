"""ServiceClient: typed reads of another service, one error for every failure, a short cache."""

from __future__ import annotations

import httpx
import pytest
from pydantic import BaseModel

from common import ServiceClient, ServiceUnavailableError

pytestmark = pytest.mark.asyncio


class Thing(BaseModel):
    code: str


class ThingsUnavailableError(ServiceUnavailableError):
    code = "THINGS_UNAVAILABLE"


def _client(handler: httpx.MockTransport) -> ServiceClient:
    return ServiceClient(
        httpx.AsyncClient(transport=handler),
        "http://things/",
        name="things",
        unavailable=ThingsUnavailableError,
    )


class TestServiceClient:
    async def test_parses_caches_and_maps_404_to_none(self) -> None:
        calls: list[str] = []

        def answer(request: httpx.Request) -> httpx.Response:
            calls.append(str(request.url))
            if request.url.path == "/v1/things/A":
                return httpx.Response(200, json={"code": "A", "extra": 1})
            return httpx.Response(404, json={})

        client = _client(httpx.MockTransport(answer))
        assert await client.get("/v1/things/A", Thing) == Thing(code="A")
        assert await client.get("/v1/things/A", Thing) == Thing(code="A")
        assert await client.get("/v1/things/B", Thing) is None
        assert len(calls) == 2
        await client.get("/v1/things/A", Thing, headers={"Authorization": "Bearer x"})
        assert len(calls) == 3  # reads with credentials are never cached

    @pytest.mark.parametrize(
        "failure",
        [
            lambda request: httpx.Response(500, json={}),
            lambda request: httpx.Response(200, content=b"<html>"),
            lambda request: httpx.Response(200, json={"name": "no code"}),
        ],
    )
    async def test_every_failure_is_the_callers_503(self, failure: object) -> None:
        client = _client(httpx.MockTransport(failure))  # type: ignore[arg-type]
        with pytest.raises(ThingsUnavailableError) as raised:
            await client.get("/v1/things/A", Thing)
        assert raised.value.status_code == 503
        assert "things" in raised.value.detail

    async def test_an_unreachable_service_is_the_callers_503(self) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        with pytest.raises(ThingsUnavailableError):
            await _client(httpx.MockTransport(refuse)).get("/v1/things/A", Thing)
