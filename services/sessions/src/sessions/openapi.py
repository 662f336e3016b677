"""Examples in the OpenAPI document: each operation shows a request body and a success answer.

Examples sit on the operation's media types (``openapi_examples`` for bodies, ``responses`` for
answers), where Swagger UI and ReDoc show them, each with a summary naming the French term.
"""

from __future__ import annotations

from typing import Any

from fastapi.openapi.models import Example

JSON = "application/json"


def examples(
    summary: str, value: Any, description: str | None = None
) -> dict[str, Example]:
    """One named example for ``Body(openapi_examples=...)``."""
    example: Example = {"summary": summary, "value": value}
    if description is not None:
        example["description"] = description
    return {"example": example}


def success(
    status_code: int,
    description: str,
    summary: str,
    value: Any,
    *,
    media_type: str = JSON,
) -> dict[int | str, dict[str, Any]]:
    """The success answer of an operation, with its example, for ``responses=``."""
    return {
        status_code: {
            "description": description,
            "content": {media_type: {"examples": examples(summary, value)}},
        }
    }
