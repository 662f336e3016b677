"""Dependencies shared by the catalog's routers: read sessions, the document cache, the importer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.certification.cache import DocumentCache
from catalog.config import Settings
from catalog.rncp_import.service import ImportRunner
from common import Principal, Role, require_roles


# Dependencies are `async def`: FastAPI runs plain `def` ones in a thread pool, per request.
async def _read_db(request: Request) -> AsyncIterator[AsyncSession]:
    # Sessions connect lazily: a request answered from the cache never touches the pool.
    async with request.app.state.read_sessionmaker() as db:
        yield db


async def _read_sessionmaker(request: Request) -> async_sessionmaker[AsyncSession]:
    sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.read_sessionmaker
    return sessionmaker


async def _cache(request: Request) -> DocumentCache:
    cache: DocumentCache = request.app.state.cache
    return cache


async def _runner(request: Request) -> ImportRunner:
    runner: ImportRunner = request.app.state.import_runner
    return runner


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


ReadDb = Annotated[AsyncSession, Depends(_read_db)]
# For a streamed answer, which must open its own session: the request's close before it is sent.
ReadSessions = Annotated[async_sessionmaker[AsyncSession], Depends(_read_sessionmaker)]
Cache = Annotated[DocumentCache, Depends(_cache)]
Runner = Annotated[ImportRunner, Depends(_runner)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
