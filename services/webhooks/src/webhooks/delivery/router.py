"""Endpoints of a subscription's deliveries (livraisons): the log, attempts, redeliveries, pings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuthenticationError,
    DbSession,
    InvalidCursorError,
    Page,
    PermissionDeniedError,
    next_link,
)
from webhooks.delivery import service as delivery_service
from webhooks.delivery.models import DeliveryStatus
from webhooks.delivery.schemas import (
    DELIVERY_EXAMPLE,
    DETAIL_EXAMPLE,
    DeliveryDetail,
    DeliveryRead,
)
from webhooks.dependencies import AnyRole, DeliveryId, Now, SubscriptionId, wake_worker
from webhooks.errors import (
    DeliveryInFlightError,
    DeliveryNotFoundError,
    SubscriptionDisabledError,
    SubscriptionNotFoundError,
)
from webhooks.openapi import documented

router = APIRouter(prefix="/v1/webhook-subscriptions", tags=["webhook-deliveries"])

_AUTH = (AuthenticationError, PermissionDeniedError)


@router.get(
    "/{subscription_id}/deliveries",
    response_model=Page[DeliveryRead],
    summary="List a subscription's deliveries (journal des livraisons)",
    description="Every event queued for the subscription, newest first: its status "
    "(PENDING, DELIVERED, FAILED), attempts so far, next attempt, last answer. Filter by "
    "status or event type; paginated by cursor. Kept 30 days after they finish.",
    responses=documented(
        200,
        "A page of deliveries.",
        {"items": [DELIVERY_EXAMPLE], "next_cursor": None},
        *_AUTH,
        SubscriptionNotFoundError,
        InvalidCursorError,
    ),
)
async def list_deliveries(
    subscription_id: SubscriptionId,
    request: Request,
    response: Response,
    db: DbSession,
    principal: AnyRole,
    status: Annotated[
        DeliveryStatus | None, Query(description="Only this status.")
    ] = None,
    event_type: Annotated[
        str | None, Query(max_length=200, description="Only this event type.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[DeliveryRead]:
    items, next_cursor = await delivery_service.list_deliveries(
        db,
        principal,
        subscription_id,
        status=status,
        event_type=event_type,
        cursor=cursor,
        limit=limit,
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[DeliveryRead](items=items, next_cursor=next_cursor)


@router.get(
    "/{subscription_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetail,
    summary="Get a delivery and its attempts (tentatives)",
    description="The CloudEvent sent and every attempt: when, how long (ms), the HTTP status "
    "answered or the kind of error (timeout, connection, TLS, address not allowed…), and the "
    "first KiB of your endpoint's answer.",
    responses=documented(
        200,
        "The delivery, its event and its attempts.",
        DETAIL_EXAMPLE,
        *_AUTH,
        SubscriptionNotFoundError,
        DeliveryNotFoundError,
    ),
)
async def get_delivery(
    subscription_id: SubscriptionId,
    delivery_id: DeliveryId,
    db: DbSession,
    principal: AnyRole,
) -> DeliveryDetail:
    return await delivery_service.get_delivery(
        db, principal, subscription_id, delivery_id
    )


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliveries",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    summary="Deliver again (relivrer)",
    description="Queues the delivery again now, whatever its status (a FAILED one too), with "
    "a fresh retry schedule. It keeps its webhook-id (the event id), so your endpoint can "
    "tell a redelivery. The subscription must be enabled. Accepts Idempotency-Key.",
    responses=documented(
        202,
        "Queued; follow it with GET on the delivery.",
        DELIVERY_EXAMPLE
        | {"status": "PENDING", "next_attempt_at": "2026-11-28T09:00:00Z"},
        *_AUTH,
        SubscriptionNotFoundError,
        DeliveryNotFoundError,
        SubscriptionDisabledError,
        DeliveryInFlightError,
    ),
)
async def redeliver(
    subscription_id: SubscriptionId,
    delivery_id: DeliveryId,
    request: Request,
    db: DbSession,
    principal: AnyRole,
    now: Now,
) -> DeliveryRead:
    delivery = await delivery_service.redeliver(
        db, principal, subscription_id, delivery_id, now=now
    )
    wake_worker(request.app)
    return delivery


@router.post(
    "/{subscription_id}/pings",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=DeliveryRead,
    summary="Send a test ping (tester l'abonnement)",
    description="Queues a fr.vae.webhooks.ping.v1 delivery to the subscription, signed like "
    "any other, whatever event types it lists: check that your endpoint verifies the "
    "signature and answers 2xx. The subscription must be enabled. Accepts Idempotency-Key.",
    responses=documented(
        202,
        "The ping's delivery; follow it with GET on the delivery.",
        DELIVERY_EXAMPLE
        | {
            "event_type": "fr.vae.webhooks.ping.v1",
            "attempt_count": 0,
            "last_attempt_at": None,
            "last_status_code": None,
            "last_error_kind": None,
            "next_attempt_at": "2026-11-28T09:00:00Z",
        },
        *_AUTH,
        SubscriptionNotFoundError,
        SubscriptionDisabledError,
    ),
)
async def ping(
    subscription_id: SubscriptionId,
    request: Request,
    db: DbSession,
    principal: AnyRole,
    now: Now,
) -> DeliveryRead:
    delivery = await delivery_service.queue_ping(
        db, principal, subscription_id, now=now
    )
    wake_worker(request.app)
    return delivery
