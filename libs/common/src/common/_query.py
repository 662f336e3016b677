"""Dates and date-times in query strings: ISO 8601 text only.

Pydantic's lax mode reads a number as a Unix timestamp, so ``as_of=0`` would silently mean
1970-01-01. A query parameter is always text; these types accept only the ISO 8601 forms the
API documents (API.md: dates ``YYYY-MM-DD``, date-times RFC 3339 with an offset).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})"
)


def _iso_date(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("give a date as YYYY-MM-DD, e.g. 2026-09-01")
    return value


def _iso_date_time(value: Any) -> Any:
    if isinstance(value, str) and not _ISO_DATE_TIME.fullmatch(value):
        raise ValueError(
            "give a date-time in RFC 3339 with its offset, e.g. 2026-09-01T08:00:00+02:00"
        )
    return value


# Use as the type of a query parameter: `as_of: Annotated[QueryDate | None, Query()] = None`.
QueryDate = Annotated[date, BeforeValidator(_iso_date)]
QueryDateTime = Annotated[datetime, BeforeValidator(_iso_date_time)]
