"""Our candidacy vocabulary in France VAE's words: one table per enum, and the rules that use it.

France VAE (vae.gouv.fr, the public platform whose code is SocialGouv/reva) names the same
journey differently. Each of our enum values has here its French term and its France VAE
equivalent, marked EXACT, APPROXIMATE (the note says what differs) or NONE; each France VAE
value has its French term and, when none of ours matches it, why. Read from SocialGouv/reva:
``packages/reva-api/prisma/schema.prisma`` (enums ``CandidacyStatusStep``, ``FeasibilityStatus``,
models ``CandidacyDropOut`` and ``Jury``), ``packages/reva-api/modules/candidacy/candidacy.graphql``,
``packages/reva-admin/src/Data/Candidacy.elm`` (the French labels of the statuses),
``packages/reva-interop/routes/v1/schemas.ts`` and
``packages/reva-interop/routes/v1/__tests__/enumConsistency.test.ts`` (the interop API's values).

Like ``rules.py``, nothing here needs a database. The OpenAPI description of each enum, the
``france_vae`` representation, the list filter and ``GET /v1/candidacies/vocabulary`` all read
these tables, so a value is translated in one place only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any, Generic, TypeVar

from candidacy.candidacy.rules import (
    Action,
    Attendance,
    BlockResult,
    Decision,
    JuryResult,
    State,
)
from candidacy.errors import StateWithoutEquivalentError, UnknownStateError

SOURCES = (
    "https://github.com/SocialGouv/reva/blob/master/packages/reva-api/prisma/schema.prisma",
    "https://github.com/SocialGouv/reva/blob/master/packages/reva-api/modules/candidacy/candidacy.graphql",
    "https://github.com/SocialGouv/reva/blob/master/packages/reva-admin/src/Data/Candidacy.elm",
    "https://github.com/SocialGouv/reva/blob/master/packages/reva-interop/routes/v1/schemas.ts",
    "https://github.com/SocialGouv/reva/blob/master/packages/reva-interop/routes/v1/__tests__/enumConsistency.test.ts",
)


class Vocabulary(StrEnum):
    """The vocabulary of a read: ours only, or ours plus France VAE's."""

    VAE = "vae"
    FRANCE_VAE = "france-vae"


class Match(StrEnum):
    """How close one of our values is to France VAE's."""

    EXACT = "EXACT"
    APPROXIMATE = "APPROXIMATE"
    NONE = "NONE"


class FranceVaeStatus(StrEnum):
    """France VAE's candidacy status (``CandidacyStatusStep``, statut de la candidature)."""

    ARCHIVE = "ARCHIVE"
    PROJET = "PROJET"
    VALIDATION = "VALIDATION"
    PRISE_EN_CHARGE = "PRISE_EN_CHARGE"
    PARCOURS_ENVOYE = "PARCOURS_ENVOYE"
    PARCOURS_CONFIRME = "PARCOURS_CONFIRME"
    DOSSIER_FAISABILITE_ENVOYE = "DOSSIER_FAISABILITE_ENVOYE"
    DOSSIER_FAISABILITE_RECEVABLE = "DOSSIER_FAISABILITE_RECEVABLE"
    DOSSIER_FAISABILITE_INCOMPLET = "DOSSIER_FAISABILITE_INCOMPLET"
    DOSSIER_FAISABILITE_NON_RECEVABLE = "DOSSIER_FAISABILITE_NON_RECEVABLE"
    DOSSIER_DE_VALIDATION_ENVOYE = "DOSSIER_DE_VALIDATION_ENVOYE"
    DOSSIER_DE_VALIDATION_SIGNALE = "DOSSIER_DE_VALIDATION_SIGNALE"
    DEMANDE_FINANCEMENT_ENVOYE = "DEMANDE_FINANCEMENT_ENVOYE"
    DEMANDE_PAIEMENT_ENVOYEE = "DEMANDE_PAIEMENT_ENVOYEE"
    DOSSIER_PRO = "DOSSIER_PRO"
    CERTIFICATION = "CERTIFICATION"


class FranceVaeFeasibilityDecision(StrEnum):
    """France VAE's decision on the dossier de faisabilité (``FeasibilityStatus``)."""

    PENDING = "PENDING"
    ADMISSIBLE = "ADMISSIBLE"
    REJECTED = "REJECTED"
    INCOMPLETE = "INCOMPLETE"
    COMPLETE = "COMPLETE"
    VAE_COLLECTIVE = "VAE_COLLECTIVE"


class FranceVaeInteropFeasibilityStatus(StrEnum):
    """The status of the dossier de faisabilité in France VAE's interop API (``StatutDossierDeFaisabilite``)."""

    EN_ATTENTE = "EN_ATTENTE"
    RECEVABLE = "RECEVABLE"
    IRRECEVABLE = "IRRECEVABLE"
    INCOMPLET = "INCOMPLET"
    COMPLET = "COMPLET"
    ARCHIVE = "ARCHIVE"
    ABANDONNE = "ABANDONNE"
    VAE_COLLECTIVE = "VAE_COLLECTIVE"


class FranceVaeJuryResult(StrEnum):
    """France VAE's jury result (``JuryResult``); ours are the same values but one."""

    FULL_SUCCESS_OF_FULL_CERTIFICATION = "FULL_SUCCESS_OF_FULL_CERTIFICATION"
    PARTIAL_SUCCESS_PENDING_CONFIRMATION = "PARTIAL_SUCCESS_PENDING_CONFIRMATION"
    PARTIAL_SUCCESS_OF_FULL_CERTIFICATION = "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION"
    FULL_SUCCESS_OF_PARTIAL_CERTIFICATION = "FULL_SUCCESS_OF_PARTIAL_CERTIFICATION"
    PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION = (
        "PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION"
    )
    FAILURE = "FAILURE"
    CANDIDATE_EXCUSED = "CANDIDATE_EXCUSED"
    CANDIDATE_ABSENT = "CANDIDATE_ABSENT"


class FranceVaeInteropJuryResult(StrEnum):
    """The jury result in France VAE's interop API (``ResultatJury``)."""

    SUCCES_TOTAL_CERTIFICATION_COMPLETE = "SUCCES_TOTAL_CERTIFICATION_COMPLETE"
    SUCCES_TOTAL_CERTIFICATION_COMPLETE_SOUS_RESERVE = (
        "SUCCES_TOTAL_CERTIFICATION_COMPLETE_SOUS_RESERVE"
    )
    SUCCES_PARTIEL_CERTIFICATION_COMPLETE = "SUCCES_PARTIEL_CERTIFICATION_COMPLETE"
    SUCCES_TOTAL_CERTIFICATION_PARTIELLE = "SUCCES_TOTAL_CERTIFICATION_PARTIELLE"
    SUCCES_PARTIEL_CERTIFICATION_PARTIELLE = "SUCCES_PARTIEL_CERTIFICATION_PARTIELLE"
    ECHEC = "ECHEC"
    CANDIDAT_EXCUSE = "CANDIDAT_EXCUSE"
    CANDIDAT_ABSENT = "CANDIDAT_ABSENT"


@dataclass(frozen=True, slots=True)
class Equivalent:
    """One of our values: its French term and its France VAE equivalent(s)."""

    french: str
    match: Match
    france_vae: tuple[str, ...] = ()
    interop: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class FranceVaeTerm:
    """A France VAE value: its French term, and why none of ours matches it when none does."""

    french: str
    note: str | None = None


E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, slots=True)
class Glossary(Generic[E]):
    """One of our enums beside the France VAE field it corresponds to."""

    enum: type[E]
    france_vae_field: str
    terms: Mapping[E, Equivalent]
    france_vae_terms: Mapping[str, FranceVaeTerm] = field(default_factory=dict)

    def ours_for(self, france_vae_value: str) -> list[E]:
        """Our values whose France VAE equivalent this value is, in our enum's order."""
        return [
            value
            for value in self.enum
            if france_vae_value in self.terms[value].france_vae
        ]


_APPROXIMATE_JURY = (
    "France VAE has no status after the dossier de validation: a candidacy that met its jury "
    "stays at DOSSIER_DE_VALIDATION_ENVOYE (its lists call it « jury passé ») and the outcome "
    "is in its jury's `result`. We have no dossier de validation: the status is the nearest step."
)
_BEFORE_FEASIBILITY = (
    "Part of our DRAFT: France VAE splits what comes before the dossier de faisabilité into the "
    "candidate's project, the choice of an AAP (architecte accompagnateur de parcours), its "
    "taking charge and the parcours; here the partner (organisme accompagnateur) prepares the "
    "candidacy in one DRAFT state, and filter with `state=DRAFT`."
)

STATES: dict[State, Equivalent] = {
    State.DRAFT: Equivalent(
        "candidature en préparation (brouillon), dossier de faisabilité pas encore envoyé",
        Match.APPROXIMATE,
        ("PROJET",),
        note="France VAE's PROJET is the candidate's project before an AAP takes charge of it; "
        "our partner prepares the candidacy itself. VALIDATION, PRISE_EN_CHARGE, PARCOURS_ENVOYE "
        "and PARCOURS_CONFIRME fall in our DRAFT too.",
    ),
    State.SUBMITTED: Equivalent(
        "candidature déposée: dossier de faisabilité envoyé, recevabilité en attente",
        Match.EXACT,
        ("DOSSIER_FAISABILITE_ENVOYE",),
        note="Its feasibility decision is PENDING (interop: EN_ATTENTE).",
    ),
    State.INCOMPLETE: Equivalent(
        "dossier de faisabilité incomplet: il revient au candidat",
        Match.EXACT,
        ("DOSSIER_FAISABILITE_INCOMPLET",),
    ),
    State.ADMISSIBLE: Equivalent(
        "dossier de faisabilité recevable (candidature recevable), en attente du jury",
        Match.EXACT,
        ("DOSSIER_FAISABILITE_RECEVABLE",),
        note="France VAE then moves on to the dossier de validation (DOSSIER_DE_VALIDATION_ENVOYE, "
        "DOSSIER_DE_VALIDATION_SIGNALE), which we do not track: the status stays RECEVABLE until "
        "the jury.",
    ),
    State.NOT_ADMISSIBLE: Equivalent(
        "dossier de faisabilité non recevable",
        Match.EXACT,
        ("DOSSIER_FAISABILITE_NON_RECEVABLE",),
    ),
    State.CERTIFIED: Equivalent(
        "certification obtenue (validation totale, tous les blocs acquis)",
        Match.APPROXIMATE,
        ("DOSSIER_DE_VALIDATION_ENVOYE",),
        note=_APPROXIMATE_JURY,
    ),
    State.PARTIALLY_CERTIFIED: Equivalent(
        "validation partielle: des blocs de compétences acquis, d'autres restent",
        Match.APPROXIMATE,
        ("DOSSIER_DE_VALIDATION_ENVOYE",),
        note=_APPROXIMATE_JURY,
    ),
    State.NOT_CERTIFIED: Equivalent(
        "aucune validation: le jury n'a validé aucun bloc",
        Match.APPROXIMATE,
        ("DOSSIER_DE_VALIDATION_ENVOYE",),
        note=_APPROXIMATE_JURY,
    ),
    State.WITHDRAWN: Equivalent(
        "candidature abandonnée (abandon)",
        Match.APPROXIMATE,
        note="France VAE has no status for an abandon: it records a drop-out (`candidacyDropOut`) "
        "and keeps the step reached. The france-vae representation gives that step, with "
        "`dropped_out: true`; the interop API's feasibility status is ABANDONNE. A France VAE "
        "status never selects WITHDRAWN, as France VAE's `…_HORS_ABANDON` filters leave drop-outs out.",
    ),
}

# Keyed by FranceVaeStatus; typed by str so that Glossary reads every field alike.
FRANCE_VAE_STATUSES: dict[str, FranceVaeTerm] = {
    FranceVaeStatus.ARCHIVE: FranceVaeTerm(
        "candidature supprimée ou réorientée (archivée)",
        "We never archive a candidacy: it is withdrawn (WITHDRAWN), or its candidate erased "
        "(then no one sees it).",
    ),
    FranceVaeStatus.PROJET: FranceVaeTerm("projet en cours d'édition"),
    FranceVaeStatus.VALIDATION: FranceVaeTerm(
        "nouvelle candidature, envoyée à un AAP", _BEFORE_FEASIBILITY
    ),
    FranceVaeStatus.PRISE_EN_CHARGE: FranceVaeTerm(
        "candidature prise en charge par l'AAP", _BEFORE_FEASIBILITY
    ),
    FranceVaeStatus.PARCOURS_ENVOYE: FranceVaeTerm(
        "parcours (accompagnement, formations) envoyé au candidat", _BEFORE_FEASIBILITY
    ),
    FranceVaeStatus.PARCOURS_CONFIRME: FranceVaeTerm(
        "parcours confirmé par le candidat", _BEFORE_FEASIBILITY
    ),
    FranceVaeStatus.DOSSIER_FAISABILITE_ENVOYE: FranceVaeTerm(
        "dossier de faisabilité envoyé"
    ),
    FranceVaeStatus.DOSSIER_FAISABILITE_RECEVABLE: FranceVaeTerm(
        "dossier de faisabilité recevable"
    ),
    FranceVaeStatus.DOSSIER_FAISABILITE_INCOMPLET: FranceVaeTerm(
        "dossier de faisabilité incomplet"
    ),
    FranceVaeStatus.DOSSIER_FAISABILITE_NON_RECEVABLE: FranceVaeTerm(
        "dossier de faisabilité non recevable"
    ),
    FranceVaeStatus.DOSSIER_DE_VALIDATION_ENVOYE: FranceVaeTerm(
        "dossier de validation envoyé (puis jury programmé, jury passé)"
    ),
    FranceVaeStatus.DOSSIER_DE_VALIDATION_SIGNALE: FranceVaeTerm(
        "dossier de validation signalé (à compléter)",
        "We do not track the dossier de validation; its candidacy is ADMISSIBLE here.",
    ),
    FranceVaeStatus.DEMANDE_FINANCEMENT_ENVOYE: FranceVaeTerm(
        "demande de prise en charge financière envoyée",
        "Financing (financement du parcours) is outside this API.",
    ),
    FranceVaeStatus.DEMANDE_PAIEMENT_ENVOYEE: FranceVaeTerm(
        "demande de paiement envoyée",
        "Payment of the accompaniment is outside this API.",
    ),
    FranceVaeStatus.DOSSIER_PRO: FranceVaeTerm(
        "dossier professionnel (expérimentation REVA)",
        "A step of the REVA experimentation left in France VAE's database enum; its GraphQL API "
        "no longer offers it.",
    ),
    FranceVaeStatus.CERTIFICATION: FranceVaeTerm(
        "certification (expérimentation REVA)",
        "A step of the REVA experimentation left in France VAE's database enum; France VAE now "
        "gives the outcome as the jury's result (see JuryResult).",
    ),
}

DECISIONS: dict[Decision, Equivalent] = {
    Decision.ADMISSIBLE: Equivalent(
        "recevable", Match.EXACT, ("ADMISSIBLE",), ("RECEVABLE",)
    ),
    Decision.NOT_ADMISSIBLE: Equivalent(
        "non recevable (irrecevable)", Match.EXACT, ("REJECTED",), ("IRRECEVABLE",)
    ),
    Decision.INCOMPLETE: Equivalent(
        "dossier incomplet", Match.EXACT, ("INCOMPLETE",), ("INCOMPLET",)
    ),
}

# Keyed by FranceVaeFeasibilityDecision; typed by str so that Glossary reads every field alike.
FRANCE_VAE_FEASIBILITY_DECISIONS: dict[str, FranceVaeTerm] = {
    FranceVaeFeasibilityDecision.PENDING: FranceVaeTerm(
        "en attente de décision",
        "Not a decision here: a SUBMITTED candidacy has `admissibility: null`; its france-vae "
        "representation says PENDING.",
    ),
    FranceVaeFeasibilityDecision.ADMISSIBLE: FranceVaeTerm("recevable"),
    FranceVaeFeasibilityDecision.REJECTED: FranceVaeTerm("non recevable"),
    FranceVaeFeasibilityDecision.INCOMPLETE: FranceVaeTerm("incomplet"),
    FranceVaeFeasibilityDecision.COMPLETE: FranceVaeTerm(
        "dossier complet (avant la décision de recevabilité)",
        "The certifier decides here without first declaring the file complete.",
    ),
    FranceVaeFeasibilityDecision.VAE_COLLECTIVE: FranceVaeTerm(
        "VAE collective", "Collective VAE (cohorts) is outside this API."
    ),
}

JURY_RESULTS: dict[JuryResult, Equivalent] = {
    JuryResult.FULL_SUCCESS_OF_FULL_CERTIFICATION: Equivalent(
        "succès total, certification complète visée",
        Match.EXACT,
        ("FULL_SUCCESS_OF_FULL_CERTIFICATION",),
        ("SUCCES_TOTAL_CERTIFICATION_COMPLETE",),
    ),
    JuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION: Equivalent(
        "succès partiel, certification complète visée",
        Match.EXACT,
        ("PARTIAL_SUCCESS_OF_FULL_CERTIFICATION",),
        ("SUCCES_PARTIEL_CERTIFICATION_COMPLETE",),
    ),
    JuryResult.FULL_SUCCESS_OF_PARTIAL_CERTIFICATION: Equivalent(
        "succès total, blocs de compétences visés",
        Match.EXACT,
        ("FULL_SUCCESS_OF_PARTIAL_CERTIFICATION",),
        ("SUCCES_TOTAL_CERTIFICATION_PARTIELLE",),
    ),
    JuryResult.PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION: Equivalent(
        "succès partiel, blocs de compétences visés",
        Match.EXACT,
        ("PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION",),
        ("SUCCES_PARTIEL_CERTIFICATION_PARTIELLE",),
    ),
    JuryResult.FAILURE: Equivalent(
        "échec: aucun bloc validé", Match.EXACT, ("FAILURE",), ("ECHEC",)
    ),
    JuryResult.CANDIDATE_EXCUSED: Equivalent(
        "candidat excusé", Match.EXACT, ("CANDIDATE_EXCUSED",), ("CANDIDAT_EXCUSE",)
    ),
    JuryResult.CANDIDATE_ABSENT: Equivalent(
        "candidat absent", Match.EXACT, ("CANDIDATE_ABSENT",), ("CANDIDAT_ABSENT",)
    ),
}

# Keyed by FranceVaeJuryResult; typed by str so that Glossary reads every field alike.
FRANCE_VAE_JURY_RESULTS: dict[str, FranceVaeTerm] = {
    FranceVaeJuryResult.FULL_SUCCESS_OF_FULL_CERTIFICATION: FranceVaeTerm(
        "succès total, certification complète"
    ),
    FranceVaeJuryResult.PARTIAL_SUCCESS_PENDING_CONFIRMATION: FranceVaeTerm(
        "succès total sous réserve (certification complète)",
        "Our juries' reports validate blocks without conditions: no result is « sous réserve ».",
    ),
    FranceVaeJuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION: FranceVaeTerm(
        "succès partiel, certification complète"
    ),
    FranceVaeJuryResult.FULL_SUCCESS_OF_PARTIAL_CERTIFICATION: FranceVaeTerm(
        "succès total, certification partielle"
    ),
    FranceVaeJuryResult.PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION: FranceVaeTerm(
        "succès partiel, certification partielle"
    ),
    FranceVaeJuryResult.FAILURE: FranceVaeTerm("échec"),
    FranceVaeJuryResult.CANDIDATE_EXCUSED: FranceVaeTerm("candidat excusé"),
    FranceVaeJuryResult.CANDIDATE_ABSENT: FranceVaeTerm("candidat absent"),
}

BLOCK_RESULTS: dict[BlockResult, Equivalent] = {
    BlockResult.VALIDATED: Equivalent(
        "bloc validé (acquis)", Match.EXACT, interop=("estValide=true",)
    ),
    BlockResult.NOT_VALIDATED: Equivalent(
        "bloc non validé", Match.EXACT, interop=("estValide=false",)
    ),
    BlockResult.NOT_ASSESSED: Equivalent(
        "bloc non évalué par ce jury",
        Match.NONE,
        note="France VAE lists only the blocks the jury assessed; a block not assessed is absent "
        "from its result.",
    ),
}

ATTENDANCES: dict[Attendance, Equivalent] = {
    Attendance.PRESENT: Equivalent(
        "candidat présent",
        Match.NONE,
        note="France VAE records no attendance: a present candidate has a success or failure result.",
    ),
    Attendance.LATE: Equivalent(
        "candidat en retard",
        Match.NONE,
        note="France VAE records no lateness: the result says how the jury went.",
    ),
    Attendance.ABSENT: Equivalent(
        "candidat absent",
        Match.APPROXIMATE,
        ("CANDIDATE_ABSENT",),
        ("CANDIDAT_ABSENT",),
        note="A jury result in France VAE, not an attendance.",
    ),
    Attendance.EXCUSED: Equivalent(
        "candidat excusé",
        Match.APPROXIMATE,
        ("CANDIDATE_EXCUSED",),
        ("CANDIDAT_EXCUSE",),
        note="A jury result in France VAE, not an attendance.",
    ),
}

ACTIONS: dict[Action, Equivalent] = {
    Action.CREATE: Equivalent(
        "création de la candidature",
        Match.APPROXIMATE,
        ("PROJET",),
        note="France VAE's candidate creates the project; here the partner creates the candidacy.",
    ),
    Action.UPDATE: Equivalent(
        "changement de certification ou de blocs visés",
        Match.APPROXIMATE,
        ("candidacy_updateCertification",),
        note="France VAE changes the certification only; blocks are aimed at in its dossier de faisabilité.",
    ),
    Action.SUBMIT: Equivalent(
        "dépôt de la candidature (envoi du dossier de faisabilité, demande de recevabilité)",
        Match.EXACT,
        ("DOSSIER_FAISABILITE_ENVOYE",),
    ),
    Action.DECIDE_ADMISSIBILITY: Equivalent(
        "décision de recevabilité du certificateur",
        Match.EXACT,
        ("FeasibilityStatus",),
        ("DossierDeFaisabiliteDecision",),
    ),
    Action.REVOKE_DECISION: Equivalent(
        "annulation d'une décision de recevabilité (administrateur)",
        Match.NONE,
        note="No such act was found in the France VAE sources read.",
    ),
    Action.RECORD_JURY_OUTCOME: Equivalent(
        "enregistrement du résultat du jury (procès-verbal signé)",
        Match.EXACT,
        ("Jury.result",),
        ("ResultatSessionJury",),
    ),
    Action.WITHDRAW: Equivalent(
        "abandon de la candidature",
        Match.EXACT,
        ("candidacy_dropOut",),
        ("ABANDONNE",),
    ),
}

GLOSSARIES: tuple[Glossary[Any], ...] = (
    Glossary(State, "CandidacyStatusStep", STATES, FRANCE_VAE_STATUSES),
    Glossary(
        Decision,
        "FeasibilityStatus, décision sur le dossier de faisabilité",
        DECISIONS,
        FRANCE_VAE_FEASIBILITY_DECISIONS,
    ),
    Glossary(JuryResult, "JuryResult", JURY_RESULTS, FRANCE_VAE_JURY_RESULTS),
    Glossary(BlockResult, "ResultatBloc.estValide of the interop API", BLOCK_RESULTS),
    Glossary(Attendance, "JuryResult; France VAE has no attendance field", ATTENDANCES),
    Glossary(Action, "the France VAE act or field", ACTIONS),
)

_INTEROP_FEASIBILITY = {
    FranceVaeFeasibilityDecision.PENDING: FranceVaeInteropFeasibilityStatus.EN_ATTENTE,
    FranceVaeFeasibilityDecision.ADMISSIBLE: FranceVaeInteropFeasibilityStatus.RECEVABLE,
    FranceVaeFeasibilityDecision.REJECTED: FranceVaeInteropFeasibilityStatus.IRRECEVABLE,
    FranceVaeFeasibilityDecision.INCOMPLETE: FranceVaeInteropFeasibilityStatus.INCOMPLET,
    FranceVaeFeasibilityDecision.COMPLETE: FranceVaeInteropFeasibilityStatus.COMPLET,
    FranceVaeFeasibilityDecision.VAE_COLLECTIVE: FranceVaeInteropFeasibilityStatus.VAE_COLLECTIVE,
}
_NO_SHOW = frozenset({JuryResult.CANDIDATE_ABSENT, JuryResult.CANDIDATE_EXCUSED})


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a candidacy stands, in France VAE's words."""

    status: FranceVaeStatus
    status_match: Match
    dropped_out: bool
    feasibility_decision: FranceVaeFeasibilityDecision | None
    feasibility_status_interop: FranceVaeInteropFeasibilityStatus | None
    jury_result: FranceVaeJuryResult | None
    jury_result_interop: FranceVaeInteropJuryResult | None


def status_of(state: State) -> FranceVaeStatus | None:
    """The France VAE status of one of our states; None for WITHDRAWN, which has none of its own."""
    values = STATES[state].france_vae
    return FranceVaeStatus(values[0]) if values else None


def state_before_withdrawal(
    *, decision: Decision | None, jury_result: JuryResult | None, submitted: bool
) -> State:
    """The state a withdrawn candidacy was in, from what it keeps: the decision and the jury result.

    Only open states can be withdrawn, and the only open state after a jury (one that came) is
    PARTIALLY_CERTIFIED.
    """
    if jury_result is not None and jury_result not in _NO_SHOW:
        return State.PARTIALLY_CERTIFIED
    if decision is not None:
        return State(decision.value)
    return State.SUBMITTED if submitted else State.DRAFT


def standing(
    state: State,
    *,
    decision: Decision | None,
    jury_result: JuryResult | None,
    submitted: bool,
) -> Standing:
    """A candidacy in France VAE's words, from its state, decision, jury result and submission.

    A withdrawn candidacy keeps the status of the step it had reached and is marked dropped
    out, as France VAE does.
    """
    dropped_out = state is State.WITHDRAWN
    reached = (
        state_before_withdrawal(
            decision=decision, jury_result=jury_result, submitted=submitted
        )
        if dropped_out
        else state
    )
    status = status_of(reached)
    # Every state but WITHDRAWN has a status, and `reached` is never WITHDRAWN.
    assert status is not None
    feasibility: FranceVaeFeasibilityDecision | None = None
    if decision is not None:
        feasibility = FranceVaeFeasibilityDecision(DECISIONS[decision].france_vae[0])
    elif submitted:
        feasibility = FranceVaeFeasibilityDecision.PENDING
    interop: FranceVaeInteropFeasibilityStatus | None = None
    if feasibility is not None:
        interop = (
            FranceVaeInteropFeasibilityStatus.ABANDONNE
            if dropped_out
            else _INTEROP_FEASIBILITY[feasibility]
        )
    result = JURY_RESULTS[jury_result] if jury_result is not None else None
    return Standing(
        status=status,
        status_match=STATES[state].match,
        dropped_out=dropped_out,
        feasibility_decision=feasibility,
        feasibility_status_interop=interop,
        jury_result=FranceVaeJuryResult(result.france_vae[0]) if result else None,
        jury_result_interop=FranceVaeInteropJuryResult(result.interop[0])
        if result
        else None,
    )


def transition_statuses(
    from_state: State | None, to_state: State
) -> tuple[FranceVaeStatus | None, FranceVaeStatus | None]:
    """The France VAE statuses before and after one step of a candidacy's history.

    A withdrawal keeps the status reached (France VAE records the drop-out beside it).
    """
    before = status_of(from_state) if from_state is not None else None
    after = before if to_state is State.WITHDRAWN else status_of(to_state)
    return before, after


def feasibility_decision_of(decision: Decision) -> FranceVaeFeasibilityDecision:
    """France VAE's feasibility decision for one of our admissibility decisions."""
    return FranceVaeFeasibilityDecision(DECISIONS[decision].france_vae[0])


_STATES_BY_STATUS: dict[FranceVaeStatus, frozenset[State]] = {
    status: frozenset(s for s, term in STATES.items() if status in term.france_vae)
    for status in FranceVaeStatus
}


def states_matching(value: str, vocabulary: Vocabulary) -> frozenset[State]:
    """The states a ``state`` filter selects: one of ours, or (france-vae) a France VAE status.

    Raises
    ------
    UnknownStateError
        The value is neither one of our states nor, with vocabulary=france-vae, a France VAE status.
    StateWithoutEquivalentError
        A France VAE status none of our states matches.
    """
    if value in State.__members__:
        return frozenset({State(value)})
    ours = ", ".join(State)
    if vocabulary is Vocabulary.FRANCE_VAE and value in FranceVaeStatus.__members__:
        status = FranceVaeStatus(value)
        states = _STATES_BY_STATUS[status]
        if not states:
            with_equivalent = ", ".join(
                s for s, found in _STATES_BY_STATUS.items() if found
            )
            raise StateWithoutEquivalentError(
                f"No candidacy state here matches France VAE's {value}: "
                f"{FRANCE_VAE_STATUSES[status].note} Filter with one of {ours}, or a France VAE "
                f"status that has an equivalent ({with_equivalent}).",
                errors=[_issue(value, "no_equivalent")],
            )
        return states
    hint = (
        " or one of France VAE's statuses"
        if vocabulary is Vocabulary.FRANCE_VAE
        else "; France VAE's statuses are accepted with vocabulary=france-vae"
    )
    raise UnknownStateError(
        f"{value!r} is not a candidacy state: use one of {ours}{hint} (GET /v1/candidacies/vocabulary lists them).",
        errors=[_issue(value, "enum")],
    )


def _issue(value: str, kind: str) -> dict[str, Any]:
    return {
        "loc": ["query", "state"],
        "msg": f"{value!r} selects no candidacy state",
        "type": kind,
    }


def _cell(values: tuple[str, ...]) -> str:
    return ", ".join(f"`{v}`" for v in values) if values else "—"


def _text(value: str | None) -> str:
    # A pipe would end the Markdown table cell.
    return (value or "").replace("|", "/")


def describe(glossary: Glossary[Any]) -> str:
    """The OpenAPI description of one of our enums: its docstring, then the France VAE table."""
    doc = (glossary.enum.__doc__ or glossary.enum.__name__).strip()
    lines = [
        doc,
        "",
        f"| value | French term | France VAE ({glossary.france_vae_field}) | interop API | match | note |",
        "|---|---|---|---|---|---|",
    ]
    for value in glossary.enum:
        term = glossary.terms[value]
        lines.append(
            f"| `{value.value}` | {_text(term.french)} | {_cell(term.france_vae)} "
            f"| {_cell(term.interop)} | {term.match.value.lower()} | {_text(term.note)} |"
        )
    unmatched = [
        (value, term)
        for value, term in glossary.france_vae_terms.items()
        if not glossary.ours_for(value)
    ]
    if unmatched:
        lines += ["", "France VAE values with no equivalent here:", ""]
        lines += [
            f"- `{value}` ({term.french}): {term.note}" for value, term in unmatched
        ]
    lines += ["", "The whole table, as JSON: `GET /v1/candidacies/vocabulary`."]
    return "\n".join(lines)


def enum_descriptions() -> dict[str, str]:
    """The OpenAPI component name of each of our enums and its description with the table."""
    return {glossary.enum.__name__: describe(glossary) for glossary in GLOSSARIES}
