"""The webhooks service's ASGI app: create_app() and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import structlog
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import (
    IdempotencyMiddleware,
    InternalTokenVerifier,
    configure_logging,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    document_idempotency_key,
    document_roles,
    ensure_schema_current,
    event_delivery_verifier,
    install_error_handlers,
    install_observability,
    operation_id,
    purge_expired_idempotency_keys,
)
from webhooks.api import api_router
from webhooks.config import ALEMBIC_INI, SERVICE_NAME, Settings, get_settings
from webhooks.db import IdempotencyKey
from webhooks.delivery.repository import DeliveryRepository
from webhooks.delivery.setup import (
    create_sender,
    create_worker,
    secret_cipher,
    target_policy,
)
from webhooks.dependencies import current_time
from webhooks.openapi import install_problem_examples
from webhooks.sealing import SecretUnsealMiddleware
from webhooks.subscription.service import TargetCheck
from webhooks.targets import system_resolve

logger = structlog.get_logger(__name__)

DESCRIPTION = """
Les **webhooks**: partners' subscriptions (*abonnements*) to the platform's events —
candidacies and their admissibility (*recevabilité*), acquired blocks, exam sessions and
signed reports (*procès-verbaux*), the catalog of certifications.

Each subscription receives only the events its owner may see, POSTed to its https endpoint as
CloudEvents 1.0 JSON and signed per [Standard Webhooks](https://www.standardwebhooks.com/)
(`webhook-id`, `webhook-timestamp`, `webhook-signature`, HMAC-SHA256 with your `whsec_`
secret). Failed deliveries are retried for about 27 hours (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
10 h), then the subscription is disabled with the reason; a `410 Gone` disables it at once.
Deliveries are at least once: deduplicate on `webhook-id`. Redirects are not followed.
"""


async def _housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession],
    now: Callable[[], datetime],
    retention: timedelta,
    stop: asyncio.Event,
) -> None:
    """Hourly: purges idempotency keys past their 24 hours, finished deliveries and events past
    the retention."""
    while not stop.is_set():
        try:
            async with sessionmaker() as db, db.begin():
                await purge_expired_idempotency_keys(db, IdempotencyKey)
                await DeliveryRepository(db).purge_finished(now() - retention)
        except Exception:
            logger.exception("housekeeping_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=3600)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the webhooks app with its settings (read from the environment by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        await ensure_schema_current(engine, ALEMBIC_INI)
        sessionmaker = create_sessionmaker(engine)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.read_sessionmaker = create_read_sessionmaker(engine)
        app.state.token_verifier = InternalTokenVerifier(
            settings.internal_token_key(),
            algorithm=settings.internal_token_algorithm,
            audience=settings.internal_token_audience,
            issuer=settings.internal_token_issuer,
            leeway=settings.internal_token_leeway_seconds,
        )
        app.state.event_verifier = event_delivery_verifier(
            [secret.get_secret_value() for secret in settings.event_secrets],
            setting="WEBHOOKS_EVENT_SECRETS",
        )
        app.state.cipher = secret_cipher(settings)
        app.state.targets = TargetCheck(target_policy(settings), system_resolve)

        def now() -> datetime:
            return current_time(app.state)

        stop = asyncio.Event()
        background = [
            asyncio.create_task(
                _housekeeping(
                    sessionmaker, now, timedelta(days=settings.retention_days), stop
                )
            )
        ]
        sender = None
        if settings.delivery_enabled:
            sender = create_sender(settings)
            await sender.start()
            worker = create_worker(settings, sessionmaker, sender, clock=now)
            app.state.worker = worker
            background.append(asyncio.create_task(worker.run(stop)))
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            if sender is not None:
                await sender.close()
            await engine.dispose()

    app = FastAPI(
        title="VAE webhooks",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url="/docs" if settings.serves_docs() else None,
        redoc_url="/redoc" if settings.serves_docs() else None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)

    async def database_ready() -> None:
        async with app.state.read_sessionmaker() as db:
            await db.execute(text("SELECT 1"))

    app.add_middleware(IdempotencyMiddleware, model=IdempotencyKey)
    document_idempotency_key(app)
    document_roles(app)
    # Last: it adds examples to every problem answer, the Idempotency-Key's 400 included.
    install_problem_examples(app)
    # Outside the idempotency middleware: it opens the sealed secrets of stored answers too.
    app.add_middleware(SecretUnsealMiddleware)
    install_observability(app, service=SERVICE_NAME, checks=[database_ready])
    app.include_router(api_router)
    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory webhooks.main:app``."""
    configure_logging(get_settings().log_level)
    return create_app()
