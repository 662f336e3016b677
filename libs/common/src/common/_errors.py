"""RFC 9457 problem details: the one error format of every service.

ServiceError
 ├─ NotFoundError            404
 ├─ ConflictError            409
 ├─ PreconditionFailedError  412  (stale If-Match)
 ├─ PreconditionRequiredError 428 (missing If-Match)
 ├─ InvalidInputError        422  (a business rule on the input, beside FastAPI's own 422)
 ├─ AuthenticationError      401
 ├─ PermissionDeniedError    403
 ├─ PayloadTooLargeError     413
 └─ ServiceUnavailableError  503

An unexpected exception is a 500, except when the database cannot be reached (a restart, a
failover, a cut connection): that is a 503 ``DATABASE_UNAVAILABLE`` with ``Retry-After``, as
transient as the gateway's own 503s, and no bug to report.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any, ClassVar

import asyncpg
import orjson
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://vae.example.org/problems/"

logger = structlog.get_logger(__name__)


class ServiceError(Exception):
    """A failure the caller can act on; rendered as problem details."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status_code: ClassVar[int] = 500
    title: ClassVar[str | None] = None

    def __init__(
        self, detail: str, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


class NotFoundError(ServiceError):
    code = "NOT_FOUND"
    status_code = 404


class ConflictError(ServiceError):
    code = "CONFLICT"
    status_code = 409


class PreconditionFailedError(ServiceError):
    code = "PRECONDITION_FAILED"
    status_code = 412


class PreconditionRequiredError(ServiceError):
    code = "PRECONDITION_REQUIRED"
    status_code = 428


class InvalidInputError(ServiceError):
    code = "INVALID_INPUT"
    status_code = 422


class AuthenticationError(ServiceError):
    code = "UNAUTHENTICATED"
    status_code = 401


class PermissionDeniedError(ServiceError):
    code = "FORBIDDEN"
    status_code = 403


class PayloadTooLargeError(ServiceError):
    code = "PAYLOAD_TOO_LARGE"
    status_code = 413


class ServiceUnavailableError(ServiceError):
    code = "SERVICE_UNAVAILABLE"
    status_code = 503


class ValidationIssue(BaseModel):
    """One invalid field of a 422 answer."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, with the stable machine ``code`` of API.md."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not-found"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(
        examples=["No certification has the code RNCP99999: check the RNCP number."]
    )
    instance: str | None = Field(
        default=None, examples=["/v1/certifications/RNCP99999"]
    )
    code: str = Field(examples=["CERTIFICATION_NOT_FOUND"])
    errors: list[ValidationIssue] | None = None


def problem_response(
    request: Request | None,
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """Builds a problem+json response."""
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
    body.update(extensions)
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(*errors: type[ServiceError]) -> dict[int | str, dict[str, Any]]:
    """Declares the problem answers of an operation for OpenAPI, listing their codes."""
    by_status: dict[int, list[str]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error.code)
    return {
        status: {
            # "model" registers the schema (FastAPI also lists it under application/json);
            # the $ref documents the media type the handlers actually answer with.
            "model": Problem,
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
            },
            "description": f"{HTTPStatus(status).phrase}: {', '.join(sorted(codes))}",
        }
        for status, codes in sorted(by_status.items())
    }


async def _service_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        detail=exc.detail,
        title=exc.title,
        headers=exc.headers,
        **exc.extensions,
    )


def _location(loc: tuple[Any, ...]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


async def _validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues = [
        {
            "loc": _location(tuple(error.get("loc", ()))),
            "msg": error.get("msg", ""),
            "type": error.get("type", ""),
        }
        for error in exc.errors()
    ]
    where = "; ".join(
        f"{'.'.join(str(p) for p in issue['loc'])} ({issue['msg']})"
        for issue in issues[:5]
    )
    return problem_response(
        request,
        status=422,
        code="VALIDATION_FAILED",
        detail=f"The request is invalid; fix these fields: {where}."
        if where
        else "The request is invalid.",
        errors=issues,
    )


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    codes = {
        404: "NOT_FOUND",
        405: "METHOD_NOT_ALLOWED",
        400: "BAD_REQUEST",
        413: "PAYLOAD_TOO_LARGE",
    }
    detail = (
        exc.detail
        if isinstance(exc.detail, str)
        else HTTPStatus(exc.status_code).phrase
    )
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 400 and detail == _UNREADABLE_BODY:
        # FastAPI's answer to a body it cannot decode (not UTF-8): a broken body like any other.
        return problem_response(
            request,
            status=422,
            code="VALIDATION_FAILED",
            detail="The request body cannot be read: send JSON encoded in UTF-8.",
        )
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no resource at {request.url.path}: check the path against the API documentation."
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}; see the Allow header."
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        request,
        status=exc.status_code,
        code=codes.get(exc.status_code, f"HTTP_{exc.status_code}"),
        detail=detail,
        headers=headers or None,
    )


_UNREADABLE_BODY = "There was an error parsing the body"


def _allowed_methods(request: Request) -> str:
    """Every method some route of the path accepts. Starlette's 405 names only the first route
    that matched the path, though several may share it (GET and POST), and FastAPI nests the
    routes of included routers: each method is matched against the whole routing table."""
    allowed = []
    for method in _METHODS:
        scope = {**request.scope, "method": method}
        if any(
            route.matches(scope)[0] is Match.FULL for route in request.app.router.routes
        ):
            allowed.append(method)
    return ", ".join(allowed)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


# SQLSTATEs of a server that cannot be reached: connection exceptions (class 08), shutting
# down (57P01, 57P02) or starting up (57P03).
_UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def database_unreachable(exc: BaseException) -> bool:
    """Tells whether an exception (or what caused it) says the database cannot be reached."""
    current: BaseException | None = exc
    # The chain is short: SQLAlchemy's error, the adapter's, the driver's.
    for _ in range(8):
        if current is None:
            return False
        if isinstance(current, DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, ConnectionError | asyncpg.ConnectionDoesNotExistError):
            return True
        sqlstate = getattr(current, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(_UNREACHABLE_SQLSTATES):
            return True
        current = (
            current.__cause__ or getattr(current, "orig", None) or current.__context__
        )
    return False


async def _unhandled_error_handler(request: Request, exc: Exception) -> Response:
    if database_unreachable(exc):
        logger.warning("database_unreachable", error_type=type(exc).__name__)
        request_id = getattr(request.state, "request_id", None)
        return problem_response(
            request,
            status=503,
            code="DATABASE_UNAVAILABLE",
            detail="The service cannot reach its database right now: retry in a few seconds, with the same Idempotency-Key for a write.",
            headers={"Retry-After": "1"}
            | ({"X-Request-ID": request_id} if request_id else {}),
        )
    # The trace goes to the log under the request id; the caller gets no internals.
    logger.exception("unhandled_error", error_type=type(exc).__name__)
    # This answer is sent outside the request middleware, which cannot add the id itself.
    request_id = getattr(request.state, "request_id", None)
    return problem_response(
        request,
        status=500,
        code="INTERNAL_ERROR",
        detail="An unexpected error occurred; it has been logged. Retry later or report the request id.",
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install_error_handlers(app: FastAPI) -> None:
    """Registers the handlers that render every error as problem details, and documents them."""
    app.add_exception_handler(ServiceError, _service_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(Exception, _unhandled_error_handler)
    _document_validation_errors(app)


def _document_validation_errors(app: FastAPI) -> None:
    # FastAPI documents its 422 as `HTTPValidationError` in JSON; the answer is problem+json.
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "Problem",
            Problem.model_json_schema(ref_template="#/components/schemas/{model}"),
        )
        for name, definition in (
            Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            .get("$defs", {})
            .items()
        ):
            components.setdefault(name, definition)
        components["Problem"].pop("$defs", None)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                validation = (
                    operation.get("responses", {}).get("422")
                    if isinstance(operation, dict)
                    else None
                )
                if validation is not None:
                    validation["content"] = {
                        PROBLEM_MEDIA_TYPE: {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    }
                    described = str(validation.get("description", ""))
                    declared = (
                        described.split(":", 1)[1].strip()
                        if described.startswith("Unprocessable Entity:")
                        else ""
                    )
                    codes = ", ".join(
                        code for code in ("VALIDATION_FAILED", declared) if code
                    )
                    validation["description"] = f"Unprocessable Entity: {codes}"
                if not isinstance(operation, dict):
                    continue
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status)[:1] in "45" and PROBLEM_MEDIA_TYPE in content:
                        # `problem_responses` passes a model, which FastAPI also lists under
                        # the route's media type (JSON, or XML for an export); errors are
                        # only ever answered as problem+json.
                        for media_type in [
                            m for m in content if m != PROBLEM_MEDIA_TYPE
                        ]:
                            del content[media_type]
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
