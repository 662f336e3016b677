"""Dependencies shared by the routers: roles, clients of other services, rules, the clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import Principal, Role, require_bound_roles, utcnow
from sessions.clients.candidacy import CandidacyClient
from sessions.clients.catalog import CatalogClient
from sessions.config import Settings
from sessions.session.service import SessionRules


async def _catalog(request: Request) -> CatalogClient:
    catalog: CatalogClient = request.app.state.catalog
    return catalog


async def _candidacy(request: Request) -> CandidacyClient:
    client: CandidacyClient = request.app.state.candidacy
    return client


async def _read_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    # Autocommit sessions for reads that outlive the handler (a streamed export).
    sessions: async_sessionmaker[AsyncSession] = request.app.state.read_sessionmaker
    return sessions


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _rules(request: Request) -> SessionRules:
    settings: Settings = request.app.state.settings
    return SessionRules(
        title_jury_min_members=settings.title_jury_min_members,
        max_test_hours=settings.max_test_hours,
        convocation_months=settings.convocation_months,
    )


async def _now(request: Request) -> datetime:
    # Tests set app.state.clock to move through a session's life; a process may be shifted by
    # SESSIONS_CLOCK_OFFSET_SECONDS (never in production).
    clock: Callable[[], datetime] | None = getattr(request.app.state, "clock", None)
    if clock is not None:
        return clock()
    offset = request.app.state.settings.clock_offset_seconds
    return utcnow() + timedelta(seconds=offset)


async def _authorization(request: Request) -> str:
    # Read from the request, not declared as a Header(): OpenAPI says authentication through
    # the security scheme, and generated clients must not ask for the header again. Without
    # it, the principal's dependency has already answered 401.
    return request.headers.get("authorization", "")


Catalog = Annotated[CatalogClient, Depends(_catalog)]
Candidacy = Annotated[CandidacyClient, Depends(_candidacy)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
ReadSessions = Annotated[async_sessionmaker[AsyncSession], Depends(_read_sessions)]
Rules = Annotated[SessionRules, Depends(_rules)]
Now = Annotated[datetime, Depends(_now)]
# The caller's own credentials, forwarded to the candidacy service.
CallerAuthorization = Annotated[str, Depends(_authorization)]
Admin = Annotated[Principal, Depends(require_bound_roles(Role.ADMIN))]
CentreOrAdmin = Annotated[
    Principal, Depends(require_bound_roles(Role.EXAM_CENTRE, Role.ADMIN))
]
Partner = Annotated[Principal, Depends(require_bound_roles(Role.PARTNER))]
# Those who act on a registration: its partner or the session's centre (a certifier only reads).
RegistrationActor = Annotated[
    Principal,
    Depends(require_bound_roles(Role.PARTNER, Role.EXAM_CENTRE, Role.ADMIN)),
]
AnyRole = Annotated[
    Principal,
    Depends(
        require_bound_roles(Role.PARTNER, Role.CERTIFIER, Role.EXAM_CENTRE, Role.ADMIN)
    ),
]
IfMatch = Annotated[
    str | None,
    Header(description="The ETag of the session as last read; a stale one gets 412."),
]
IfMatchRequired = Annotated[
    str | None,
    Header(
        description="The ETag of the session as last read (required: missing gets 428, stale gets 412)."
    ),
]
