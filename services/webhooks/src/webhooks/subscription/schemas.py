"""Request and response models of subscriptions and event types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from common import Role

EXAMPLE_SUBSCRIPTION_ID = "0193a6f0-7c1e-7b4a-9d3e-2f6a1c8b5e01"
EXAMPLE_URL = "https://si.carif-oref-occitanie.example/webhooks/vae"
EXAMPLE_TYPES: list[Any] = [
    "fr.vae.candidacy.admissibility-decided.v1",
    "fr.vae.candidacy.jury-outcome-recorded.v1",
]
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - a documentation example

EventTypeName = Annotated[
    str,
    Field(
        min_length=3,
        max_length=200,
        pattern=r"^[a-z0-9][a-z0-9.\-]*$",
        description="An event type, as GET /v1/webhook-event-types lists them.",
        examples=["fr.vae.candidacy.admissibility-decided.v1"],
    ),
]
WebhookUrl = Annotated[
    str,
    Field(
        min_length=8,
        max_length=2000,
        description="Your endpoint: https, no user-info, a host on the public Internet. "
        "Redirects are not followed.",
        examples=[EXAMPLE_URL],
    ),
]
Description = Annotated[
    str,
    Field(
        min_length=1,
        max_length=500,
        description="A note for your own use.",
        examples=["Recevabilités et résultats de jury pour notre SI"],
    ),
]


def _distinct(values: list[str]) -> list[str]:
    return sorted(set(values))


class SubscriptionCreate(BaseModel):
    """A new subscription (abonnement) of your endpoint to event types."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": EXAMPLE_URL,
                    "event_types": EXAMPLE_TYPES,
                    "description": "Recevabilités et résultats de jury pour notre SI",
                }
            ]
        },
    )

    url: WebhookUrl
    event_types: list[EventTypeName] = Field(min_length=1, max_length=50)
    description: Description | None = None

    @field_validator("event_types")
    @classmethod
    def _distinct_types(cls, value: list[str]) -> list[str]:
        return _distinct(value)


class SubscriptionUpdate(BaseModel):
    """Changes to a subscription: only the fields sent change."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"enabled": True},
                {
                    "url": "https://si.carif-oref-occitanie.example/webhooks/vae-v2",
                    "event_types": [
                        "fr.vae.candidacy.admissibility-decided.v1",
                        "fr.vae.sessions.session-scheduled.v1",
                    ],
                },
            ]
        },
    )

    # Optional but never null (SkipJsonSchema keeps null out of the documented schema).
    url: WebhookUrl | SkipJsonSchema[None] = None
    # The bounds sit on the list: on the union they would reach None, which Pydantic cannot
    # measure (an explicit null then crashed the request instead of meaning "unchanged").
    event_types: (
        Annotated[list[EventTypeName], Field(min_length=1, max_length=50)]
        | SkipJsonSchema[None]
    ) = None
    description: Description | None = Field(
        default=None, description="A note for your own use; null removes it."
    )
    enabled: bool | SkipJsonSchema[None] = Field(
        default=None,
        description="false stops the deliveries (they wait); true resumes them and clears "
        "the disabled reason.",
    )

    @field_validator("event_types")
    @classmethod
    def _distinct_types(cls, value: list[str] | None) -> list[str] | None:
        return _distinct(value) if value is not None else None

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(
                "send at least one of url, event_types, description, enabled"
            )
        for name in ("url", "event_types", "enabled"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null; leave it out to keep it")
        return self


class OwnerRead(BaseModel):
    """The API client a subscription belongs to, as it was at creation."""

    client_id: str
    role: Role
    organisation_id: str | None = Field(
        description="The organisation, certifier or exam centre the client acts for."
    )


READ_EXAMPLE: dict[str, Any] = {
    "id": EXAMPLE_SUBSCRIPTION_ID,
    "url": EXAMPLE_URL,
    "event_types": EXAMPLE_TYPES,
    "description": "Recevabilités et résultats de jury pour notre SI",
    "enabled": True,
    "disabled_reason": None,
    "disabled_at": None,
    "owner": {
        "client_id": "carif-oref-occitanie",
        "role": "partner",
        "organisation_id": "7d4c2a9e-0b1f-4c83-9a55-1e2f3a4b5c6d",
    },
    "secret_rotated_at": None,
    "previous_secret_expires_at": None,
    "version": 1,
    "created_at": "2026-11-27T09:30:00Z",
    "updated_at": "2026-11-27T09:30:00Z",
}


class SubscriptionRead(BaseModel):
    """A subscription: where its deliveries go, what it receives, whether it is enabled."""

    model_config = ConfigDict(json_schema_extra={"examples": [READ_EXAMPLE]})

    id: uuid.UUID
    url: str
    event_types: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None = Field(
        description="Why it was disabled: by its owner, after a delivery's last failed "
        "attempt (when, how many attempts, last error), or after a 410 Gone."
    )
    disabled_at: datetime | None
    owner: OwnerRead
    secret_rotated_at: datetime | None
    previous_secret_expires_at: datetime | None = Field(
        description="Until then, deliveries carry a signature by the previous secret too."
    )
    version: int
    created_at: datetime
    updated_at: datetime


class SubscriptionWithSecret(SubscriptionRead):
    """A subscription and its signing secret, shown in this answer only."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [READ_EXAMPLE | {"secret": EXAMPLE_SECRET}]}
    )

    secret: str = Field(
        description="The Standard Webhooks signing secret (whsec_…): store it now, it is never "
        "shown again. Verify each delivery's webhook-signature with it."
    )


class EventTypeRead(BaseModel):
    """An event type partners may subscribe to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "fr.vae.candidacy.admissibility-decided.v1",
                    "description": "The certifier decided a candidacy's admissibility "
                    "(décision de recevabilité): admissible or not, with the reasons. "
                    "Data: the candidacy.",
                    "roles": ["admin", "certifier", "partner"],
                    "you_may_subscribe": True,
                }
            ]
        }
    )

    type: str
    description: str
    roles: list[Role] = Field(
        description="The roles whose subscriptions may receive it (each sees only its own "
        "organisation's events)."
    )
    you_may_subscribe: bool = Field(
        description="Whether your role may subscribe to it."
    )


class EventTypeList(BaseModel):
    """Every event type."""

    items: list[EventTypeRead]
