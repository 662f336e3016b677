"""Imports every model so that the metadata knows every table (Alembic, tests)."""

from webhooks.db import IdempotencyKey
from webhooks.delivery.models import WebhookAttempt, WebhookDelivery, WebhookEvent
from webhooks.subscription.models import (
    WebhookSubscription,
    WebhookSubscriptionEventType,
)

__all__ = [
    "IdempotencyKey",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEvent",
    "WebhookSubscription",
    "WebhookSubscriptionEventType",
]
