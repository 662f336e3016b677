"""Keyset pagination of this service's lists: a cursor holds the last row's sort key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from common import InvalidCursorError, decode_cursor, encode_cursor

PositionT = TypeVar("PositionT")
RowT = TypeVar("RowT")


def position(
    cursor: str | None, kind: str, parse: Callable[[list[Any]], PositionT]
) -> PositionT | None:
    """The sort key a cursor holds, or None without a cursor.

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


def page(
    rows: Sequence[RowT], limit: int, kind: str, key: Callable[[RowT], list[Any]]
) -> tuple[list[RowT], str | None]:
    """Cuts the ``limit + 1`` rows read into a page and the cursor of the next one."""
    items = list(rows[:limit])
    next_cursor = encode_cursor(kind, key(items[-1])) if len(rows) > limit else None
    return items, next_cursor
