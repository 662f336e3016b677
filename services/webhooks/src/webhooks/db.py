"""The webhooks service's declarative base and its idempotency keys."""

from __future__ import annotations

from common import Base, IdempotencyKeyMixin, new_metadata


class WebhooksBase(Base):
    """Base of every webhooks-service model."""

    __abstract__ = True
    metadata = new_metadata()


class IdempotencyKey(IdempotencyKeyMixin, WebhooksBase):
    """Answers kept for replays of POST requests sent with an Idempotency-Key.

    The answers that carry a signing secret are stored sealed (see ``sealing.py``).
    """
