"""The gateway's declarative base: its only table is the registry of API clients."""

from __future__ import annotations

from common import Base, new_metadata


class GatewayBase(Base):
    """Base of the gateway's models."""

    __abstract__ = True
    metadata = new_metadata()
