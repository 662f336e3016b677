"""Builds the delivery machinery from the settings (the app's lifespan, the CLI, tests)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp.abc import AbstractResolver
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import utcnow
from webhooks.config import Settings
from webhooks.crypto import SecretCipher
from webhooks.delivery.sender import Sender, SenderLimits
from webhooks.delivery.worker import Clock, DeliveryWorker, WorkerLimits
from webhooks.targets import TargetPolicy


def target_policy(settings: Settings) -> TargetPolicy:
    """The operator's rules on delivery targets."""
    return TargetPolicy(
        allow_http=settings.allow_http,
        allowed_networks=tuple(settings.allowed_networks),
    )


def secret_cipher(settings: Settings) -> SecretCipher:
    """The cipher of the subscriptions' secrets."""
    return SecretCipher(
        settings.secret_encryption_key.get_secret_value(),
        [key.get_secret_value() for key in settings.previous_secret_encryption_keys],
    )


def create_sender(
    settings: Settings, *, resolver: AbstractResolver | None = None
) -> Sender:
    """A sender bounded by the settings (call ``start()`` in the running loop)."""
    return Sender(
        target_policy(settings),
        SenderLimits(
            timeout_seconds=settings.delivery_timeout_seconds,
            max_response_bytes=settings.delivery_max_response_bytes,
            concurrency=settings.delivery_concurrency,
            concurrency_per_host=settings.delivery_concurrency_per_host,
        ),
        resolver=resolver,
    )


def create_worker(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    sender: Sender,
    *,
    clock: Clock = utcnow,
) -> DeliveryWorker:
    """A worker paced by the settings."""
    return DeliveryWorker(
        sessionmaker,
        sender,
        secret_cipher(settings),
        schedule=settings.retry_schedule(),
        limits=WorkerLimits(
            concurrency=settings.delivery_concurrency,
            per_host=settings.delivery_concurrency_per_host,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
            poll_interval=settings.delivery_poll_seconds,
            shutdown_grace=settings.delivery_timeout_seconds,
        ),
        clock=clock,
    )
