"""Problem details: every error of a service answers application/problem+json."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from common import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    Problem,
    ServiceError,
    install_error_handlers,
    problem_response,
    problem_responses,
)

PROBLEM_JSON = "application/problem+json"
SECRET = "password=hunter2 SELECT * FROM candidate"


class CertificationInactiveError(ConflictError):
    code = "CERTIFICATION_INACTIVE"
    title = "Certification inactive"


class CertificationNotFoundError(NotFoundError):
    code = "CERTIFICATION_NOT_FOUND"


class CertificationIn(BaseModel):
    rncp_code: str = Field(pattern=r"^RNCP\d{4,5}$")
    level: int = Field(ge=3, le=8)


def build_app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/v1/certifications/{rncp_code}")
    async def read_certification(rncp_code: str) -> dict[str, str]:
        if rncp_code == "RNCP99999":
            raise CertificationNotFoundError(
                f"No certification has the code {rncp_code}: check the RNCP number."
            )
        raise CertificationInactiveError(
            f"The certification {rncp_code} is inactive: choose its active version.",
            headers={"Retry-After": "120"},
            rncp_code=rncp_code,
            active_version="RNCP37000",
        )

    @app.get("/v1/certifications")
    async def list_certifications(
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        level: Annotated[int | None, Query(ge=3, le=8)] = None,
    ) -> dict[str, int]:
        return {"limit": limit}

    @app.post("/v1/certifications", status_code=201)
    async def create_certification(body: CertificationIn) -> dict[str, str]:
        return {"rncp_code": body.rncp_code}

    @app.get("/v1/legacy")
    async def legacy() -> None:
        raise HTTPException(
            status_code=410, detail="This endpoint is retired: use /v1/certifications."
        )

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError(SECRET)

    return app


@pytest_asyncio.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    # The 500 handler answers, then Starlette re-raises for the server's log: keep the answer.
    transport = httpx.ASGITransport(app=build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """Checks a response is problem details and returns its body."""
    assert response.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    Problem.model_validate(body)
    assert body["status"] == response.status_code
    return body


class TestInstallErrorHandlers:
    @pytest.mark.asyncio
    async def test_renders_a_service_error_as_problem_details(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/RNCP34691")

        assert response.status_code == 409
        assert problem_of(response) == {
            "type": "https://vae.example.org/problems/certification-inactive",
            "title": "Certification inactive",
            "status": 409,
            "detail": "The certification RNCP34691 is inactive: choose its active version.",
            "instance": "/v1/certifications/RNCP34691",
            "code": "CERTIFICATION_INACTIVE",
            "rncp_code": "RNCP34691",
            "active_version": "RNCP37000",
        }

    @pytest.mark.asyncio
    async def test_keeps_the_headers_of_a_service_error(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/RNCP34691")

        assert response.headers["retry-after"] == "120"

    @pytest.mark.asyncio
    async def test_titles_a_service_error_with_its_status_phrase_by_default(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/certifications/RNCP99999")

        assert response.status_code == 404
        body = problem_of(response)
        assert body["title"] == "Not Found"
        assert body["code"] == "CERTIFICATION_NOT_FOUND"
        assert (
            body["type"] == "https://vae.example.org/problems/certification-not-found"
        )

    @pytest.mark.asyncio
    async def test_renders_invalid_query_parameters_as_validation_failed(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get(
            "/v1/certifications", params={"limit": "1000", "level": "two"}
        )

        assert response.status_code == 422
        body = problem_of(response)
        assert body["code"] == "VALIDATION_FAILED"
        assert body["instance"] == "/v1/certifications"
        assert [issue["loc"] for issue in body["errors"]] == [
            ["query", "limit"],
            ["query", "level"],
        ]
        assert [issue["type"] for issue in body["errors"]] == [
            "less_than_equal",
            "int_parsing",
        ]
        assert all(issue["msg"] for issue in body["errors"])
        assert body["detail"].startswith("The request is invalid; fix these fields:")
        assert "query.limit" in body["detail"]
        assert "query.level" in body["detail"]

    @pytest.mark.asyncio
    async def test_renders_an_invalid_body_with_the_path_of_each_field(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/certifications", json={"rncp_code": "34691", "level": 9}
        )

        assert response.status_code == 422
        body = problem_of(response)
        assert body["code"] == "VALIDATION_FAILED"
        assert [issue["loc"] for issue in body["errors"]] == [
            ["body", "rncp_code"],
            ["body", "level"],
        ]
        assert "body.rncp_code" in body["detail"]
        assert "body.level" in body["detail"]

    @pytest.mark.asyncio
    async def test_does_not_echo_the_invalid_input(
        self, client: httpx.AsyncClient
    ) -> None:
        # Inputs may carry personal data; the problem names the fields, not their values.
        response = await client.post(
            "/v1/certifications",
            json={"rncp_code": "jean.dupont@example.org", "level": 5},
        )

        assert response.status_code == 422
        assert "jean.dupont" not in response.text

    @pytest.mark.asyncio
    async def test_renders_malformed_json_as_validation_failed(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/certifications",
            content=b'{"rncp_code": ',
            headers={"content-type": "application/json"},
        )

        assert response.status_code == 422
        body = problem_of(response)
        assert body["code"] == "VALIDATION_FAILED"
        assert body["errors"][0]["type"] == "json_invalid"
        assert body["errors"][0]["loc"][0] == "body"

    @pytest.mark.asyncio
    async def test_renders_an_unknown_path_as_not_found(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/nowhere")

        assert response.status_code == 404
        body = problem_of(response)
        assert body["code"] == "NOT_FOUND"
        assert body["instance"] == "/v1/nowhere"
        assert "/v1/nowhere" in body["detail"]

    @pytest.mark.asyncio
    async def test_renders_a_wrong_method_as_method_not_allowed(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.delete("/v1/certifications/RNCP34691")

        assert response.status_code == 405
        body = problem_of(response)
        assert body["code"] == "METHOD_NOT_ALLOWED"
        assert body["detail"].startswith("DELETE is not allowed")
        assert response.headers["allow"] == "GET"

    @pytest.mark.asyncio
    async def test_allows_the_methods_of_every_route_of_the_path(
        self, client: httpx.AsyncClient
    ) -> None:
        # GET and POST are two routes of one path: Starlette alone names only the first.
        response = await client.patch("/v1/certifications", json={})

        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"

    @pytest.mark.asyncio
    async def test_renders_a_body_that_is_not_utf8_as_a_validation_failure(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            "/v1/certifications",
            content=b"\xba\xda\xf5\x81\n",
            headers={"content-type": "application/json"},
        )

        assert response.status_code == 422
        body = problem_of(response)
        assert body["code"] == "VALIDATION_FAILED"
        assert "UTF-8" in body["detail"]

    @pytest.mark.asyncio
    async def test_keeps_the_detail_of_an_explicit_http_exception(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/legacy")

        assert response.status_code == 410
        body = problem_of(response)
        assert body["code"] == "HTTP_410"
        assert body["detail"] == "This endpoint is retired: use /v1/certifications."

    @pytest.mark.asyncio
    async def test_hides_an_unexpected_exception_behind_a_500_problem(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/v1/boom")

        assert response.status_code == 500
        body = problem_of(response)
        assert body["code"] == "INTERNAL_ERROR"
        assert body["instance"] == "/v1/boom"
        for internal in ("hunter2", "SELECT", "RuntimeError", "Traceback", "boom()"):
            assert internal not in response.text


class TestProblemResponse:
    def test_derives_the_type_from_the_code(self) -> None:
        response = problem_response(
            None, status=412, code="VERSION_MISMATCH", detail="Reload and retry."
        )

        assert response.status_code == 412
        assert response.media_type == PROBLEM_JSON
        assert Problem.model_validate_json(bytes(response.body)) == Problem(
            type="https://vae.example.org/problems/version-mismatch",
            title="Precondition Failed",
            status=412,
            detail="Reload and retry.",
            code="VERSION_MISMATCH",
        )

    def test_has_no_instance_without_a_request(self) -> None:
        response = problem_response(None, status=409, code="CONFLICT", detail="x")

        assert b'"instance"' not in bytes(response.body)


class TestProblemResponses:
    def test_lists_the_codes_of_each_status(self) -> None:
        responses = problem_responses(
            CertificationNotFoundError,
            CertificationInactiveError,
            ConflictError,
            PreconditionFailedError,
        )

        assert list(responses) == [404, 409, 412]
        assert responses[404]["description"] == "Not Found: CERTIFICATION_NOT_FOUND"
        assert (
            responses[409]["description"]
            == "Conflict: CERTIFICATION_INACTIVE, CONFLICT"
        )
        assert (
            responses[412]["description"] == "Precondition Failed: PRECONDITION_FAILED"
        )
        assert all(response["model"] is Problem for response in responses.values())

    def test_documents_problem_json_in_openapi(self) -> None:
        app = FastAPI()

        @app.get(
            "/v1/things/{thing_id}",
            responses=problem_responses(NotFoundError, PermissionDeniedError),
        )
        async def read_thing(thing_id: str) -> dict[str, str]:
            return {"id": thing_id}

        document = app.openapi()

        responses = document["paths"]["/v1/things/{thing_id}"]["get"]["responses"]
        assert responses["403"]["description"] == "Forbidden: FORBIDDEN"
        schema = responses["404"]["content"][PROBLEM_JSON]["schema"]
        assert schema == {"$ref": "#/components/schemas/Problem"}
        assert {"Problem", "ValidationIssue"} <= set(document["components"]["schemas"])


class TestServiceError:
    def test_keeps_its_detail_headers_and_extensions(self) -> None:
        error = ServiceError(
            "Try later.", headers={"Retry-After": "5"}, queue="imports"
        )

        assert str(error) == "Try later."
        assert error.detail == "Try later."
        assert error.headers == {"Retry-After": "5"}
        assert error.extensions == {"queue": "imports"}
        assert (error.status_code, error.code) == (500, "INTERNAL_ERROR")
