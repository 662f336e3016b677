"""Forwarding of /v1/ requests to the owning service: a plain ASGI app on a lean HTTP client.

Measured on this machine (PERFORMANCE.md, bench/GATEWAY.md): httpx's default transport keeps
~0.07 of direct throughput as a proxy, an aiohttp client ~0.6; a framework route adds more per
request; aiohttp's request path itself costs three times the CPU of the gateway's own client
(``client.py``: pooled connections, httptools). So the hot path is plain ASGI over that client,
with the caller's headers relayed as bytes, read in one pass.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import structlog
from prometheus_client import Counter
from starlette.types import Receive, Scope, Send

from common import (
    AuthenticationError,
    PermissionDeniedError,
    Role,
    ServiceError,
    problem_response,
)
from gateway.api_client.service import Caller
from gateway.auth import Authenticator
from gateway.config import Settings
from gateway.errors import (
    BodyTooLargeError,
    RateLimitedError,
    RouteNotFoundError,
    UpstreamOverloadedError,
    UpstreamRefusedError,
    UpstreamTimeoutError,
    UpstreamUnavailableError,
)
from gateway.proxy.client import (
    UpstreamBusyError,
    UpstreamClient,
    UpstreamConnectionError,
)
from gateway.proxy.upstreams import RetryBudget, Upstream, Upstreams
from gateway.ratelimit import RateLimiter

logger = structlog.get_logger(__name__)

OVERLOADED = Counter(
    "gateway_upstream_overloaded_total",
    "Requests refused (503 UPSTREAM_OVERLOADED) because their upstream had too many in flight",
    ["service"],
)

_HOP_BY_HOP = frozenset(
    {b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization", b"te", b"trailer",
     b"trailers", b"transfer-encoding", b"upgrade", b"host"}
)  # fmt: skip
# Identity a client might try to assert; only the gateway's signed token speaks for callers.
_IDENTITY = frozenset({b"authorization", b"cookie", b"forwarded", b"x-forwarded-for", b"x-forwarded-host",
                       b"x-forwarded-proto", b"x-forwarded-user", b"x-remote-user", b"remote-user", b"x-real-ip"})  # fmt: skip
_IDENTITY_PREFIXES = (b"x-principal", b"x-user", b"x-client", b"x-organisation", b"x-organization", b"x-internal",
                      b"x-auth", b"x-role", b"x-api-key")  # fmt: skip
_FROM_CLIENT_DROPPED = _HOP_BY_HOP | _IDENTITY | {b"traceparent", b"x-request-id"}
# Content-Length stays: bodies are relayed as they are (no decompression), byte for byte.
_RESPONSE_DROPPED = _HOP_BY_HOP | {b"x-request-id", b"date", b"server"}
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_UPSTREAM_FAILURES = frozenset({502, 503, 504})
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-([0-9a-f]{2})$")
_MAX_BUFFERED = 1_048_576
_WHOLE_ANSWER = 262_144


class _BodyTooLargeError(Exception):
    """The streamed request body passed the route's limit."""


class _CallerGoneError(Exception):
    """The caller disconnected before its request body ended: nobody is left to answer."""


class _StreamedBody:
    """The caller's body relayed chunk by chunk, stopped past the route's limit.

    A body cut by the caller must fail the upload (the upstream connection is dropped), never
    end it as if it were whole.
    """

    __slots__ = ("_limit", "_receive")

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise _CallerGoneError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limit:
                raise _BodyTooLargeError
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


@dataclass(frozen=True, slots=True)
class _Label:
    path: str


@lru_cache(maxsize=256)
def _named_by_connection(value: bytes) -> frozenset[bytes]:
    """The headers a Connection header names (hop-by-hop too), beyond the always-dropped ones."""
    named = frozenset(token.strip().lower() for token in value.split(b","))
    return named - _HOP_BY_HOP - {b"close", b""}


class _Incoming:
    """The caller's headers, read in one pass: those to forward, and those the gateway reads."""

    __slots__ = (
        "authorization",
        "content_length",
        "forwarded",
        "idempotency_key",
        "traceparent",
    )

    def __init__(self, headers: list[tuple[bytes, bytes]]) -> None:
        self.authorization: str | None = None
        self.content_length: str | None = None
        self.idempotency_key: str | None = None
        self.traceparent: str | None = None
        # Relayed as they came (ASGI servers give lowercase names), never decoded.
        forwarded: list[tuple[bytes, bytes]] = []
        # The Connection header may name more hop-by-hop headers (RFC 9110 §7.6.1).
        named: frozenset[bytes] = frozenset()
        for header in headers:
            name = header[0]
            if name in _FROM_CLIENT_DROPPED or name.startswith(_IDENTITY_PREFIXES):
                if name == b"authorization":
                    if self.authorization is None:
                        self.authorization = header[1].decode("latin-1")
                elif name == b"traceparent":
                    if self.traceparent is None:
                        self.traceparent = header[1].decode("latin-1")
                elif name == b"connection":
                    named |= _named_by_connection(header[1])
                continue
            if name == b"content-length":
                if self.content_length is None:
                    self.content_length = header[1].decode("latin-1")
            elif name == b"idempotency-key" and self.idempotency_key is None:
                self.idempotency_key = header[1].decode("latin-1")
            forwarded.append(header)
        if named:
            forwarded = [h for h in forwarded if h[0] not in named]
        self.forwarded = forwarded


def _traceparent(incoming: str | None) -> tuple[str, str]:
    """Returns (trace id, traceparent for the upstream call), continuing the caller's trace."""
    match = _TRACEPARENT.match(incoming) if incoming else None
    if match:
        trace_id, flags, span_id = match.group(1), match.group(2), os.urandom(8).hex()
    else:  # one system call for both ids
        ids = os.urandom(24).hex()
        trace_id, flags, span_id = ids[:32], "01", ids[32:]
    return trace_id, f"00-{trace_id}-{span_id}-{flags}"


class Proxy:
    """Authenticates, limits and forwards one request to a service, or answers a problem."""

    def __init__(
        self,
        settings: Settings,
        upstreams: Upstreams,
        authenticator: Authenticator,
        limiter: RateLimiter,
        client: UpstreamClient,
    ) -> None:
        self.settings = settings
        self.upstreams = upstreams
        self.authenticator = authenticator
        self.limiter = limiter
        self.client = client
        self.budget = RetryBudget(settings.retry_budget_ratio)
        self._labels = {
            segment: _Label(f"/v1/{segment}/…") for segment in settings.routes
        }
        self._public = frozenset(settings.public_read_segments)
        self._admin = frozenset(settings.admin_segments)
        # Timeouts of deeper paths ("certifications/lheo"): looked up only if any is set.
        self._nested_timeouts = any("/" in key for key in settings.route_timeouts)

    def _timeout(self, path: str, segment: str) -> float:
        """The route's deadline in seconds: its first two path segments', else the first's."""
        timeouts = self.settings.route_timeouts
        if self._nested_timeouts:
            nested = "/".join(path[4:].split("/", 2)[:2])
            if nested in timeouts:
                return timeouts[nested]
        return timeouts.get(segment, self.settings.timeout_seconds)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send, segment: str
    ) -> None:
        extra: list[tuple[bytes, bytes]] = []
        try:
            service = self.settings.routes.get(segment)
            if service is None:
                raise RouteNotFoundError(
                    f"There is no resource at {scope['path']}: check the path against the API documentation."
                )
            scope["route"] = self._labels[segment]
            incoming = _Incoming(scope["headers"])
            caller = await self._admit(scope, incoming, segment, extra)
            await self._forward(
                scope, receive, send, segment, service, caller, incoming, extra
            )
        except _CallerGoneError:
            return
        except ServiceError as error:
            headers = {**error.headers, **{k.decode(): v.decode() for k, v in extra}}
            response = problem_response(
                None, status=error.status_code, code=error.code, detail=error.detail, headers=headers,
                instance=scope["path"],
            )  # fmt: skip
            await response(scope, receive, send)

    async def _admit(
        self,
        scope: Scope,
        incoming: _Incoming,
        segment: str,
        extra: list[tuple[bytes, bytes]],
    ) -> Caller | None:
        client = scope.get("client")
        anonymous = f"ip:{client[0] if client else 'unknown'}"
        try:
            caller = (
                None
                if incoming.authorization is None
                else await self.authenticator.authenticate(incoming.authorization)
            )
        except AuthenticationError:
            # Wrong keys count against the caller's address: guessing keys costs the budget.
            await self._limit(anonymous, self.settings.anonymous_rate_limit, extra)
            raise
        # Anonymous calls reach the public segments whatever their method: the service knows
        # which methods a path has (405 with Allow) and refuses an anonymous write itself
        # (401), where a 401 here would hide that the method does not exist at all.
        if caller is None and segment not in self._public:
            raise AuthenticationError(
                "This operation needs an API key: send `Authorization: Bearer <key>`.",
                headers={"WWW-Authenticate": 'Bearer realm="vae"'},
            )
        if segment in self._admin and (caller is None or caller.role is not Role.ADMIN):
            raise PermissionDeniedError(f"Only administrators may use /v1/{segment}.")
        if caller is None:
            await self._limit(anonymous, self.settings.anonymous_rate_limit, extra)
        else:
            limit = caller.rate_limit or self.settings.default_rate_limit
            await self._limit(f"client:{caller.client_id}", limit, extra)
        return caller

    async def _limit(
        self, identity: str, limit: str, extra: list[tuple[bytes, bytes]]
    ) -> None:
        limiter = self.limiter
        decision = (
            limiter.check_now(identity, limit)
            if limiter.synchronous
            else await limiter.check(identity, limit)
        )
        if decision is not None:
            extra.extend(decision.headers())
            if not decision.allowed:
                raise RateLimitedError(
                    f"Too many requests: the limit is {limit}; retry in {decision.reset_seconds} s.",
                    headers={"Retry-After": str(decision.reset_seconds)},
                )

    def _upstream_headers(
        self,
        scope: Scope,
        incoming: _Incoming,
        caller: Caller | None,
        traceparent: str,
    ) -> list[tuple[bytes, bytes]]:
        headers = incoming.forwarded
        if caller is not None:
            token = self.authenticator.internal_token(caller)
            headers.append((b"authorization", b"Bearer " + token.encode()))
        request_id: str = scope.get("state", {}).get("request_id", "")
        headers.append((b"x-request-id", request_id.encode()))
        headers.append((b"traceparent", traceparent.encode()))
        client = scope.get("client")
        if client:
            headers.append((b"x-forwarded-for", client[0].encode()))
        headers.append(
            (
                b"x-forwarded-proto",
                b"https" if scope.get("scheme") == "https" else b"http",
            )
        )
        return headers

    async def _read_body(self, receive: Receive, limit: int) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _CallerGoneError
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BodyTooLargeError(
                    f"The request body is larger than the {limit:,}-byte limit of this route."
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _forward(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        segment: str,
        service: str,
        caller: Caller | None,
        incoming: _Incoming,
        extra: list[tuple[bytes, bytes]],
    ) -> None:
        method: str = scope["method"]
        limit = self.settings.route_body_limits.get(
            segment, self.settings.max_body_bytes
        )
        declared = incoming.content_length
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise BodyTooLargeError(
                f"The request body is larger than the {limit:,}-byte limit of this route."
            )
        retryable = method in _IDEMPOTENT or incoming.idempotency_key is not None
        small = (
            declared is not None
            and declared.isdigit()
            and int(declared) <= _MAX_BUFFERED
        )
        body: Any
        if method in ("GET", "HEAD", "OPTIONS", "DELETE") or (retryable and small):
            body = await self._read_body(
                receive, min(limit, _MAX_BUFFERED if retryable else limit)
            )
        else:
            body, retryable = _StreamedBody(receive, limit), False
        trace_id, traceparent = _traceparent(incoming.traceparent)
        structlog.contextvars.bind_contextvars(trace_id=trace_id)
        headers = self._upstream_headers(scope, incoming, caller, traceparent)
        timeout = self._timeout(scope["path"], segment)
        deadline = time.monotonic() + timeout
        pool = self.upstreams.pools[service]
        self.budget.deposit()
        tried: set[str] = set()
        # The path as the caller sent it (still percent-encoded), and its query string.
        target: bytes = scope.get("raw_path") or quote(scope["path"]).encode()
        if scope["query_string"]:
            target += b"?" + scope["query_string"]
        method_bytes = method.encode()
        failure: ServiceError | None = None
        while True:
            upstream = pool.pick(time.monotonic(), tried)
            if upstream is None:
                if failure is not None:  # the upstreams left were taken meanwhile
                    raise failure
                raise UpstreamUnavailableError(
                    pool.unavailable_reason(), headers={"Retry-After": "5"}
                )
            tried.add(upstream.url)
            # Another attempt needs a retryable request, a retry left, and another upstream.
            can_retry = (
                retryable
                and len(tried) <= self.settings.max_retries
                and len(tried) < len(pool.upstreams)
                and self.budget.tokens >= 1.0
                and pool.has_alternative(time.monotonic(), tried)
            )
            try:
                answered = await self._attempt(
                    upstream,
                    method_bytes,
                    target,
                    headers,
                    body,
                    deadline,
                    send,
                    extra,
                    final=not can_retry,
                )
            except _BodyTooLargeError as error:
                upstream.breaker.abandon_trial()
                raise BodyTooLargeError(
                    f"The request body is larger than the {limit:,}-byte limit of this route."
                ) from error
            except UpstreamBusyError as error:
                # The gateway's own bound, not a verdict on the upstream; not retried either:
                # another attempt would add load where there is too much already.
                upstream.breaker.abandon_trial()
                OVERLOADED.labels(service).inc()
                logger.warning(
                    "upstream_overloaded", upstream=upstream.url, why=str(error)
                )
                raise UpstreamOverloadedError(
                    f"The {service} service has too many requests in flight; retry in a second.",
                    headers={"Retry-After": "1"},
                ) from error
            except TimeoutError as error:
                upstream.breaker.record_failure(time.monotonic())
                raise UpstreamTimeoutError(
                    f"The {service} service did not answer within {timeout:g} s; retry later.",
                    headers={"Retry-After": "5"},
                ) from error
            except UpstreamConnectionError as error:
                upstream.breaker.record_failure(time.monotonic())
                logger.warning(
                    "upstream_failed", upstream=upstream.url, error=type(error).__name__
                )
                failure = UpstreamRefusedError(
                    f"The {service} service could not be reached; retry later.",
                    headers={"Retry-After": "5"},
                )
                if can_retry and time.monotonic() < deadline and self.budget.withdraw():
                    continue
                raise failure from error
            except BaseException:
                # Cancelled, or a bug: no verdict on the upstream, so its trial slot is free.
                upstream.breaker.abandon_trial()
                raise
            if answered:
                return
            # A 502/503/504 from this upstream, not sent: try another one.
            self.budget.withdraw()

    async def _attempt(
        self,
        upstream: Upstream,
        method: bytes,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | _StreamedBody,
        deadline: float,
        send: Send,
        extra: list[tuple[bytes, bytes]],
        *,
        final: bool = False,
    ) -> bool:
        """Sends the request to one upstream and relays the answer.

        Returns False, having sent nothing, for a 502/503/504 when another attempt may follow.
        """
        answer = await self.client.request(
            upstream.url, method, target, headers, body, deadline
        )
        try:
            if answer.status in _UPSTREAM_FAILURES:
                upstream.breaker.record_failure(time.monotonic())
                if not final:
                    return False
            else:
                upstream.breaker.record_success()
            response_headers: list[tuple[bytes, bytes]] = []
            named: frozenset[bytes] = frozenset()
            for name, value in answer.headers:
                lowered = name.lower()
                if lowered in _RESPONSE_DROPPED:
                    if lowered == b"connection":
                        named |= _named_by_connection(value)
                    continue
                response_headers.append((lowered, value))
            if named:
                response_headers = [h for h in response_headers if h[0] not in named]
            if extra:
                response_headers += extra
            start = {
                "type": "http.response.start",
                "status": answer.status,
                "headers": response_headers,
            }
            length = answer.length
            if length is not None and length <= _WHOLE_ANSWER:
                # A small answer is read whole first: one message to send, and a failure while
                # reading is still a clean 502 (or a retry), not a cut answer.
                content = await answer.read()
                await send(start)
                await send({"type": "http.response.body", "body": content})
                return True
            await send(start)
            try:
                async for chunk in answer.chunks():
                    await send(
                        {"type": "http.response.body", "body": chunk, "more_body": True}
                    )
            except (UpstreamConnectionError, TimeoutError) as error:
                # The answer has begun: it cannot be retried nor turned into a problem. It
                # ends unfinished, so the server closes the connection and the caller sees
                # the cut.
                upstream.breaker.record_failure(time.monotonic())
                logger.warning(
                    "upstream_answer_cut",
                    upstream=upstream.url,
                    error=type(error).__name__,
                )
                return True
            await send({"type": "http.response.body", "body": b""})
            return True
        finally:
            answer.release()
