"""Which roles may call each operation, derived from its dependencies and written into OpenAPI.

Each operation of the document gets an ``x-roles`` list (``anonymous`` first when no API key is
needed, then the roles in ``Role`` order) and a line of its description saying the same. The
list comes from the role guards the operation really depends on (``require_roles``,
``require_bound_roles`` or a dependency marked with ``admits_roles``), never from a
hand-kept table: an operation that declares security through a dependency nobody can read is
an error, not a silent gap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase

from common._auth import (
    Role,
    _current_principal,
    _optional_principal,
    roles_admitted_by,
)

ANONYMOUS = "anonymous"
ROLES_EXTENSION = "x-roles"
_DESCRIPTION_LEAD = "**Who may call:**"
_METHODS = frozenset({"get", "put", "post", "delete", "patch", "options", "head"})


class RolesNotDerivableError(RuntimeError):
    """An operation's roles cannot be read from its dependencies."""


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _ordered(roles: frozenset[Role], *, anonymous: bool) -> tuple[str, ...]:
    named = tuple(role.value for role in Role if role in roles)
    return (ANONYMOUS, *named) if anonymous else named


def operation_roles(route: Any) -> tuple[str, ...]:
    """The roles that may call a route (an ``APIRoute`` or FastAPI's view of an included one).

    Raises
    ------
    RolesNotDerivableError
        The route asks for credentials through a dependency that is no known role guard, or
        its guards admit no role at all.
    """
    calls = list(_calls(route.dependant))
    guards = [roles for call in calls if (roles := roles_admitted_by(call)) is not None]
    label = f"{','.join(sorted(route.methods))} {route.path_format} ({route.name})"
    if guards:
        admitted = frozenset.intersection(*guards)
        if not admitted:
            raise RolesNotDerivableError(f"{label}: its role guards admit no role.")
        return _ordered(admitted, anonymous=False)
    if _current_principal in calls:
        return _ordered(frozenset(Role), anonymous=False)
    if _optional_principal in calls:
        # The principal only narrows what the answer holds: anyone may call.
        return _ordered(frozenset(Role), anonymous=True)
    declared = (route.openapi_extra or {}).get("security")
    if declared or any(isinstance(call, SecurityBase) for call in calls):
        raise RolesNotDerivableError(
            f"{label}: it asks for credentials but depends on no role guard; mark its "
            "check with common.admits_roles(...) or use require_roles(...)."
        )
    return _ordered(frozenset(Role), anonymous=True)


def roles_by_operation(app: FastAPI) -> dict[tuple[str, str], tuple[str, ...]]:
    """Every documented operation's roles, by (path, lower-case method).

    Raises
    ------
    RolesNotDerivableError
        One operation's roles cannot be derived (see ``operation_roles``).
    """
    roles: dict[tuple[str, str], tuple[str, ...]] = {}
    for route in iter_route_contexts(app.routes):
        if (
            not isinstance(route.original_route, APIRoute)
            or not route.include_in_schema
        ):
            continue
        admitted = operation_roles(route)
        for method in route.methods or ():
            roles[(str(route.path_format), method.lower())] = admitted
    return roles


def describe_roles(roles: tuple[str, ...]) -> str:
    """The description line that says who may call an operation."""
    if ANONYMOUS in roles:
        return f"{_DESCRIPTION_LEAD} anyone, no API key needed."
    return f"{_DESCRIPTION_LEAD} {', '.join(f'`{role}`' for role in roles)}."


def document_roles(app: FastAPI) -> None:
    """Adds ``x-roles`` and a "Who may call" line to every operation of the app's OpenAPI
    document, from the role guards each depends on.

    Building the document raises ``RolesNotDerivableError`` for an operation whose roles
    cannot be derived, so every test that reads the document catches the gap.
    """
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        roles = roles_by_operation(app)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method not in _METHODS or not isinstance(operation, dict):
                    continue
                admitted = roles.get((path, method))
                if admitted is None:
                    raise RolesNotDerivableError(
                        f"{method.upper()} {path}: no route of the app documents it."
                    )
                operation[ROLES_EXTENSION] = list(admitted)
                description = str(operation.get("description") or "")
                if _DESCRIPTION_LEAD not in description:
                    line = describe_roles(admitted)
                    operation["description"] = (
                        f"{description}\n\n{line}" if description else line
                    )
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
