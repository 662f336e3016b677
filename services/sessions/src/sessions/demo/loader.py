"""Loads a demo exam centre with its approvals, jurors and sessions, through the use cases.

The catalog is asked for real (approvals and habilitations end with their certifications).
One session is scheduled a few months ahead with seats left, so that the demo partner can
register its admissible candidate (Marc, RNCP38987) in the Swagger UI.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from common import Principal, Role, utcnow
from sessions.centre import service as centre_service
from sessions.centre.repository import CentreRepository
from sessions.centre.schemas import ApprovalCreate, ExamCentreCreate, SiteCreate
from sessions.clients.catalog import CatalogClient
from sessions.juror import service as juror_service
from sessions.juror.schemas import HabilitationCreate, JurorCreate
from sessions.session import service as session_service
from sessions.session.rules import PARIS, JuryRole, SessionKind
from sessions.session.schemas import (
    ExamSessionCreate,
    JurySeatWrite,
    JuryWrite,
    PersonWrite,
)
from sessions.session.service import SessionRules

DEMO_EXAM_CENTRE = "0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c20"
CUISINE_COLLECTIVE = "RNCP38987"  # TP Chef de cuisine en restauration collective
MANAGER_RELATION_CLIENT = "RNCP38665"  # TP Manager d'équipe relation client à distance

JURORS = [
    ("Nadia", "Roux", "Cheffe de cuisine en restauration collective", 14),
    ("Thomas", "Martin", "Responsable de cuisine centrale", 9),
    ("Claire", "Dubois", "Manager de centre de relation client", 11),
    ("Yanis", "Belkacem", "Superviseur de plateau d'appels", 6),
]


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What the demo loader created."""

    approvals: int
    jurors: int
    sessions: int


def _at(day_offset: int, hour: int) -> datetime:
    day = utcnow().astimezone(PARIS).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour), tzinfo=PARIS)


async def load_demo(
    sessionmaker: async_sessionmaker[AsyncSession],
    catalog: CatalogClient,
    *,
    centre_id: str,
) -> DemoReport:
    """Loads the demo of an exam centre once (nothing when the centre exists).

    Raises
    ------
    CatalogUnavailableError
        The catalog is not running: start it (and load its demo data) first.
    """
    centre_uuid = uuid.UUID(centre_id)
    async with sessionmaker() as db, db.begin():
        if await CentreRepository(db).get(centre_uuid) is not None:
            return DemoReport(0, 0, 0)
    admin = Principal(client_id="demo-loader", role=Role.ADMIN)
    rules = SessionRules()
    async with sessionmaker() as db:
        centre = await centre_service.create_centre(
            db,
            ExamCentreCreate(
                id=centre_uuid,
                name="Centre de formation et d'examen de Lyon Gerland",
                siret="13002526500013",
                region="84",
                department="69",
                sites=[
                    SiteCreate(
                        name="Cuisine pédagogique",
                        address="24 avenue Tony Garnier",
                        postal_code="69007",
                        city="Lyon",
                        department="69",
                    ),
                    SiteCreate(
                        name="Plateau relation client",
                        address="3 rue de Gerland",
                        postal_code="69007",
                        city="Lyon",
                        department="69",
                    ),
                ],
            ),
        )
    kitchen, calls = centre.sites
    approvals = 0
    for site, code in ((kitchen, CUISINE_COLLECTIVE), (calls, MANAGER_RELATION_CLIENT)):
        certification = await catalog.get_certification(code)
        if certification is None or certification.registration.end_date is None:
            continue
        async with sessionmaker() as db:
            await centre_service.add_approval(
                db,
                centre.id,
                ApprovalCreate(
                    site_id=site.id,
                    rncp_code=code,
                    start_date=utcnow().date() - timedelta(days=200),
                    end_date=certification.registration.end_date,
                    authority="DREETS Auvergne-Rhône-Alpes",
                    reference=f"AGR-69-{code[-5:]}",
                ),
                catalog=catalog,
            )
        approvals += 1
    juror_ids = []
    for index, (given, family, trade, years) in enumerate(JURORS):
        async with sessionmaker() as db:
            juror = await juror_service.create_juror(
                db,
                JurorCreate(
                    given_name=given,
                    family_name=family,
                    email=f"{given.lower()}.{family.lower()}@example.org",
                    profile="PROFESSIONAL",
                    trade=trade,
                    years_in_trade=years,
                ),
            )
        code = CUISINE_COLLECTIVE if index < 2 else MANAGER_RELATION_CLIENT
        async with sessionmaker() as db:
            await juror_service.grant_habilitation(
                db,
                juror.id,
                HabilitationCreate(
                    rncp_code=code,
                    granted_on=utcnow().date() - timedelta(days=100),
                    authority="DDETS du Rhône",
                ),
                catalog=catalog,
                min_years=3,
                max_years_out=5,
            )
        juror_ids.append(juror.id)
    sessions = 0
    for code, site, jurors, offset, schedule in (
        (CUISINE_COLLECTIVE, kitchen, juror_ids[:2], 95, True),
        (MANAGER_RELATION_CLIENT, calls, juror_ids[2:], 130, False),
    ):
        async with sessionmaker() as db:
            created = await session_service.create_session(
                db,
                admin,
                ExamSessionCreate(
                    centre_id=centre.id,
                    site_id=site.id,
                    rncp_code=code,
                    kind=SessionKind.TITLE,
                    starts_at=_at(offset, 8),
                    ends_at=_at(offset + 1, 17),
                    test_hours=11.5,
                    capacity=8,
                    manager=PersonWrite(
                        full_name="Julien Bertrand", email="julien.bertrand@example.org"
                    ),
                    supervisors=[PersonWrite(full_name="Inès Garnier")],
                ),
                catalog=catalog,
                rules=rules,
            )
        async with sessionmaker() as db:
            await session_service.set_jury(
                db,
                admin,
                created.id,
                JuryWrite(
                    members=[
                        JurySeatWrite(juror_id=j, role=JuryRole.MEMBER) for j in jurors
                    ]
                ),
                expected_version=None,
                rules=rules,
            )
        if schedule:
            async with sessionmaker() as db:
                await session_service.schedule_session(
                    db,
                    admin,
                    created.id,
                    expected_version=None,
                    catalog=catalog,
                    rules=rules,
                )
        sessions += 1
    return DemoReport(approvals=approvals, jurors=len(juror_ids), sessions=sessions)
