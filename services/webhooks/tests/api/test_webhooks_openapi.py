"""The OpenAPI document: every operation summarised, described, its errors and examples given."""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate

from webhooks.config import Settings
from webhooks.main import create_app

METHODS = {"get", "post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    schema: dict[str, Any] = create_app(Settings()).openapi()
    return schema


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def has_example(media: dict[str, Any], document: dict[str, Any]) -> bool:
    if media.get("example") is not None or media.get("examples"):
        return True
    reference = media.get("schema", {}).get("$ref", "")
    name = reference.rsplit("/", 1)[-1]
    return bool(document["components"]["schemas"].get(name, {}).get("examples"))


def test_the_document_is_valid_openapi(document: dict[str, Any]) -> None:
    validate(document)


def test_lists_the_public_operations_only(document: dict[str, Any]) -> None:
    found = {(method.upper(), path) for path, method, _ in operations(document)}
    base = "/v1/webhook-subscriptions"
    assert found == {
        ("GET", "/v1/webhook-event-types"),
        ("POST", base),
        ("GET", base),
        ("GET", base + "/{subscription_id}"),
        ("PATCH", base + "/{subscription_id}"),
        ("DELETE", base + "/{subscription_id}"),
        ("POST", base + "/{subscription_id}/secret-rotations"),
        ("POST", base + "/{subscription_id}/pings"),
        ("GET", base + "/{subscription_id}/deliveries"),
        ("GET", base + "/{subscription_id}/deliveries/{delivery_id}"),
        ("POST", base + "/{subscription_id}/deliveries/{delivery_id}/redeliveries"),
    }


def test_every_operation_is_documented_with_examples(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert len(operation.get("description", "")) > 40, where
        assert operation["operationId"].startswith("webhook-"), where
        body = operation.get("requestBody")
        if body is not None:
            media = body["content"]["application/json"]
            assert media.get("examples"), where
        responses = operation["responses"]
        successes = [s for s in responses if s.startswith("2")]
        assert len(successes) == 1, where
        success = responses[successes[0]]
        if successes[0] != "204":
            assert has_example(success["content"]["application/json"], document), where
        assert "401" in responses and "403" in responses, where
        for status, response in responses.items():
            if status.startswith("4"):
                problem = response["content"]["application/problem+json"]
                assert problem.get("examples"), (where, status)
                for example in problem["examples"].values():
                    assert example["value"]["status"] == int(status)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter.get("examples"), (where, parameter["name"])


def test_ids_answer_404_and_changes_412(document: dict[str, Any]) -> None:
    item = document["paths"]["/v1/webhook-subscriptions/{subscription_id}"]
    assert "404" in item["get"]["responses"]
    assert "412" in item["patch"]["responses"]
    assert (
        "WEBHOOK_SUBSCRIPTION_VERSION_MISMATCH"
        in (item["patch"]["responses"]["412"]["description"])
    )
    created = document["paths"]["/v1/webhook-subscriptions"]["post"]["responses"]
    assert "EVENT_TYPES_NOT_ALLOWED" in created["422"]["description"]
    assert created["201"]["content"]["application/json"]["example"][
        "secret"
    ].startswith("whsec_")
