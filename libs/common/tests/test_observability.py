"""Request ids, metrics, access logs and the health endpoints."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import pytest_asyncio
import structlog
from fastapi import FastAPI, Request
from structlog.testing import capture_logs

from common import ReadinessCheck, install_error_handlers, install_observability

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
SAFE_ID = "gw-2f9c1a7e.b41d_0001"


def build_app(service: str, checks: list[ReadinessCheck] | None = None) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    install_observability(app, service=service, checks=checks or [])

    @app.get("/v1/candidates/{candidate_id}")
    async def read_candidate(candidate_id: str, request: Request) -> dict[str, str]:
        return {
            "state": request.state.request_id,
            "logs": structlog.contextvars.get_contextvars()["request_id"],
        }

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("database password is hunter2")

    return app


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    # The 500 handler answers, then Starlette re-raises for the server's log: keep the answer.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def service() -> str:
    """A service name of its own, so that each test reads only its own metrics."""
    return f"svc-{uuid.uuid4().hex[:8]}"


@pytest_asyncio.fixture
async def client(service: str) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(build_app(service)) as client:
        yield client


async def request_counts(client: httpx.AsyncClient, service: str) -> dict[str, float]:
    """Reads ``http_requests_total`` of one service from ``/metrics``, by label set."""
    response = await client.get("/metrics")
    counts: dict[str, float] = {}
    for line in response.text.splitlines():
        if line.startswith("http_requests_total{") and f'service="{service}"' in line:
            labels, value = line.rsplit(" ", 1)
            counts[labels] = float(value)
    return counts


class TestRequestContextMiddleware:
    @pytest.mark.asyncio
    async def test_echoes_a_safe_request_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get(
            "/v1/candidates/42", headers={"X-Request-ID": SAFE_ID}
        )

        assert response.headers["x-request-id"] == SAFE_ID
        assert response.json() == {"state": SAFE_ID, "logs": SAFE_ID}

    @pytest.mark.parametrize(
        "unsafe",
        [
            "has spaces in it",
            "x" * 200,
            "x" * 65,
            "short",
            "<script>alert(1)</script>",
            "id;rm -rf /",
        ],
    )
    @pytest.mark.asyncio
    async def test_replaces_an_unsafe_request_id(
        self, client: httpx.AsyncClient, unsafe: str
    ) -> None:
        response = await client.get(
            "/v1/candidates/42", headers={"X-Request-ID": unsafe}
        )

        request_id = response.headers["x-request-id"]
        assert GENERATED_ID.match(request_id)
        assert response.json() == {"state": request_id, "logs": request_id}

    @pytest.mark.asyncio
    async def test_generates_a_request_id_when_absent(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await client.get("/v1/candidates/42")
        second = await client.get("/v1/candidates/42")

        assert GENERATED_ID.match(first.headers["x-request-id"])
        assert first.headers["x-request-id"] != second.headers["x-request-id"]

    @pytest.mark.asyncio
    async def test_sends_the_request_id_with_an_unexpected_error(
        self, client: httpx.AsyncClient
    ) -> None:
        # The 500 problem tells the caller to report the request id: it must be there.
        response = await client.get("/v1/boom", headers={"X-Request-ID": SAFE_ID})

        assert response.status_code == 500
        assert response.headers["x-request-id"] == SAFE_ID
        assert "hunter2" not in response.text

    @pytest.mark.asyncio
    async def test_sends_the_request_id_with_error_answers(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/nowhere", headers={"X-Request-ID": SAFE_ID})

        assert response.status_code == 404
        assert response.headers["x-request-id"] == SAFE_ID

    @pytest.mark.asyncio
    async def test_counts_requests_by_route_template(
        self, client: httpx.AsyncClient, service: str
    ) -> None:
        await client.get("/v1/candidates/jean-dupont")
        await client.get("/v1/candidates/marie-curie")

        counts = await request_counts(client, service)

        assert counts == {
            "http_requests_total{"
            f'method="GET",route="/v1/candidates/{{candidate_id}}",service="{service}",status="200"'
            "}": 2.0
        }

    @pytest.mark.asyncio
    async def test_counts_unmatched_paths_under_one_label(
        self, client: httpx.AsyncClient, service: str
    ) -> None:
        await client.get("/v1/jean-dupont")
        await client.get("/v1/marie-curie")

        counts = await request_counts(client, service)

        assert counts == {
            "http_requests_total{"
            f'method="GET",route="unmatched",service="{service}",status="404"'
            "}": 2.0
        }

    @pytest.mark.asyncio
    async def test_counts_unexpected_errors_as_500(
        self, client: httpx.AsyncClient, service: str
    ) -> None:
        await client.get("/v1/boom")

        counts = await request_counts(client, service)

        assert counts == {
            "http_requests_total{"
            f'method="GET",route="/v1/boom",service="{service}",status="500"'
            "}": 1.0
        }

    @pytest.mark.asyncio
    async def test_logs_each_request_by_route_without_the_path_or_query(
        self, client: httpx.AsyncClient
    ) -> None:
        with capture_logs() as logs:
            await client.get("/v1/candidates/jean-dupont", params={"email": "j@d.fr"})

        [entry] = [log for log in logs if log["event"] == "request"]
        assert entry["route"] == "/v1/candidates/{candidate_id}"
        assert entry["method"] == "GET"
        assert entry["status"] == 200
        assert entry["duration_ms"] >= 0
        assert "jean-dupont" not in repr(entry)
        assert "j@d.fr" not in repr(entry)

    @pytest.mark.asyncio
    async def test_does_not_log_health_probes(self, client: httpx.AsyncClient) -> None:
        with capture_logs() as logs:
            await client.get("/livez")
            await client.get("/readyz")
            await client.get("/metrics")

        assert [log for log in logs if log["event"] == "request"] == []


class TestLivez:
    @pytest.mark.asyncio
    async def test_answers_ok(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/livez")

        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    @pytest.mark.asyncio
    async def test_is_not_in_the_openapi_document(self, service: str) -> None:
        paths = build_app(service).openapi()["paths"]

        assert not {"/livez", "/readyz", "/metrics"} & set(paths)


class TestReadyz:
    @pytest.mark.asyncio
    async def test_answers_ready_when_every_check_passes(self, service: str) -> None:
        ran: list[str] = []

        async def database() -> None:
            ran.append("database")

        async def cache() -> None:
            ran.append("cache")

        async with serve(build_app(service, [database, cache])) as client:
            response = await client.get("/readyz")

        assert response.status_code == 200
        assert response.json() == {"status": "ready"}
        assert ran == ["database", "cache"]

    @pytest.mark.asyncio
    async def test_answers_ready_without_checks(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/readyz")

        assert response.status_code == 200

    @pytest.mark.asyncio
    async def test_answers_a_503_problem_when_a_check_raises(
        self, service: str
    ) -> None:
        async def database() -> None:
            raise ConnectionRefusedError(
                "connect to 10.0.3.7:5432 failed [SQL: SELECT 1]"
            )

        async with serve(build_app(service, [database])) as client:
            response = await client.get("/readyz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["code"] == "NOT_READY"
        assert body["status"] == 503
        assert body["instance"] == "/readyz"
        assert "database" in body["detail"]

    @pytest.mark.asyncio
    async def test_keeps_the_failure_text_out_of_the_answer(self, service: str) -> None:
        async def database() -> None:
            raise ConnectionRefusedError(
                "connect to 10.0.3.7:5432 failed [SQL: SELECT 1]"
            )

        async with serve(build_app(service, [database])) as client:
            with capture_logs() as logs:
                response = await client.get("/readyz")

        assert "10.0.3.7" not in response.text
        assert "SELECT" not in response.text
        [entry] = [log for log in logs if log["event"] == "readiness_check_failed"]
        assert entry["check"] == "database"

    @pytest.mark.asyncio
    async def test_stops_at_the_first_failing_check(self, service: str) -> None:
        ran: list[str] = []

        async def database() -> None:
            ran.append("database")
            raise TimeoutError

        async def cache() -> None:
            ran.append("cache")

        async with serve(build_app(service, [database, cache])) as client:
            response = await client.get("/readyz")

        assert response.status_code == 503
        assert ran == ["database"]


class TestMetrics:
    @pytest.mark.asyncio
    async def test_exposes_prometheus_text(
        self, client: httpx.AsyncClient, service: str
    ) -> None:
        await client.get("/v1/candidates/42")

        response = await client.get("/metrics")

        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        assert "# TYPE http_requests_total counter" in response.text
        assert "# TYPE http_request_duration_seconds histogram" in response.text
        assert (
            "http_request_duration_seconds_count{"
            f'method="GET",route="/v1/candidates/{{candidate_id}}",service="{service}"'
            "} 1.0"
        ) in response.text
        assert "/v1/candidates/42" not in response.text
