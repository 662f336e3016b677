"""Dependencies shared by the routers: roles, the catalog client, settings, If-Match."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from candidacy.clients.catalog import CatalogClient
from candidacy.config import Settings
from common import PermissionDeniedError, Principal, Role, require_roles


async def _catalog(request: Request) -> CatalogClient:
    catalog: CatalogClient = request.app.state.catalog
    return catalog


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _bound(*roles: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """Admits the given roles; every role but admin must name its organisation."""
    require = require_roles(*roles)

    # A default, not Annotated: postponed annotations cannot name this closure's `require`.
    async def _check(principal: Principal = Depends(require)) -> Principal:
        if principal.role is not Role.ADMIN and not principal.organisation_id:
            raise PermissionDeniedError(
                f"This {principal.role.value} API client is bound to no organisation: ask an administrator to bind it."
            )
        return principal

    return _check


Catalog = Annotated[CatalogClient, Depends(_catalog)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
# A partner (organisme accompagnateur) acting for its own candidates.
Partner = Annotated[Principal, Depends(_bound(Role.PARTNER))]
# Those who may change a candidate or candidacy: its partner, or an administrator.
Owner = Annotated[Principal, Depends(_bound(Role.PARTNER, Role.ADMIN))]
# Those who may read candidates and candidacies (each sees only its own).
Reader = Annotated[Principal, Depends(_bound(Role.PARTNER, Role.CERTIFIER, Role.ADMIN))]
Certifier = Annotated[Principal, Depends(_bound(Role.CERTIFIER))]
Admin = Annotated[Principal, Depends(_bound(Role.ADMIN))]
CertifierOrAdmin = Annotated[Principal, Depends(_bound(Role.CERTIFIER, Role.ADMIN))]
AnyRole = Annotated[
    Principal,
    Depends(_bound(Role.PARTNER, Role.CERTIFIER, Role.EXAM_CENTRE, Role.ADMIN)),
]

IfMatch = Annotated[
    str | None,
    Header(description="The ETag of the resource as last read; a stale one gets 412."),
]
IfMatchRequired = Annotated[
    str | None,
    Header(
        description="The ETag of the candidacy as last read (required: missing gets 428, stale gets 412)."
    ),
]
