"""Every operation of the merged OpenAPI, called by every role on its own tenant's objects:
only the cells ``x-roles`` allows get through.

Allowed cells must not answer 401 or 403 (nor 5xx); a 4xx about the body or the object's
state is fine. Refused cells must answer 401 for anonymous callers and 403 for a role the
operation does not admit: the role guard runs before any object is looked up, so the answer
does not depend on whether the object exists (hiding existence, 404, is the object-level rule
that test_tenant_isolation.py checks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from security_world import ANONYMOUS, World, call, iter_cells, operations, running_world

from common import Role

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
ROLES = (ANONYMOUS, *(role.value for role in Role))


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Both tenants on the real platform (one per module: seeding takes seconds)."""
    folder: Path = tmp_path_factory.mktemp("role-matrix")
    # Without PostgreSQL, creating the databases skips (fails under CI=true).
    async with running_world(folder) as seeded:
        yield seeded


def _verdict(role: str, allowed: bool, status: int) -> str | None:
    """Why a cell's answer is wrong, or None."""
    if status >= 500:
        return f"answered {status}"
    if allowed:
        return f"answered {status} to an allowed role" if status in (401, 403) else None
    expected = 401 if role == ANONYMOUS else 403
    return None if status == expected else f"answered {status}, not {expected}"


@pytest.mark.asyncio(loop_scope="module")
async def test_only_the_documented_roles_get_through(world: World) -> None:
    ops = operations(world.document)
    missing = [op.label for op in ops if "x-roles" not in op.spec]
    assert not missing, f"operations without x-roles: {missing}"
    assert {role for op in ops for role in op.roles} <= set(ROLES)

    matrix: dict[str, dict[str, str]] = {}
    wrong: list[str] = []
    async with httpx.AsyncClient(base_url=world.platform.gateway, timeout=30) as http:
        for operation, role in iter_cells(ops, ROLES):
            allowed = role in operation.roles
            response = await call(
                http,
                world.document,
                operation,
                world.path_values(role),
                world.headers(role),
            )
            matrix.setdefault(operation.label, {})[role] = (
                f"{'✓' if allowed else '✗'}{response.status_code}"
            )
            problem = _verdict(role, allowed, response.status_code)
            if problem:
                wrong.append(
                    f"{operation.label} as {role}: {problem} ({response.text[:200]})"
                )

    width = max(len(label) for label in matrix)
    lines = [f"{'operation':<{width}} " + " ".join(f"{r:>12}" for r in ROLES)]
    lines += [
        f"{label:<{width}} " + " ".join(f"{cells[r]:>12}" for r in ROLES)
        for label, cells in matrix.items()
    ]
    allowed_cells = sum(op_role in op.roles for op in ops for op_role in ROLES)
    print("\n".join(lines))
    print(
        f"{len(ops)} operations × {len(ROLES)} roles = {len(ops) * len(ROLES)} cells: "
        f"{allowed_cells} allowed, {len(ops) * len(ROLES) - allowed_cells} refused"
    )
    assert len(ops) >= 80
    assert not wrong, "\n".join(wrong)
