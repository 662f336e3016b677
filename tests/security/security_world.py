"""The security sweeps' platform: two tenants of every bound role, each with a full set of real
objects, and the operations of the merged OpenAPI with what each path parameter names.

Tenant "a" and tenant "b" each hold a partner, a certifier (of its own certification) and an
exam centre, linked as in real life: the partner's candidate has a candidacy for the
certifier's certification, admissible, registered in a scheduled session of the centre, whose
jury holds the centre's jurors. Every role (administrator included) has its own webhook
subscription with a delivery.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from common import ROLES_EXTENSION, Role

# The end-to-end platform lives beside this folder; pytest puts only a test file's own folder
# on sys.path (rootdir-relative imports, no packages under tests/).
_E2E = str(Path(__file__).resolve().parents[1] / "e2e")
if _E2E not in sys.path:
    sys.path.insert(0, _E2E)
from e2e_platform import Platform  # noqa: E402

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
METHODS = ("get", "put", "post", "delete", "patch")
BOUND_ROLES = (Role.CERTIFIER, Role.EXAM_CENTRE, Role.PARTNER)
ANONYMOUS = "anonymous"
# Every role's budget is large: a sweep sends hundreds of calls from one key, and a 429 would
# hide the answer the checks are about.
UNLIMITED_RATE = {
    "GATEWAY_DEFAULT_RATE_LIMIT": "1000000/minute",
    "GATEWAY_ANONYMOUS_RATE_LIMIT": "1000000/minute",
}
# Business acts that end or undo something: swept after every other operation, deepest path
# first, so that they do not take away the objects the others work on.
_ENDING_ACTS = ("revocation", "withdrawal", "cancellation", "key-rotation")


@dataclass
class Tenant:
    """One organisation of each bound role and the objects they own together."""

    name: str
    rncp_code: str
    keys: dict[Role, dict[str, str]] = field(default_factory=dict)
    organisation: dict[Role, str] = field(default_factory=dict)
    # Path parameter name → the tenant's object of that kind.
    ids: dict[str, str] = field(default_factory=dict)
    # Objects each role owns alone (its webhook subscription and delivery).
    own_ids: dict[Role, dict[str, str]] = field(default_factory=dict)
    # Personal data the tenant's candidates, session staff and jurors carry.
    personal: list[str] = field(default_factory=list)
    # Of those, what jurors carry: jurors are one pool every exam centre composes juries
    # from, so other tenants may read them.
    juror_personal: list[str] = field(default_factory=list)

    def path_values(self, role: Role) -> dict[str, str]:
        """The value of every path parameter for a call by this tenant's role."""
        return self.ids | self.own_ids.get(role, {})

    def private_values(self) -> set[str]:
        """What no other tenant may ever read: ids of private objects and personal data."""
        private = {
            self.ids[name]
            for name in (
                "candidate_id",
                "candidacy_id",
                "experience_id",
                "link_id",
                "registration_id",
            )
        }
        for owned in self.own_ids.values():
            private |= set(owned.values())
        return private | (set(self.personal) - set(self.juror_personal))


@dataclass(frozen=True)
class Operation:
    """One operation of the merged OpenAPI document."""

    method: str
    path: str
    spec: dict[str, Any]

    @property
    def roles(self) -> list[str]:
        """The roles the document says may call it."""
        roles: list[str] = self.spec[ROLES_EXTENSION]
        return roles

    @property
    def path_parameters(self) -> list[str]:
        """The names of its path parameters, in order."""
        return re.findall(r"{([^}]+)}", self.path)

    @property
    def label(self) -> str:
        """``METHOD /path``."""
        return f"{self.method.upper()} {self.path}"

    def ends_something(self) -> bool:
        """Tells whether it deletes or ends an object others may still need."""
        return self.method == "delete" or self.path.rsplit("/", 1)[-1] in _ENDING_ACTS

    def url(self, values: dict[str, str]) -> str:
        """The path with its parameters filled in."""
        return re.sub(r"{([^}]+)}", lambda m: values[m.group(1)], self.path)


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of a document, in sweep order: those that end objects last, the
    deepest of them first."""
    found = [
        Operation(method, path, spec)
        for path, item in document["paths"].items()
        for method, spec in item.items()
        if method in METHODS
    ]
    return sorted(
        found,
        key=lambda op: (
            op.ends_something(),
            -op.path.count("/") if op.ends_something() else 0,
            op.path,
            op.method,
        ),
    )


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        section, name = node["$ref"].removeprefix("#/components/").split("/", 1)
        node = document["components"][section][name]
    return node


def example_body(
    document: dict[str, Any], operation: Operation
) -> tuple[str, Any] | None:
    """(media type, example) of the operation's request body, from the document; None when it
    takes no body. Without any example, an empty JSON object."""
    body = _resolve(document, operation.spec.get("requestBody"))
    if not body:
        return None
    content: dict[str, Any] = body.get("content", {})
    for media_type in ("application/json", *content):
        media = content.get(media_type)
        if media is None:
            continue
        if "example" in media:
            return media_type, media["example"]
        for example in media.get("examples", {}).values():
            resolved = _resolve(document, example)
            if "value" in resolved:
                return media_type, resolved["value"]
        schema = _resolve(document, media.get("schema", {}))
        if schema.get("examples"):
            return media_type, schema["examples"][0]
    return "application/json", {}


# Fields of example bodies that name an object: the caller's own object of that kind replaces
# the example's made-up id, so the call goes as far as a real one would.
_BODY_REFERENCES = (
    "candidacy_id",
    "candidate_id",
    "centre_id",
    "juror_id",
    "rncp_code",
    "registration_id",
)


def _with_own_objects(example: Any, own: dict[str, str]) -> Any:
    if isinstance(example, dict):
        replaced = {
            key: own[key]
            if key in _BODY_REFERENCES and key in own
            else _with_own_objects(value, own)
            for key, value in example.items()
        }
        if "block_codes" in replaced and "block_code" in own:
            replaced["block_codes"] = [own["block_code"]]
        return replaced
    if isinstance(example, list):
        return [_with_own_objects(value, own) for value in example]
    return example


async def call(
    http: httpx.AsyncClient,
    document: dict[str, Any],
    operation: Operation,
    values: dict[str, str],
    headers: dict[str, str],
    own: dict[str, str] | None = None,
) -> httpx.Response:
    """Calls an operation with these path values and its example body (if any), whose object
    references name the caller's own objects (``own``, by default the path values)."""
    body = example_body(document, operation)
    url = operation.url(values)
    if any(
        parameter.get("in") == "header"
        and parameter.get("name", "").lower() == "if-match"
        for parameter in operation.spec.get("parameters", [])
    ):
        # A stale ETag: past the "send If-Match" check, so the object's own checks answer.
        headers = {**headers, "If-Match": '"0"'}
    if body is None:
        return await http.request(operation.method, url, headers=headers)
    media_type, example = body
    if media_type.endswith("json"):
        example = _with_own_objects(example, values if own is None else own)
        return await http.request(operation.method, url, json=example, headers=headers)
    content = example.encode() if isinstance(example, str) else b""
    return await http.request(
        operation.method,
        url,
        content=content,
        headers={**headers, "Content-Type": media_type},
    )


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return response.json()


def _at(days: int, hour: int) -> str:
    return datetime.combine(
        TODAY + timedelta(days=days), time(hour), tzinfo=PARIS
    ).isoformat()


async def _key(
    http: httpx.AsyncClient, platform: Platform, role: Role, organisation: str | None
) -> dict[str, str]:
    created = _ok(
        await http.post(
            "/v1/clients",
            json={
                "name": f"security {role.value} {organisation}",
                "role": role.value,
                "organisation_id": organisation,
            },
            headers=platform.admin(),
        ),
        201,
    )
    return {"Authorization": f"Bearer {created['api_key']}"}


async def _subscribe(
    http: httpx.AsyncClient, headers: dict[str, str], target: str
) -> dict[str, str]:
    """A webhook subscription of the caller, with one delivery (a ping)."""
    types = _ok(await http.get("/v1/webhook-event-types", headers=headers))["items"]
    event_type = next(t["type"] for t in types if t["you_may_subscribe"])
    subscription = _ok(
        await http.post(
            "/v1/webhook-subscriptions",
            json={"url": target, "event_types": [event_type]},
            headers=headers,
        ),
        201,
    )
    delivery = _ok(
        await http.post(
            f"/v1/webhook-subscriptions/{subscription['id']}/pings", headers=headers
        ),
        202,
    )
    return {"subscription_id": subscription["id"], "delivery_id": delivery["id"]}


async def seed_tenant(
    http: httpx.AsyncClient, platform: Platform, name: str, number: int
) -> Tenant:
    """Creates a tenant's certification, organisations, keys and objects through the gateway."""
    admin = platform.admin()
    tenant = Tenant(name=name, rncp_code=f"RNCP97{number:04d}")
    code = tenant.rncp_code
    _ok(
        await http.post(
            "/v1/certifications",
            json={
                "rncp_code": code,
                "title": f"Titre professionnel Soudeur assembleur {name.upper()}",
                "kind": "TITRE_PROFESSIONNEL",
                "level": 3,
                "start_date": (TODAY - timedelta(days=300)).isoformat(),
                "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
                "certifiers": [{"name": f"CERTIFICATEUR SECURITE {name.upper()}"}],
                "blocks": [
                    {"code": f"{code}BC0{i}", "title": f"Bloc {i}"} for i in (1, 2)
                ],
            },
            headers=admin,
        ),
        201,
    )
    certification = _ok(await http.get(f"/v1/certifications/{code}"))
    certifier_id = certification["certifiers"][0]["id"]
    centre_id = str(uuid.uuid4())
    tenant.organisation = {
        Role.PARTNER: f"partner-{name}-{uuid.uuid4().hex[:6]}",
        Role.CERTIFIER: certifier_id,
        Role.EXAM_CENTRE: centre_id,
    }
    for role, organisation in tenant.organisation.items():
        tenant.keys[role] = await _key(http, platform, role, organisation)
    partner, certifier, centre = (
        tenant.keys[Role.PARTNER],
        tenant.keys[Role.CERTIFIER],
        tenant.keys[Role.EXAM_CENTRE],
    )
    tenant.ids |= {
        "rncp_code": code,
        "block_code": f"{code}BC01",
        "certifier_id": certifier_id,
        # Only RNCP imports set Certif Info ids: this one names no certification (public read).
        "certif_info_id": str(990000 + number),
        "centre_id": centre_id,
    }

    given, family = f"Zephyrine{name.upper()}", f"Quillardet{name.upper()}"
    email = f"zephyrine.quillardet.{name}@securite-vae.example"
    trainer = f"Barnabe Vautrinel{name.upper()}"
    candidate = _ok(
        await http.post(
            "/v1/candidates",
            json={
                "given_name": given,
                "family_name": family,
                "email": email,
                "department": "69",
                "experiences": [
                    {
                        "nature": "SALARIED",
                        "title": "Soudeuse",
                        "start_date": "2014-01-01",
                    }
                ],
                "links": [{"relation": "TRAINER", "full_name": trainer}],
            },
            headers=partner,
        ),
        201,
    )
    tenant.personal += [given, family, email, trainer]
    tenant.ids |= {
        "candidate_id": candidate["id"],
        "experience_id": candidate["experiences"][0]["id"],
        "link_id": candidate["links"][0]["id"],
    }
    candidacy = _ok(
        await http.post(
            "/v1/candidacies",
            json={"candidate_id": candidate["id"], "rncp_code": code},
            headers=partner,
        ),
        201,
    )
    tenant.ids["candidacy_id"] = candidacy["id"]
    submitted = await http.post(
        f"/v1/candidacies/{candidacy['id']}/submission", headers=partner
    )
    _ok(submitted)
    _ok(
        await http.post(
            f"/v1/candidacies/{candidacy['id']}/admissibility-decision",
            json={"decision": "ADMISSIBLE"},
            headers={**certifier, "If-Match": submitted.headers["etag"]},
        )
    )

    _ok(
        await http.post(
            "/v1/exam-centres",
            json={
                "id": centre_id,
                "name": f"Centre securite {name}",
                "siret": f"{uuid.uuid4().int % 10**14:014d}",
                "region": "84",
                "department": "69",
                "sites": [
                    {
                        "name": "Atelier",
                        "address": "1 rue",
                        "postal_code": "69007",
                        "city": "Lyon",
                        "department": "69",
                    }
                ],
            },
            headers=admin,
        ),
        201,
    )
    site_id = _ok(await http.get(f"/v1/exam-centres/{centre_id}", headers=centre))[
        "sites"
    ][0]["id"]
    approval = _ok(
        await http.post(
            f"/v1/exam-centres/{centre_id}/approvals",
            json={
                "site_id": site_id,
                "rncp_code": code,
                "start_date": (TODAY - timedelta(days=30)).isoformat(),
                "end_date": (TODAY + timedelta(days=700)).isoformat(),
                "authority": "DREETS",
            },
            headers=admin,
        ),
        201,
    )
    tenant.ids["approval_id"] = approval["id"]
    jurors = []
    for juror_given, juror_family in (
        (f"Philiberte{name.upper()}", "Castagnou"),
        (f"Anselme{name.upper()}", "Roquebrune"),
    ):
        juror = _ok(
            await http.post(
                "/v1/jurors",
                json={
                    "given_name": juror_given,
                    "family_name": juror_family,
                    "profile": "PROFESSIONAL",
                    "trade": "Soudure",
                    "years_in_trade": 9,
                },
                headers=centre,
            ),
            201,
        )
        _ok(
            await http.post(
                f"/v1/jurors/{juror['id']}/habilitations",
                json={
                    "rncp_code": code,
                    "granted_on": (TODAY - timedelta(days=100)).isoformat(),
                    "authority": "DDETS du Rhône",
                },
                headers=admin,
            ),
            201,
        )
        jurors.append(juror["id"])
        tenant.personal.append(juror_given)
        tenant.juror_personal.append(juror_given)
    tenant.ids["juror_id"] = jurors[0]
    session = _ok(
        await http.post(
            "/v1/exam-sessions",
            json={
                "centre_id": centre_id,
                "site_id": site_id,
                "rncp_code": code,
                "kind": "TITLE",
                "starts_at": _at(60, 8),
                "ends_at": _at(60, 18),
                "test_hours": 8,
                "capacity": 6,
                "manager": {"full_name": f"Gontran Mirabel{name.upper()}"},
            },
            headers=centre,
        ),
        201,
    )
    tenant.personal.append(f"Gontran Mirabel{name.upper()}")
    path = f"/v1/exam-sessions/{session['id']}"
    tenant.ids["session_id"] = session["id"]
    _ok(
        await http.put(
            f"{path}/jury",
            json={"members": [{"juror_id": j} for j in jurors]},
            headers=centre,
        )
    )
    _ok(await http.post(f"{path}/scheduling", headers=centre))
    registration = _ok(
        await http.post(
            f"{path}/registrations",
            json={"candidacy_id": candidacy["id"]},
            headers=partner,
        ),
        201,
    )
    tenant.ids["registration_id"] = registration["id"]
    _ok(await http.post(f"{path}/convocations", headers=centre))

    # A loopback port nobody listens on: deliveries fail and are retried, which is all the
    # sweeps need of them.
    target = f"http://127.0.0.1:9/security-{name}"
    for role, headers in tenant.keys.items():
        tenant.own_ids[role] = await _subscribe(http, headers, target)
    return tenant


@dataclass
class World:
    """The platform, its administrator and the two tenants."""

    platform: Platform
    document: dict[str, Any]
    a: Tenant
    b: Tenant
    admin_ids: dict[str, str]

    def headers(self, role: Role | str, tenant: Tenant | None = None) -> dict[str, str]:
        """The credentials of a role (of tenant a unless told); none for anonymous."""
        if role == ANONYMOUS:
            return {}
        if role == Role.ADMIN:
            return self.platform.admin()
        return (tenant or self.a).keys[Role(role)]

    def path_values(self, role: Role | str) -> dict[str, str]:
        """Tenant a's objects, as a call by this role names them."""
        # The administrator's objects (API clients, imports) stand in where the role has none
        # of its own: the operations on them admit only the administrator anyway.
        if role in (ANONYMOUS, Role.ADMIN):
            return self.a.ids | self.admin_ids
        return self.admin_ids | self.a.path_values(Role(role))


@asynccontextmanager
async def running_world(folder: Path) -> AsyncIterator[World]:
    """The five processes on fresh PostgreSQL databases, seeded with both tenants."""
    platform = Platform(folder, extra_env={"gateway": UNLIMITED_RATE})
    await platform.create_databases()
    try:
        await platform.start_all()
        async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as http:
            a = await seed_tenant(http, platform, "a", 1)
            b = await seed_tenant(http, platform, "b", 2)
            admin_ids = await _subscribe(
                http, platform.admin(), "http://127.0.0.1:9/security-admin"
            )
            # The administrator's own operations act on a client made for that purpose:
            # rotating or revoking a tenant's key would lock it out of the rest of the sweep.
            spare = _ok(
                await http.post(
                    "/v1/clients",
                    json={
                        "name": "security spare",
                        "role": "partner",
                        "organisation_id": "spare",
                    },
                    headers=platform.admin(),
                ),
                201,
            )
            admin_ids["client_id"] = spare["id"]
            imported = await http.post(
                "/v1/imports",
                content=b"<fiches/>",
                headers={**platform.admin(), "Content-Type": "application/xml"},
            )
            admin_ids["import_id"] = _ok(imported, 202)["id"]
            document = _ok(await http.get("/openapi.json"))
        yield World(platform, document, a, b, admin_ids)
    finally:
        platform.stop()
        await platform.drop_databases()


def leaks(response: httpx.Response, secrets: set[str]) -> list[str]:
    """The secrets an answer holds that its request did not name (a 404 may repeat the id it
    was asked for), outside its ``instance`` (a problem's own request path)."""
    secrets = {secret for secret in secrets if secret not in str(response.request.url)}
    try:
        body = response.json()
    except ValueError:
        text = response.text
    else:
        if isinstance(body, dict):
            body.pop("instance", None)
        text = str(body)
    return sorted(secret for secret in secrets if secret in text)


def iter_cells(
    ops: list[Operation], roles: tuple[str, ...]
) -> Iterator[tuple[Operation, str]]:
    """Every (operation, role) pair, the roles an operation refuses before those it admits."""
    for operation in ops:
        ordered = sorted(roles, key=lambda role: role in operation.roles)
        for role in ordered:
            yield operation, role
