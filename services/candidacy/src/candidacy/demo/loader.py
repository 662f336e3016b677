"""Loads demo candidates and candidacies of a partner, through the service's own use cases.

Every step goes through the same code as the API (the catalog is asked for real), so the demo
shows the rules at work: a draft, a file awaiting its admissibility decision, an incomplete
one, an admissible one, and a partial validation whose blocks sit in the ledger.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candidacy.candidacy import service as candidacy_service
from candidacy.candidacy.schemas import AdmissibilityDecisionCreate, CandidacyCreate
from candidacy.candidacy.service import LedgerSettings, Limits, today_in_paris
from candidacy.candidate import service as candidate_service
from candidacy.candidate.models import Candidate
from candidacy.candidate.schemas import CandidateCreate
from candidacy.clients.catalog import CatalogClient
from candidacy.outcome import service as outcome_service
from candidacy.outcome.schemas import REPORT_SIGNED
from common import Principal, Role

# Titres professionnels of the catalog's demo data (certified by the labour ministry, whose
# demo certifier key `make run` prints).
MEDIATEUR_SOCIAL = "RNCP36241"
RESPONSABLE_DOMICILE = "RNCP39539"
MANAGER_RELATION_CLIENT = "RNCP38665"
CUISINE_COLLECTIVE = "RNCP38987"

CANDIDATES: list[dict[str, Any]] = [
    {
        "given_name": "Samia",
        "family_name": "Benali",
        "email": "samia.benali@example.org",
        "department": "69",
        "experiences": [
            {
                "nature": "SALARIED",
                "title": "Coordinatrice d'aides à domicile",
                "description": "Planification de 14 intervenantes, suivi des bénéficiaires.",
                "start_date": "2017-09-01",
                "weekly_hours": 35,
            },
            {
                "nature": "VOLUNTEER",
                "title": "Bénévole, association d'aide aux aidants",
                "start_date": "2015-01-01",
                "end_date": "2019-06-30",
                "weekly_hours": 4,
            },
        ],
        "links": [
            {
                "relation": "SUPERVISOR",
                "full_name": "Hélène Marchand",
                "organisation": "ADMR du Rhône",
            }
        ],
    },
    {
        "given_name": "Karim",
        "family_name": "Haddad",
        "email": "karim.haddad@example.org",
        "department": "13",
        "experiences": [
            {
                "nature": "SALARIED",
                "title": "Médiateur de quartier",
                "start_date": "2019-02-01",
                "weekly_hours": 35,
            }
        ],
    },
    {
        "given_name": "Lucie",
        "family_name": "Moreau",
        "department": "75",
        "experiences": [
            {
                "nature": "SALARIED",
                "title": "Superviseuse de centre de contacts",
                "start_date": "2016-05-01",
                "weekly_hours": 35,
            }
        ],
        "links": [
            {
                "relation": "TRAINER",
                "full_name": "Paul Girard",
                "organisation": "AFPA Paris",
                "email": "paul.girard@example.org",
            }
        ],
    },
    {
        "given_name": "Marc",
        "family_name": "Lefèvre",
        "department": "59",
        "experiences": [
            {
                "nature": "SALARIED",
                "title": "Second de cuisine en restauration collective",
                "start_date": "2012-03-01",
                "weekly_hours": 39,
            },
            {
                "nature": "FAMILY_CAREGIVER",
                "title": "Aidant familial de son père",
                "start_date": "2020-01-01",
                "weekly_hours": 10,
            },
        ],
    },
]


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What the demo loader created."""

    candidates: int
    candidacies: int


async def load_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    catalog: CatalogClient,
    *,
    partner_id: str,
) -> DemoReport:
    """Loads the demo of a partner organisation once (nothing when it already has candidates).

    Raises
    ------
    CatalogUnavailableError
        The catalog is not running: start it (and load its demo data) first.
    """
    async with sessionmaker() as db:
        existing = await db.scalar(
            select(func.count())
            .select_from(Candidate)
            .where(Candidate.organisation_id == partner_id)
        )
    if existing:
        return DemoReport(candidates=0, candidacies=0)
    partner = Principal(
        client_id="demo-loader", role=Role.PARTNER, organisation_id=partner_id
    )
    limits = Limits(per_certification=1, certifications=3)
    ledger = LedgerSettings(horizon_days=180)
    ids: list[uuid.UUID] = []
    for fields in CANDIDATES:
        async with sessionmaker() as db:
            created = await candidate_service.create_candidate(
                db, partner, CandidateCreate.model_validate(fields)
            )
        ids.append(created.id)

    async def candidacy(
        candidate_id: uuid.UUID, rncp_code: str, *, submit: bool
    ) -> uuid.UUID:
        async with sessionmaker() as db:
            created = await candidacy_service.create_candidacy(
                db,
                partner,
                CandidacyCreate(candidate_id=candidate_id, rncp_code=rncp_code),
                catalog=catalog,
                ledger=ledger,
            )
        if submit:
            async with sessionmaker() as db:
                await candidacy_service.submit_candidacy(
                    db,
                    partner,
                    created.id,
                    expected_version=None,
                    catalog=catalog,
                    limits=limits,
                    ledger=ledger,
                )
        return created.id

    async def decide(
        candidacy_id: uuid.UUID, rncp_code: str, decision: str, *reasons: str
    ) -> None:
        certification = await catalog.get_certification(rncp_code)
        assert certification is not None
        certifier = Principal(
            client_id="demo-loader",
            role=Role.CERTIFIER,
            organisation_id=str(certification.certifiers[0].id),
        )
        async with sessionmaker() as db:
            current = await candidacy_service.get_candidacy(db, certifier, candidacy_id)
        async with sessionmaker() as db:
            await candidacy_service.decide_admissibility(
                db,
                certifier,
                candidacy_id,
                AdmissibilityDecisionCreate.model_validate(
                    {"decision": decision, "reasons": list(reasons)}
                ),
                expected_version=current.version,
            )

    samia, karim, lucie, marc = ids
    await candidacy(samia, RESPONSABLE_DOMICILE, submit=True)  # awaits its decision
    await candidacy(karim, MEDIATEUR_SOCIAL, submit=False)  # a draft to submit
    partial = await candidacy(lucie, MANAGER_RELATION_CLIENT, submit=True)
    await decide(partial, MANAGER_RELATION_CLIENT, "ADMISSIBLE")
    admissible = await candidacy(marc, CUISINE_COLLECTIVE, submit=True)
    await decide(
        admissible,
        CUISINE_COLLECTIVE,
        "INCOMPLETE",
        "Attestations d'employeur 2012–2016 manquantes.",
    )
    async with sessionmaker() as db:
        await candidacy_service.submit_candidacy(
            db,
            partner,
            admissible,
            expected_version=None,
            catalog=catalog,
            limits=limits,
            ledger=ledger,
        )
    await decide(admissible, CUISINE_COLLECTIVE, "ADMISSIBLE")
    certification = await catalog.get_certification(MANAGER_RELATION_CLIENT)
    assert certification is not None
    jury = today_in_paris() - timedelta(days=40)
    report = {
        "id": str(uuid.uuid4()),
        "type": REPORT_SIGNED,
        "source": "/vae/sessions",
        "specversion": "1.0",
        "data": {
            "report_id": "demo-pv-001",
            "rncp_code": MANAGER_RELATION_CLIENT,
            "jury_date": jury.isoformat(),
            "signed_at": f"{jury.isoformat()}T17:30:00+02:00",
            "results": [
                {
                    "candidacy_id": str(partial),
                    "attendance": "PRESENT",
                    "blocks": [
                        {
                            "block_code": certification.block_codes[0],
                            "result": "VALIDATED",
                        },
                        *(
                            {"block_code": code, "result": "NOT_VALIDATED"}
                            for code in certification.block_codes[1:]
                        ),
                    ],
                }
            ],
        },
    }
    async with sessionmaker() as db:
        await outcome_service.handle_event(db, report, catalog=catalog)
    return DemoReport(candidates=len(ids), candidacies=4)
