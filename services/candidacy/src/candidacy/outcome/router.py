"""The internal endpoint where other services' relays deliver their events (never routed by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from candidacy.dependencies import Catalog
from candidacy.outcome import service as outcome_service
from candidacy.outcome.schemas import EventReceipt
from common import DbSession

router = APIRouter(prefix="/internal", include_in_schema=False)


@router.post("/events", response_model=EventReceipt)
async def receive_event(
    request: Request, db: DbSession, catalog: Catalog
) -> EventReceipt:
    """Verifies a signed CloudEvent delivery (Standard Webhooks) and applies it once."""
    body = await request.body()
    event = request.app.state.event_verifier.verify(body, request.headers)
    return await outcome_service.handle_event(db, event, catalog=catalog)
