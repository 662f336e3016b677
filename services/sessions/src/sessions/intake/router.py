"""The internal endpoint where other services' relays deliver their events (never routed by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from common import DbSession
from sessions.intake import service as intake_service
from sessions.intake.service import EventReceipt

router = APIRouter(prefix="/internal", include_in_schema=False)


@router.post("/events", response_model=EventReceipt)
async def receive_event(request: Request, db: DbSession) -> EventReceipt:
    """Verifies a signed CloudEvent delivery (Standard Webhooks) and applies it once."""
    body = await request.body()
    event = request.app.state.event_verifier.verify(body, request.headers)
    return await intake_service.handle_event(db, event)
