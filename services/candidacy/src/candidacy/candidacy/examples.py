"""OpenAPI examples of the candidacy endpoints, built from the schemas so they cannot drift."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from fastapi.openapi.models import Example

from candidacy.candidacy import service as candidacy_service
from candidacy.candidacy.rules import (
    Action,
    Attendance,
    BlockResult,
    Decision,
    JuryResult,
    State,
)
from candidacy.candidacy.schemas import (
    Admissibility,
    AdmissibilityDecisionCreate,
    CandidacyCreate,
    CandidacyRead,
    CandidacyUpdate,
    CertificationSnapshot,
    JuryOutcomeRead,
    ReasonCreate,
    SnapshotBlock,
    TransitionRead,
    VocabularyRead,
)
from candidacy.openapi import example
from common import Page

CANDIDACY_ID = uuid.UUID("0190c7f3-1b22-7a4e-8c61-5d2e9f3a7b01")
CANDIDATE_ID = uuid.UUID("0190c7f2-8a41-7c3e-9d55-2b8f4e6a1c10")
PARTNER_ID = "org-afpa-auvergne-rhone-alpes"
CERTIFIER_ID = "0190a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b"
RNCP = "RNCP38077"
BLOCKS = [f"{RNCP}BC0{i}" for i in (1, 2, 3)]
CREATED = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
SUBMITTED_AT = datetime(2026, 3, 9, 14, 2, tzinfo=UTC)
DECIDED_AT = datetime(2026, 4, 14, 10, 30, tzinfo=UTC)
JURY_DATE = date(2026, 10, 8)
RECORDED_AT = datetime(2026, 10, 8, 18, 5, tzinfo=UTC)

SNAPSHOT = CertificationSnapshot(
    title="Soudeur assembleur industriel",
    kind="TITRE_PROFESSIONNEL",
    level=3,
    version=1,
    end_date=date(2029, 9, 1),
    retention_policy="UNTIL_END_DATE",
    retention_years=None,
    blocks=[
        SnapshotBlock(code=BLOCKS[0], title="Souder à plat des ensembles chaudronnés"),
        SnapshotBlock(code=BLOCKS[1], title="Souder en toutes positions"),
        SnapshotBlock(code=BLOCKS[2], title="Assembler et contrôler une structure"),
    ],
    certifier_ids=[CERTIFIER_ID],
    already_acquired_block_codes=[],
)

DRAFT = CandidacyRead(
    id=CANDIDACY_ID,
    candidate_id=CANDIDATE_ID,
    organisation_id=PARTNER_ID,
    rncp_code=RNCP,
    requested_block_codes=None,
    target_block_codes=None,
    state=State.DRAFT,
    snapshot=None,
    submitted_at=None,
    admissibility=None,
    jury_result=None,
    jury_date=None,
    allowed_actions=[Action.UPDATE, Action.SUBMIT, Action.WITHDRAW],
    version=1,
    created_at=CREATED,
    updated_at=CREATED,
)
SUBMITTED = DRAFT.model_copy(
    update={
        "state": State.SUBMITTED,
        "snapshot": SNAPSHOT,
        "target_block_codes": BLOCKS,
        "submitted_at": SUBMITTED_AT,
        "allowed_actions": [Action.WITHDRAW],
        "version": 2,
        "updated_at": SUBMITTED_AT,
    }
)
ADMISSIBLE = SUBMITTED.model_copy(
    update={
        "state": State.ADMISSIBLE,
        "admissibility": Admissibility(
            decision=Decision.ADMISSIBLE, reasons=[], decided_at=DECIDED_AT
        ),
        "allowed_actions": [],
        "version": 3,
        "updated_at": DECIDED_AT,
    }
)
INCOMPLETE = SUBMITTED.model_copy(
    update={
        "state": State.INCOMPLETE,
        "admissibility": Admissibility(
            decision=Decision.INCOMPLETE,
            reasons=["Attestations d'employeur manquantes pour 2019–2021."],
            decided_at=DECIDED_AT,
        ),
        "allowed_actions": [],
        "version": 3,
        "updated_at": DECIDED_AT,
    }
)
PARTIALLY_CERTIFIED = ADMISSIBLE.model_copy(
    update={
        "state": State.PARTIALLY_CERTIFIED,
        "jury_result": JuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION,
        "jury_date": JURY_DATE,
        "allowed_actions": [Action.WITHDRAW],
        "version": 4,
        "updated_at": RECORDED_AT,
    }
)
WITHDRAWN = SUBMITTED.model_copy(
    update={
        "state": State.WITHDRAWN,
        "allowed_actions": [],
        "version": 3,
        "updated_at": DECIDED_AT,
    }
)


def in_france_vae(candidacy: CandidacyRead) -> CandidacyRead:
    """The example as a read with vocabulary=france-vae shows it."""
    return candidacy.model_copy(
        update={"france_vae": candidacy_service.france_vae_view(candidacy)}
    )


HISTORY = [
    TransitionRead(
        action=Action.CREATE,
        from_state=None,
        to_state=State.DRAFT,
        actor_role="partner",
        actor_id="afpa-ara-backoffice",
        details=None,
        occurred_at=CREATED,
    ),
    TransitionRead(
        action=Action.SUBMIT,
        from_state=State.DRAFT,
        to_state=State.SUBMITTED,
        actor_role="partner",
        actor_id="afpa-ara-backoffice",
        details={"target_block_codes": BLOCKS, "already_acquired_block_codes": []},
        occurred_at=SUBMITTED_AT,
    ),
    TransitionRead(
        action=Action.DECIDE_ADMISSIBILITY,
        from_state=State.SUBMITTED,
        to_state=State.ADMISSIBLE,
        actor_role="certifier",
        actor_id="dreets-ara-certification",
        details={"decision": "ADMISSIBLE", "reasons": []},
        occurred_at=DECIDED_AT,
    ),
]


def _step_in_france_vae(step: TransitionRead) -> TransitionRead:
    return step.model_copy(
        update={"france_vae": candidacy_service.france_vae_step(step)}
    )


OUTCOMES = [
    JuryOutcomeRead(
        report_id="0190f4c1-77aa-7b3c-9d2e-4f5a6b7c8d9e",
        session_id="0190e0aa-1234-7abc-8def-0123456789ab",
        jury_date=JURY_DATE,
        attendance=Attendance.PRESENT,
        block_results={
            BLOCKS[0]: BlockResult.VALIDATED,
            BLOCKS[1]: BlockResult.VALIDATED,
            BLOCKS[2]: BlockResult.NOT_VALIDATED,
        },
        result=JuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION,
        recorded_at=RECORDED_AT,
    )
]

CREATE_BODY = {
    "whole": example(
        "Toute la certification",
        CandidacyCreate(candidate_id=CANDIDATE_ID, rncp_code=RNCP, block_codes=None),
    ),
    "blocks": example(
        "Des blocs de compétences",
        CandidacyCreate(
            candidate_id=CANDIDATE_ID, rncp_code=RNCP, block_codes=BLOCKS[:2]
        ),
        "A partial VAE: the candidacy aims at two blocs de compétences only.",
    ),
}
UPDATE_BODY = {
    "blocks": example(
        "Viser d'autres blocs",
        CandidacyUpdate(block_codes=[BLOCKS[2]]),
    ),
    "certification": example(
        "Changer de certification (toute la certification)",
        CandidacyUpdate(rncp_code="RNCP41936", block_codes=None),
    ),
}
DECISION_BODY = {
    "admissible": example(
        "Recevable",
        AdmissibilityDecisionCreate(decision=Decision.ADMISSIBLE, reasons=[]),
    ),
    "incomplete": example(
        "Dossier incomplet",
        AdmissibilityDecisionCreate(
            decision=Decision.INCOMPLETE,
            reasons=["Attestations d'employeur manquantes pour 2019–2021."],
        ),
        "The dossier de faisabilité goes back to the candidate, who may complete and resubmit it.",
    ),
    "not_admissible": example(
        "Non recevable",
        AdmissibilityDecisionCreate(
            decision=Decision.NOT_ADMISSIBLE,
            reasons=[
                "L'expérience déclarée n'est pas en rapport direct avec la certification."
            ],
        ),
    ),
}
WITHDRAWAL_BODY = {
    "reason": example(
        "Abandon motivé",
        ReasonCreate(reason="La candidate a trouvé un emploi et suspend sa démarche."),
    ),
    "no_reason": example("Abandon sans motif", ReasonCreate(reason=None)),
}
REVOCATION_BODY = {
    "reason": example(
        "Erreur de saisie",
        ReasonCreate(
            reason="Décision saisie sur la mauvaise candidature (ticket 4821)."
        ),
    ),
}

CREATED_ANSWER = {"draft": example("Candidature en préparation (DRAFT)", DRAFT)}
UPDATED_ANSWER = {
    "draft": example(
        "Blocs visés changés",
        DRAFT.model_copy(update={"requested_block_codes": [BLOCKS[2]], "version": 2}),
    )
}
SUBMITTED_ANSWER = {"submitted": example("Candidature déposée (SUBMITTED)", SUBMITTED)}
DECIDED_ANSWER = {
    "admissible": example("Recevable (ADMISSIBLE)", ADMISSIBLE),
    "incomplete": example("Dossier incomplet (INCOMPLETE)", INCOMPLETE),
}
REVOKED_ANSWER = {
    "submitted": example(
        "Décision annulée: de nouveau SUBMITTED",
        SUBMITTED.model_copy(update={"version": 4}),
    )
}
WITHDRAWN_ANSWER = {
    "withdrawn": example("Candidature abandonnée (WITHDRAWN)", WITHDRAWN)
}
READ_ANSWER = {
    "vae": example("Recevable, notre vocabulaire", ADMISSIBLE),
    "france_vae": example(
        "Validation partielle, avec vocabulary=france-vae",
        in_france_vae(PARTIALLY_CERTIFIED),
    ),
}
LIST_ANSWER = {
    "vae": example(
        "Une page",
        Page[CandidacyRead](
            items=[SUBMITTED, ADMISSIBLE], next_cursor="WyJjYW5kaWRhY3kiXQ"
        ),
    ),
    "france_vae": example(
        "Avec vocabulary=france-vae&state=DOSSIER_FAISABILITE_RECEVABLE",
        Page[CandidacyRead](items=[in_france_vae(ADMISSIBLE)], next_cursor=None),
    ),
}
HISTORY_ANSWER = {
    "vae": example("Création, dépôt, recevabilité", HISTORY),
    "france_vae": example(
        "Avec vocabulary=france-vae", [_step_in_france_vae(step) for step in HISTORY]
    ),
}
OUTCOMES_ANSWER = {
    "partial": example("Validation partielle: deux blocs acquis sur trois", OUTCOMES)
}


def vocabulary_answer(vocabulary: VocabularyRead) -> dict[str, Example]:
    """The vocabulary example: the real table, cut to two values of the first enum."""
    first = vocabulary.enums[0]
    cut = first.model_copy(
        update={
            "values": first.values[:2],
            "france_vae_values": [
                v for v in first.france_vae_values if v.value == "PRISE_EN_CHARGE"
            ],
        }
    )
    return {
        "excerpt": example(
            "Extrait (statuts)",
            vocabulary.model_copy(update={"enums": [cut]}),
            "The answer lists every enum and value; here, two states and a France VAE status without equivalent.",
        )
    }
