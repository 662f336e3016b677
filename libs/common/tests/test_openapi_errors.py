"""The OpenAPI document tells the truth about errors: 422 is problem+json, with its codes."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Query

from common import InvalidCursorError, install_error_handlers, problem_responses


def build_schema() -> dict[str, Any]:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/v1/things", responses=problem_responses(InvalidCursorError))
    async def list_things(limit: int = Query(1, ge=1)) -> dict[str, int]:
        return {"limit": limit}

    @app.get("/v1/plain")
    async def plain(size: int = 1) -> dict[str, int]:
        return {"size": size}

    return app.openapi()


class TestDocumentedValidationErrors:
    def test_validation_errors_are_problem_json(self) -> None:
        schema = build_schema()
        answer = schema["paths"]["/v1/plain"]["get"]["responses"]["422"]
        assert answer["content"] == {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}
            }
        }
        assert answer["description"] == "Unprocessable Entity: VALIDATION_FAILED"

    def test_declared_codes_are_kept(self) -> None:
        answer = build_schema()["paths"]["/v1/things"]["get"]["responses"]["422"]
        assert (
            answer["description"]
            == "Unprocessable Entity: VALIDATION_FAILED, INVALID_CURSOR"
        )

    def test_fastapis_own_validation_schemas_are_gone(self) -> None:
        schemas = build_schema()["components"]["schemas"]
        assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
        assert "Problem" in schemas and "ValidationIssue" in schemas


class TestServesDocs:
    def test_docs_are_hidden_in_production_unless_asked(self) -> None:
        from pydantic_settings import SettingsConfigDict

        from common import BaseServiceSettings, Environment

        class Demo(BaseServiceSettings):
            model_config = SettingsConfigDict(
                env_prefix="SERVESDOCSDEMO_", extra="forbid"
            )

        production = {
            "environment": Environment.PRODUCTION,
            "database_url": "postgresql+asyncpg://db/x",
            "internal_token_public_key": "pem",
        }
        assert Demo().serves_docs()
        assert not Demo(**production).serves_docs()
        assert Demo(**production, docs_enabled=True).serves_docs()
        assert not Demo(docs_enabled=False).serves_docs()
