"""Typed client of the catalog: the few fields the candidacy service reads, nothing more."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TypeVar

import httpx
import structlog
from cachetools import TTLCache
from pydantic import BaseModel, ValidationError

from candidacy.errors import CatalogUnavailableError

logger = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)


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

    Every failure to get an answer (connection refused, timeout, 5xx, an answer that does not
    parse) is a ``CatalogUnavailableError``: a rule that needs the catalog is never skipped.
    """

    def __init__(
        self, http: httpx.AsyncClient, base_url: str, *, cache_seconds: float = 60.0
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._certifications: TTLCache[
            tuple[str, date | None], CatalogCertification | None
        ] = TTLCache(maxsize=2048, ttl=cache_seconds)
        self._lineages: TTLCache[str, CatalogLineage | None] = TTLCache(
            maxsize=2048, ttl=cache_seconds
        )

    async def _get(
        self, path: str, params: dict[str, str] | None = None
    ) -> bytes | None:
        try:
            response = await self._http.get(self._base_url + path, params=params)
        except httpx.HTTPError as error:
            logger.warning("catalog_unreachable", error_type=type(error).__name__)
            raise CatalogUnavailableError(
                "The catalog cannot be reached to check the certification; retry in a moment."
            ) from error
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            logger.warning("catalog_error", status=response.status_code)
            raise CatalogUnavailableError(
                f"The catalog answered {response.status_code} while checking the certification; retry in a moment."
            )
        return response.content

    async def get_certification(
        self, rncp_code: str, *, as_of: date | None = None
    ) -> CatalogCertification | None:
        """Gets a certification as of a date (today by default), or None when unknown.

        Raises
        ------
        CatalogUnavailableError
            The catalog did not answer usably.
        """
        key = (rncp_code, as_of)
        if key in self._certifications:
            return self._certifications[key]
        params = {"as_of": as_of.isoformat()} if as_of else None
        body = await self._get(f"/v1/certifications/{rncp_code}", params)
        certification = _parse(CatalogCertification, body)
        self._certifications[key] = certification
        return certification

    async def get_lineage(self, rncp_code: str) -> CatalogLineage | None:
        """Gets the versions around a certification and their block correspondences.

        Raises
        ------
        CatalogUnavailableError
            The catalog did not answer usably.
        """
        if rncp_code in self._lineages:
            return self._lineages[rncp_code]
        body = await self._get(f"/v1/certifications/{rncp_code}/lineage")
        lineage = _parse(CatalogLineage, body)
        self._lineages[rncp_code] = lineage
        return lineage


def _parse(model: type[ModelT], body: bytes | None) -> ModelT | None:
    if body is None:
        return None
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise CatalogUnavailableError(
            "The catalog's answer could not be read; retry later or report it."
        ) from error
