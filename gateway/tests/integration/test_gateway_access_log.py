"""The gateway's access log: one JSON line per request, as common's structlog line reads."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from gateway_processes import RunningGateway, eventually

pytestmark = pytest.mark.asyncio

REQUEST_ID = "access-log-test-0001"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def access_lines(gateway: RunningGateway) -> list[dict[str, Any]]:
    lines = []
    for line in gateway.process.log.read_text().splitlines():
        if line.startswith("{"):
            entry = json.loads(line)
            if entry.get("event") == "request":
                lines.append(entry)
    return lines


async def test_one_line_per_request_with_ids_and_without_the_query(
    echo_gateway: RunningGateway,
) -> None:
    headers = {
        "x-request-id": REQUEST_ID,
        "traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01",
    }
    async with httpx.AsyncClient(base_url=echo_gateway.url) as client:
        response = await client.get(
            "/v1/echo/some/path", params={"email": "a@b.fr"}, headers=headers
        )
        assert response.status_code == 200
        assert (await client.get("/livez")).status_code == 200

    async def logged() -> bool:
        return any(e["request_id"] == REQUEST_ID for e in access_lines(echo_gateway))

    await eventually(logged, within=5)
    [entry] = [e for e in access_lines(echo_gateway) if e["request_id"] == REQUEST_ID]
    assert list(entry)[:5] == ["method", "route", "status", "duration_ms", "event"]
    assert list(entry)[-2:] == ["level", "timestamp"]
    assert entry["method"] == "GET"
    assert entry["route"] == "/v1/echo/…"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["trace_id"] == TRACE_ID
    assert entry["level"] == "info"
    assert TIMESTAMP.match(entry["timestamp"])
    log = echo_gateway.process.log.read_text()
    assert "a@b.fr" not in log and "some/path" not in log
    assert not [e for e in access_lines(echo_gateway) if e["route"] == "/livez"]
