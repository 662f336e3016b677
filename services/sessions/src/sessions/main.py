"""The sessions service's ASGI app: create_app() and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import (
    IdempotencyMiddleware,
    InternalTokenVerifier,
    OutboxRelay,
    configure_logging,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
    document_idempotency_key,
    document_roles,
    ensure_schema_current,
    event_delivery_verifier,
    event_sink,
    install_error_handlers,
    install_observability,
    operation_id,
    purge_expired_idempotency_keys,
)
from sessions.api import api_router
from sessions.clients.candidacy import CandidacyClient
from sessions.clients.catalog import CatalogClient
from sessions.config import ALEMBIC_INI, SERVICE_NAME, Settings, get_settings
from sessions.db import IdempotencyKey, OutboxEvent

logger = structlog.get_logger(__name__)

DESCRIPTION = """
Les **sessions d'examen**: exam centres (*centres d'examen*) and their approvals (*agréments*),
jurors (*membres de jury*) and their habilitations, exam sessions and their juries,
registrations of admissible candidacies, convocations, and the signed report (*procès-verbal*)
whose results, block by block, the candidacy service records.

An exam centre manages only its sessions; the certifier of the certification sees them;
partners see the public calendar and register their own candidates.
"""


async def _housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event
) -> None:
    """Purges idempotency keys past their 24 hours, hourly."""
    while not stop.is_set():
        try:
            async with sessionmaker() as db, db.begin():
                await purge_expired_idempotency_keys(db, IdempotencyKey)
        except Exception:
            logger.exception("housekeeping_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=3600)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the sessions app with its settings (read from the environment by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        await ensure_schema_current(engine, ALEMBIC_INI)
        sessionmaker = create_sessionmaker(engine)
        http_client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.upstream_timeout_seconds, connect=1.0)
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.read_sessionmaker = create_read_sessionmaker(engine)
        app.state.catalog = CatalogClient(
            http_client,
            settings.catalog_url,
            cache_seconds=settings.catalog_cache_seconds,
        )
        app.state.candidacy = CandidacyClient(http_client, settings.candidacy_url)
        app.state.token_verifier = InternalTokenVerifier(
            settings.internal_token_key(),
            algorithm=settings.internal_token_algorithm,
            audience=settings.internal_token_audience,
            issuer=settings.internal_token_issuer,
            leeway=settings.internal_token_leeway_seconds,
        )
        app.state.event_verifier = event_delivery_verifier(
            [secret.get_secret_value() for secret in settings.event_secrets],
            setting="SESSIONS_EVENT_SECRETS",
        )
        stop = asyncio.Event()
        background = [asyncio.create_task(_housekeeping(sessionmaker, stop))]
        if settings.outbox_relay_enabled:
            signing = settings.event_signing_secret
            sink = event_sink(
                http_client,
                settings.event_subscribers,
                signing_secret=signing.get_secret_value() if signing else None,
            )
            relay = OutboxRelay(
                sessionmaker,
                OutboxEvent,
                sink,
                poll_interval=settings.outbox_poll_seconds,
            )
            background.append(asyncio.create_task(relay.run(stop)))
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            await http_client.aclose()
            await engine.dispose()

    app = FastAPI(
        title="VAE sessions",
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
    install_observability(app, service=SERVICE_NAME, checks=[database_ready])
    app.include_router(api_router)
    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory sessions.main:app``."""
    configure_logging(get_settings().log_level)
    return create_app()
