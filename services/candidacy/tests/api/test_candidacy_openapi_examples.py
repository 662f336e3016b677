"""The candidacy app's OpenAPI: every operation documented, with examples that match its schemas."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate

from candidacy.candidacy.vocabulary import enum_descriptions

pytestmark = pytest.mark.asyncio

JSON = "application/json"
METHODS = ("get", "post", "put", "patch", "delete")


@pytest_asyncio.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def _check_examples(
    document: dict[str, Any], media: dict[str, Any], where: str
) -> list[str]:
    """What is wrong with a media type's examples: none, unnamed, or not matching its schema."""
    examples = media.get("examples") or {}
    if not examples:
        return [f"{where}: no examples"]
    # The schema's $refs point into the document's components: give it them at its root.
    validator = OAS31Validator(
        {**media["schema"], "components": document["components"]}
    )
    problems = []
    for name, example in examples.items():
        if not example.get("summary"):
            problems.append(f"{where} {name}: no summary")
        problems += [
            f"{where} {name}: {error.message}"
            for error in validator.iter_errors(example["value"])
        ]
    return problems


class TestOperations:
    async def test_is_a_valid_openapi_document_of_every_operation(
        self, document: dict[str, Any]
    ) -> None:
        validate(document)
        # candidates (11), candidacies (11), statistics (1), acquired blocks (3)
        assert len(_operations(document)) == 26

    async def test_every_operation_has_a_summary_and_a_description(
        self, document: dict[str, Any]
    ) -> None:
        for method, path, operation in _operations(document):
            assert operation.get("summary"), (method, path)
            assert operation.get("description"), (method, path)

    async def test_every_request_body_has_examples_matching_its_schema(
        self, document: dict[str, Any]
    ) -> None:
        problems = []
        bodies = 0
        for method, path, operation in _operations(document):
            body = operation.get("requestBody")
            if body is None:
                continue
            bodies += 1
            assert list(body["content"]) == [JSON], (method, path)
            problems += _check_examples(
                document, body["content"][JSON], f"{method} {path} body"
            )
        assert problems == []
        assert bodies == 10

    async def test_every_success_answer_has_examples_matching_its_schema(
        self, document: dict[str, Any]
    ) -> None:
        problems = []
        for method, path, operation in _operations(document):
            successes = {
                status: answer
                for status, answer in operation["responses"].items()
                if status.startswith("2")
            }
            assert len(successes) == 1, (method, path)
            for status, answer in successes.items():
                if status == "204":
                    assert "content" not in answer, (method, path)
                    continue
                assert list(answer["content"]) == [JSON], (method, path)
                problems += _check_examples(
                    document, answer["content"][JSON], f"{method} {path} {status}"
                )
        assert problems == []

    async def test_a_wrong_example_would_be_caught(
        self, document: dict[str, Any]
    ) -> None:
        operation = document["paths"]["/v1/candidacies/{candidacy_id}"]["get"]
        media = dict(operation["responses"]["200"]["content"][JSON])
        media["examples"] = {"bad": {"summary": "x", "value": {"state": "RECEVABLE"}}}
        assert _check_examples(document, media, "GET") != []

    async def test_the_france_vae_examples_show_france_vae_values(
        self, document: dict[str, Any]
    ) -> None:
        operation = document["paths"]["/v1/candidacies/{candidacy_id}"]["get"]
        examples = operation["responses"]["200"]["content"][JSON]["examples"]
        assert examples["vae"]["value"]["france_vae"] is None
        france_vae = examples["france_vae"]["value"]["france_vae"]
        assert france_vae["status"] == "DOSSIER_DE_VALIDATION_ENVOYE"
        assert france_vae["jury_result_interop"] == (
            "SUCCES_PARTIEL_CERTIFICATION_COMPLETE"
        )
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert parameters["vocabulary"]["schema"]["$ref"].endswith("/Vocabulary")
        assert document["components"]["schemas"]["Vocabulary"]["enum"] == [
            "vae",
            "france-vae",
        ]

    async def test_the_vocabulary_route_comes_before_the_candidacy_id(
        self, document: dict[str, Any]
    ) -> None:
        paths = list(document["paths"])
        assert paths.index("/v1/candidacies/vocabulary") < paths.index(
            "/v1/candidacies/{candidacy_id}"
        )


class TestEnumDescriptions:
    @pytest.mark.parametrize("name", sorted(enum_descriptions()))
    async def test_each_enum_shows_its_france_vae_table(
        self, document: dict[str, Any], name: str
    ) -> None:
        schema = document["components"]["schemas"][name]
        assert schema["description"] == enum_descriptions()[name]
        assert "| value | French term | France VAE" in schema["description"]
        for value in schema["enum"]:
            assert f"| `{value}` |" in schema["description"], value

    async def test_the_state_table_names_france_vae_statuses(
        self, document: dict[str, Any]
    ) -> None:
        description = document["components"]["schemas"]["State"]["description"]
        assert (
            "| `ADMISSIBLE` | dossier de faisabilité recevable (candidature recevable), "
            "en attente du jury | `DOSSIER_FAISABILITE_RECEVABLE` |"
        ) in description
        assert (
            "- `PRISE_EN_CHARGE` (candidature prise en charge par l'AAP)" in description
        )
