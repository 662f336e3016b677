"""Dates and date-times in query strings: ISO 8601 text only, never a Unix timestamp."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import httpx
import pytest
from fastapi import FastAPI, Query

from common import QueryDate, QueryDateTime, install_error_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/window")
    async def window(
        as_of: Annotated[QueryDate | None, Query()] = None,
        after: Annotated[QueryDateTime | None, Query()] = None,
    ) -> dict[str, str | None]:
        return {
            "as_of": as_of.isoformat() if as_of else None,
            "after": after.astimezone(UTC).isoformat() if after else None,
        }

    return app


async def _get(**params: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.get("/window", params=params)


@pytest.mark.asyncio(loop_scope="session")
class TestQueryDates:
    @pytest.mark.parametrize(
        "params",
        [
            {"as_of": "0"},
            {"as_of": "1700000000"},
            {"as_of": "20260901"},
            {"after": "0.5"},
            {"after": "2026-09-01T08:00:00"},
        ],
    )
    async def test_refuses_anything_but_iso_8601(self, params: dict[str, str]) -> None:
        response = await _get(**params)
        assert response.status_code == 422
        assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]
        assert "e.g. 2026-09-01" in response.json()["detail"]

    async def test_reads_iso_8601(self) -> None:
        response = await _get(as_of="2026-09-01", after="2026-09-01T08:00:00+02:00")
        assert response.json() == {
            "as_of": date(2026, 9, 1).isoformat(),
            "after": datetime(2026, 9, 1, 6, tzinfo=UTC).isoformat(),
        }
