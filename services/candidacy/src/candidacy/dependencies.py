"""Dependencies shared by the routers: roles, the catalog client, settings, If-Match."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from candidacy.clients.catalog import CatalogClient
from candidacy.config import Settings
from common import Principal, Role, require_bound_roles


async def _catalog(request: Request) -> CatalogClient:
    catalog: CatalogClient = request.app.state.catalog
    return catalog


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


Catalog = Annotated[CatalogClient, Depends(_catalog)]
CurrentSettings = Annotated[Settings, Depends(_settings)]
# A partner (organisme accompagnateur) acting for its own candidates.
Partner = Annotated[Principal, Depends(require_bound_roles(Role.PARTNER))]
# Those who may change a candidate or candidacy: its partner, or an administrator.
Owner = Annotated[Principal, Depends(require_bound_roles(Role.PARTNER, Role.ADMIN))]
# Those who may read candidates and candidacies (each sees only its own).
Reader = Annotated[
    Principal, Depends(require_bound_roles(Role.PARTNER, Role.CERTIFIER, Role.ADMIN))
]
Certifier = Annotated[Principal, Depends(require_bound_roles(Role.CERTIFIER))]
Admin = Annotated[Principal, Depends(require_bound_roles(Role.ADMIN))]
CertifierOrAdmin = Annotated[
    Principal, Depends(require_bound_roles(Role.CERTIFIER, Role.ADMIN))
]
AnyRole = Annotated[
    Principal,
    Depends(
        require_bound_roles(Role.PARTNER, Role.CERTIFIER, Role.EXAM_CENTRE, Role.ADMIN)
    ),
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
