"""SQL statements on API clients."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from common import RepositoryBase
from gateway.api_client.models import ApiClient


class ApiClientRepository(RepositoryBase):
    """Reads and writes of the client registry."""

    async def get(self, client_id: uuid.UUID) -> ApiClient | None:
        """Gets a client by id."""
        return await self.db.get(ApiClient, client_id)

    async def get_by_key_id(self, key_id: str) -> ApiClient | None:
        """Gets a client by the public part of its key."""
        return await self.db.scalar(select(ApiClient).where(ApiClient.key_id == key_id))

    async def list_all(self) -> list[ApiClient]:
        """Lists every client by creation."""
        return list(
            (
                await self.db.scalars(select(ApiClient).order_by(ApiClient.created_at))
            ).all()
        )

    def add(self, client: ApiClient) -> None:
        """Adds a client."""
        self.db.add(client)
