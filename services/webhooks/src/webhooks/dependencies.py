"""Dependencies shared by the routers: roles, the clock, the cipher, target checks, the worker."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, Path, Request

from common import Principal, Role, require_bound_roles, utcnow
from webhooks.config import Settings
from webhooks.crypto import SecretCipher
from webhooks.delivery.schemas import EXAMPLE_DELIVERY_ID
from webhooks.subscription.schemas import EXAMPLE_SUBSCRIPTION_ID
from webhooks.subscription.service import TargetCheck


def current_time(state: Any) -> datetime:
    """The app's time: a test's clock, or the wall clock shifted by
    WEBHOOKS_CLOCK_OFFSET_SECONDS (never in production)."""
    clock: Callable[[], datetime] | None = getattr(state, "clock", None)
    if clock is not None:
        return clock()
    offset: float = state.settings.clock_offset_seconds
    return utcnow() + timedelta(seconds=offset)


def wake_worker(app: FastAPI) -> None:
    """Tells this process's delivery worker, if it runs one, that deliveries were queued."""
    worker = getattr(app.state, "worker", None)
    if worker is not None:
        worker.wake()


async def _now(request: Request) -> datetime:
    return current_time(request.app.state)


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _cipher(request: Request) -> SecretCipher:
    cipher: SecretCipher = request.app.state.cipher
    return cipher


async def _targets(request: Request) -> TargetCheck:
    targets: TargetCheck = request.app.state.targets
    return targets


Now = Annotated[datetime, Depends(_now)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
Cipher = Annotated[SecretCipher, Depends(_cipher)]
Targets = Annotated[TargetCheck, Depends(_targets)]
# Every role may subscribe (to the events it may see), each bound to its organisation.
AnyRole = Annotated[
    Principal,
    Depends(
        require_bound_roles(Role.PARTNER, Role.CERTIFIER, Role.EXAM_CENTRE, Role.ADMIN)
    ),
]
IfMatch = Annotated[
    str | None,
    Header(
        description="The ETag of the subscription as last read; a stale one gets 412.",
        examples=['"3"'],
    ),
]
SubscriptionId = Annotated[
    uuid.UUID,
    Path(
        description="The subscription's id.",
        openapi_examples={"subscription": {"value": EXAMPLE_SUBSCRIPTION_ID}},
    ),
]
DeliveryId = Annotated[
    uuid.UUID,
    Path(
        description="The delivery's id.",
        openapi_examples={"delivery": {"value": EXAMPLE_DELIVERY_ID}},
    ),
]
