"""The catalog's declarative base, its outbox and idempotency tables and its cache revision
counter."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from common import Base, IdempotencyKeyMixin, OutboxEventMixin, new_metadata


class CatalogBase(Base):
    """Base of every catalog model."""

    __abstract__ = True
    metadata = new_metadata()


class OutboxEvent(OutboxEventMixin, CatalogBase):
    """Events the catalog publishes (certification created, updated, deactivated)."""


class IdempotencyKey(IdempotencyKeyMixin, CatalogBase):
    """Answers kept for replays of POST requests sent with an Idempotency-Key."""


class CatalogRevision(CatalogBase):
    """One row whose counter moves on every catalog write, so that replicas drop their caches."""

    __tablename__ = "catalog_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
