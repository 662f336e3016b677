"""Request bodies through a real gateway: 413 before the service, streamed uploads, cut uploads.

The default limit (``max_body_bytes``, 1 MiB) guards every route; ``/v1/imports`` has its own,
larger one and streams the upload to the catalog. An upload its caller abandons must reach the
service as cut, never as a whole (shorter) body.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from gateway_processes import EchoProcess, RunningGateway, eventually

from common import Role

pytestmark = pytest.mark.asyncio

LIMIT = 1_048_576


@pytest_asyncio.fixture
async def client(echo_gateway: RunningGateway) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=echo_gateway.url, timeout=30) as client:
        yield client


@pytest_asyncio.fixture
async def partner(echo_gateway: RunningGateway) -> dict[str, str]:
    """The headers of a partner's request."""
    return {"Authorization": f"Bearer {await echo_gateway.client_key(Role.PARTNER)}"}


async def chunks(total: int, size: int = 65_536) -> AsyncIterator[bytes]:
    """A body of ``total`` bytes sent in chunks, without Content-Length (chunked encoding)."""
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


class CallerGoneError(Exception):
    """Raised by a request body to make the client drop its connection midway."""


async def chunks_then_gone(total: int) -> AsyncIterator[bytes]:
    """A chunked body that stops after ``total`` bytes without ending: the caller goes away."""
    async for chunk in chunks(total):
        yield chunk
    await asyncio.sleep(0.2)  # let the gateway relay what it has
    raise CallerGoneError


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "BODY_TOO_LARGE"
    assert f"{LIMIT:,}" in response.json()["detail"]


class TestBodyLimits:
    async def test_a_body_within_the_limit_reaches_the_service_whole(
        self, client: httpx.AsyncClient, partner: dict[str, str]
    ) -> None:
        for body in (b"y" * LIMIT, chunks(LIMIT)):
            response = await client.post(
                "/v1/echo/upload", content=body, headers=partner
            )
            assert response.status_code == 200
            assert response.json()["body_bytes"] == LIMIT

    async def test_a_declared_length_over_the_limit_is_refused_before_the_service(
        self, client: httpx.AsyncClient, partner: dict[str, str], echo: EchoProcess
    ) -> None:
        seen = await echo.seen()
        started = time.monotonic()
        response = await client.post(
            "/v1/echo/upload", content=b"y" * (2 * LIMIT), headers=partner
        )
        elapsed = time.monotonic() - started
        assert_too_large(response)
        assert await echo.seen() == seen
        assert elapsed < 2.0

    async def test_a_chunked_body_growing_past_the_limit_is_refused(
        self, client: httpx.AsyncClient, partner: dict[str, str]
    ) -> None:
        for headers in (partner, {**partner, "Idempotency-Key": "body-limit-0001"}):
            response = await client.post(
                "/v1/echo/upload", content=chunks(LIMIT + 1), headers=headers
            )
            assert_too_large(response)

    async def test_a_chunked_get_body_past_the_limit_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.request("GET", "/v1/echo/x", content=chunks(LIMIT + 1))
        assert_too_large(response)

    async def test_an_import_takes_a_larger_body_streamed_to_the_catalog(
        self, echo_gateway: RunningGateway, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/imports",
            params={"file_name": "not-an-export.xml"},
            content=chunks(3 * LIMIT),
            headers=echo_gateway.admin(),
        )
        assert response.status_code == 202, response.text
        job = response.json()
        assert response.headers["location"] == f"/v1/imports/{job['id']}"
        assert job["progress"]["total_bytes"] == 3 * LIMIT


class TestInterruptedUploads:
    async def test_an_upload_the_caller_abandons_is_never_passed_on_as_whole(
        self, client: httpx.AsyncClient, partner: dict[str, str], echo: EchoProcess
    ) -> None:
        with pytest.raises(CallerGoneError):
            await client.post(
                "/v1/echo/upload", content=chunks_then_gone(200_000), headers=partner
            )

        async def echo_saw_the_end() -> bool:
            return (await echo.last_body())["bytes"] == 200_000

        await eventually(echo_saw_the_end, within=5.0)
        assert await echo.last_body() == {"bytes": 200_000, "whole": False}
