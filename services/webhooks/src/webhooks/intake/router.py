"""The internal endpoint where other services' relays deliver their events (never routed by the gateway)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from common import DbSession, PayloadTooLargeError
from webhooks.dependencies import Now, wake_worker
from webhooks.intake import service as intake_service
from webhooks.intake.service import EventReceipt

router = APIRouter(prefix="/internal", include_in_schema=False)

# Events carry one resource's public representation; a megabyte is far beyond any of them.
MAX_EVENT_BYTES = 1024 * 1024


async def _body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_EVENT_BYTES:
            raise PayloadTooLargeError(
                f"An event delivery is at most {MAX_EVENT_BYTES} bytes: send a smaller event."
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/events", response_model=EventReceipt)
async def receive_event(request: Request, db: DbSession, now: Now) -> EventReceipt:
    """Verifies a signed CloudEvent delivery (Standard Webhooks) and queues its deliveries."""
    body = await _body(request)
    event = request.app.state.event_verifier.verify(body, request.headers)
    receipt = await intake_service.handle_event(db, event, now=now)
    if receipt.deliveries_queued:
        wake_worker(request.app)
    return receipt
