"""The catalog's ASGI app: create_app() and its lifespan."""

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

from catalog.api import api_router
from catalog.certification.cache import DocumentCache
from catalog.certification.service import read_revision
from catalog.config import ALEMBIC_INI, SERVICE_NAME, Settings, get_settings
from catalog.db import IdempotencyKey, OutboxEvent
from catalog.fastpath import CachedReadsMiddleware
from catalog.rncp_import.router import IMPORTS_PATH
from catalog.rncp_import.service import ImportRunner
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
    event_sink,
    install_error_handlers,
    install_observability,
    operation_id,
    purge_expired_idempotency_keys,
)

logger = structlog.get_logger(__name__)

DESCRIPTION = """
Le **catalogue** des certifications ouvertes à la VAE: every certification registered at the RNCP
(*Répertoire national des certifications professionnelles*) with its blocks of competences
(*blocs de compétences*), certifiers (*certificateurs*), registration dates, VAE eligibility,
versions (lineage) and the retention policy of partially validated blocks.

Reads are public. Writes and RNCP imports need an administrator's token.
"""


async def _purge_idempotency_keys(
    sessionmaker: async_sessionmaker[AsyncSession], stop: asyncio.Event
) -> None:
    """Hourly: deletes the idempotency keys past their 24 hours."""
    while not stop.is_set():
        try:
            async with sessionmaker() as db, db.begin():
                await purge_expired_idempotency_keys(db, IdempotencyKey)
        except Exception:
            logger.exception("housekeeping_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=3600)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the catalog app with its settings (read from the environment by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        await ensure_schema_current(engine, ALEMBIC_INI)
        sessionmaker = create_sessionmaker(engine)
        read_sessionmaker = create_read_sessionmaker(engine)
        cache = DocumentCache(
            max_entries=settings.cache_max_entries,
            max_age_seconds=settings.cache_max_age_seconds,
        )
        runner = ImportRunner(
            sessionmaker,
            read_sessionmaker,
            cache,
            batch_size=settings.import_batch_size,
        )
        await runner.recover()
        http_client = httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=2.0))
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.read_sessionmaker = read_sessionmaker
        app.state.cache = cache
        app.state.import_runner = runner
        app.state.token_verifier = InternalTokenVerifier(
            settings.internal_token_key(),
            algorithm=settings.internal_token_algorithm,
            audience=settings.internal_token_audience,
            issuer=settings.internal_token_issuer,
            leeway=settings.internal_token_leeway_seconds,
        )

        async def current_revision() -> int:
            async with read_sessionmaker() as db:
                return await read_revision(db)

        stop = asyncio.Event()
        background = [
            asyncio.create_task(
                cache.follow(
                    current_revision, settings.cache_revision_poll_seconds, stop
                )
            ),
            asyncio.create_task(_purge_idempotency_keys(sessionmaker, stop)),
        ]
        if settings.outbox_relay_enabled:
            signing = settings.event_signing_secret
            sink = event_sink(
                http_client,
                settings.event_subscribers,
                signing_secret=signing.get_secret_value() if signing else None,
            )
            relay = OutboxRelay(sessionmaker, OutboxEvent, sink)
            background.append(asyncio.create_task(relay.run(stop)))
        # What start-up built lives as long as the process: keep it out of every collection,
        # whose full passes over it otherwise cost tens of milliseconds under load.
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await runner.close()
            await asyncio.gather(*background, return_exceptions=True)
            await http_client.aclose()
            await engine.dispose()

    app = FastAPI(
        title="VAE catalog",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url="/docs" if settings.serves_docs() else None,
        redoc_url="/redoc" if settings.serves_docs() else None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    document_roles(app)

    async def database_ready() -> None:
        async with app.state.read_sessionmaker() as db:
            await db.execute(text("SELECT 1"))

    app.add_middleware(CachedReadsMiddleware, state=app.state)
    # The RNCP upload (hundreds of MB) is not kept for replays: importing the same file
    # again changes nothing, and a second import while one runs is a 409.
    app.add_middleware(
        IdempotencyMiddleware, model=IdempotencyKey, exempt_paths={IMPORTS_PATH}
    )
    document_idempotency_key(app, exempt_paths={IMPORTS_PATH})
    install_observability(app, service=SERVICE_NAME, checks=[database_ready])
    app.include_router(api_router)
    return app


def app() -> FastAPI:
    """Factory for ``uvicorn --factory catalog.main:app``."""
    configure_logging(get_settings().log_level)
    return create_app()
