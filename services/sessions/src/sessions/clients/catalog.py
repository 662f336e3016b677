"""Typed client of the catalog: the few fields the sessions service reads."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from pydantic import BaseModel, Field

from common import ServiceClient
from sessions.errors import CatalogUnavailableError


class CatalogBlock(BaseModel):
    """A block of competences."""

    code: str
    title: str


class CatalogRegistration(BaseModel):
    """The registration dates at the RNCP."""

    start_date: date | None = None
    end_date: date | None = None


class CatalogCode(BaseModel):
    """A classification code (FORMACODE, NSF, ROME)."""

    code: str


class CatalogCertifier(BaseModel):
    """A certifier of the certification."""

    id: uuid.UUID


class CatalogCertification(BaseModel):
    """What the sessions service needs to know of a certification."""

    rncp_code: str
    title: str
    kind: str
    active: bool
    registration: CatalogRegistration
    certifiers: list[CatalogCertifier]
    blocks: list[CatalogBlock]
    # Read only by the LHEO export, which does without them.
    level: int | None = None
    formacodes: list[CatalogCode] = Field(default_factory=list)
    nsf_codes: list[CatalogCode] = Field(default_factory=list)
    rome_codes: list[CatalogCode] = Field(default_factory=list)

    @property
    def block_codes(self) -> list[str]:
        """The codes of its blocks, in the catalog's order."""
        return [block.code for block in self.blocks]


class CatalogClient:
    """Reads certifications from the catalog (503 ``CATALOG_UNAVAILABLE`` on any failure)."""

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, *, cache_seconds: float = 60.0
    ) -> None:
        self._client = ServiceClient(
            http,
            base_url,
            name="catalog",
            unavailable=CatalogUnavailableError,
            cache_seconds=cache_seconds,
        )

    async def get_certification(
        self, rncp_code: str, *, as_of: date | None = None
    ) -> CatalogCertification | None:
        """Gets a certification as of a date (today by default), or None when unknown.

        Raises
        ------
        CatalogUnavailableError
            The catalog did not answer usably.
        """
        params = {"as_of": as_of.isoformat()} if as_of else None
        return await self._client.get(
            f"/v1/certifications/{rncp_code}", CatalogCertification, params=params
        )
