"""The sessions service's OpenAPI document: valid, and every operation shows examples."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from openapi_spec_validator import validate

pytestmark = pytest.mark.asyncio

_METHODS = {"get", "post", "put", "patch", "delete"}


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in _METHODS
    }


def _example_summaries(media: dict[str, Any]) -> list[str | None] | None:
    """The summaries of a media type's examples; None when it has none."""
    if media.get("examples"):
        return [example.get("summary") for example in media["examples"].values()]
    return None


@pytest_asyncio.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


class TestOpenApi:
    async def test_is_a_valid_openapi_document(self, document: dict[str, Any]) -> None:
        validate(document)
        assert len(_operations(document)) >= 30

    async def test_every_operation_has_request_and_success_examples(
        self, document: dict[str, Any]
    ) -> None:
        missing = []
        for (method, path), operation in _operations(document).items():
            body = operation.get("requestBody")
            for media_type, media in (body or {}).get("content", {}).items():
                summaries = _example_summaries(media)
                if not summaries or None in summaries:
                    missing.append((method, path, "request", media_type))
            successes = {
                status: answer
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            }
            assert successes, (method, path)
            for status, answer in successes.items():
                content = answer.get("content")
                if status == "204":
                    assert not content, (method, path)
                    continue
                if not content:
                    missing.append((method, path, status, None))
                for media_type, media in (content or {}).items():
                    summaries = _example_summaries(media)
                    if not summaries or None in summaries:
                        missing.append((method, path, status, media_type))
        assert missing == []

    async def test_every_operation_has_a_summary_and_a_description(
        self, document: dict[str, Any]
    ) -> None:
        operations = _operations(document)
        assert [key for key, op in operations.items() if not op.get("summary")] == []
        assert [
            key for key, op in operations.items() if not op.get("description")
        ] == []

    async def test_examples_name_the_french_terms(
        self, document: dict[str, Any]
    ) -> None:
        text = str(document)
        for term in (
            "session d'examen",
            "centre d'examen",
            "convocation",
            "procès-verbal",
            "habilitation",
            "agrément",
            "membre de jury",
            "inscription",
            "émargement",
        ):
            assert term.lower() in text.lower(), term

    async def test_the_lheo_export_is_documented_as_xml(
        self, document: dict[str, Any]
    ) -> None:
        operation = document["paths"]["/v1/exam-sessions/lheo"]["get"]

        assert list(operation["responses"]["200"]["content"]) == ["application/xml"]
        assert "204" in operation["responses"]
        assert operation["operationId"] == "exam-sessions-export_calendar_lheo"
