"""Builders of test data for the candidacy service: the catalogue, candidates, reports."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import orjson

from common import Role
from common._webhooks import load_signing_secret, signature_headers

# Builds Authorization headers carrying an internal token: auth(role, organisation_id).
TokenFactory = Callable[..., dict[str, str]]

TODAY = date.today()
TP = "RNCP990001"  # a titre professionnel: blocks kept until its end date
DIPLOMA = "RNCP990002"  # a diploma: blocks kept five years
INACTIVE = "RNCP990003"
NOT_VAE = "RNCP990004"
OLD_TP = "RNCP990005"  # an older version of NEW_TP, with block correspondences
NEW_TP = "RNCP990006"
BRANCH_CQP = "RNCP990007"  # certified by someone else


@dataclass(frozen=True)
class Catalogue:
    """The certifications of the tests and the ids of their certifiers in the catalog."""

    certifier_of: dict[str, str]
    end_date_of: dict[str, date]

    def certifier(self, rncp_code: str) -> str:
        """The id of the (first) certifier of a certification."""
        return self.certifier_of[rncp_code]


def _blocks(code: str, count: int) -> list[dict[str, Any]]:
    return [
        {
            "code": f"{code}BC0{i}",
            "title": f"Bloc {i} de {code}",
            "competences": ["Agir"],
        }
        for i in range(1, count + 1)
    ]


def _certification(code: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "rncp_code": code,
        "title": f"Certification de test {code}",
        "kind": "TITRE_PROFESSIONNEL",
        "level": 4,
        "registration_type": "ON_REQUEST",
        "start_date": (TODAY - timedelta(days=400)).isoformat(),
        "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
        "vae_eligible": True,
        "certifiers": [
            {"name": "MINISTERE DU TRAVAIL (TEST)", "siret": "11000007200014"}
        ],
        "blocks": _blocks(code, 3),
    }
    payload.update(overrides)
    return payload


CERTIFICATIONS = [
    _certification(TP),
    _certification(
        DIPLOMA,
        kind="DIPLOME",
        registration_type="BY_RIGHT",
        certifiers=[{"name": "EDUCATION NATIONALE (TEST)", "siret": "11004301500012"}],
        blocks=_blocks(DIPLOMA, 2),
    ),
    _certification(INACTIVE, start_date="2015-01-01", end_date="2020-01-01"),
    _certification(NOT_VAE, vae_eligible=False),
    _certification(OLD_TP, blocks=_blocks(OLD_TP, 2)),
    _certification(
        NEW_TP,
        previous_codes=[OLD_TP],
        correspondences=[
            {
                "source_block_codes": [f"{NEW_TP}BC0{i}"],
                "destination_rncp_code": OLD_TP,
                "destination_block_codes": [f"{OLD_TP}BC0{i}"],
            }
            for i in (1, 2)
        ],
    ),
    _certification(
        BRANCH_CQP,
        kind="CQPM",
        certifiers=[{"name": "UIMM (TEST)", "siret": "78471719100018"}],
        blocks=_blocks(BRANCH_CQP, 2),
    ),
]


async def create_catalogue(
    catalog: httpx.AsyncClient, admin: dict[str, str]
) -> Catalogue:
    """Creates the test certifications in the catalog and reads back their certifiers."""
    certifiers: dict[str, str] = {}
    ends: dict[str, date] = {}
    for payload in CERTIFICATIONS:
        created = await catalog.post("/v1/certifications", json=payload, headers=admin)
        assert created.status_code in (201, 409), created.text
        read = (await catalog.get(f"/v1/certifications/{payload['rncp_code']}")).json()
        certifiers[payload["rncp_code"]] = read["certifiers"][0]["id"]
        ends[payload["rncp_code"]] = date.fromisoformat(
            read["registration"]["end_date"]
        )
    return Catalogue(certifier_of=certifiers, end_date_of=ends)


def candidate_payload(**overrides: Any) -> dict[str, Any]:
    """A valid body of POST /v1/candidates."""
    payload: dict[str, Any] = {
        "given_name": "Samia",
        "family_name": "Benali",
        "email": "samia.benali@example.org",
        "department": "69",
        "experiences": [
            {
                "nature": "SALARIED",
                "title": "Soudeuse en chaudronnerie",
                "start_date": "2016-03-01",
                "weekly_hours": 35,
            }
        ],
    }
    payload.update(overrides)
    return payload


async def create_candidate(
    client: httpx.AsyncClient, auth: TokenFactory, partner_id: str, **overrides: Any
) -> dict[str, Any]:
    """Creates a candidate of a partner and returns it."""
    response = await client.post(
        "/v1/candidates",
        json=candidate_payload(**overrides),
        headers=auth(Role.PARTNER, partner_id),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def create_candidacy(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    partner_id: str,
    candidate_id: str,
    rncp_code: str = TP,
    block_codes: list[str] | None = None,
) -> dict[str, Any]:
    """Creates a DRAFT candidacy and returns it."""
    response = await client.post(
        "/v1/candidacies",
        json={
            "candidate_id": candidate_id,
            "rncp_code": rncp_code,
            "block_codes": block_codes,
        },
        headers=auth(Role.PARTNER, partner_id),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def submitted_candidacy(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    partner_id: str,
    rncp_code: str = TP,
    block_codes: list[str] | None = None,
    candidate_id: str | None = None,
) -> dict[str, Any]:
    """Creates a candidate (unless given) and a candidacy, submits it, and returns it."""
    if candidate_id is None:
        candidate_id = (await create_candidate(client, auth, partner_id))["id"]
    candidacy = await create_candidacy(
        client, auth, partner_id, candidate_id, rncp_code, block_codes
    )
    response = await client.post(
        f"/v1/candidacies/{candidacy['id']}/submission",
        headers=auth(Role.PARTNER, partner_id),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def admissible_candidacy(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    partner_id: str,
    rncp_code: str = TP,
    block_codes: list[str] | None = None,
    candidate_id: str | None = None,
) -> dict[str, Any]:
    """A submitted candidacy that its certifier declared admissible."""
    candidacy = await submitted_candidacy(
        client, auth, partner_id, rncp_code, block_codes, candidate_id
    )
    response = await client.post(
        f"/v1/candidacies/{candidacy['id']}/admissibility-decision",
        json={"decision": "ADMISSIBLE"},
        headers={
            **auth(Role.CERTIFIER, catalogue.certifier(rncp_code)),
            "If-Match": f'"{candidacy["version"]}"',
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def report_event(
    rncp_code: str,
    lines: list[dict[str, Any]],
    *,
    jury_date: date | None = None,
    report_id: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A report.signed CloudEvent as the sessions service's relay delivers it."""
    return {
        "specversion": "1.0",
        "id": event_id or str(uuid.uuid4()),
        "source": "/vae/sessions",
        "type": "fr.vae.sessions.report-signed.v1",
        "subject": str(uuid.uuid4()),
        "datacontenttype": "application/json",
        "data": {
            "report_id": report_id or str(uuid.uuid4()),
            "session_id": str(uuid.uuid4()),
            "rncp_code": rncp_code,
            "jury_date": (jury_date or TODAY).isoformat(),
            "signed_at": f"{(jury_date or TODAY).isoformat()}T18:00:00+00:00",
            "results": lines,
        },
    }


def line(
    candidacy_id: str, attendance: str = "PRESENT", **results: str
) -> dict[str, Any]:
    """One candidate's lines of a report: line(id, BC01="VALIDATED", …) for the blocks' suffixes."""
    return {
        "candidacy_id": candidacy_id,
        "attendance": attendance,
        "blocks": [
            {"block_code": code, "result": result} for code, result in results.items()
        ],
    }


async def deliver(
    client: httpx.AsyncClient, secret: str, event: dict[str, Any]
) -> httpx.Response:
    """Delivers a CloudEvent signed as the relay signs it (Standard Webhooks)."""
    body = orjson.dumps(event)
    headers = signature_headers(load_signing_secret(secret), event["id"], body)
    return await client.post(
        "/internal/events",
        content=body,
        headers={**headers, "content-type": "application/cloudevents+json"},
    )


async def decided_candidacy(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    partner_id: str,
    decision: str,
    reasons: list[str] | None = None,
    rncp_code: str = TP,
) -> dict[str, Any]:
    """A submitted candidacy on which its certifier took a decision (with reasons if refused)."""
    candidacy = await submitted_candidacy(client, auth, partner_id, rncp_code)
    response = await client.post(
        f"/v1/candidacies/{candidacy['id']}/admissibility-decision",
        json={
            "decision": decision,
            "reasons": reasons
            if reasons is not None
            else ([] if decision == "ADMISSIBLE" else ["Pièces manquantes."]),
        },
        headers={
            **auth(Role.CERTIFIER, catalogue.certifier(rncp_code)),
            "If-Match": f'"{candidacy["version"]}"',
        },
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


async def withdraw(
    client: httpx.AsyncClient, auth: TokenFactory, partner_id: str, candidacy_id: str
) -> dict[str, Any]:
    """Withdraws a candidacy for its partner and returns it."""
    response = await client.post(
        f"/v1/candidacies/{candidacy_id}/withdrawal",
        json={"reason": "La candidate suspend sa démarche."},
        headers=auth(Role.PARTNER, partner_id),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())
