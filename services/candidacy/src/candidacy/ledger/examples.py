"""OpenAPI examples of the ledger endpoints, built from the schemas so they cannot drift."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from candidacy.ledger.rules import BlockStatus, Source
from candidacy.ledger.schemas import (
    AcquiredBlockRead,
    CertificationProgress,
    EquivalenceCreate,
    ExpiringBlockRead,
    HeldBlock,
    LedgerRead,
)
from candidacy.openapi import example
from common import Page

CANDIDATE_ID = uuid.UUID("0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10")
CANDIDACY_ID = uuid.UUID("0190c7f3-1b22-7a4e-8c61-5d2e9f3a7b01")
RNCP = "RNCP38077"
JURY_DATE = date(2026, 10, 8)
EXPIRES = date(2029, 9, 2)
RECORDED_AT = datetime(2026, 10, 8, 18, 5, tzinfo=UTC)

BLOCK = AcquiredBlockRead(
    id=uuid.UUID("0190f4c2-0a1b-7c2d-8e3f-4a5b6c7d8e01"),
    block_code=f"{RNCP}BC01",
    block_title="Souder à plat des ensembles chaudronnés",
    rncp_code=RNCP,
    certification_version=1,
    acquired_on=JURY_DATE,
    expires_on=EXPIRES,
    source=Source.JURY_REPORT,
    candidacy_id=CANDIDACY_ID,
    status=BlockStatus.VALID,
    created_at=RECORDED_AT,
)
SECOND = BLOCK.model_copy(
    update={
        "id": uuid.UUID("0190f4c2-0a1b-7c2d-8e3f-4a5b6c7d8e02"),
        "block_code": f"{RNCP}BC02",
        "block_title": "Souder en toutes positions",
    }
)
EQUIVALENCE = EquivalenceCreate(
    rncp_code="RNCP41936",
    block_code="RNCP41936BC01",
    acquired_on=date(2026, 5, 12),
    reference="Décision DREETS 2026-118",
)

LEDGER_ANSWER = {
    "partial": example(
        "Validation partielle: deux blocs acquis sur trois",
        LedgerRead(
            candidate_id=CANDIDATE_ID,
            as_of=date(2026, 11, 27),
            expiring_horizon_days=180,
            blocks=[BLOCK, SECOND],
            certifications=[
                CertificationProgress(
                    rncp_code=RNCP,
                    title="Soudeur assembleur industriel",
                    active=True,
                    blocks_total=3,
                    held=[
                        HeldBlock(
                            block_code=b.block_code,
                            expires_on=EXPIRES,
                            status=BlockStatus.VALID,
                            via_block_codes=[],
                        )
                        for b in (BLOCK, SECOND)
                    ],
                    remaining_block_codes=[f"{RNCP}BC03"],
                    obtained=False,
                )
            ],
        ),
    )
}
EQUIVALENCE_BODY = {
    "dreets": example("Bloc accordé par équivalence (dispense)", EQUIVALENCE)
}
EQUIVALENCE_ANSWER = {
    "equivalence": example(
        "Bloc acquis par équivalence",
        AcquiredBlockRead(
            id=uuid.UUID("0190f4c2-0a1b-7c2d-8e3f-4a5b6c7d8e10"),
            block_code=EQUIVALENCE.block_code,
            block_title="Préparer les pièces avant soudage",
            rncp_code=EQUIVALENCE.rncp_code,
            certification_version=1,
            acquired_on=EQUIVALENCE.acquired_on,
            expires_on=date(2031, 5, 12),
            source=Source.EQUIVALENCE,
            candidacy_id=None,
            status=BlockStatus.VALID,
            created_at=datetime(2026, 5, 13, 8, 0, tzinfo=UTC),
        ),
    )
}
EXPIRING_ANSWER = {
    "page": example(
        "Blocs qui expirent bientôt",
        Page[ExpiringBlockRead](
            items=[
                ExpiringBlockRead(
                    id=BLOCK.id,
                    candidate_id=CANDIDATE_ID,
                    block_code=BLOCK.block_code,
                    rncp_code=RNCP,
                    acquired_on=date(2021, 6, 3),
                    expires_on=date(2026, 6, 3),
                )
            ],
            next_cursor=None,
        ),
    )
}
