"""Applying other services' events: a candidate's erasure reaches the data copied here."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common import InvalidInputError, utcnow
from sessions.db import HandledEvent
from sessions.registration.models import Registration

CANDIDATE_ERASED = "fr.vae.candidacy.candidate-erased.v1"


class InvalidEventError(InvalidInputError):
    code = "INVALID_EVENT"


class EventReceipt(BaseModel):
    """What this service did with a delivered event."""

    event_id: str
    duplicate: bool = Field(description="Already handled: nothing changed.")
    ignored: bool = Field(
        default=False, description="A type this service does not handle."
    )
    registrations_erased: int = 0


async def handle_event(db: AsyncSession, event: dict[str, Any]) -> EventReceipt:
    """Applies a delivered CloudEvent once; other types are acknowledged and ignored.

    A candidate's erasure removes the name, e-mail and declared links copied into their
    registrations; the registrations stay (seats, reports), anonymous.

    Raises
    ------
    InvalidEventError
        An erasure event without a candidate id.
    """
    event_id = str(event.get("id", ""))
    if event.get("type") != CANDIDATE_ERASED:
        return EventReceipt(event_id=event_id, duplicate=False, ignored=True)
    try:
        key = uuid.UUID(event_id)
        candidate_id = uuid.UUID(str((event.get("data") or {}).get("candidate_id")))
    except ValueError as error:
        raise InvalidEventError(
            f"The {CANDIDATE_ERASED} event {event_id!r} needs a UUID id and data.candidate_id."
        ) from error
    try:
        async with db.begin():
            if await db.get(HandledEvent, key) is not None:
                return EventReceipt(event_id=event_id, duplicate=True)
            db.add(HandledEvent(id=key, type=CANDIDATE_ERASED, handled_at=utcnow()))
            result = await db.execute(
                update(Registration)
                .where(Registration.candidate_id == candidate_id)
                .values(candidate_name=None, candidate_email=None, links=[])
            )
    except IntegrityError:
        return EventReceipt(event_id=event_id, duplicate=True)
    return EventReceipt(
        event_id=event_id,
        duplicate=False,
        registrations_erased=int(result.rowcount or 0),  # type: ignore[attr-defined]
    )
