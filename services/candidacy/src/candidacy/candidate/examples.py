"""OpenAPI examples of the candidate endpoints, built from the schemas so they cannot drift."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from candidacy.candidate.schemas import (
    CandidateCreate,
    CandidateRead,
    CandidateSummary,
    CandidateUpdate,
    ExperienceCreate,
    ExperienceNature,
    ExperienceRead,
    LinkCreate,
    LinkRead,
    LinkRelation,
)
from candidacy.openapi import example
from common import Page

CANDIDATE_ID = uuid.UUID("0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10")
PARTNER_ID = "org-afpa-auvergne-rhone-alpes"
CREATED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

EXPERIENCE = ExperienceCreate(
    nature=ExperienceNature.SALARIED,
    title="Soudeuse en chaudronnerie",
    description="Soudage TIG et MIG d'ensembles en acier inoxydable.",
    start_date=date(2016, 3, 1),
    end_date=None,
    weekly_hours=35,
)
VOLUNTEERING = ExperienceCreate(
    nature=ExperienceNature.VOLUNTEER,
    title="Encadrante d'un atelier de réparation de vélos",
    description=None,
    start_date=date(2019, 9, 1),
    end_date=date(2023, 6, 30),
    weekly_hours=4,
)
LINK = LinkCreate(
    relation=LinkRelation.TRAINER,
    full_name="Claire Martin",
    organisation="AFPA Lyon",
    email="claire.martin@example.org",
    juror_id=None,
)
EXPERIENCE_READ = ExperienceRead(
    **EXPERIENCE.model_dump(),
    id=uuid.UUID("0190c7f2-8a42-7d10-8e01-3c4d5e6f7a01"),
    created_at=CREATED,
)
VOLUNTEERING_READ = ExperienceRead(
    **VOLUNTEERING.model_dump(),
    id=uuid.UUID("0190c7f2-8a42-7d10-8e01-3c4d5e6f7a02"),
    created_at=CREATED,
)
LINK_READ = LinkRead(
    **LINK.model_dump(),
    id=uuid.UUID("0190c7f2-8a43-7e20-9f02-4d5e6f7a8b01"),
    created_at=CREATED,
)
CANDIDATE = CandidateRead(
    id=CANDIDATE_ID,
    organisation_id=PARTNER_ID,
    given_name="Samia",
    family_name="Benali",
    birth_date=date(1988, 5, 17),
    email="samia.benali@example.org",
    phone="+33 6 12 34 56 78",
    department="69",
    experiences=[EXPERIENCE_READ],
    links=[LINK_READ],
    version=1,
    created_at=CREATED,
    updated_at=CREATED,
)

CREATE_BODY = {
    "with_experience": example(
        "Candidate avec une expérience salariée",
        CandidateCreate(
            given_name="Samia",
            family_name="Benali",
            email="samia.benali@example.org",
            department="69",
            experiences=[EXPERIENCE],
        ),
    ),
    "with_link": example(
        "Avec une personne liée (formatrice)",
        CandidateCreate(
            given_name="Samia",
            family_name="Benali",
            birth_date=date(1988, 5, 17),
            phone="+33 6 12 34 56 78",
            department="69",
            experiences=[EXPERIENCE, VOLUNTEERING],
            links=[LINK],
        ),
        "The trainer may then sit on none of the candidate's juries.",
    ),
}
UPDATE_BODY = {
    "contact": example(
        "Nouvelles coordonnées",
        CandidateUpdate(email="s.benali@example.org", department="38"),
    )
}
EXPERIENCE_BODY = {
    "salaried": example("Expérience salariée", EXPERIENCE),
    "volunteer": example("Expérience bénévole", VOLUNTEERING),
}
LINK_BODY = {"trainer": example("Formatrice du candidat", LINK)}

CANDIDATE_ANSWER = {"candidate": example("Candidate", CANDIDATE)}
UPDATED_ANSWER = {
    "candidate": example(
        "Coordonnées changées",
        CANDIDATE.model_copy(
            update={"email": "s.benali@example.org", "department": "38", "version": 2}
        ),
    )
}
LIST_ANSWER = {
    "page": example(
        "Une page",
        Page[CandidateSummary](
            items=[
                CandidateSummary(
                    id=CANDIDATE_ID,
                    organisation_id=PARTNER_ID,
                    given_name="Samia",
                    family_name="Benali",
                    department="69",
                    created_at=CREATED,
                )
            ],
            next_cursor=None,
        ),
    )
}
EXPERIENCE_ANSWER = {"salaried": example("Expérience déclarée", EXPERIENCE_READ)}
EXPERIENCES_ANSWER = {
    "two": example("Deux expériences", [EXPERIENCE_READ, VOLUNTEERING_READ])
}
LINK_ANSWER = {"trainer": example("Lien déclaré", LINK_READ)}
LINKS_ANSWER = {"one": example("Une personne liée", [LINK_READ])}
