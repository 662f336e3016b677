"""Idempotency-Key: replays, conflicts, per-client scope, release on failure, expiry."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import httpx
import orjson
import pytest
import pytest_asyncio
from fastapi import BackgroundTasks, FastAPI, Response
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import Message

from common import (
    Base,
    ConflictError,
    CurrentPrincipal,
    DbSession,
    IdempotencyKeyMixin,
    IdempotencyMiddleware,
    InternalTokenVerifier,
    Principal,
    Role,
    ServiceUnavailableError,
    document_idempotency_key,
    generate_signing_keys,
    install_error_handlers,
    mint_internal_token,
    purge_expired_idempotency_keys,
    utcnow,
)

PARTNER = Principal(client_id="carif-oref-idf", role=Role.PARTNER)
OTHER_PARTNER = Principal(client_id="carif-oref-bretagne", role=Role.PARTNER)


class ItemCreate(BaseModel):
    """What the test route takes; ``fail`` and ``wait`` steer it."""

    name: str
    fail: Literal["unavailable", "crash", "conflict", "after_commit"] | None = None
    wait: bool = False
    wait_after_commit: bool = False


@dataclass
class RouteProbe:
    """What the test routes did, and a gate that holds the next waiting call."""

    calls: int = 0
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event | None = None
    background_done: asyncio.Event = field(default_factory=asyncio.Event)
    background_release: asyncio.Event = field(default_factory=asyncio.Event)

    def hold_next(self) -> asyncio.Event:
        """Makes the next call with ``wait`` block until the returned event is set."""
        self.gate = asyncio.Event()
        return self.gate


def build_app(
    sessionmaker: async_sessionmaker[AsyncSession],
    verifier: InternalTokenVerifier,
    model: type[IdempotencyKeyMixin],
    item_model: type[Base],
    **options: Any,
) -> tuple[FastAPI, RouteProbe]:
    """A service-shaped app: error handlers, the middleware, state set as a lifespan would."""
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(IdempotencyMiddleware, model=model, **options)
    app.state.sessionmaker = sessionmaker
    app.state.token_verifier = verifier
    probe = RouteProbe()

    @app.post("/v1/items", status_code=201)
    async def create_item(
        payload: ItemCreate,
        principal: CurrentPrincipal,
        db: DbSession,
        response: Response,
    ) -> dict[str, str]:
        probe.calls += 1
        if payload.wait and probe.gate is not None:
            gate, probe.gate = probe.gate, None
            probe.entered.set()
            await gate.wait()
        if payload.fail == "unavailable":
            raise ServiceUnavailableError("The registry is down: retry later.")
        if payload.fail == "crash":
            raise RuntimeError("the route crashed")
        if payload.fail == "conflict":
            raise ConflictError("An item already has this name: choose another.")
        item_id = str(uuid.uuid4())
        async with db.begin():
            db.add(item_model(id=item_id, name=payload.name))
        if payload.fail == "after_commit":
            raise ServiceUnavailableError(
                "The item was kept, then the registry failed."
            )
        if payload.wait_after_commit and probe.gate is not None:
            gate, probe.gate = probe.gate, None
            probe.entered.set()
            await gate.wait()
        response.headers["Location"] = f"/v1/items/{item_id}"
        response.headers["X-Debug"] = "first-answer-only"
        return {"id": item_id, "name": payload.name, "client_id": principal.client_id}

    @app.post("/v1/item-acts", status_code=204)
    async def act_on_item(
        principal: CurrentPrincipal, background: BackgroundTasks
    ) -> None:
        probe.calls += 1

        async def follow_up() -> None:
            await probe.background_release.wait()
            probe.background_done.set()

        background.add_task(follow_up)

    @app.post("/v1/other-items", status_code=201)
    async def create_other_item(
        payload: ItemCreate, principal: CurrentPrincipal
    ) -> dict[str, str]:
        probe.calls += 1
        return {"name": payload.name}

    return app, probe


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    """The gateway's (private PEM, public PEM) pair."""
    return generate_signing_keys()


@pytest.fixture
def verifier(keys: tuple[str, str]) -> InternalTokenVerifier:
    return InternalTokenVerifier(
        keys[1], algorithm="EdDSA", audience="vae-services", issuer="vae-gateway"
    )


@pytest.fixture
def app_and_probe(
    sessionmaker: async_sessionmaker[AsyncSession],
    verifier: InternalTokenVerifier,
    idempotency_model: type[IdempotencyKeyMixin],
    item_model: type[Base],
) -> tuple[FastAPI, RouteProbe]:
    return build_app(sessionmaker, verifier, idempotency_model, item_model)


@pytest.fixture
def probe(app_and_probe: tuple[FastAPI, RouteProbe]) -> RouteProbe:
    return app_and_probe[1]


@pytest_asyncio.fixture
async def client(
    app_and_probe: tuple[FastAPI, RouteProbe],
) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app; unhandled errors come back as the app's 500 answer."""
    transport = httpx.ASGITransport(app_and_probe[0], raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def auth(
    keys: tuple[str, str], principal: Principal = PARTNER, key: str | None = None
) -> dict[str, str]:
    """The headers of an authenticated call, with an Idempotency-Key when given."""
    headers = {"Authorization": f"Bearer {mint_internal_token(keys[0], principal)}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


async def count_rows(
    sessionmaker: async_sessionmaker[AsyncSession], model: type[Any]
) -> int:
    async with sessionmaker() as db:
        return int(await db.scalar(select(func.count()).select_from(model)) or 0)


async def set_key_times(
    sessionmaker: async_sessionmaker[AsyncSession],
    model: type[IdempotencyKeyMixin],
    key: str,
    **times: Any,
) -> None:
    """Moves a stored key's lease or expiry, as time passing would."""
    async with sessionmaker() as db, db.begin():
        await db.execute(update(model).where(model.key == key).values(**times))


def assert_problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert problem["code"] == code
    assert problem["instance"] == response.request.url.path
    assert problem["detail"]


class TestIdempotencyMiddleware:
    @pytest.mark.asyncio
    async def test_replays_the_first_answer_without_running_the_route_again(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
    ) -> None:
        key = str(uuid.uuid4())

        first = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, key=key)
        )
        replay = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, key=key)
        )

        assert first.status_code == 201
        assert replay.status_code == 201
        assert replay.content == first.content
        assert replay.headers["location"] == first.headers["location"]
        assert replay.headers["content-type"] == first.headers["content-type"]
        assert replay.headers["idempotent-replayed"] == "true"
        assert "idempotent-replayed" not in first.headers
        # Only headers describing the answer are replayed.
        assert first.headers["x-debug"] == "first-answer-only"
        assert "x-debug" not in replay.headers
        assert probe.calls == 1
        assert await count_rows(sessionmaker, item_model) == 1

    @pytest.mark.asyncio
    async def test_replays_a_4xx_answer(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        body = {"name": "a", "fail": "conflict"}

        first = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        replay = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))

        assert_problem(first, 409, "CONFLICT")
        assert replay.status_code == 409
        assert replay.content == first.content
        assert replay.headers["content-type"] == "application/problem+json"
        assert probe.calls == 1

    @pytest.mark.asyncio
    async def test_replays_an_answer_without_a_body(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        probe.background_release.set()

        first = await client.post("/v1/item-acts", headers=auth(keys, key="k"))
        replay = await client.post("/v1/item-acts", headers=auth(keys, key="k"))

        assert first.status_code == replay.status_code == 204
        assert replay.content == b""
        assert "content-length" not in replay.headers
        assert replay.headers["idempotent-replayed"] == "true"
        assert probe.calls == 1

    @pytest.mark.asyncio
    async def test_answers_before_background_tasks_finish(
        self,
        app_and_probe: tuple[FastAPI, RouteProbe],
        client: httpx.AsyncClient,
        keys: tuple[str, str],
    ) -> None:
        # Driven as a server would, since httpx's ASGITransport waits for the app to return.
        app, probe = app_and_probe
        sent: list[Message] = []
        answered = asyncio.Event()
        requested = False

        async def receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await probe.background_done.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            sent.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered.set()

        headers = [
            (name.lower().encode(), value.encode())
            for name, value in auth(keys, key="k").items()
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/item-acts",
            "raw_path": b"/v1/item-acts",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"test"), *headers],
            "server": ("test", 80),
            "client": ("127.0.0.1", 50000),
        }

        running = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(answered.wait(), timeout=10)
        replay = await client.post("/v1/item-acts", headers=auth(keys, key="k"))
        still_running = not running.done()
        probe.background_release.set()
        await asyncio.wait_for(running, timeout=10)

        assert sent[0]["status"] == 204
        assert still_running
        assert replay.headers["idempotent-replayed"] == "true"
        assert probe.calls == 1

    @pytest.mark.asyncio
    async def test_answers_422_when_the_key_is_reused_with_another_body(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        await client.post("/v1/items", json={"name": "a"}, headers=auth(keys, key="k"))

        reused = await client.post(
            "/v1/items", json={"name": "b"}, headers=auth(keys, key="k")
        )

        assert_problem(reused, 422, "IDEMPOTENCY_KEY_REUSED")
        assert probe.calls == 1

    @pytest.mark.asyncio
    async def test_answers_422_when_the_key_is_reused_on_another_path(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        await client.post("/v1/items", json={"name": "a"}, headers=auth(keys, key="k"))

        reused = await client.post(
            "/v1/other-items", json={"name": "a"}, headers=auth(keys, key="k")
        )

        assert_problem(reused, 422, "IDEMPOTENCY_KEY_REUSED")
        assert probe.calls == 1

    @pytest.mark.asyncio
    async def test_answers_409_while_the_first_request_is_in_flight(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        body = {"name": "a", "wait": True}
        release = probe.hold_next()
        first = asyncio.create_task(
            client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        )
        await asyncio.wait_for(probe.entered.wait(), timeout=10)

        concurrent = await client.post(
            "/v1/items", json=body, headers=auth(keys, key="k")
        )
        release.set()
        answered = await first
        after = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))

        assert_problem(concurrent, 409, "IDEMPOTENCY_KEY_IN_USE")
        assert concurrent.headers["retry-after"] == "1"
        assert answered.status_code == 201
        assert after.status_code == 201
        assert after.content == answered.content
        assert probe.calls == 1

    @pytest.mark.asyncio
    async def test_runs_the_route_once_for_simultaneous_retries(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
    ) -> None:
        headers = auth(keys, key="k")

        answers = await asyncio.gather(
            *(
                client.post("/v1/items", json={"name": "a"}, headers=headers)
                for _ in range(6)
            )
        )

        statuses = [answer.status_code for answer in answers]
        assert set(statuses) <= {201, 409}, statuses
        created = {answer.content for answer in answers if answer.status_code == 201}
        assert len(created) == 1
        assert probe.calls == 1
        assert await count_rows(sessionmaker, item_model) == 1

    @pytest.mark.asyncio
    async def test_scopes_keys_per_client(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
    ) -> None:
        mine = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, PARTNER, key="k")
        )
        theirs = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, OTHER_PARTNER, key="k")
        )

        assert mine.status_code == theirs.status_code == 201
        assert mine.json()["client_id"] == PARTNER.client_id
        assert theirs.json()["client_id"] == OTHER_PARTNER.client_id
        assert "idempotent-replayed" not in theirs.headers
        assert probe.calls == 2
        assert await count_rows(sessionmaker, item_model) == 2

    @pytest.mark.asyncio
    async def test_runs_the_route_every_time_without_a_key(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
        idempotency_model: type[IdempotencyKeyMixin],
    ) -> None:
        for _ in range(2):
            answer = await client.post(
                "/v1/items", json={"name": "a"}, headers=auth(keys)
            )
            assert answer.status_code == 201

        assert probe.calls == 2
        assert await count_rows(sessionmaker, item_model) == 2
        assert await count_rows(sessionmaker, idempotency_model) == 0

    @pytest.mark.parametrize("failure", ["unavailable", "crash"])
    @pytest.mark.asyncio
    async def test_releases_the_key_after_a_5xx(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
        failure: str,
    ) -> None:
        body = {"name": "a", "fail": failure}

        first = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        keys_after_failure = await count_rows(sessionmaker, idempotency_model)
        retry = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))

        assert first.status_code in (500, 503)
        assert keys_after_failure == 0
        assert retry.status_code == first.status_code
        assert "idempotent-replayed" not in retry.headers
        assert probe.calls == 2

    @pytest.mark.asyncio
    async def test_keeps_the_key_of_a_5xx_after_a_committed_change(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
    ) -> None:
        body = {"name": "a", "fail": "after_commit"}

        first = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        retry = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))

        assert_problem(first, 503, "SERVICE_UNAVAILABLE")
        assert_problem(retry, 409, "IDEMPOTENCY_KEY_APPLIED")
        assert probe.calls == 1
        assert await count_rows(sessionmaker, item_model) == 1

    @pytest.mark.asyncio
    async def test_never_runs_twice_when_its_holder_died_after_committing(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
        item_model: type[Base],
    ) -> None:
        # The process dies between the route's commit and the stored answer: the route is
        # held there, and its lease is made to end as a dead process's would.
        body = {"name": "a", "wait_after_commit": True}
        release = probe.hold_next()
        first = asyncio.create_task(
            client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        )
        await asyncio.wait_for(probe.entered.wait(), timeout=10)
        await set_key_times(
            sessionmaker,
            idempotency_model,
            "k",
            locked_until=utcnow() - timedelta(seconds=1),
        )

        retry = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        release.set()
        await first

        assert_problem(retry, 409, "IDEMPOTENCY_KEY_APPLIED")
        assert probe.calls == 1
        assert await count_rows(sessionmaker, item_model) == 1

    @pytest.mark.asyncio
    async def test_runs_a_retry_after_a_5xx_that_then_succeeds(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        # A key released by a 5xx is free for any request, so a corrected retry is not a reuse.
        failed = await client.post(
            "/v1/items",
            json={"name": "a", "fail": "unavailable"},
            headers=auth(keys, key="k"),
        )
        retry = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, key="k")
        )

        assert_problem(failed, 503, "SERVICE_UNAVAILABLE")
        assert retry.status_code == 201
        assert probe.calls == 2

    @pytest.mark.parametrize(
        "key",
        [b"", b"x" * 256, "clé".encode(), b"tab\there"],
        ids=["empty", "too-long", "non-ascii", "control-character"],
    )
    @pytest.mark.asyncio
    async def test_rejects_an_invalid_key(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        key: bytes,
    ) -> None:
        headers = [
            *((name.encode(), value.encode()) for name, value in auth(keys).items()),
            (b"Idempotency-Key", key),
        ]

        answer = await client.post("/v1/items", json={"name": "a"}, headers=headers)

        assert_problem(answer, 400, "IDEMPOTENCY_KEY_INVALID")
        assert probe.calls == 0

    @pytest.mark.asyncio
    async def test_accepts_a_key_of_255_printable_characters(
        self, client: httpx.AsyncClient, keys: tuple[str, str]
    ) -> None:
        key = ("A-z 0~9!" * 40)[:255]

        first = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, key=key)
        )
        replay = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, key=key)
        )

        assert first.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"

    @pytest.mark.asyncio
    async def test_rejects_two_keys(
        self, client: httpx.AsyncClient, probe: RouteProbe, keys: tuple[str, str]
    ) -> None:
        headers = [
            *auth(keys).items(),
            ("Idempotency-Key", "one"),
            ("Idempotency-Key", "two"),
        ]

        answer = await client.post("/v1/items", json={"name": "a"}, headers=headers)

        assert_problem(answer, 400, "IDEMPOTENCY_KEY_INVALID")
        assert probe.calls == 0

    @pytest.mark.parametrize(
        "authorization", [None, "Bearer not-a-token", "Basic eA=="]
    )
    @pytest.mark.asyncio
    async def test_passes_requests_without_a_valid_token_through(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
        authorization: str | None,
    ) -> None:
        headers = {"Idempotency-Key": "k"}
        if authorization is not None:
            headers["Authorization"] = authorization

        refused = await client.post("/v1/items", json={"name": "a"}, headers=headers)
        later = await client.post(
            "/v1/items", json={"name": "a"}, headers=auth(keys, key="k")
        )

        # The route's own authentication answers, and the key stays unused.
        assert_problem(refused, 401, "UNAUTHENTICATED")
        assert later.status_code == 201
        assert "idempotent-replayed" not in later.headers
        assert probe.calls == 1
        assert await count_rows(sessionmaker, idempotency_model) == 1

    @pytest.mark.asyncio
    async def test_ignores_other_methods(
        self, client: httpx.AsyncClient, keys: tuple[str, str]
    ) -> None:
        answer = await client.get("/v1/items", headers=auth(keys, key="k"))

        assert answer.status_code == 405

    @pytest.mark.asyncio
    async def test_answers_413_above_the_body_limit(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
        verifier: InternalTokenVerifier,
        idempotency_model: type[IdempotencyKeyMixin],
        keys: tuple[str, str],
    ) -> None:
        app, probe = build_app(
            sessionmaker, verifier, idempotency_model, item_model, max_body_size=100
        )
        body = orjson.dumps({"name": "x" * 200})

        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://test"
        ) as client:

            async def chunks() -> AsyncIterator[bytes]:
                # Streamed without a Content-Length, so the limit is enforced while reading.
                for start in range(0, len(body), 50):
                    yield body[start : start + 50]

            declared = await client.post(
                "/v1/items",
                content=body,
                headers={**auth(keys, key="a"), "content-type": "application/json"},
            )
            streamed = await client.post(
                "/v1/items",
                content=chunks(),
                headers={**auth(keys, key="b"), "content-type": "application/json"},
            )

        assert "content-length" not in streamed.request.headers
        assert_problem(declared, 413, "PAYLOAD_TOO_LARGE")
        assert_problem(streamed, 413, "PAYLOAD_TOO_LARGE")
        assert probe.calls == 0

    @pytest.mark.asyncio
    async def test_leaves_exempt_paths_alone_key_or_not(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        item_model: type[Base],
        verifier: InternalTokenVerifier,
        idempotency_model: type[IdempotencyKeyMixin],
        keys: tuple[str, str],
    ) -> None:
        app, probe = build_app(
            sessionmaker,
            verifier,
            idempotency_model,
            item_model,
            max_body_size=100,
            exempt_paths={"/v1/other-items"},
        )
        # Above the body limit, which binds only requests kept for replays.
        payload = {"name": "x" * 200}
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app), base_url="http://test"
        ) as client:
            answers = [
                await client.post(
                    "/v1/other-items", json=payload, headers=auth(keys, key="upload")
                )
                for _ in range(2)
            ]

        assert [a.status_code for a in answers] == [201, 201]
        assert "idempotent-replayed" not in answers[1].headers
        assert probe.calls == 2

    @pytest.mark.asyncio
    async def test_takes_over_a_key_whose_lease_expired(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
    ) -> None:
        # The first request's process looks dead: its lease has ended.
        body = {"name": "a", "wait": True}
        release = probe.hold_next()
        first = asyncio.create_task(
            client.post("/v1/items", json=body, headers=auth(keys, key="k"))
        )
        await asyncio.wait_for(probe.entered.wait(), timeout=10)
        await set_key_times(
            sessionmaker,
            idempotency_model,
            "k",
            locked_until=utcnow() - timedelta(seconds=1),
        )

        takeover = await client.post(
            "/v1/items", json=body, headers=auth(keys, key="k")
        )
        release.set()
        late = await first
        after = await client.post("/v1/items", json=body, headers=auth(keys, key="k"))

        assert takeover.status_code == 201
        assert late.status_code == 201
        assert probe.calls == 2
        # The late answer lost its claim: the replay is the takeover's answer.
        assert after.content == takeover.content
        assert after.content != late.content

    @pytest.mark.asyncio
    async def test_frees_an_expired_key(
        self,
        client: httpx.AsyncClient,
        probe: RouteProbe,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
    ) -> None:
        await client.post("/v1/items", json={"name": "a"}, headers=auth(keys, key="k"))
        await set_key_times(
            sessionmaker,
            idempotency_model,
            "k",
            expires_at=utcnow() - timedelta(seconds=1),
        )

        reused = await client.post(
            "/v1/items", json={"name": "b"}, headers=auth(keys, key="k")
        )

        assert reused.status_code == 201
        assert reused.json()["name"] == "b"
        assert probe.calls == 2

    @pytest.mark.asyncio
    async def test_keeps_keys_for_the_ttl(
        self,
        client: httpx.AsyncClient,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
    ) -> None:
        before = utcnow()

        await client.post("/v1/items", json={"name": "a"}, headers=auth(keys, key="k"))

        async with sessionmaker() as db:
            stored = (await db.scalars(select(idempotency_model))).one()
        assert stored.client_id == PARTNER.client_id
        assert stored.state == "COMPLETED"
        assert stored.lease_id is None
        assert stored.locked_until is None
        assert stored.response_status == 201
        assert stored.method == "POST"
        assert stored.path == "/v1/items"
        assert len(stored.request_fingerprint) == 64
        assert stored.expires_at >= before + timedelta(hours=24)


class TestPurgeExpiredIdempotencyKeys:
    @pytest.mark.asyncio
    async def test_deletes_only_expired_keys(
        self,
        client: httpx.AsyncClient,
        keys: tuple[str, str],
        sessionmaker: async_sessionmaker[AsyncSession],
        idempotency_model: type[IdempotencyKeyMixin],
    ) -> None:
        for key in ("old", "fresh"):
            await client.post(
                "/v1/items", json={"name": key}, headers=auth(keys, key=key)
            )
        await set_key_times(
            sessionmaker,
            idempotency_model,
            "old",
            expires_at=utcnow() - timedelta(seconds=1),
        )

        async with sessionmaker() as db, db.begin():
            purged = await purge_expired_idempotency_keys(db, idempotency_model)

        assert purged == 1
        async with sessionmaker() as db:
            remaining = list(await db.scalars(select(idempotency_model.key)))
        assert remaining == ["fresh"]


class TestDocumentIdempotencyKey:
    def test_declares_the_header_and_its_400_on_posts_only(self) -> None:
        app = FastAPI()
        install_error_handlers(app)

        @app.post("/v1/things", status_code=201)
        async def create_thing() -> dict[str, str]:
            return {}

        @app.get("/v1/things")
        async def list_things() -> list[str]:
            return []

        document_idempotency_key(app)
        document = app.openapi()

        post = document["paths"]["/v1/things"]["post"]
        [header] = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
        assert header["in"] == "header" and header["required"] is False
        assert header["schema"]["pattern"] == "^[\\x20-\\x7e]{1,255}$"
        assert (
            "example" not in header
        )  # one shared example key would be reused everywhere
        assert post["responses"]["400"]["description"].endswith(
            "IDEMPOTENCY_KEY_INVALID"
        )
        assert list(post["responses"]["400"]["content"]) == ["application/problem+json"]
        assert "parameters" not in document["paths"]["/v1/things"]["get"]
        assert app.openapi() == document  # rebuilding adds nothing twice
