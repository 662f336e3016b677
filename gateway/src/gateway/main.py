"""The gateway's ASGI app: create_app() and its lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import orjson
import structlog
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from common import (
    configure_logging,
    create_engine,
    create_sessionmaker,
    database_unreachable,
    document_roles,
    ensure_schema_current,
    health_router,
    install_error_handlers,
    problem_response,
)
from gateway.api_client.router import router as api_client_router
from gateway.auth import Authenticator
from gateway.config import ALEMBIC_INI, SERVICE_NAME, Settings, get_settings
from gateway.docs.merge import MergedOpenApi
from gateway.docs.router import router as docs_router
from gateway.docs.router import static
from gateway.observability import GatewayRequestContext
from gateway.proxy.client import UpstreamClient
from gateway.proxy.forward import Proxy
from gateway.proxy.upstreams import Upstreams
from gateway.ratelimit import RateLimiter

LOCAL_SEGMENTS = frozenset({"clients"})
logger = structlog.get_logger(__name__)


class Gateway:
    """The gateway's ASGI app: proxied calls skip the framework, the rest goes to FastAPI.

    Every request passes the request-id, metrics and access-log middleware; only the gateway's
    own routes (clients, docs, health) pay for FastAPI's routing and middleware stack.
    """

    def __init__(self, local: FastAPI, *, log_level: str = "INFO") -> None:
        self.local = local
        self._front = GatewayRequestContext(
            self._dispatch, service=SERVICE_NAME, log_level=log_level
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.local(scope, receive, send)
        else:
            await self._front(scope, receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and path.startswith("/v1/"):
            segment = path[4:].split("/", 1)[0]
            if segment not in LOCAL_SEGMENTS:
                await self._proxy(scope, receive, send, segment)
                return
        await self.local(scope, receive, send)

    async def _proxy(
        self, scope: Scope, receive: Receive, send: Send, segment: str
    ) -> None:
        proxy: Proxy = self.local.state.proxy
        try:
            await proxy(scope, receive, send, segment)
        except Exception as error:
            if database_unreachable(error):
                # The key registry is down (a restart, a failover): transient, like an upstream's.
                logger.warning("registry_unreachable", error_type=type(error).__name__)
                response = problem_response(
                    None,
                    status=503,
                    code="DATABASE_UNAVAILABLE",
                    detail="The gateway cannot check API keys right now: retry in a few seconds.",
                    headers={"Retry-After": "1"},
                    instance=scope.get("path", ""),
                )
            else:
                logger.exception("proxy_failed")
                response = problem_response(
                    None,
                    status=500,
                    code="INTERNAL_ERROR",
                    detail="An unexpected error occurred in the gateway; it has been logged. Retry later.",
                    instance=scope.get("path", ""),
                )
            # If the answer had begun, the server refuses a second start and closes the connection.
            with contextlib.suppress(Exception):
                await response(scope, receive, send)


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the gateway with its settings (read from the environment by default)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        await ensure_schema_current(engine, ALEMBIC_INI)
        sessionmaker = create_sessionmaker(engine)
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=0, limit_per_host=16, keepalive_timeout=30, ttl_dns_cache=300
            ),
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            # No cookie is ever kept from an upstream's answer and replayed.
            cookie_jar=aiohttp.DummyCookieJar(),
        )
        upstreams = Upstreams(
            settings.upstreams,
            failure_threshold=settings.breaker_failure_threshold,
            reset_seconds=settings.breaker_reset_seconds,
        )
        await upstreams.probe(session)
        authenticator = Authenticator(
            sessionmaker,
            pepper=settings.api_key_pepper.get_secret_value(),
            signing_key=settings.signing_key(),
            token_ttl_seconds=settings.internal_token_ttl_seconds,
            cache_seconds=settings.client_cache_seconds,
            audience=settings.internal_token_audience,
            issuer=settings.internal_token_issuer,
        )
        limiter = RateLimiter(settings.rate_limit_storage_url)

        async def fetch_openapi(service: str) -> dict[str, Any] | None:
            for upstream in upstreams.pools[service].upstreams:
                if upstream.ready:
                    timeout = aiohttp.ClientTimeout(total=5)
                    async with session.get(
                        f"{upstream.url}/openapi.json", timeout=timeout
                    ) as answer:
                        if answer.status == 200:
                            document: dict[str, Any] = orjson.loads(await answer.read())
                            return document
            return None

        openapi = MergedOpenApi(app.openapi, sorted(upstreams.pools), fetch_openapi)
        app.state.settings = settings
        app.state.sessionmaker = sessionmaker
        app.state.authenticator = authenticator
        app.state.upstreams = upstreams
        app.state.limiter = limiter
        app.state.openapi = openapi
        # Proxied calls go through the gateway's own client; aiohttp serves the probes and
        # the OpenAPI documents.
        client = UpstreamClient(
            max_in_flight=settings.upstream_max_in_flight,
            queue_seconds=settings.upstream_queue_seconds,
        )
        app.state.proxy = Proxy(settings, upstreams, authenticator, limiter, client)
        stop = asyncio.Event()

        async def refresh_openapi() -> None:
            while not stop.is_set():
                await openapi.refresh()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        stop.wait(), timeout=settings.openapi_refresh_seconds
                    )

        background = [
            asyncio.create_task(
                upstreams.follow(session, settings.readiness_interval_seconds, stop)
            ),
            asyncio.create_task(refresh_openapi()),
        ]
        # What start-up built lives as long as the process: keep it out of every collection,
        # whose full passes over it otherwise cost tens of milliseconds under load.
        gc.freeze()
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*background, return_exceptions=True)
            client.close()
            await session.close()
            await engine.dispose()

    app = FastAPI(
        title="VAE gateway",
        version="1.0.0",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)
    document_roles(app)

    async def upstreams_ready() -> None:
        status = app.state.upstreams.status()
        missing = [
            s for s, ups in status.items() if ups and not any(u["ready"] for u in ups)
        ]
        if missing:
            raise RuntimeError(f"no ready upstream for: {', '.join(sorted(missing))}")

    app.include_router(health_router([upstreams_ready]))
    app.include_router(api_client_router)
    app.include_router(docs_router)
    app.mount("/static/docs", static, name="docs-assets")

    return app


def app() -> Gateway:
    """Factory for ``uvicorn --factory gateway.main:app``."""
    settings = get_settings()
    configure_logging(settings.log_level)
    return Gateway(create_app(settings), log_level=settings.log_level)
