"""Schemathesis hooks of the fuzz runs (loaded by the CLI through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import schemathesis
from schemathesis import Case, CheckContext, Response

_CROSS_FIELD_RULES = {"value_error", "assertion_error"}

# The RNCP import takes the zip France compétences publishes: sent as raw bytes, like
# application/octet-stream (Schemathesis ships no zip serializer).
schemathesis.serializer.alias("application/zip", "application/octet-stream")


@schemathesis.check
def schema_valid_request_passes_request_validation(
    ctx: CheckContext, response: Response, case: Case
) -> bool | None:
    """A request the schema calls valid must pass the services' own request validation.

    `positive_data_acceptance` is told to accept 422 because a business rule JSON Schema cannot
    state answers it (an opaque cursor never issued, an Idempotency-Key reused with another
    body); such answers carry their own code. VALIDATION_FAILED is the request parser's: unless
    it reports a rule across fields, the documented schema and the code disagree, which is a bug.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code == 422:
        try:
            problem = response.json()
        except ValueError:
            return None
        # A rule across fields (an end before its start) raises a value error in a model
        # validator: JSON Schema cannot state it. Every other error type is one the schema
        # could have stated (missing, type, format, length, pattern…).
        schema_level = [
            error
            for error in problem.get("errors") or []
            if error.get("type") not in _CROSS_FIELD_RULES
        ]
        if problem.get("code") == "VALIDATION_FAILED" and schema_level:
            raise AssertionError(
                "A request valid by the documented schema failed the service's request "
                f"validation: {response.text[:500]}"
            )
    return None
