"""Idempotency-Key on POST: the same key and body replay the first answer (API.md, "Safety of writes").

``IdempotencyMiddleware`` claims the key of an authenticated POST in its own short transaction
before the route runs, then stores the answer (status below 500) for replays. A key belongs to
one client (the internal token's ``client_id``) and is kept ``ttl`` (24 hours by default):

- same key, same method, path and body, answered → the stored answer, ``Idempotent-Replayed: true``;
- same key, another request → 422 ``IDEMPOTENCY_KEY_REUSED``;
- same key while the first request runs (its lease holds) → 409 ``IDEMPOTENCY_KEY_IN_USE``;
- a 5xx answer or an exception releases the key, so the client can retry, unless the route
  had already committed a change: then the key stays taken (see below).

The answer can only be stored after the route's own transaction commits. So that a crash
between the two never runs the route twice, every write transaction of the route also marks
the key APPLIED, in that same transaction (a SQLAlchemy ``before_commit`` hook, see
``_mark_applied``). A retry after its holder died (the lease ended) then finds APPLIED and
answers 409 ``IDEMPOTENCY_KEY_APPLIED`` instead of running the route again: the change is
there, only its answer was lost. Keep the lease longer than the longest request (the
gateway's timeout) and shorter than a client's patience.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Collection
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast

import structlog
from fastapi import FastAPI
from sqlalchemy import (
    JSON,
    ColumnElement,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    declared_attr,
    mapped_column,
)
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uuid6 import uuid7

from common._auth import InternalTokenVerifier
from common._db import UtcDateTime, upsert, utcnow
from common._errors import PROBLEM_MEDIA_TYPE, AuthenticationError, problem_response

logger = structlog.get_logger(__name__)

IDEMPOTENCY_KEY_HEADER = b"idempotency-key"
REPLAYED_HEADER = b"idempotent-replayed"
MAX_KEY_LENGTH = 255
DEFAULT_MAX_BODY_SIZE = 10 * 1024 * 1024
# Only headers that describe the answer itself are replayed: cookies, request ids and the like
# belong to the first exchange.
REPLAYED_RESPONSE_HEADERS = frozenset(
    {
        "content-type",
        "content-language",
        "content-location",
        "etag",
        "last-modified",
        "link",
        "location",
    }
)
IN_FLIGHT = "IN_FLIGHT"
# The route committed a change under this claim; its answer is not stored (yet).
APPLIED = "APPLIED"
COMPLETED = "COMPLETED"

_VALID_KEY = re.compile(rf"[\x20-\x7e]{{1,{MAX_KEY_LENGTH}}}")


class IdempotencyKeyMixin:
    """Columns of the ``idempotency_key`` table; each service maps it on its own ``Base``."""

    __tablename__ = "idempotency_key"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH))
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(Text)
    # sha256 of the method, path, query string and body: what "the same request" means.
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    # While IN_FLIGHT: which claim holds the key and until when. A claim whose lease ended
    # (its process died) may be taken over, and then its late answer is not stored.
    lease_id: Mapped[uuid.UUID | None] = mapped_column()
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[list[list[str]] | None] = mapped_column(JSON)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @declared_attr.directive
    @classmethod
    def __table_args__(cls) -> tuple[Any, ...]:
        return (
            UniqueConstraint("client_id", "key"),
            Index("ix_idempotency_key_expires_at", "expires_at"),
        )


async def purge_expired_idempotency_keys(
    db: AsyncSession, model: type[IdempotencyKeyMixin]
) -> int:
    """Deletes the keys past their expiry in the caller's transaction; returns how many."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    result = await db.execute(delete(table).where(table.c.expires_at < utcnow()))
    return cast("CursorResult[Any]", result).rowcount


@dataclass(frozen=True, slots=True)
class _Claimed:
    row_id: uuid.UUID
    lease_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class _Stored:
    status: int
    headers: list[list[str]]
    body: bytes


_Outcome = _Claimed | _Stored | Literal["in_use", "reused", "applied"]


@dataclass(frozen=True, slots=True)
class _RouteClaim:
    """The claim the running route works under, and the database it lives in."""

    table: Table
    claim: _Claimed
    engine: Engine


_route_claim: ContextVar[_RouteClaim | None] = ContextVar(
    "idempotency_route_claim", default=None
)
# Session.info keys: the transaction wrote something; the session is the middleware's own.
_WROTE = "idempotency_wrote"
_OWN_SESSION = "idempotency_own_session"


@event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _: UOWTransaction) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_soft_rollback")
def _forget_writes(session: Session, _: Any) -> None:
    session.info.pop(_WROTE, None)


@event.listens_for(Session, "before_commit")
def _mark_applied(session: Session) -> None:
    """Marks the running route's key APPLIED in the transaction that commits its change."""
    wrote = session.info.pop(_WROTE, False) or bool(
        session.new or session.dirty or session.deleted
    )
    current = _route_claim.get()
    if (
        current is None
        or not wrote
        or session.info.get(_OWN_SESSION)
        # Another app's database (apps served in one process, as in tests).
        or session.get_bind() is not current.engine
    ):
        return
    table = current.table
    session.execute(
        update(table)
        .where(
            table.c.id == current.claim.row_id,
            table.c.lease_id == current.claim.lease_id,
            table.c.state == IN_FLIGHT,
        )
        .values(state=APPLIED)
    )


class IdempotencyMiddleware:
    """Makes authenticated POST requests that carry an ``Idempotency-Key`` safe to retry.

    A pure ASGI middleware. It reads the sessionmaker (``app.state.<sessionmaker_attribute>``)
    and the ``InternalTokenVerifier`` (``app.state.token_verifier``) at request time, since
    the lifespan builds them after the middleware stack exists. Add it before
    ``install_observability`` so that replays get their own request id::

        app.add_middleware(IdempotencyMiddleware, model=IdempotencyKey)

    ``exempt_paths`` names POST paths left alone, key or not: uploads too large to keep
    whole for a replay, whose effect is idempotent by nature (say so in their description).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        model: type[IdempotencyKeyMixin],
        sessionmaker_attribute: str = "sessionmaker",
        ttl: timedelta = timedelta(hours=24),
        lease: timedelta = timedelta(seconds=60),
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        exempt_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self._exempt_paths = frozenset(exempt_paths)
        self._table: Table = model.__table__  # type: ignore[attr-defined]
        self._sessionmaker_attribute = sessionmaker_attribute
        self._ttl = ttl
        self._lease = lease
        self._max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] in self._exempt_paths
        ):
            await self.app(scope, receive, send)
            return
        keys = _header_values(scope, IDEMPOTENCY_KEY_HEADER)
        client_id = self._client_id(scope) if keys else None
        if client_id is None:
            # No key, or no valid token: the route behaves as without this middleware, and
            # its own authentication answers 401.
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if len(keys) > 1 or not _VALID_KEY.fullmatch(keys[0]):
            await _problem(
                send,
                path,
                status=400,
                code="IDEMPOTENCY_KEY_INVALID",
                detail=f"Send one Idempotency-Key header of 1 to {MAX_KEY_LENGTH} printable ASCII characters, such as a UUID.",
            )
            return
        body = await self._read_body(scope, receive, send)
        if body is None:
            return
        fingerprint = _fingerprint(scope, body)
        sessionmaker = self._sessionmaker(scope)
        outcome = await self._claim(
            sessionmaker, client_id, keys[0], scope["method"], path, fingerprint
        )
        if isinstance(outcome, _Stored):
            await _send_stored(send, outcome)
        elif outcome == "in_use":
            await _problem(
                send,
                path,
                status=409,
                code="IDEMPOTENCY_KEY_IN_USE",
                detail="A request with this Idempotency-Key is still being processed: retry in a moment to get its answer.",
                headers={"Retry-After": "1"},
            )
        elif outcome == "applied":
            await _problem(
                send,
                path,
                status=409,
                code="IDEMPOTENCY_KEY_APPLIED",
                detail="The request with this Idempotency-Key was applied, but its answer was lost in a failure: read the resource it created or changed instead of retrying.",
            )
        elif outcome == "reused":
            await _problem(
                send,
                path,
                status=422,
                code="IDEMPOTENCY_KEY_REUSED",
                detail="This Idempotency-Key was already used for a different request (method, path or body): use a new key for a new request.",
            )
        else:
            await self._run(scope, receive, send, body, sessionmaker, outcome)

    def _client_id(self, scope: Scope) -> str | None:
        verifier: InternalTokenVerifier | None = getattr(
            scope["app"].state, "token_verifier", None
        )
        authorizations = _header_values(scope, b"authorization")
        if verifier is None or len(authorizations) != 1:
            return None
        scheme, _, token = authorizations[0].partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return verifier.verify(token.strip()).client_id
        except AuthenticationError:
            return None

    def _sessionmaker(self, scope: Scope) -> async_sessionmaker[AsyncSession]:
        sessionmaker: async_sessionmaker[AsyncSession] = getattr(
            scope["app"].state, self._sessionmaker_attribute
        )
        return sessionmaker

    async def _read_body(
        self, scope: Scope, receive: Receive, send: Send
    ) -> bytes | None:
        """Reads the whole request body; answers 413 and returns None above the limit."""
        declared = _header_values(scope, b"content-length")
        too_large = bool(
            declared
            and declared[0].isdigit()
            and int(declared[0]) > self._max_body_size
        )
        chunks: list[bytes] = []
        size = 0
        more_body = not too_large
        while more_body:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_size:
                too_large = True
                break
            chunks.append(chunk)
            more_body = message.get("more_body", False)
        if too_large:
            await _problem(
                send,
                scope["path"],
                status=413,
                code="PAYLOAD_TOO_LARGE",
                detail=f"The request body exceeds {self._max_body_size} bytes: send a smaller one.",
            )
            return None
        return b"".join(chunks)

    async def _claim(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        client_id: str,
        key: str,
        method: str,
        path: str,
        fingerprint: str,
    ) -> _Outcome:
        """Takes the key for this request, or tells why not, in one short transaction."""
        table = self._table
        now = utcnow()
        lease_id = uuid7()
        claim = {
            "request_fingerprint": fingerprint,
            "method": method,
            "path": path,
            "state": IN_FLIGHT,
            "lease_id": lease_id,
            "locked_until": now + self._lease,
            "response_status": None,
            "response_headers": None,
            "response_body": None,
            "created_at": now,
            "expires_at": now + self._ttl,
        }
        async with sessionmaker(info={_OWN_SESSION: True}) as db, db.begin():
            # SQLite's BEGIN IMMEDIATE serialises claims; on PostgreSQL the insert waits for
            # a concurrent claim of the same key to commit, then the row lock below holds it.
            # ON CONFLICT DO NOTHING rather than catching IntegrityError keeps the transaction
            # usable on PostgreSQL for the read that follows.
            for _ in range(3):
                row_id = uuid7()
                inserted = await db.execute(
                    upsert(db, table)
                    .values(id=row_id, client_id=client_id, key=key, **claim)
                    .on_conflict_do_nothing(index_elements=["client_id", "key"])
                    .returning(table.c.id)
                )
                if inserted.scalar_one_or_none() is not None:
                    return _Claimed(row_id, lease_id)
                existing = (
                    await db.execute(
                        select(
                            table.c.id,
                            table.c.request_fingerprint,
                            table.c.state,
                            table.c.locked_until,
                            table.c.expires_at,
                            table.c.response_status,
                            table.c.response_headers,
                            table.c.response_body,
                        )
                        .where(table.c.client_id == client_id, table.c.key == key)
                        .with_for_update()
                    )
                ).one_or_none()
                if existing is not None:
                    break
                # The holder released the key (a 5xx) between our insert and our read:
                # PostgreSQL's next statement sees that, so try the insert again.
            else:
                return "in_use"
            if existing.expires_at > now:
                if existing.request_fingerprint != fingerprint:
                    return "reused"
                if existing.state == COMPLETED:
                    return _Stored(
                        existing.response_status,
                        existing.response_headers or [],
                        existing.response_body or b"",
                    )
                if existing.locked_until is not None and existing.locked_until > now:
                    return "in_use"
                if existing.state == APPLIED:
                    # Its holder committed the change, then died or failed before storing
                    # the answer: running the route again would do it twice.
                    return "applied"
            # An expired key is free again; an expired lease means its holder died.
            await db.execute(
                update(table).where(table.c.id == existing.id).values(**claim)
            )
            return _Claimed(existing.id, lease_id)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        body: bytes,
        sessionmaker: async_sessionmaker[AsyncSession],
        claim: _Claimed,
    ) -> None:
        """Runs the route on the buffered body, then stores its answer and sends it."""
        body_sent = False

        async def replay_body() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        start: Message | None = None
        chunks: list[bytes] = []
        answered = False

        async def capture(message: Message) -> None:
            nonlocal start, answered
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    # Answer as soon as the body is complete, not when the app returns:
                    # background tasks run after this and must not delay the client.
                    answered = True
                    await self._answer(sessionmaker, claim, start, chunks, send)

        engine = sessionmaker.kw["bind"].sync_engine
        token = _route_claim.set(_RouteClaim(self._table, claim, engine))
        try:
            await self.app(scope, replay_body, capture)
        except Exception:
            # Released so the client can retry; a cancelled request (the client left) keeps
            # its claim until the lease ends, since its route may still have committed.
            if not answered:
                await self._release(sessionmaker, claim)
            raise
        finally:
            _route_claim.reset(token)
        if not answered:
            await self._release(sessionmaker, claim)
            if start is not None:
                await send(start)
                await send({"type": "http.response.body", "body": b"".join(chunks)})

    async def _answer(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        claim: _Claimed,
        start: Message,
        chunks: list[bytes],
        send: Send,
    ) -> None:
        """Stores an answer below 500 (or releases the key), then sends it to the client."""
        body = b"".join(chunks)
        # Stored before it is sent: a client that saw the answer and retries at once gets
        # the replay, not a 409.
        if start["status"] < 500:
            await self._store(sessionmaker, claim, start, body)
        else:
            await self._release(sessionmaker, claim)
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _store(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        claim: _Claimed,
        start: Message,
        body: bytes,
    ) -> None:
        headers = [
            [name.decode("latin-1").lower(), value.decode("latin-1")]
            for name, value in start.get("headers", [])
            if name.decode("latin-1").lower() in REPLAYED_RESPONSE_HEADERS
        ]
        try:
            async with sessionmaker(info={_OWN_SESSION: True}) as db, db.begin():
                await db.execute(
                    update(self._table)
                    .where(*self._owned(claim))
                    .values(
                        state=COMPLETED,
                        lease_id=None,
                        locked_until=None,
                        response_status=start["status"],
                        response_headers=headers,
                        response_body=body,
                        expires_at=utcnow() + self._ttl,
                    )
                )
        except Exception:
            # The route's work is done and the client must get its answer; without a stored
            # one the key frees itself when the lease ends.
            logger.exception("idempotency_store_failed")

    async def _release(
        self, sessionmaker: async_sessionmaker[AsyncSession], claim: _Claimed
    ) -> None:
        table = self._table
        try:
            async with sessionmaker(info={_OWN_SESSION: True}) as db, db.begin():
                await db.execute(
                    delete(table).where(*self._owned(claim), table.c.state == IN_FLIGHT)
                )
                # A route that committed a change and then failed keeps its key: retries
                # learn at once that it was applied (the lease is over).
                await db.execute(
                    update(table)
                    .where(*self._owned(claim), table.c.state == APPLIED)
                    .values(locked_until=utcnow())
                )
        except Exception:
            # The failure being answered matters more; the lease frees the key later.
            logger.exception("idempotency_release_failed")

    def _owned(self, claim: _Claimed) -> tuple[ColumnElement[bool], ...]:
        # Only our own claim: after our lease ended another request may have taken the key
        # over, and its answer is the one to keep.
        table = self._table
        return (table.c.id == claim.row_id, table.c.lease_id == claim.lease_id)


def _header_values(scope: Scope, name: bytes) -> list[str]:
    return [
        value.decode("latin-1").strip()
        for header, value in scope["headers"]
        if header == name
    ]


def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    # Length-prefixed parts, so that no two different requests hash the same bytes.
    for part in (
        scope["method"].encode(),
        scope["path"].encode(),
        scope.get("query_string", b""),
        body,
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


async def _send_stored(send: Send, stored: _Stored) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in stored.headers
    ]
    # As Starlette does: no Content-Length on answers that never have a body.
    if stored.status >= 200 and stored.status not in (204, 304):
        headers.append((b"content-length", str(len(stored.body)).encode()))
    headers.append((REPLAYED_HEADER, b"true"))
    await send(
        {"type": "http.response.start", "status": stored.status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


async def _problem(
    send: Send,
    path: str,
    *,
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> None:
    response: Response = problem_response(
        None, status=status, code=code, detail=detail, headers=headers, instance=path
    )
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})


_IDEMPOTENCY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Makes the POST safe to repeat: the same key with the same request answers "
    "the first answer again (`Idempotent-Replayed: true`) for 24 hours; the same key with "
    "another request is a 422, while the first still runs a 409 (`IDEMPOTENCY_KEY_IN_USE`), and "
    "after a failure once the change was made a 409 `IDEMPOTENCY_KEY_APPLIED` (it happened "
    "once: read it). Use one new random key "
    "(a UUID) per intended operation, and the same key for its retries.",
    # No fixed example: a client (or a fuzzer) copying it would reuse one key everywhere.
    "schema": {
        "type": "string",
        "pattern": f"^[\\x20-\\x7e]{{1,{MAX_KEY_LENGTH}}}$",
        "description": "1 to 255 printable ASCII characters, e.g. a UUID.",
    },
}


def document_idempotency_key(app: FastAPI, exempt_paths: Collection[str] = ()) -> None:
    """Declares the optional ``Idempotency-Key`` header on every POST of the app's OpenAPI
    document (``IdempotencyMiddleware`` honours it there, but on its ``exempt_paths``), so
    that generated clients offer it."""
    build = app.openapi
    exempt = frozenset(exempt_paths)

    def openapi() -> dict[str, Any]:
        schema = build()
        for path, item in schema.get("paths", {}).items():
            operation = item.get("post")
            if path in exempt:
                continue
            if not isinstance(operation, dict):
                continue
            parameters = operation.setdefault("parameters", [])
            if not any(
                parameter.get("name", "").lower() == "idempotency-key"
                for parameter in parameters
            ):
                parameters.append(dict(_IDEMPOTENCY_PARAMETER))
            invalid = operation.setdefault("responses", {}).setdefault(
                "400",
                {
                    "description": "Bad Request",
                    "content": {
                        PROBLEM_MEDIA_TYPE: {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
            )
            described = invalid.get("description", "Bad Request")
            if "IDEMPOTENCY_KEY_INVALID" not in described:
                joiner = ", " if ":" in described else ": "
                invalid["description"] = f"{described}{joiner}IDEMPOTENCY_KEY_INVALID"
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
