"""HTTP helpers of the catalog's read endpoints: ETags, conditional requests, cache headers."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from catalog.certification.cache import Rendered

READ_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=300"


def if_none_match_matches(if_none_match: str, etag: str) -> bool:
    """Tells whether an If-None-Match header names this ETag (weak comparison)."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


def conditional_json(request: Request, rendered: Rendered) -> Response:
    """Answers 304 when the client holds this version, else the JSON with its ETag."""
    headers = {"ETag": rendered.etag, "Cache-Control": READ_CACHE_CONTROL}
    if rendered.link is not None:
        headers["Link"] = rendered.link
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and if_none_match_matches(
        if_none_match, rendered.etag
    ):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=headers)
