"""merge(): one OpenAPI 3.1 document from the gateway's and the services' own, on small hand-made ones."""

from __future__ import annotations

import copy
from typing import Any

import orjson
import pytest
from openapi_spec_validator import validate

from gateway.docs.merge import MergedOpenApi, merge

PROBLEM = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "status": {"type": "integer"}},
    "required": ["code", "status"],
}
INTERNAL_TOKEN = {"internalToken": {"type": "http", "scheme": "bearer"}}


def _ok(ref: str) -> dict[str, Any]:
    return {
        "description": "Successful Response",
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}
        },
    }


def _operation(operation_id: str, ref: str, **extra: Any) -> dict[str, Any]:
    return {
        "summary": operation_id.replace("_", " ").capitalize(),
        "operationId": operation_id,
        "responses": {"200": _ok(ref)},
        **extra,
    }


def _gateway() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "VAE gateway", "version": "1.0.0"},
        "paths": {
            "/v1/clients": {
                "get": _operation("list_clients", "Client", security=[{"apiKey": []}]),
            },
            "/livez": {"get": _operation("livez", "Client")},
        },
        "components": {
            "schemas": {
                "Client": {"type": "object", "properties": {"id": {"type": "string"}}},
                "Problem": PROBLEM,
            }
        },
    }


def _catalog() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Catalog", "version": "1.0.0"},
        "paths": {
            "/v1/certifications": {
                "get": _operation("list_certifications", "Page"),
                "post": _operation(
                    "create_certification",
                    "Certification",
                    security=[{"internalToken": []}],
                ),
            },
            "/v1/certifications/{rncp_code}": {
                "parameters": [
                    {
                        "name": "rncp_code",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "get": _operation("get_certification", "Certification"),
            },
            "/internal/v1/certifications/{rncp_code}/blocks": {
                "get": _operation("internal_blocks", "InternalOnly"),
            },
            "/v1/internal/reindex": {"post": _operation("reindex", "Certification")},
            "/readyz": {"get": _operation("readyz", "Certification")},
            "/v1/certifications/{rncp_code}/secret": {
                "get": _operation("secret", "Certification", **{"x-internal": True}),
            },
        },
        "components": {
            "schemas": {
                "Certification": {
                    "type": "object",
                    "properties": {"rncp_code": {"type": "string"}},
                },
                "Page": {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Certification"},
                        }
                    },
                },
                "InternalOnly": {"type": "object"},
                "Problem": copy.deepcopy(PROBLEM),
            },
            "securitySchemes": INTERNAL_TOKEN,
        },
    }


def _sessions() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Sessions", "version": "1.0.0"},
        "paths": {
            "/v1/exam-sessions": {
                "get": _operation("list_certifications", "Page"),
                "post": _operation(
                    "create_session",
                    "Certification",
                    requestBody={
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Certification"}
                            }
                        }
                    },
                ),
            },
        },
        # Top-level security applies to every operation that has none of its own.
        "security": [{"internalToken": []}],
        "components": {
            "schemas": {
                # Same name as the catalog's, another shape.
                "Certification": {
                    "type": "object",
                    "properties": {"session_id": {"type": "integer"}},
                },
                # Same shape as the catalog's, but it refers to the clashing Certification.
                "Page": {
                    "type": "object",
                    "properties": {
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Certification"},
                        }
                    },
                },
                "Problem": copy.deepcopy(PROBLEM),
            },
            "securitySchemes": INTERNAL_TOKEN,
        },
    }


def _merged() -> dict[str, Any]:
    return merge(_gateway(), {"sessions": _sessions(), "catalog": _catalog()})


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "parameters"
    }


class TestMerge:
    def test_merges_the_paths_of_every_service_and_the_gateway(self) -> None:
        merged = _merged()
        assert set(_operations(merged)) == {
            ("GET", "/v1/clients"),
            ("GET", "/v1/certifications"),
            ("POST", "/v1/certifications"),
            ("GET", "/v1/certifications/{rncp_code}"),
            ("GET", "/v1/exam-sessions"),
            ("POST", "/v1/exam-sessions"),
        }
        assert (
            merged["paths"]["/v1/certifications/{rncp_code}"]["parameters"][0]["name"]
            == "rncp_code"
        )
        assert merged["info"]["title"] == "VAE platform API"
        assert merged["servers"] == [{"url": "/", "description": "this gateway"}]

    def test_drops_internal_only_and_unversioned_routes(self) -> None:
        paths = set(_merged()["paths"])
        assert not {p for p in paths if "internal" in p}
        assert "/readyz" not in paths and "/livez" not in paths
        assert "/v1/certifications/{rncp_code}/secret" not in paths

    def test_drops_the_schemas_only_internal_routes_use(self) -> None:
        assert "InternalOnly" not in _merged()["components"]["schemas"]

    def test_rewrites_internal_token_security_to_api_key(self) -> None:
        merged = _merged()
        operations = _operations(merged)
        assert operations[("POST", "/v1/certifications")]["security"] == [
            {"apiKey": []}
        ]
        # Inherited from the service's top-level security.
        assert operations[("POST", "/v1/exam-sessions")]["security"] == [{"apiKey": []}]
        assert operations[("GET", "/v1/clients")]["security"] == [{"apiKey": []}]
        assert "security" not in operations[("GET", "/v1/certifications")]
        assert "security" not in merged
        schemes = merged["components"]["securitySchemes"]
        assert set(schemes) == {"apiKey"}
        assert (schemes["apiKey"]["type"], schemes["apiKey"]["scheme"]) == (
            "http",
            "bearer",
        )
        assert b"internalToken" not in orjson.dumps(merged)

    def test_keeps_optional_security_optional(self) -> None:
        catalog = _catalog()
        catalog["paths"]["/v1/certifications"]["get"]["security"] = [
            {},
            {"internalToken": []},
        ]
        merged = merge(_gateway(), {"catalog": catalog})
        assert merged["paths"]["/v1/certifications"]["get"]["security"] == [
            {},
            {"apiKey": []},
        ]

    def test_drops_the_services_own_servers(self) -> None:
        catalog = _catalog()
        direct = [{"url": "http://catalog:8000"}]
        catalog["servers"] = direct
        catalog["paths"]["/v1/certifications"]["servers"] = direct
        catalog["paths"]["/v1/certifications"]["get"]["servers"] = direct
        merged = merge(_gateway(), {"catalog": catalog})
        assert b"catalog:8000" not in orjson.dumps(merged)

    def test_makes_duplicate_operation_ids_unique(self) -> None:
        operations = _operations(_merged())
        ids = [operation["operationId"] for operation in operations.values()]
        assert len(ids) == len(set(ids))
        assert (
            operations[("GET", "/v1/certifications")]["operationId"]
            == "list_certifications"
        )
        assert (
            operations[("GET", "/v1/exam-sessions")]["operationId"]
            == "sessions-list_certifications"
        )

    def test_gives_an_operation_id_to_operations_without_one(self) -> None:
        catalog = _catalog()
        del catalog["paths"]["/v1/certifications"]["get"]["operationId"]
        merged = merge(_gateway(), {"catalog": catalog})
        assert (
            merged["paths"]["/v1/certifications"]["get"]["operationId"]
            == "get_v1_certifications"
        )

    def test_renames_a_clashing_schema_and_rewrites_every_ref_of_its_service(
        self,
    ) -> None:
        merged = _merged()
        schemas = merged["components"]["schemas"]
        assert schemas["Certification"]["properties"] == {
            "rncp_code": {"type": "string"}
        }
        assert schemas["SessionsCertification"]["properties"] == {
            "session_id": {"type": "integer"}
        }
        operations = _operations(merged)
        body = operations[("POST", "/v1/exam-sessions")]["requestBody"]
        assert (
            body["content"]["application/json"]["schema"]["$ref"]
            == "#/components/schemas/SessionsCertification"
        )
        created = operations[("POST", "/v1/exam-sessions")]["responses"]["200"]
        assert (
            created["content"]["application/json"]["schema"]["$ref"]
            == "#/components/schemas/SessionsCertification"
        )
        # The catalog keeps its names.
        got = operations[("GET", "/v1/certifications/{rncp_code}")]["responses"]["200"]
        assert (
            got["content"]["application/json"]["schema"]["$ref"]
            == "#/components/schemas/Certification"
        )

    def test_renames_a_schema_whose_shape_changes_through_a_renamed_ref(self) -> None:
        schemas = _merged()["components"]["schemas"]
        assert (
            schemas["Page"]["properties"]["items"]["items"]["$ref"]
            == "#/components/schemas/Certification"
        )
        assert (
            schemas["SessionsPage"]["properties"]["items"]["items"]["$ref"]
            == "#/components/schemas/SessionsCertification"
        )

    def test_shares_identical_schemas(self) -> None:
        schemas = _merged()["components"]["schemas"]
        assert schemas["Problem"] == PROBLEM
        assert not [
            name for name in schemas if name.endswith("Problem") and name != "Problem"
        ]

    def test_validates_as_openapi_3_1(self) -> None:
        merged = _merged()
        assert merged["openapi"] == "3.1.0"
        validate(merged)

    def test_leaves_its_inputs_unchanged(self) -> None:
        own, catalog = _gateway(), _catalog()
        merge(own, {"catalog": catalog})
        assert (own, catalog) == (_gateway(), _catalog())


class TestProblemAnswers:
    def test_documents_request_validation_as_problem_json(self) -> None:
        catalog = _catalog()
        catalog["components"]["schemas"]["HTTPValidationError"] = {"type": "object"}
        catalog["paths"]["/v1/certifications/{rncp_code}"]["get"]["responses"][
            "422"
        ] = {
            "description": "Validation Error",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/HTTPValidationError"}
                }
            },
        }
        merged = merge(_gateway(), {"catalog": catalog})
        invalid = merged["paths"]["/v1/certifications/{rncp_code}"]["get"]["responses"][
            "422"
        ]
        assert invalid == {
            "description": "Unprocessable Entity: VALIDATION_FAILED",
            "content": {
                "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}
                }
            },
        }
        assert "HTTPValidationError" not in merged["components"]["schemas"]
        validate(merged)

    def test_lists_errors_under_problem_json_only(self) -> None:
        catalog = _catalog()
        problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
        catalog["paths"]["/v1/certifications/{rncp_code}"]["get"]["responses"][
            "404"
        ] = {
            "description": "Not Found: CERTIFICATION_NOT_FOUND",
            "content": {
                "application/problem+json": problem,
                "application/json": problem,
            },
        }
        merged = merge(_gateway(), {"catalog": catalog})
        missing = merged["paths"]["/v1/certifications/{rncp_code}"]["get"]["responses"][
            "404"
        ]
        assert list(missing["content"]) == ["application/problem+json"]

    def test_adds_validation_failed_to_a_declared_422(self) -> None:
        catalog = _catalog()
        catalog["paths"]["/v1/certifications"]["get"]["parameters"] = [
            {"name": "cursor", "in": "query", "schema": {"type": "string"}}
        ]
        catalog["paths"]["/v1/certifications"]["get"]["responses"]["422"] = {
            "description": "Unprocessable Entity: INVALID_CURSOR",
            "content": {
                "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}
                }
            },
        }
        merged = merge(_gateway(), {"catalog": catalog})
        invalid = merged["paths"]["/v1/certifications"]["get"]["responses"]["422"]
        assert (
            invalid["description"]
            == "Unprocessable Entity: INVALID_CURSOR, VALIDATION_FAILED"
        )


class TestGatewayAnswers:
    def test_adds_what_the_gateway_answers_in_front_of_a_service(self) -> None:
        merged = _merged()
        responses = merged["paths"]["/v1/exam-sessions"]["post"]["responses"]
        assert {
            status: response.get("$ref")
            for status, response in responses.items()
            if status != "200"
        } == {
            "401": "#/components/responses/GatewayUnauthenticated",
            "413": "#/components/responses/GatewayBodyTooLarge",
            "429": "#/components/responses/GatewayRateLimited",
            "502": "#/components/responses/GatewayUpstreamRefused",
            "503": "#/components/responses/GatewayUpstreamUnavailable",
            "504": "#/components/responses/GatewayUpstreamTimeout",
        }
        limited = merged["components"]["responses"]["GatewayRateLimited"]
        assert "RATE_LIMITED" in limited["description"]
        assert {
            "Retry-After",
            "RateLimit-Limit",
            "RateLimit-Remaining",
            "RateLimit-Reset",
        } <= set(limited["headers"])

    def test_keeps_the_services_own_description_of_a_status(self) -> None:
        catalog = _catalog()
        declared = {"description": "Unauthorized: UNAUTHENTICATED", "content": {}}
        catalog["paths"]["/v1/certifications"]["post"]["responses"]["401"] = declared
        merged = merge(_gateway(), {"catalog": catalog})
        assert (
            merged["paths"]["/v1/certifications"]["post"]["responses"]["401"]
            == declared
        )

    def test_leaves_the_gateways_own_operations_as_they_are(self) -> None:
        responses = _merged()["paths"]["/v1/clients"]["get"]["responses"]
        assert set(responses) == {"200"}


class TestMergedOpenApi:
    @pytest.mark.asyncio
    async def test_keeps_the_last_description_of_a_service_that_stops_answering(
        self,
    ) -> None:
        answers: list[dict[str, Any] | None] = [_catalog(), None]

        async def fetch(service: str) -> dict[str, Any] | None:
            answer = answers.pop(0)
            if answer is None:
                raise OSError("connection refused")
            return answer

        merged = MergedOpenApi(_gateway, ["catalog"], fetch)
        await merged.refresh()
        first = merged.document
        await merged.refresh()
        assert merged.document == first
        assert "/v1/certifications" in orjson.loads(merged.document)["paths"]
