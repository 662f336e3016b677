"""Typed client of the catalog: the few fields the candidacy service reads, nothing more."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
from pydantic import BaseModel

from candidacy.errors import CatalogUnavailableError
from common import ServiceClient


class CatalogBlock(BaseModel):
    """A block of competences as the catalog describes it."""

    code: str
    title: str


class CatalogRetention(BaseModel):
    """How long the certification's acquired blocks stay valid."""

    policy: str
    years: int | None = None


class CatalogRegistration(BaseModel):
    """The registration dates at the RNCP."""

    start_date: date | None = None
    end_date: date | None = None


class CatalogCertifier(BaseModel):
    """A certifier of the certification."""

    id: uuid.UUID
    name: str


class CatalogCertification(BaseModel):
    """What the candidacy service needs to know of a certification."""

    rncp_code: str
    title: str
    kind: str
    level: int | None
    version: int
    active: bool
    vae_eligible: bool
    registration: CatalogRegistration
    retention: CatalogRetention
    certifiers: list[CatalogCertifier]
    blocks: list[CatalogBlock]
    next_codes: list[str] = []
    previous_codes: list[str] = []

    @property
    def block_codes(self) -> list[str]:
        """The codes of its blocks, in the catalog's order."""
        return [block.code for block in self.blocks]


class CatalogCorrespondence(BaseModel):
    """Blocks of one certification equivalent to blocks (or the whole) of another."""

    declared_by: str
    source_block_codes: list[str]
    destination_rncp_code: str
    destination_block_codes: list[str]


class CatalogLineageNode(BaseModel):
    """A version before or after a certification."""

    rncp_code: str


class CatalogLineage(BaseModel):
    """The versions around a certification and the correspondences between their blocks."""

    rncp_code: str
    predecessors: list[CatalogLineageNode]
    successors: list[CatalogLineageNode]
    correspondences: list[CatalogCorrespondence]


class CatalogClient:
    """Reads certifications from the catalog, with a short per-process cache.

    Every failure to get an answer is a ``CatalogUnavailableError`` (503): a rule that needs
    the catalog is never skipped.
    """

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

    async def get_lineage(self, rncp_code: str) -> CatalogLineage | None:
        """Gets the versions around a certification and their block correspondences.

        Raises
        ------
        CatalogUnavailableError
            The catalog did not answer usably.
        """
        return await self._client.get(
            f"/v1/certifications/{rncp_code}/lineage", CatalogLineage
        )
