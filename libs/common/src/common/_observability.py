"""JSON logs, request ids, Prometheus metrics and the health endpoints every process serves."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import structlog
from fastapi import APIRouter, FastAPI, Request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.typing import EventDict

from common._errors import problem_response

REQUEST_ID_HEADER = "x-request-id"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{8,64}$")
_QUIET_PATHS = frozenset({"/livez", "/readyz", "/metrics"})

logger = structlog.get_logger(__name__)

REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests served",
    ["service", "method", "route", "status"],
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to serve an HTTP request",
    ["service", "method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

ReadinessCheck = Callable[[], Awaitable[None]]


class _UtcTimestamper:
    """structlog's ``TimeStamper(fmt="iso", utc=True)`` (``2026-11-27T12:00:00.123456Z``), with
    the date and time formatted once a second rather than on every line."""

    __slots__ = ("_prefix", "_second")

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, _: Any, __: str, event_dict: EventDict) -> EventDict:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        event_dict["timestamp"] = f"{self._prefix}.{int((now - second) * 1e6):06d}Z"
        return event_dict


def configure_logging(level: str = "INFO") -> None:
    """Sends structlog and stdlib logs to stdout as one JSON object per line.

    structlog's fastest path: lines are rendered to bytes by orjson and written to stdout's
    binary buffer (flushed at each line, as before), the timestamp formatted once a second.
    """
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _UtcTimestamper(),
    ]
    binary = getattr(
        sys.stdout, "buffer", None
    )  # a test may have put a text stream there
    renderer = structlog.processors.JSONRenderer(
        serializer=orjson.dumps
        if binary is not None
        else lambda obj, **_: orjson.dumps(obj).decode()
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=(
            structlog.BytesLoggerFactory(binary)
            if binary is not None
            else structlog.PrintLoggerFactory(sys.stdout)
        ),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our middleware writes the access log, without query strings (they may carry personal data).
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("alembic").setLevel(logging.WARNING)


class RequestContextMiddleware:
    """Gives every request an id, logs it once, and counts it in the metrics.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware costs a task per request. The
    metrics' labelled children are kept per (method, route, status): ``labels()`` takes a
    lock and builds its key on every call.
    """

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service
        self.logger = structlog.get_logger("access")
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or os.urandom(16).hex()
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        request_id_header = (b"x-request-id", request_id.encode())

        async def send_with_request_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            children = self._children.get((method, template, status))
            if children is None:
                children = self._metrics(method, template, status)
            children[0].inc()
            children[1].observe(elapsed)
            if scope["path"] not in _QUIET_PATHS:
                self.log_request(method, template, status, round(elapsed * 1000, 2))

    def log_request(
        self, method: str, route: str, status: int, duration_ms: float
    ) -> None:
        """Writes the access line of one request (a subclass may write it its own way)."""
        self.logger.info(
            "request",
            method=method,
            route=route,
            status=status,
            duration_ms=duration_ms,
        )

    def _metrics(self, method: str, template: str, status: int) -> tuple[Any, Any]:
        children = (
            REQUESTS.labels(self.service, method, template, str(status)),
            LATENCY.labels(self.service, method, template),
        )
        # Templates and methods are few; a flood of odd methods must not grow this forever.
        if len(self._children) < 10_000:
            self._children[(method, template, status)] = children
        return children


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SAFE_REQUEST_ID.match(candidate) else None
    return None


def health_router(checks: list[ReadinessCheck]) -> APIRouter:
    """Builds ``/livez``, ``/readyz`` (runs the checks) and ``/metrics``."""
    router = APIRouter(include_in_schema=False)

    @router.get("/livez")
    async def livez() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        for check in checks:
            try:
                await check()
            except Exception:
                # The error text may hold SQL or hostnames: it goes to the log, not the answer.
                name = getattr(check, "__name__", "readiness check")
                logger.warning("readiness_check_failed", check=name, exc_info=True)
                return problem_response(
                    request,
                    status=503,
                    code="NOT_READY",
                    detail=f"Not ready: the check {name} failed; see the service log.",
                )
        return Response(
            orjson.dumps({"status": "ready"}), media_type="application/json"
        )

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_observability(
    app: FastAPI, *, service: str, checks: list[ReadinessCheck]
) -> None:
    """Adds the request middleware and the health routes to an app."""
    app.add_middleware(RequestContextMiddleware, service=service)
    app.include_router(health_router(checks))
