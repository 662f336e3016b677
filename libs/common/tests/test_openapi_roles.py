"""The roles of each operation, derived from its dependencies into OpenAPI's ``x-roles``."""

from __future__ import annotations

from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.security import APIKeyHeader

from common import (
    ROLES_EXTENSION,
    CurrentPrincipal,
    OptionalPrincipal,
    Principal,
    Role,
    RolesNotDerivableError,
    admits_roles,
    document_roles,
    require_bound_roles,
    require_roles,
)

Admin = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
Owner = Annotated[Principal, Depends(require_bound_roles(Role.PARTNER, Role.ADMIN))]


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/public")
    async def public() -> None: ...

    @app.get("/optional")
    async def optional(principal: OptionalPrincipal) -> None: ...

    @app.get("/authenticated")
    async def authenticated(principal: CurrentPrincipal) -> None: ...

    @app.post("/admin", description="Does an admin thing.")
    async def admin(principal: Admin) -> None: ...

    @app.patch("/owner")
    async def owner(principal: Owner) -> None: ...

    # Two guards: only the roles both admit.
    @app.delete("/narrowed", dependencies=[Depends(require_roles(Role.PARTNER))])
    async def narrowed(principal: Owner) -> None: ...

    router = APIRouter(dependencies=[Depends(require_bound_roles(Role.EXAM_CENTRE))])

    @router.get("/included")
    async def included() -> None: ...

    app.include_router(router, prefix="/v1")
    document_roles(app)
    return app


class TestDocumentRoles:
    def test_every_operation_carries_the_roles_its_guards_admit(self) -> None:
        paths = _app().openapi()["paths"]
        every = ["admin", "certifier", "exam_centre", "partner"]
        assert {
            (path, method): operation[ROLES_EXTENSION]
            for path, item in paths.items()
            for method, operation in item.items()
        } == {
            ("/public", "get"): ["anonymous", *every],
            ("/optional", "get"): ["anonymous", *every],
            ("/authenticated", "get"): every,
            ("/admin", "post"): ["admin"],
            ("/owner", "patch"): ["admin", "partner"],
            ("/narrowed", "delete"): ["partner"],
            ("/v1/included", "get"): ["exam_centre"],
        }

    def test_the_description_says_who_may_call_once(self) -> None:
        app = _app()
        app.openapi()
        paths = app.openapi()["paths"]
        assert paths["/admin"]["post"]["description"] == (
            "Does an admin thing.\n\n**Who may call:** `admin`."
        )
        assert paths["/public"]["get"]["description"] == (
            "**Who may call:** anyone, no API key needed."
        )

    def test_a_marked_hand_written_check_is_a_guard(self) -> None:
        app = FastAPI()

        @admits_roles(Role.ADMIN)
        async def admin_key(request: Request) -> str:
            return request.headers.get("authorization", "")

        @app.get("/clients", openapi_extra={"security": [{"apiKey": []}]})
        # Defaults, not Annotated: postponed annotations cannot name these local functions.
        async def clients(key: str = Depends(admin_key)) -> None: ...

        document_roles(app)
        assert app.openapi()["paths"]["/clients"]["get"][ROLES_EXTENSION] == ["admin"]

    def test_credentials_read_by_an_unknown_dependency_are_an_error(self) -> None:
        app = FastAPI()
        key_header = APIKeyHeader(name="X-Key")

        @app.get("/secret")
        async def secret(key: str = Depends(key_header)) -> None: ...

        document_roles(app)
        with pytest.raises(RolesNotDerivableError, match="GET /secret"):
            app.openapi()

    def test_security_declared_without_a_guard_is_an_error(self) -> None:
        app = FastAPI()

        @app.get("/declared", openapi_extra={"security": [{"apiKey": []}]})
        async def declared() -> None: ...

        document_roles(app)
        with pytest.raises(RolesNotDerivableError, match="no role guard"):
            app.openapi()

    def test_guards_that_admit_nobody_are_an_error(self) -> None:
        app = FastAPI()

        @app.get("/nobody", dependencies=[Depends(require_roles(Role.PARTNER))])
        async def nobody(principal: Admin) -> None: ...

        document_roles(app)
        with pytest.raises(RolesNotDerivableError, match="admit no role"):
            app.openapi()
