"""OpenAPI documentation helpers: answers with examples, and examples of every problem answer."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from common import ServiceError, problem_responses

PROBLEM_MEDIA_TYPE = "application/problem+json"
_PROBLEM_TYPE_BASE = "https://vae.example.org/problems/"

# What a caller reads for each code; the instance path is illustrative.
_DETAILS: dict[str, str] = {
    "UNAUTHENTICATED": "This operation needs authentication: send an Authorization: Bearer header.",
    "FORBIDDEN": "This partner API client is bound to no organisation: ask an administrator to bind it.",
    "WEBHOOK_SUBSCRIPTION_NOT_FOUND": "No webhook subscription 0193a6f0-7c1e-7b4a-9d3e-2f6a1c8b5e01 is yours: check the id (GET /v1/webhook-subscriptions lists yours).",
    "WEBHOOK_DELIVERY_NOT_FOUND": "The subscription has no delivery 0193a6f2-11aa-7c3d-8e4f-5a6b7c8d9e0f: check the id (GET …/deliveries lists them).",
    "UNKNOWN_EVENT_TYPES": "Unknown event type(s): fr.vae.candidacy.created.v1. GET /v1/webhook-event-types lists the types, with the roles that may receive each.",
    "EVENT_TYPES_NOT_ALLOWED": "The role partner can never receive: fr.vae.sessions.report-signed.v1 (a signed report (procès-verbal) lists candidacies of several organisations; partners receive their own candidacies' jury-outcome-recorded events instead). Remove these types; GET /v1/webhook-event-types lists what your role may receive.",
    "WEBHOOK_URL_NOT_ALLOWED": "This webhook URL cannot be used: the host intranet.example resolves to 10.1.2.3, which is not a public address: webhooks go only to globally routable addresses. Give an https URL of your own endpoint on the public Internet.",
    "WEBHOOK_SUBSCRIPTION_DISABLED": "The webhook subscription 0193a6f0-7c1e-7b4a-9d3e-2f6a1c8b5e01 is disabled: Disabled on 2026-11-28 13:35 UTC by the API client carif-oref-occitanie. Enable it first (PATCH with enabled true).",
    "WEBHOOK_DELIVERY_IN_FLIGHT": "Delivery 0193a6f2-11aa-7c3d-8e4f-5a6b7c8d9e0f is being attempted right now: read its attempts in a few seconds, then redeliver it if it still needs to be.",
    "WEBHOOK_SUBSCRIPTION_VERSION_MISMATCH": "The webhook subscription 0193a6f0-7c1e-7b4a-9d3e-2f6a1c8b5e01 changed since you read it: GET it again and send its new ETag in If-Match.",
    "INVALID_CURSOR": "The cursor is not valid: pass next_cursor exactly as received.",
    "VALIDATION_FAILED": "The request is invalid; fix these fields: body.url (Field required).",
    "IDEMPOTENCY_KEY_REUSED": "This Idempotency-Key was already used for a different request (method, path or body): use a new key for a new request.",
    "IDEMPOTENCY_KEY_IN_USE": "A request with this Idempotency-Key is still being processed: retry in a moment to get its answer.",
}
_ETAG_HEADER = {
    "ETag": {
        "description": "The subscription's version; send it in If-Match to change it.",
        "schema": {"type": "string"},
        "example": '"3"',
    }
}


def documented(
    status: int,
    description: str,
    example: Any,
    *errors: type[ServiceError],
    etag: bool = False,
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of an operation: its success answer with an example, and its problems."""
    success: dict[str, Any] = {"description": description}
    if example is not None:
        success["content"] = {"application/json": {"example": example}}
    if etag:
        success["headers"] = _ETAG_HEADER
    return {**problem_responses(*errors), status: success}


def _codes(description: str) -> list[str]:
    _, _, listed = description.partition(":")
    return [code.strip() for code in listed.split(",") if code.strip()]


def _problem_examples(path: str, status: int, codes: list[str]) -> dict[str, Any]:
    return {
        code: {
            "summary": code,
            "value": {
                "type": _PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
                "title": HTTPStatus(status).phrase,
                "status": status,
                "detail": _DETAILS.get(
                    code, "The detail says what went wrong and what to do."
                ),
                "instance": path,
                "code": code,
            },
        }
        for code in codes
    }


def install_problem_examples(app: FastAPI) -> None:
    """Adds an example of each code to every problem answer of the app's OpenAPI document."""
    build = app.openapi
    done: list[bool] = []

    def openapi() -> dict[str, Any]:
        schema = build()
        if done:
            return schema
        for path, item in schema.get("paths", {}).items():
            for operation in item.values():
                if not isinstance(operation, dict):
                    continue
                for status, response in operation.get("responses", {}).items():
                    media = response.get("content", {}).get(PROBLEM_MEDIA_TYPE)
                    if media is None or not str(status).isdigit():
                        continue
                    codes = _codes(str(response.get("description", "")))
                    if codes:
                        media["examples"] = _problem_examples(path, int(status), codes)
        done.append(True)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
