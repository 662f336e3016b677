"""Use cases of the client registry: create, rotate, revoke, list, and authenticate a key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import Role, utcnow
from gateway.api_client.keys import issue_key
from gateway.api_client.models import ApiClient
from gateway.api_client.repository import ApiClientRepository
from gateway.api_client.schemas import ApiClientCreate, ApiClientRead, ApiClientWithKey
from gateway.errors import ApiClientNotFoundError, ApiClientRevokedError


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated client, as the proxy needs it on every request."""

    client_id: str
    role: Role
    organisation_id: str | None
    scopes: frozenset[str]
    rate_limit: str | None
    key_hash: str


def read(client: ApiClient) -> ApiClientRead:
    """The public representation of a client."""
    return ApiClientRead(
        id=client.id,
        name=client.name,
        role=Role(client.role),
        organisation_id=client.organisation_id,
        scopes=client.scopes,
        rate_limit=client.rate_limit,
        key_id=client.key_id,
        active=client.revoked_at is None,
        created_at=client.created_at,
        rotated_at=client.rotated_at,
        revoked_at=client.revoked_at,
    )


async def create_client(
    db: AsyncSession, payload: ApiClientCreate, *, pepper: str
) -> ApiClientWithKey:
    """Registers a client and issues its first key."""
    issued = issue_key(pepper)
    now = utcnow()
    client = ApiClient(
        id=uuid7(),
        name=payload.name,
        role=payload.role.value,
        organisation_id=payload.organisation_id,
        scopes=payload.scopes,
        rate_limit=payload.rate_limit,
        key_id=issued.key_id,
        key_hash=issued.key_hash,
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with db.begin():
        ApiClientRepository(db).add(client)
    return ApiClientWithKey(**read(client).model_dump(), api_key=issued.key)


async def _get_active(db: AsyncSession, client_id: uuid.UUID) -> ApiClient:
    client = await ApiClientRepository(db).get(client_id)
    if client is None:
        raise ApiClientNotFoundError(
            f"No API client has the id {client_id}: list them with GET /v1/clients."
        )
    if client.revoked_at is not None:
        raise ApiClientRevokedError(
            f"The API client {client_id} is revoked; create a new one instead."
        )
    return client


async def rotate_key(
    db: AsyncSession, client_id: uuid.UUID, *, pepper: str
) -> ApiClientWithKey:
    """Issues a new key for a client; the old key stops working at once.

    Raises
    ------
    ApiClientNotFoundError, ApiClientRevokedError
    """
    issued = issue_key(pepper)
    async with db.begin():
        client = await _get_active(db, client_id)
        now = utcnow()
        client.key_id, client.key_hash = issued.key_id, issued.key_hash
        client.rotated_at = client.updated_at = now
        client.version += 1
    return ApiClientWithKey(**read(client).model_dump(), api_key=issued.key)


async def revoke_client(db: AsyncSession, client_id: uuid.UUID) -> ApiClientRead:
    """Revokes a client: its key stops working (within the gateway's client cache time).

    Raises
    ------
    ApiClientNotFoundError, ApiClientRevokedError
    """
    async with db.begin():
        client = await _get_active(db, client_id)
        client.revoked_at = client.updated_at = utcnow()
        client.version += 1
    return read(client)


async def list_clients(db: AsyncSession) -> list[ApiClientRead]:
    """Lists every client."""
    async with db.begin():
        return [read(c) for c in await ApiClientRepository(db).list_all()]


async def get_client(db: AsyncSession, client_id: uuid.UUID) -> ApiClientRead:
    """Gets a client.

    Raises
    ------
    ApiClientNotFoundError
    """
    async with db.begin():
        client = await ApiClientRepository(db).get(client_id)
    if client is None:
        raise ApiClientNotFoundError(
            f"No API client has the id {client_id}: list them with GET /v1/clients."
        )
    return read(client)


async def find_caller(db: AsyncSession, key_id: str) -> Caller | None:
    """Finds the active client holding a key id (the secret is checked by the caller)."""
    async with db.begin():
        client = await ApiClientRepository(db).get_by_key_id(key_id)
    if client is None or client.revoked_at is not None:
        return None
    return Caller(
        client_id=str(client.id),
        role=Role(client.role),
        organisation_id=client.organisation_id,
        scopes=frozenset(client.scopes),
        rate_limit=client.rate_limit,
        key_hash=client.key_hash,
    )
