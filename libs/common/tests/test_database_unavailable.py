"""A database that cannot be reached answers 503 DATABASE_UNAVAILABLE (transient, retry),
never the 500 of a bug (found by the PostgreSQL restart of tests/faults)."""

from __future__ import annotations

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.exc import DBAPIError

from common import install_error_handlers


def _wrapped(driver_error: BaseException) -> DBAPIError:
    """The error SQLAlchemy raises for a driver error, chained as it chains them."""
    try:
        try:
            raise driver_error
        except BaseException as error:
            raise DBAPIError("SELECT 1", None, error) from error  # type: ignore[arg-type]
    except DBAPIError as wrapped:
        return wrapped


def _app(error: BaseException) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise error

    return app


async def _get(error: BaseException) -> httpx.Response:
    # The 500 handler answers, then Starlette re-raises for the server's log: keep the answer.
    transport = httpx.ASGITransport(app=_app(error), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        return await http.get("/boom")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "error",
    [
        _wrapped(
            asyncpg.ConnectionDoesNotExistError(
                "connection was closed in the middle of operation"
            )
        ),
        _wrapped(asyncpg.CannotConnectNowError("the database system is starting up")),
        _wrapped(
            asyncpg.AdminShutdownError(
                "terminating connection due to administrator command"
            )
        ),
        _wrapped(ConnectionRefusedError(111, "Connect call failed")),
        ConnectionResetError(104, "Connection reset by peer"),
    ],
    ids=["closed", "starting-up", "shutting-down", "refused", "reset"],
)
async def test_an_unreachable_database_is_a_503_to_retry(error: BaseException) -> None:
    response = await _get(error)
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["code"] == "DATABASE_UNAVAILABLE"
    assert "retry" in body["detail"]


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "error",
    [RuntimeError("a bug"), _wrapped(asyncpg.UniqueViolationError("duplicate key"))],
    ids=["bug", "constraint"],
)
async def test_any_other_unexpected_error_stays_a_500(error: BaseException) -> None:
    response = await _get(error)
    assert response.status_code == 500
    assert response.json()["code"] == "INTERNAL_ERROR"
