"""Cursor pagination: opaque cursors, the page envelope and the ``Link`` header."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
from pydantic import BaseModel, Field
from starlette.datastructures import URL

from common._errors import InvalidInputError

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class InvalidCursorError(InvalidInputError):
    code = "INVALID_CURSOR"


ItemT = TypeVar("ItemT")
PositionT = TypeVar("PositionT")
RowT = TypeVar("RowT")


class Page(BaseModel, Generic[ItemT]):
    """A page of a collection: its items and the cursor of the next page."""

    items: list[ItemT]
    next_cursor: str | None = Field(
        default=None,
        description="Opaque cursor of the next page; null on the last page.",
    )


def encode_cursor(kind: str, values: list[Any]) -> str:
    """Encodes the position after the last item of a page; ``kind`` ties it to one ordering."""
    return base64.urlsafe_b64encode(orjson.dumps([kind, values])).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    """Decodes a cursor made by ``encode_cursor`` for the same ordering.

    Raises
    ------
    InvalidCursorError
        The cursor is malformed or belongs to another ordering.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        decoded = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as error:
        raise InvalidCursorError(
            "The cursor is not valid: pass next_cursor exactly as received."
        ) from error
    if not (
        isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[1], list)
    ):
        raise InvalidCursorError(
            "The cursor is not valid: pass next_cursor exactly as received."
        )
    if decoded[0] != kind:
        raise InvalidCursorError(
            "The cursor belongs to another sort order or filter: start again without a cursor."
        )
    return decoded[1]


def next_link(url: URL, next_cursor: str | None) -> dict[str, str]:
    """Returns the ``Link: rel="next"`` header for a page, or nothing on the last page.

    The target is a path with its query (a relative reference, RFC 8288 §3.2): callers
    resolve it against the URL they asked, so through the gateway it leads back to the
    gateway, never to the service's own address.
    """
    if next_cursor is None:
        return {}
    target = url.include_query_params(cursor=next_cursor)
    return {"Link": f'<{target.path}?{target.query}>; rel="next"'}


def cursor_position(
    cursor: str | None, kind: str, parse: Callable[[list[Any]], PositionT]
) -> PositionT | None:
    """The sort key a keyset cursor holds (parsed by ``parse``), or None without a cursor.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    if not cursor:
        return None
    values = decode_cursor(cursor, kind)
    try:
        return parse(values)
    except (IndexError, TypeError, ValueError) as error:
        raise InvalidCursorError(
            "The cursor is not valid: pass next_cursor exactly as received."
        ) from error


def keyset_page(
    rows: Sequence[RowT], limit: int, kind: str, key: Callable[[RowT], list[Any]]
) -> tuple[list[RowT], str | None]:
    """Cuts the ``limit + 1`` rows read into a page and the cursor of the next one."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(kind, key(items[-1])) if len(rows) > limit else None
    return items, next_cursor
