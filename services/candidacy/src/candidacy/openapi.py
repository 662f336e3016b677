"""OpenAPI helpers: named examples of bodies and answers, and the enums' France VAE tables."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, cast

from fastapi import FastAPI
from fastapi.openapi.models import Example
from pydantic import BaseModel

from candidacy.candidacy.vocabulary import enum_descriptions

JSON = "application/json"
# FastAPI writes its document with exclude_none, which also drops every null inside example
# values (`"france_vae": null` would vanish and the example no longer match its schema). Each
# example therefore carries this key, and complete_openapi() puts the whole value back.
_EXAMPLE_KEY = "x-candidacy-example"
_VALUES: dict[str, Any] = {}


def _json(value: BaseModel | Sequence[BaseModel] | dict[str, Any]) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return value
    return [item.model_dump(mode="json") for item in value]


def example(
    summary: str,
    value: BaseModel | Sequence[BaseModel] | dict[str, Any],
    description: str | None = None,
) -> Example:
    """One named example; models are dumped as the API writes them, so examples cannot drift."""
    key = str(len(_VALUES))
    _VALUES[key] = _json(value)
    built: dict[str, Any] = {
        "summary": summary,
        "value": _VALUES[key],
        _EXAMPLE_KEY: key,
    }
    if description:
        built["description"] = description
    return cast(Example, built)


def success(
    status: int, description: str, **examples: Example
) -> dict[int | str, dict[str, Any]]:
    """Documents an operation's success answer with named examples (beside ``problem_responses``)."""
    return {
        status: {
            "description": description,
            "content": {JSON: {"examples": examples}},
        }
    }


def _restore_examples(node: Any) -> None:
    if isinstance(node, dict):
        key = node.pop(_EXAMPLE_KEY, None)
        if key is not None:
            node["value"] = copy.deepcopy(_VALUES[key])
            return
        for child in node.values():
            _restore_examples(child)
    elif isinstance(node, list):
        for child in node:
            _restore_examples(child)


def complete_openapi(app: FastAPI) -> None:
    """Finishes the app's OpenAPI document: whole example values, and the enums' France VAE tables.

    Each of our enums' schema gets its table of French terms and France VAE values (from
    vocabulary.py, the one place the translation lives); Swagger UI and ReDoc show it wherever
    the enum appears.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        _restore_examples(schema.get("paths", {}))
        components = schema.get("components", {}).get("schemas", {})
        for name, description in enum_descriptions().items():
            if name in components:
                components[name]["description"] = description
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
