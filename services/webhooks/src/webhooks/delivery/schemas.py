"""Response models of deliveries and their attempts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from webhooks.delivery.models import DeliveryStatus
from webhooks.delivery.rules import ErrorKind

EXAMPLE_DELIVERY_ID = "0193a6f2-11aa-7c3d-8e4f-5a6b7c8d9e0f"
EXAMPLE_EVENT_ID = "0193a6f1-9b2c-7d3e-8f40-6a7b8c9d0e1f"

DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_DELIVERY_ID,
    "subscription_id": "0193a6f0-7c1e-7b4a-9d3e-2f6a1c8b5e01",
    "event_id": EXAMPLE_EVENT_ID,
    "event_type": "fr.vae.candidacy.admissibility-decided.v1",
    "status": "PENDING",
    "attempt_count": 2,
    "next_attempt_at": "2026-11-27T10:05:05Z",
    "last_attempt_at": "2026-11-27T10:00:05Z",
    "last_status_code": 503,
    "last_error_kind": "HTTP_STATUS",
    "delivered_at": None,
    "created_at": "2026-11-27T10:00:00Z",
    "updated_at": "2026-11-27T10:00:05Z",
}
ATTEMPT_EXAMPLE: dict[str, Any] = {
    "number": 1,
    "started_at": "2026-11-27T10:00:00Z",
    "duration_ms": 184,
    "succeeded": False,
    "status_code": 503,
    "error_kind": "HTTP_STATUS",
    "error_detail": "answered HTTP 503",
    "response_excerpt": '{"error": "maintenance"}',
}


class DeliveryRead(BaseModel):
    """One event to one subscription (livraison), attempted until delivered or failed."""

    model_config = ConfigDict(json_schema_extra={"examples": [DELIVERY_EXAMPLE]})

    id: uuid.UUID
    subscription_id: uuid.UUID
    event_id: str = Field(
        description="The CloudEvent id, sent as webhook-id: the same on every attempt and "
        "redelivery, so that you deduplicate on it."
    )
    event_type: str
    status: DeliveryStatus = Field(
        description="PENDING (to be attempted, maybe after a failure), DELIVERED (a 2xx "
        "answer), FAILED (every scheduled attempt failed, or the endpoint answered 410)."
    )
    attempt_count: int
    next_attempt_at: datetime | None = Field(
        description="When it is attempted next (while PENDING and the subscription enabled)."
    )
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error_kind: ErrorKind | None
    delivered_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AttemptRead(BaseModel):
    """One POST of a delivery (tentative)."""

    model_config = ConfigDict(json_schema_extra={"examples": [ATTEMPT_EXAMPLE]})

    number: int
    started_at: datetime
    duration_ms: int
    succeeded: bool
    status_code: int | None = Field(description="The HTTP status answered, if any.")
    error_kind: ErrorKind | None = Field(
        description="Why it failed: HTTP_STATUS (not 2xx; redirects are not followed), "
        "TIMEOUT, CONNECTION_FAILED, DNS_FAILED, TLS_FAILED, TARGET_NOT_ALLOWED, "
        "INVALID_RESPONSE, SECRET_UNREADABLE."
    )
    error_detail: str | None
    response_excerpt: str | None = Field(
        description="The first KiB of your endpoint's answer."
    )


DETAIL_EXAMPLE: dict[str, Any] = DELIVERY_EXAMPLE | {
    "event": {
        "specversion": "1.0",
        "id": EXAMPLE_EVENT_ID,
        "source": "/vae/candidacy",
        "type": "fr.vae.candidacy.admissibility-decided.v1",
        "subject": "0193a5e0-1111-7222-8333-944455556666",
        "time": "2026-11-27T10:00:00Z",
        "datacontenttype": "application/json",
        "data": {
            "id": "0193a5e0-1111-7222-8333-944455556666",
            "rncp_code": "RNCP38077",
            "state": "ADMISSIBLE",
        },
    },
    "attempts": [
        ATTEMPT_EXAMPLE,
        ATTEMPT_EXAMPLE | {"number": 2, "started_at": "2026-11-27T10:00:05Z"},
    ],
}


class DeliveryDetail(DeliveryRead):
    """A delivery, the CloudEvent it sends, and its attempts."""

    model_config = ConfigDict(json_schema_extra={"examples": [DETAIL_EXAMPLE]})

    event: dict[str, Any] = Field(
        description="The CloudEvent 1.0 document POSTed (application/cloudevents+json)."
    )
    attempts: list[AttemptRead]
