"""Administration of API clients: create, list, rotate a key, revoke (administrators only)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from common import (
    AuthenticationError,
    DbSession,
    PermissionDeniedError,
    Role,
    admits_roles,
    problem_responses,
)
from gateway.api_client import service as api_client_service
from gateway.api_client.schemas import ApiClientCreate, ApiClientRead, ApiClientWithKey
from gateway.api_client.service import Caller
from gateway.auth import Authenticator
from gateway.errors import ApiClientNotFoundError, ApiClientRevokedError

router = APIRouter(prefix="/v1/clients", tags=["api-clients"])


@admits_roles(Role.ADMIN)
async def _admin(request: Request) -> Caller:
    authenticator: Authenticator = request.app.state.authenticator
    caller = await authenticator.authenticate(request.headers.get("authorization"))
    if caller is None:
        raise AuthenticationError(
            "This operation needs an administrator's API key.",
            headers={"WWW-Authenticate": 'Bearer realm="vae"'},
        )
    if caller.role is not Role.ADMIN:
        raise PermissionDeniedError("Only administrators manage API clients.")
    return caller


Admin = Annotated[Caller, Depends(_admin)]
_ERRORS = (AuthenticationError, PermissionDeniedError)
_SECURITY: list[dict[str, list[str]]] = [{"apiKey": []}]


def _pepper(request: Request) -> str:
    return str(request.app.state.settings.api_key_pepper.get_secret_value())


def _forget(request: Request, key_id: str) -> None:
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.forget(key_id)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ApiClientWithKey,
    summary="Create an API client (admin)",
    description="Registers a partner system, certifier, exam centre or administrator and issues its API key, shown only in this answer.",
    responses=problem_responses(*_ERRORS),
    openapi_extra={"security": _SECURITY},
)
async def create_api_client(
    request: Request, payload: ApiClientCreate, db: DbSession, _admin: Admin
) -> ApiClientWithKey:
    return await api_client_service.create_client(db, payload, pepper=_pepper(request))


@router.get(
    "",
    response_model=list[ApiClientRead],
    summary="List API clients (admin)",
    description="Every API client, active or revoked, by creation date (never their keys).",
    responses=problem_responses(*_ERRORS),
    openapi_extra={"security": _SECURITY},
)
async def list_api_clients(db: DbSession, _admin: Admin) -> list[ApiClientRead]:
    return await api_client_service.list_clients(db)


@router.get(
    "/{client_id}",
    response_model=ApiClientRead,
    summary="Get an API client (admin)",
    description="One API client: its role, the organisation it acts for, its rate limit and whether it is active.",
    responses=problem_responses(ApiClientNotFoundError, *_ERRORS),
    openapi_extra={"security": _SECURITY},
)
async def get_api_client(
    client_id: uuid.UUID, db: DbSession, _admin: Admin
) -> ApiClientRead:
    return await api_client_service.get_client(db, client_id)


@router.post(
    "/{client_id}/key-rotation",
    response_model=ApiClientWithKey,
    summary="Rotate an API client's key (admin)",
    description="Issues a new key, shown only in this answer; the previous key stops working.",
    responses=problem_responses(
        ApiClientNotFoundError, ApiClientRevokedError, *_ERRORS
    ),
    openapi_extra={"security": _SECURITY},
)
async def rotate_api_client_key(
    request: Request, client_id: uuid.UUID, db: DbSession, _admin: Admin
) -> ApiClientWithKey:
    before = await api_client_service.get_client(db, client_id)
    rotated = await api_client_service.rotate_key(
        db, client_id, pepper=_pepper(request)
    )
    _forget(request, before.key_id)
    return rotated


@router.post(
    "/{client_id}/revocation",
    response_model=ApiClientRead,
    summary="Revoke an API client (admin)",
    description="Its key stops working (on other gateway replicas within the client cache time, a few seconds).",
    responses=problem_responses(
        ApiClientNotFoundError, ApiClientRevokedError, *_ERRORS
    ),
    openapi_extra={"security": _SECURITY},
)
async def revoke_api_client(
    request: Request, client_id: uuid.UUID, db: DbSession, _admin: Admin
) -> ApiClientRead:
    revoked = await api_client_service.revoke_client(db, client_id)
    _forget(request, revoked.key_id)
    return revoked
