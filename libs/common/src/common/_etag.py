"""Optimistic concurrency on versioned resources: ETags from versions, and If-Match."""

from __future__ import annotations

from common._errors import PreconditionRequiredError


class IfMatchRequiredError(PreconditionRequiredError):
    code = "IF_MATCH_REQUIRED"


def version_etag(version: int) -> str:
    """The ETag of a resource at a version."""
    return f'"{version}"'


def expected_version(
    if_match: str | None, *, required: bool, resource: str
) -> int | None:
    """The version an If-Match header names; None when absent (or ``*``) and not required.

    A value that names no version of ours can never match: it is treated as stale (-1).

    Raises
    ------
    IfMatchRequiredError
        The header is required and missing.
    """
    if if_match is None or not if_match.strip():
        if required:
            raise IfMatchRequiredError(
                f"Send If-Match with the ETag of the {resource} as last read, so that no concurrent change is lost."
            )
        return None
    value = if_match.split(",")[0].strip().removeprefix("W/")
    if value == "*":
        return None
    try:
        return int(value.strip('"'))
    except ValueError:
        return -1
