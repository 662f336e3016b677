"""Typed reads of another service's resources over HTTP: the few fields the caller declares.

Each caller defines Pydantic models for what it reads and wraps ``ServiceClient`` in a small
client class of its own (``clients/catalog.py``); it never imports the other service's code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import httpx
import structlog
from cachetools import TTLCache
from pydantic import BaseModel, ValidationError

from common._errors import ServiceError

logger = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)


class ServiceClient:
    """GETs JSON from one service: 404 is None, every other failure one ``unavailable`` error.

    A connection refused, a timeout, a 5xx or an answer that does not parse all raise the
    caller's ``unavailable`` error (a 503 problem): a rule that needs the other service is never
    skipped. Anonymous reads may be cached for ``cache_seconds``; reads made with a caller's
    credentials never are.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        name: str,
        unavailable: type[ServiceError],
        cache_seconds: float = 60.0,
        cache_size: int = 2048,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._name = name
        self._unavailable = unavailable
        self._cache: TTLCache[tuple[str, str, tuple[tuple[str, str], ...]], Any] = (
            TTLCache(maxsize=cache_size, ttl=cache_seconds)
        )

    async def get(
        self,
        path: str,
        model: type[ModelT],
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ModelT | None:
        """Gets and parses a resource, or None when the service answers 404.

        Raises
        ------
        ServiceError
            The ``unavailable`` error given at construction: no usable answer.
        """
        cacheable = not headers
        key = (model.__qualname__, path, tuple(sorted((params or {}).items())))
        if cacheable and key in self._cache:
            cached: ModelT | None = self._cache[key]
            return cached
        try:
            response = await self._http.get(
                self._base_url + path, params=params, headers=headers
            )
        except httpx.HTTPError as error:
            logger.warning(
                "service_unreachable",
                service=self._name,
                error_type=type(error).__name__,
            )
            raise self._unavailable(
                f"The {self._name} service cannot be reached; retry in a moment."
            ) from error
        if response.status_code == 404:
            found = None
        elif response.status_code != 200:
            logger.warning(
                "service_error", service=self._name, status=response.status_code
            )
            raise self._unavailable(
                f"The {self._name} service answered {response.status_code}; retry in a moment."
            )
        else:
            try:
                found = model.model_validate_json(response.content)
            except ValidationError as error:
                raise self._unavailable(
                    f"The {self._name} service's answer could not be read; retry later or report it."
                ) from error
        if cacheable:
            self._cache[key] = found
        return found
