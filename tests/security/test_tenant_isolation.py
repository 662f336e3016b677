"""Object-level authorisation across two tenants of every bound role.

Every operation of the merged OpenAPI that names an object in its path is called by tenant b's
partner, certifier and exam centre (each role the operation admits) on tenant a's objects:
the answer is 404 (or 403), never tenant a's data. Then tenant a's same role calls it and is
let through. Every list is read by tenant b and holds nothing of tenant a's. The operation
list comes from the document, so a new operation is swept as soon as it exists; a path
parameter the sweep cannot fill fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from security_world import (
    BOUND_ROLES,
    Operation,
    World,
    call,
    leaks,
    operations,
    running_world,
)

from common import Role

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# Objects that belong to a tenant: another tenant must not reach them.
TENANT_PARAMETERS = frozenset(
    {
        "candidate_id",
        "experience_id",
        "link_id",
        "candidacy_id",
        "centre_id",
        "approval_id",
        "juror_id",
        "session_id",
        "registration_id",
        "subscription_id",
        "delivery_id",
    }
)
# Objects that belong to nobody in particular: the public catalog, and what only the
# administrator handles (API clients, RNCP imports).
SHARED_PARAMETERS = frozenset(
    {
        "rncp_code",
        "block_code",
        "certifier_id",
        "certif_info_id",
        "import_id",
        "client_id",
    }
)
# Operations where another tenant's role legitimately reaches the object, by design, and the
# roles concerned; the answer still may not hold anything private of the other tenant.
_SHARED: dict[str, tuple[tuple[Role, ...], str]] = {
    "GET /v1/exam-centres/{centre_id}": (
        BOUND_ROLES,
        "the directory of exam centres is open to every role",
    ),
    "GET /v1/exam-centres/{centre_id}/approvals": (
        BOUND_ROLES,
        "approvals (agréments) are public facts",
    ),
    "GET /v1/exam-sessions/{session_id}": (
        BOUND_ROLES,
        "a scheduled session is on the public calendar (no staff, no jury)",
    ),
    "GET /v1/exam-sessions/{session_id}/registrations": (
        BOUND_ROLES,
        "the list holds only the registrations the caller may see",
    ),
    "GET /v1/exam-sessions/{session_id}/report": (
        BOUND_ROLES,
        "the list holds only the reports the caller may see",
    ),
    "GET /v1/jurors/{juror_id}": (
        (Role.EXAM_CENTRE,),
        "jurors are one pool every exam centre composes its juries from",
    ),
    "POST /v1/exam-sessions/{session_id}/registrations": (
        (Role.PARTNER,),
        "any partner registers its own candidacies in a scheduled session",
    ),
}
SHARED_BY_DESIGN = {
    (label, role): why for label, (roles, why) in _SHARED.items() for role in roles
}


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """Both tenants on the real platform (one per module: seeding takes seconds)."""
    folder: Path = tmp_path_factory.mktemp("tenant-isolation")
    # Without PostgreSQL, creating the databases skips (fails under CI=true).
    async with running_world(folder) as seeded:
        yield seeded


def _code(response: httpx.Response) -> object:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


async def _as_for_a_missing_object(
    http: httpx.AsyncClient,
    world: World,
    operation: Operation,
    role: Role,
    answer: httpx.Response,
) -> bool:
    """Tells whether tenant b gets the same answer on objects that do not exist: refused for
    another reason (its body, a precondition) before any look-up, it reveals nothing."""
    missing = world.a.path_values(role) | {
        name: str(uuid.uuid4())
        for name in operation.path_parameters
        if name in TENANT_PARAMETERS
    }
    control = await call(
        http,
        world.document,
        operation,
        missing,
        world.b.keys[role],
        own=world.b.path_values(role),
    )
    return answer.status_code < 500 and (control.status_code, _code(control)) == (
        answer.status_code,
        _code(answer),
    )


def _scoped(operation: Operation) -> bool:
    unknown = set(operation.path_parameters) - TENANT_PARAMETERS - SHARED_PARAMETERS
    assert not unknown, (
        f"{operation.label}: the sweep does not know which tenant owns {sorted(unknown)}; "
        "seed one in security_world.py and classify it here"
    )
    return bool(set(operation.path_parameters) & TENANT_PARAMETERS)


@pytest.mark.asyncio(loop_scope="module")
async def test_no_list_shows_another_tenants_objects(world: World) -> None:
    a, b = world.a, world.b
    secrets = a.private_values()
    lists = [
        op
        for op in operations(world.document)
        if op.method == "get" and not op.path_parameters
    ]
    wrong: list[str] = []
    seen_by_owner: set[str] = set()
    checked = 0
    async with httpx.AsyncClient(base_url=world.platform.gateway, timeout=30) as http:
        for operation in lists:
            for role in BOUND_ROLES:
                if role.value not in operation.roles:
                    continue
                checked += 1
                stranger = await http.get(operation.path, headers=b.keys[role])
                if not stranger.is_success:
                    wrong.append(
                        f"{operation.label} by tenant b's {role.value}: {stranger.status_code}"
                    )
                if leaked := leaks(stranger, secrets):
                    wrong.append(
                        f"{operation.label} by tenant b's {role.value} lists tenant a's {leaked}"
                    )
                owner = await http.get(operation.path, headers=a.keys[role])
                if not owner.is_success:
                    wrong.append(
                        f"{operation.label} by tenant a's {role.value}: {owner.status_code}"
                    )
                seen_by_owner |= set(leaks(owner, secrets))
    print(
        f"{checked} lists read by the other tenant; tenant a's own lists show {sorted(seen_by_owner)}"
    )
    # The leak check can see: tenant a's own lists do show its private objects.
    assert a.ids["candidate_id"] in seen_by_owner
    assert not wrong, "\n".join(wrong)


@pytest.mark.asyncio(loop_scope="module")
async def test_no_tenant_reaches_another_tenants_objects(world: World) -> None:
    a, b = world.a, world.b
    secrets = a.private_values()
    wrong: list[str] = []
    checked = shared = invalid = 0
    async with httpx.AsyncClient(base_url=world.platform.gateway, timeout=30) as http:
        for operation in operations(world.document):
            if not _scoped(operation):
                continue
            gone = False
            for role in BOUND_ROLES:
                if role.value not in operation.roles:
                    continue
                cell = f"{operation.label} by tenant b's {role.value}"
                stranger = await call(
                    http,
                    world.document,
                    operation,
                    a.path_values(role),
                    b.keys[role],
                    own=b.path_values(role),
                )
                checked += 1
                if leaked := leaks(stranger, secrets):
                    wrong.append(f"{cell}: the answer holds tenant a's {leaked}")
                if (operation.label, role) in SHARED_BY_DESIGN:
                    shared += 1
                    if stranger.status_code >= 500:
                        wrong.append(f"{cell}: {stranger.status_code}")
                elif stranger.status_code not in (403, 404):
                    if await _as_for_a_missing_object(
                        http, world, operation, role, stranger
                    ):
                        invalid += 1
                    else:
                        wrong.append(
                            f"{cell}: {stranger.status_code}, not 404/403 ({stranger.text[:200]})"
                        )

                owner = await call(
                    http, world.document, operation, a.path_values(role), a.keys[role]
                )
                refused = owner.status_code in (401, 403) or owner.status_code >= 500
                # An object the tenant's first role deleted is gone for the next one.
                if owner.status_code == 404 and not gone:
                    refused = True
                if refused:
                    wrong.append(
                        f"{operation.label} by tenant a's {role.value}: {owner.status_code} "
                        f"on its own object ({owner.text[:200]})"
                    )
                gone = gone or (operation.ends_something() and owner.is_success)
    print(
        f"{checked} cross-tenant calls on objects ({shared} on objects shared by design, "
        f"{invalid} refused as for a missing object), {len(wrong)} wrong"
    )
    assert checked >= 60
    assert not wrong, "\n".join(wrong)
