"""The real platform for the fuzz tests: started once, seeded with a little real data through
the gateway, with one API key per role bound to the seeded organisations."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from common import Role

# The end-to-end platform lives beside this folder; pytest puts only a test file's own folder
# on sys.path (rootdir-relative imports, no packages under tests/).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_platform import Platform

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
RNCP_CODE = "RNCP980001"
OTHER_RNCP_CODE = "RNCP980002"
# Generous budgets: fuzzing sends thousands of requests from one client, and a 429 would
# hide the answer the checks are about.
UNLIMITED_RATE = {
    "GATEWAY_DEFAULT_RATE_LIMIT": "1000000/minute",
    "GATEWAY_ANONYMOUS_RATE_LIMIT": "1000000/minute",
}


@dataclass
class Seeded:
    """Real objects generated calls may hit, and each role's API key."""

    keys: dict[Role, str] = field(default_factory=dict)
    # Path and query parameter name → real values of that parameter.
    values: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, value: str) -> None:
        """Records a real value of a parameter."""
        self.values.setdefault(name, []).append(value)


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return response.json()


def _certification(code: str, certifier: str) -> dict[str, object]:
    return {
        "rncp_code": code,
        "title": f"Titre professionnel Soudeur assembleur industriel {code}",
        "kind": "TITRE_PROFESSIONNEL",
        "level": 3,
        "start_date": (TODAY - timedelta(days=300)).isoformat(),
        "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
        "certifiers": [{"name": certifier}],
        "blocks": [{"code": f"{code}BC0{i}", "title": f"Bloc {i}"} for i in (1, 2)],
    }


def _at(days: int, hour: int) -> str:
    return datetime.combine(
        TODAY + timedelta(days=days), time(hour), tzinfo=PARIS
    ).isoformat()


def _key(http: httpx.Client, admin: dict[str, str], role: Role, org: str) -> str:
    created = _ok(
        http.post(
            "/v1/clients",
            json={
                "name": f"fuzz {role.value}",
                "role": role.value,
                "organisation_id": org,
            },
            headers=admin,
        ),
        201,
    )
    seeded_key: str = created["api_key"]
    return seeded_key


def seed(platform: Platform) -> Seeded:
    """Creates a certification, a candidate, a candidacy, an exam centre, a juror, a session
    with a registration and a webhook subscription; returns their ids and the role keys."""
    seeded = Seeded()
    admin = platform.admin()
    seeded.keys[Role.ADMIN] = platform.admin_key
    with httpx.Client(base_url=platform.gateway, timeout=30) as http:
        for code, name in (
            (RNCP_CODE, "MINISTERE (FUZZ)"),
            (OTHER_RNCP_CODE, "BRANCHE (FUZZ)"),
        ):
            _ok(
                http.post(
                    "/v1/certifications", json=_certification(code, name), headers=admin
                ),
                201,
            )
            seeded.add("rncp_code", code)
            seeded.add("block_code", f"{code}BC01")
        certification = _ok(http.get(f"/v1/certifications/{RNCP_CODE}"))
        certifier_id = certification["certifiers"][0]["id"]
        seeded.add("certifier_id", certifier_id)
        centre_id = str(uuid.uuid4())
        seeded.keys[Role.PARTNER] = _key(http, admin, Role.PARTNER, "fuzz-partner")
        seeded.keys[Role.CERTIFIER] = _key(http, admin, Role.CERTIFIER, certifier_id)
        seeded.keys[Role.EXAM_CENTRE] = _key(http, admin, Role.EXAM_CENTRE, centre_id)
        partner = {"Authorization": f"Bearer {seeded.keys[Role.PARTNER]}"}
        centre = {"Authorization": f"Bearer {seeded.keys[Role.EXAM_CENTRE]}"}
        # The admin's run rotates and revokes the clients it is given: give it one of its
        # own, never the keys the runs use.
        target = _ok(
            http.post(
                "/v1/clients",
                json={"name": "fuzz target", "role": "partner", "organisation_id": "x"},
                headers=admin,
            ),
            201,
        )
        seeded.add("client_id", target["id"])

        candidate = _ok(
            http.post(
                "/v1/candidates",
                json={
                    "given_name": "Lina",
                    "family_name": "Morel",
                    "department": "69",
                    "experiences": [
                        {
                            "nature": "SALARIED",
                            "title": "Soudeuse",
                            "start_date": "2014-01-01",
                        }
                    ],
                    "links": [{"relation": "TRAINER", "full_name": "Éric Lévêque"}],
                },
                headers=partner,
            ),
            201,
        )
        seeded.add("candidate_id", candidate["id"])
        for experience in _ok(
            http.get(f"/v1/candidates/{candidate['id']}/experiences", headers=partner)
        ):
            seeded.add("experience_id", experience["id"])
        for link in _ok(
            http.get(f"/v1/candidates/{candidate['id']}/links", headers=partner)
        ):
            seeded.add("link_id", link["id"])
        candidacy = _ok(
            http.post(
                "/v1/candidacies",
                json={"candidate_id": candidate["id"], "rncp_code": RNCP_CODE},
                headers=partner,
            ),
            201,
        )
        seeded.add("candidacy_id", candidacy["id"])
        submitted = http.post(
            f"/v1/candidacies/{candidacy['id']}/submission", headers=partner
        )
        _ok(submitted)
        certifier = {"Authorization": f"Bearer {seeded.keys[Role.CERTIFIER]}"}
        _ok(
            http.post(
                f"/v1/candidacies/{candidacy['id']}/admissibility-decision",
                json={"decision": "ADMISSIBLE"},
                headers={**certifier, "If-Match": submitted.headers["etag"]},
            )
        )

        _ok(
            http.post(
                "/v1/exam-centres",
                json={
                    "id": centre_id,
                    "name": "Centre fuzz",
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
        seeded.add("centre_id", centre_id)
        site_id = _ok(http.get(f"/v1/exam-centres/{centre_id}", headers=centre))[
            "sites"
        ][0]["id"]
        approval = _ok(
            http.post(
                f"/v1/exam-centres/{centre_id}/approvals",
                json={
                    "site_id": site_id,
                    "rncp_code": RNCP_CODE,
                    "start_date": (TODAY - timedelta(days=30)).isoformat(),
                    "end_date": (TODAY + timedelta(days=700)).isoformat(),
                    "authority": "DREETS",
                },
                headers=admin,
            ),
            201,
        )
        seeded.add("approval_id", approval["id"])
        jurors = []
        for given, family in (("Nadia", "Roux"), ("Omar", "Diallo")):
            juror = _ok(
                http.post(
                    "/v1/jurors",
                    json={
                        "given_name": given,
                        "family_name": family,
                        "profile": "PROFESSIONAL",
                        "trade": "Soudure",
                        "years_in_trade": 9,
                    },
                    headers=centre,
                ),
                201,
            )
            _ok(
                http.post(
                    f"/v1/jurors/{juror['id']}/habilitations",
                    json={
                        "rncp_code": RNCP_CODE,
                        "granted_on": (TODAY - timedelta(days=100)).isoformat(),
                        "authority": "DDETS du Rhône",
                    },
                    headers=admin,
                ),
                201,
            )
            jurors.append(juror["id"])
            seeded.add("juror_id", juror["id"])
        session = _ok(
            http.post(
                "/v1/exam-sessions",
                json={
                    "centre_id": centre_id,
                    "site_id": site_id,
                    "rncp_code": RNCP_CODE,
                    "kind": "TITLE",
                    "starts_at": _at(60, 8),
                    "ends_at": _at(60, 18),
                    "test_hours": 8,
                    "capacity": 6,
                    "manager": {"full_name": "Julien Bertrand"},
                },
                headers=centre,
            ),
            201,
        )
        path = f"/v1/exam-sessions/{session['id']}"
        seeded.add("session_id", session["id"])
        _ok(
            http.put(
                f"{path}/jury",
                json={"members": [{"juror_id": j} for j in jurors]},
                headers=centre,
            )
        )
        _ok(http.post(f"{path}/scheduling", headers=centre))
        registration = _ok(
            http.post(
                f"{path}/registrations",
                json={"candidacy_id": candidacy["id"]},
                headers=partner,
            ),
            201,
        )
        seeded.add("registration_id", registration["id"])

        subscription = _ok(
            http.post(
                "/v1/webhook-subscriptions",
                json={
                    "url": "http://127.0.0.1:9/fuzz-webhooks",
                    "event_types": ["fr.vae.candidacy.admissibility-decided.v1"],
                },
                headers=partner,
            ),
            201,
        )
        seeded.add("subscription_id", subscription["id"])
    return seeded


@contextmanager
def running_platform(folder: Path) -> Iterator[tuple[Platform, Seeded]]:
    """The five processes on fresh PostgreSQL databases, seeded; always stopped and dropped."""
    platform = Platform(folder, extra_env={"gateway": UNLIMITED_RATE})
    asyncio.run(platform.create_databases())
    try:
        asyncio.run(platform.start_all())
        yield platform, seed(platform)
    finally:
        platform.stop()
        asyncio.run(platform.drop_databases())
