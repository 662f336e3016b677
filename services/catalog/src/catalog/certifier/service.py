"""Use cases on certifiers."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from catalog.certifier.models import Certifier
from catalog.certifier.repository import CertifierRepository
from catalog.certifier.schemas import CertifierRead
from catalog.errors import CertifierNotFoundError
from common import InvalidCursorError, decode_cursor, encode_cursor

_CURSOR_KIND = "certifiers-by-name"


def _read(certifier: Certifier, count: int) -> CertifierRead:
    return CertifierRead(
        id=certifier.id,
        name=certifier.name,
        siret=certifier.siret,
        website=certifier.website,
        certifications_count=count,
    )


async def list_certifiers(
    db: AsyncSession, *, q: str | None, cursor: str | None, limit: int
) -> tuple[list[CertifierRead], str | None]:
    """Lists certifiers by name, one page at a time.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    after = None
    if cursor:
        values = decode_cursor(cursor, _CURSOR_KIND)
        if len(values) != 1 or not isinstance(values[0], str) or "|" not in values[0]:
            raise InvalidCursorError(
                "The cursor is not valid: pass next_cursor exactly as received."
            )
        after = values[0]
    try:
        rows = await CertifierRepository(db).list_page(q=q, after=after, limit=limit)
    except ValueError as error:
        raise InvalidCursorError(
            "The cursor is not valid: pass next_cursor exactly as received."
        ) from error
    page = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = page[-1][0]
        next_cursor = encode_cursor(_CURSOR_KIND, [f"{last.name}|{last.id}"])
    return [_read(c, n) for c, n in page], next_cursor


async def get_certifier(db: AsyncSession, certifier_id: uuid.UUID) -> CertifierRead:
    """Gets a certifier.

    Raises
    ------
    CertifierNotFoundError
        No certifier has this id.
    """
    found = await CertifierRepository(db).get(certifier_id)
    if found is None:
        raise CertifierNotFoundError(
            f"No certifier has the id {certifier_id}: list them with GET /v1/certifiers."
        )
    return _read(*found)
