"""Builders of test data for the sessions service: catalogue, centres, jurors, candidacies."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from common import Role, utcnow

# Builds Authorization headers carrying an internal token: auth(role, organisation_id).
TokenFactory = Callable[..., dict[str, str]]

PARIS = ZoneInfo("Europe/Paris")
TODAY = date.today()
TP = "RNCP980001"  # a titre professionnel with three blocks
DIPLOMA = "RNCP980002"
ENDING_SOON = "RNCP980003"  # registration ends in 100 days
OTHER_TP = "RNCP980004"


@dataclass(frozen=True)
class Catalogue:
    """The test certifications' certifiers and end dates, as the catalog holds them."""

    certifier_of: dict[str, str]
    end_date_of: dict[str, date]


def _certification(code: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "rncp_code": code,
        "title": f"Titre professionnel de test {code}",
        "kind": "TITRE_PROFESSIONNEL",
        "level": 4,
        "start_date": (TODAY - timedelta(days=400)).isoformat(),
        "end_date": (TODAY + timedelta(days=3 * 365)).isoformat(),
        "vae_eligible": True,
        "certifiers": [
            {"name": "MINISTERE DU TRAVAIL (TEST SESSIONS)", "siret": "11000007200014"}
        ],
        "blocks": [
            {"code": f"{code}BC0{i}", "title": f"Bloc {i}", "competences": ["Agir"]}
            for i in (1, 2, 3)
        ],
    }
    payload.update(overrides)
    return payload


CERTIFICATIONS = [
    _certification(TP),
    _certification(DIPLOMA, kind="DIPLOME", registration_type="BY_RIGHT"),
    _certification(ENDING_SOON, end_date=(TODAY + timedelta(days=100)).isoformat()),
    _certification(OTHER_TP),
]


async def create_catalogue(
    catalog: httpx.AsyncClient, admin: dict[str, str]
) -> Catalogue:
    """Creates the test certifications in the real catalog."""
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


def at(days: int, hour: int = 8) -> datetime:
    """A time ``days`` from today, at an hour in Paris."""
    return datetime.combine(TODAY + timedelta(days=days), time(hour), tzinfo=PARIS)


@dataclass(frozen=True)
class Centre:
    """A test exam centre and its site."""

    id: str
    site_id: str

    def headers(self, auth: TokenFactory) -> dict[str, str]:
        """The centre's own credentials."""
        return auth(Role.EXAM_CENTRE, self.id)


async def create_centre(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    *,
    approve: tuple[str, ...] = (TP,),
    department: str = "69",
) -> Centre:
    """Creates a centre with one site, approved for some certifications until their end."""
    response = await client.post(
        "/v1/exam-centres",
        json={
            "name": "Centre d'examen de test",
            "siret": f"{uuid.uuid4().int % 10**14:014d}",
            "region": "84",
            "department": department,
            "sites": [
                {
                    "name": "Plateau technique",
                    "address": "1 rue des Essais",
                    "postal_code": "69007",
                    "city": "Lyon",
                    "department": department,
                }
            ],
        },
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 201, response.text
    centre = Centre(response.json()["id"], response.json()["sites"][0]["id"])
    for code in approve:
        await approve_site(client, auth, centre, code)
    return centre


async def approve_site(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    centre: Centre,
    rncp_code: str,
    *,
    start: date | None = None,
    end: date | None = None,
) -> httpx.Response:
    """Records an approval of the centre's site (until the certification ends by default)."""
    body = {
        "site_id": centre.site_id,
        "rncp_code": rncp_code,
        "start_date": (start or TODAY - timedelta(days=30)).isoformat(),
        "end_date": (
            end or TODAY + timedelta(days=90 if rncp_code == ENDING_SOON else 700)
        ).isoformat(),
        "authority": "DREETS Auvergne-Rhône-Alpes",
    }
    response = await client.post(
        f"/v1/exam-centres/{centre.id}/approvals", json=body, headers=auth(Role.ADMIN)
    )
    return response


async def create_juror(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    *,
    habilitated_for: tuple[str, ...] = (TP,),
    given_name: str = "Nadia",
    family_name: str | None = None,
    email: str | None = None,
    profile: str = "PROFESSIONAL",
    years_in_trade: int = 10,
    left_trade_on: str | None = None,
) -> dict[str, Any]:
    """Registers a juror, habilitated for some certifications since last year."""
    family_name = family_name or f"Juré-{uuid.uuid4().hex[:6]}"
    response = await client.post(
        "/v1/jurors",
        json={
            "given_name": given_name,
            "family_name": family_name,
            "email": email,
            "profile": profile,
            "trade": "Soudeur",
            "years_in_trade": years_in_trade,
            "left_trade_on": left_trade_on,
        },
        headers=auth(Role.ADMIN),
    )
    assert response.status_code == 201, response.text
    juror = dict(response.json())
    for code in habilitated_for:
        granted = await client.post(
            f"/v1/jurors/{juror['id']}/habilitations",
            json={
                "rncp_code": code,
                "granted_on": (TODAY - timedelta(days=365)).isoformat(),
                "authority": "DDETS du Rhône",
            },
            headers=auth(Role.ADMIN),
        )
        assert granted.status_code == 201, granted.text
    return juror


def session_payload(centre: Centre, **overrides: Any) -> dict[str, Any]:
    """A valid body of POST /v1/exam-sessions: a two-day TP session in three months."""
    payload: dict[str, Any] = {
        "centre_id": centre.id,
        "site_id": centre.site_id,
        "rncp_code": TP,
        "kind": "TITLE",
        "starts_at": at(90, 8).isoformat(),
        "ends_at": at(91, 17).isoformat(),
        "test_hours": 11,
        "capacity": 10,
        "manager": {
            "full_name": "Julien Bertrand",
            "email": "julien.bertrand@example.org",
        },
        "supervisors": [{"full_name": "Inès Garnier"}],
    }
    payload.update(overrides)
    return payload


async def draft_session(
    client: httpx.AsyncClient, auth: TokenFactory, centre: Centre, **overrides: Any
) -> dict[str, Any]:
    """Creates a DRAFT session."""
    response = await client.post(
        "/v1/exam-sessions",
        json=session_payload(centre, **overrides),
        headers=centre.headers(auth),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def scheduled_session(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    centre: Centre,
    *,
    jurors: list[dict[str, Any]] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Creates a session with a lawful jury of two and schedules it."""
    session = await draft_session(client, auth, centre, **overrides)
    code = session["rncp_code"]
    jurors = jurors or [
        await create_juror(client, auth, habilitated_for=(code,)) for _ in range(2)
    ]
    jury = await client.put(
        f"/v1/exam-sessions/{session['id']}/jury",
        json={"members": [{"juror_id": j["id"]} for j in jurors]},
        headers=centre.headers(auth),
    )
    assert jury.status_code == 200, jury.text
    scheduled = await client.post(
        f"/v1/exam-sessions/{session['id']}/scheduling", headers=centre.headers(auth)
    )
    assert scheduled.status_code == 200, scheduled.text
    return dict(scheduled.json())


async def admissible_candidacy(
    candidacy: httpx.AsyncClient,
    auth: TokenFactory,
    catalogue: Catalogue,
    partner_id: str,
    *,
    rncp_code: str = TP,
    links: list[dict[str, Any]] | None = None,
    block_codes: list[str] | None = None,
) -> dict[str, Any]:
    """A candidate of a partner with an ADMISSIBLE candidacy, through the real candidacy app."""
    partner = auth(Role.PARTNER, partner_id)
    candidate = await candidacy.post(
        "/v1/candidates",
        json={
            "given_name": "Samia",
            "family_name": f"Benali-{uuid.uuid4().hex[:6]}",
            "email": "samia@example.org",
            "department": "69",
            "experiences": [
                {"nature": "SALARIED", "title": "Soudeuse", "start_date": "2015-01-01"}
            ],
            "links": links or [],
        },
        headers=partner,
    )
    assert candidate.status_code == 201, candidate.text
    created = await candidacy.post(
        "/v1/candidacies",
        json={
            "candidate_id": candidate.json()["id"],
            "rncp_code": rncp_code,
            "block_codes": block_codes,
        },
        headers=partner,
    )
    assert created.status_code == 201, created.text
    submitted = await candidacy.post(
        f"/v1/candidacies/{created.json()['id']}/submission", headers=partner
    )
    assert submitted.status_code == 200, submitted.text
    decided = await candidacy.post(
        f"/v1/candidacies/{created.json()['id']}/admissibility-decision",
        json={"decision": "ADMISSIBLE"},
        headers={
            **auth(Role.CERTIFIER, catalogue.certifier_of[rncp_code]),
            "If-Match": submitted.headers["etag"],
        },
    )
    assert decided.status_code == 200, decided.text
    return dict(decided.json())


async def register(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    partner_id: str,
    session_id: str,
    candidacy_id: str,
    **body: Any,
) -> httpx.Response:
    """A partner registers a candidacy in a session."""
    return await client.post(
        f"/v1/exam-sessions/{session_id}/registrations",
        json={"candidacy_id": candidacy_id, **body},
        headers=auth(Role.PARTNER, partner_id),
    )


@dataclass
class Clock:
    """The time the sessions app sees; tests move it through a session's life."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        """Now, moved by the offset."""
        return utcnow() + self.offset

    def travel_to(self, moment: datetime) -> None:
        """Makes ``now`` that moment (and let time flow from there)."""
        self.offset = moment - utcnow()
