"""The candidacy service's ASGI app: create_app() and its lifespan."""

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

from candidacy.api import api_router
from candidacy.candidacy.service import today_in_paris
from candidacy.clients.catalog import CatalogClient
from candidacy.config import ALEMBIC_INI, SERVICE_NAME, Settings, get_settings
from candidacy.db import IdempotencyKey, OutboxEvent
from candidacy.ledger.service import sweep_expiries
from candidacy.openapi import complete_openapi
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

logger = structlog.get_logger(__name__)

DESCRIPTION = """
Les **candidatures VAE**: candidates (*candidats*) and their experiences, candidacies
(*candidatures*) and their admissibility (*recevabilité*), jury outcomes block by block, and the
**ledger of acquired blocks** (*blocs de compétences acquis*) with their expiry.

A partner organisation (*organisme accompagnateur*) sees only its own candidates; a certifier
(*certificateur*) only the candidacies submitted for its certifications.

**France VAE's vocabulary.** Each enum's description gives, value by value, the French term and
the equivalent on the France VAE platform (`DOSSIER_FAISABILITE_RECEVABLE`, `REJECTED`…), saying
where it is only approximate. The candidacy reads take `vocabulary=france-vae` to add a
`france_vae` object in those values (and the list's `state` filter then takes France VAE's
statuses too); `GET /v1/candidacies/vocabulary` gives the whole table as JSON.
"""


async def _housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    stop: asyncio.Event,
) -> None:
    """Runs the expiry sweep and purges old idempotency keys, at the sweep's interval."""
    while not stop.is_set():
        try:
            async with sessionmaker() as db, db.begin():
                await purge_expired_idempotency_keys(db, IdempotencyKey)
            report = await sweep_expiries(
                sessionmaker,
                today=today_in_paris(),
                horizon_days=settings.expiring_horizon_days,
            )
            if report.expired or report.expiring:
                logger.info(
                    "expiry_sweep", expired=report.expired, expiring=report.expiring
                )
        except Exception:
            logger.exception("housekeeping_failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                stop.wait(), timeout=settings.expiry_sweep_interval_seconds
            )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the candidacy app with its settings (read from the environment by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        await ensure_schema_current(engine, ALEMBIC_INI)
        sessionmaker = create_sessionmaker(engine)
        http_client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.catalog_timeout_seconds, connect=1.0)
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
        app.state.token_verifier = InternalTokenVerifier(
            settings.internal_token_key(),
            algorithm=settings.internal_token_algorithm,
            audience=settings.internal_token_audience,
            issuer=settings.internal_token_issuer,
            leeway=settings.internal_token_leeway_seconds,
        )
        app.state.event_verifier = event_delivery_verifier(
            [secret.get_secret_value() for secret in settings.event_secrets],
            setting="CANDIDACY_EVENT_SECRETS",
        )
        stop = asyncio.Event()
        background = []
        if settings.outbox_relay_enabled:
            signing = settings.event_signing_secret
            sink = event_sink(
                http_client,
                settings.event_subscribers,
                signing_secret=signing.get_secret_value() if signing else None,
            )
            relay = OutboxRelay(sessionmaker, OutboxEvent, sink)
            background.append(asyncio.create_task(relay.run(stop)))
        if settings.expiry_sweep_interval_seconds > 0:
            background.append(
                asyncio.create_task(_housekeeping(sessionmaker, settings, stop))
            )
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            await http_client.aclose()
            await engine.dispose()

    app = FastAPI(
        title="VAE candidacy",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        docs_url="/docs" if settings.serves_docs() else None,
        redoc_url="/redoc" if settings.serves_docs() else None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    complete_openapi(app)

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
    """Factory for ``uvicorn --factory candidacy.main:app``."""
    configure_logging(get_settings().log_level)
    return create_app()
