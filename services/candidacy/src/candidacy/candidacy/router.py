"""Endpoints of candidacies: create, read, submit, decide, revoke, withdraw, history."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from candidacy.candidacy import examples
from candidacy.candidacy import service as candidacy_service
from candidacy.candidacy.schemas import (
    AdmissibilityDecisionCreate,
    CandidacyCreate,
    CandidacyRead,
    CandidacyUpdate,
    JuryOutcomeRead,
    ReasonCreate,
    RncpCode,
    TransitionRead,
    VocabularyRead,
)
from candidacy.candidacy.service import LedgerSettings, Limits
from candidacy.candidacy.vocabulary import Vocabulary
from candidacy.dependencies import (
    Admin,
    AnyRole,
    Catalog,
    Certifier,
    CurrentSettings,
    IfMatch,
    IfMatchRequired,
    Owner,
    Reader,
)
from candidacy.errors import (
    ActionNotAllowedError,
    BlocksAlreadyAcquiredError,
    BlocksNotInCertificationError,
    CandidacyNotFoundError,
    CandidacyVersionMismatchError,
    CandidateNotFoundError,
    CatalogUnavailableError,
    CertificationInactiveError,
    CertificationNotOpenToVaeError,
    CertificationUnknownError,
    DecisionReasonsRequiredError,
    IfMatchRequiredError,
    NoExperienceDeclaredError,
    StateWithoutEquivalentError,
    SubmissionLimitReachedError,
    UnknownStateError,
    YearlyCertificationLimitReachedError,
)
from candidacy.openapi import success
from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuthenticationError,
    DbSession,
    InvalidCursorError,
    Page,
    PermissionDeniedError,
    expected_version,
    next_link,
    problem_responses,
    version_etag,
)

router = APIRouter(prefix="/v1/candidacies", tags=["candidacies"])

_AUTH = (AuthenticationError, PermissionDeniedError)
_TARGET_ERRORS = (
    CertificationUnknownError,
    CertificationInactiveError,
    CertificationNotOpenToVaeError,
    BlocksNotInCertificationError,
    BlocksAlreadyAcquiredError,
    CatalogUnavailableError,
)


VocabularyQuery = Annotated[
    Vocabulary,
    Query(
        description="`vae` (default): our vocabulary only. `france-vae`: each candidacy (or "
        "step) also carries `france_vae`, the same in France VAE's values (statut de la "
        "candidature, décision sur le dossier de faisabilité, résultat du jury); our own "
        "fields keep their meaning. GET /v1/candidacies/vocabulary gives the whole table."
    ),
]


def _ledger(settings: CurrentSettings) -> LedgerSettings:
    return LedgerSettings(horizon_days=settings.expiring_horizon_days)


def _answer(response: Response, candidacy: CandidacyRead) -> CandidacyRead:
    response.headers["ETag"] = version_etag(candidacy.version)
    return candidacy


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=CandidacyRead,
    summary="Create a candidacy (candidature)",
    description="Creates a DRAFT candidacy of one of the caller's candidates for a certification "
    "registered at the RNCP, whole or some blocks (blocs de compétences). The catalog is asked "
    "at once, so that a wrong target is refused now rather than at submission.",
    responses={
        **success(201, "The DRAFT candidacy.", **examples.CREATED_ANSWER),
        **problem_responses(*_AUTH, CandidateNotFoundError, *_TARGET_ERRORS),
    },
)
async def create_candidacy(
    payload: Annotated[CandidacyCreate, Body(openapi_examples=examples.CREATE_BODY)],
    db: DbSession,
    principal: Owner,
    catalog: Catalog,
    settings: CurrentSettings,
    response: Response,
) -> CandidacyRead:
    created = await candidacy_service.create_candidacy(
        db, principal, payload, catalog=catalog, ledger=_ledger(settings)
    )
    response.headers["Location"] = f"/v1/candidacies/{created.id}"
    return _answer(response, created)


@router.get(
    "",
    response_model=Page[CandidacyRead],
    summary="List candidacies (candidatures)",
    description="A partner sees its candidates' candidacies; a certifier those submitted for its "
    "certifications (drafts stay private). Oldest first, by cursor. `state` filters on the "
    "statut de la candidature; with `vocabulary=france-vae` it also takes France VAE's statuses "
    "(`state=DOSSIER_FAISABILITE_RECEVABLE` selects ADMISSIBLE; `DOSSIER_DE_VALIDATION_ENVOYE` "
    "the candidacies that met their jury), and an unknown value or a France VAE status with no "
    "equivalent here is a 422 problem.",
    responses={
        **success(200, "A page of candidacies.", **examples.LIST_ANSWER),
        **problem_responses(
            *_AUTH, InvalidCursorError, UnknownStateError, StateWithoutEquivalentError
        ),
    },
)
async def list_candidacies(
    request: Request,
    response: Response,
    db: DbSession,
    principal: Reader,
    state: Annotated[
        str | None,
        Query(
            max_length=60,
            description="One of our states (State) or, with vocabulary=france-vae, a France "
            "VAE status (CandidacyStatusStep).",
            openapi_examples={
                "ours": {"summary": "Dossiers déposés", "value": "SUBMITTED"},
                "france_vae": {
                    "summary": "France VAE (with vocabulary=france-vae)",
                    "value": "DOSSIER_FAISABILITE_RECEVABLE",
                },
            },
        ),
    ] = None,
    vocabulary: VocabularyQuery = Vocabulary.VAE,
    rncp_code: Annotated[RncpCode | None, Query()] = None,
    candidate_id: Annotated[uuid.UUID | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[CandidacyRead]:
    items, next_cursor = await candidacy_service.list_candidacies(
        db,
        principal,
        state=state,
        vocabulary=vocabulary,
        rncp_code=rncp_code,
        candidate_id=candidate_id,
        cursor=cursor,
        limit=limit,
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[CandidacyRead](items=items, next_cursor=next_cursor)


# Declared before /{candidacy_id}, which would otherwise take "vocabulary" for an id.
@router.get(
    "/vocabulary",
    response_model=VocabularyRead,
    summary="Our vocabulary beside France VAE's (glossaire)",
    description="For partners' integration code: each of our enums (statut de la candidature, "
    "décision de recevabilité, résultat du jury, résultat par bloc, présence, actes), every "
    "value with its French term, its France VAE equivalent (the platform's GraphQL and "
    "database values, and its interop API's) and how close it is (EXACT, APPROXIMATE, NONE), "
    "then every value of the France VAE field with ours, or why none of ours matches it. The "
    "enums' descriptions in this document carry the same tables.",
    responses={
        **success(
            200,
            "The whole table.",
            **examples.vocabulary_answer(candidacy_service.get_vocabulary()),
        ),
        **problem_responses(*_AUTH),
    },
)
async def get_vocabulary(principal: AnyRole) -> VocabularyRead:
    return candidacy_service.get_vocabulary()


@router.get(
    "/{candidacy_id:uuid}",
    response_model=CandidacyRead,
    summary="Get a candidacy (candidature)",
    description="The candidacy, its state (statut), the certification as the catalog described "
    "it at submission, the décision de recevabilité and the résultat du jury, and "
    "`allowed_actions` for the caller. With `vocabulary=france-vae`, also `france_vae`: the "
    "same in France VAE's values (e.g. `status: DOSSIER_FAISABILITE_RECEVABLE`, "
    "`feasibility_decision: ADMISSIBLE`).",
    responses={
        **success(200, "The candidacy.", **examples.READ_ANSWER),
        **problem_responses(*_AUTH, CandidacyNotFoundError),
    },
)
async def get_candidacy(
    candidacy_id: uuid.UUID,
    db: DbSession,
    principal: Reader,
    response: Response,
    vocabulary: VocabularyQuery = Vocabulary.VAE,
) -> CandidacyRead:
    return _answer(
        response,
        await candidacy_service.get_candidacy(
            db, principal, candidacy_id, vocabulary=vocabulary
        ),
    )


@router.patch(
    "/{candidacy_id:uuid}",
    response_model=CandidacyRead,
    summary="Change a candidacy's target (certification, blocs visés)",
    description="Changes the certification or the blocks aimed at (blocs de compétences), while "
    "the candidacy is DRAFT (en préparation) or INCOMPLETE (dossier incomplet). Honours If-Match.",
    responses={
        **success(200, "The changed candidacy.", **examples.UPDATED_ANSWER),
        **problem_responses(
            *_AUTH,
            CandidacyNotFoundError,
            ActionNotAllowedError,
            CandidacyVersionMismatchError,
            *_TARGET_ERRORS,
        ),
    },
)
async def update_candidacy(
    candidacy_id: uuid.UUID,
    payload: Annotated[CandidacyUpdate, Body(openapi_examples=examples.UPDATE_BODY)],
    db: DbSession,
    principal: Owner,
    catalog: Catalog,
    settings: CurrentSettings,
    response: Response,
    if_match: IfMatch = None,
) -> CandidacyRead:
    updated = await candidacy_service.update_candidacy(
        db,
        principal,
        candidacy_id,
        payload,
        expected_version=expected_version(
            if_match, required=False, resource="candidacy"
        ),
        catalog=catalog,
        ledger=_ledger(settings),
    )
    return _answer(response, updated)


@router.post(
    "/{candidacy_id}/submission",
    response_model=CandidacyRead,
    summary="Submit a candidacy for admissibility (demande de recevabilité)",
    description="Checks, each refused with its own code: the certification is known, active at "
    "the RNCP today and open to VAE (asked of the catalog; an unreachable catalog gives 503, "
    "never a silent accept); the candidate declared an experience; the yearly limits (one "
    "request per certification per calendar year, three certifications per year); the blocks "
    "belong to the certification; blocks already held and valid are not aimed at again (for a "
    "whole-certification candidacy they are left out, and the answer lists them in "
    "`snapshot.already_acquired_block_codes`). The candidacy becomes SUBMITTED: dossier de "
    "faisabilité envoyé (France VAE: DOSSIER_FAISABILITE_ENVOYE). Honours If-Match.",
    responses={
        **success(200, "The submitted candidacy.", **examples.SUBMITTED_ANSWER),
        **problem_responses(
            *_AUTH,
            CandidacyNotFoundError,
            ActionNotAllowedError,
            CandidacyVersionMismatchError,
            NoExperienceDeclaredError,
            SubmissionLimitReachedError,
            YearlyCertificationLimitReachedError,
            *_TARGET_ERRORS,
        ),
    },
)
async def submit_candidacy(
    candidacy_id: uuid.UUID,
    db: DbSession,
    principal: Owner,
    catalog: Catalog,
    settings: CurrentSettings,
    response: Response,
    if_match: IfMatch = None,
) -> CandidacyRead:
    submitted = await candidacy_service.submit_candidacy(
        db,
        principal,
        candidacy_id,
        expected_version=expected_version(
            if_match, required=False, resource="candidacy"
        ),
        catalog=catalog,
        limits=Limits(
            per_certification=settings.submissions_per_certification_per_year,
            certifications=settings.certifications_per_year,
        ),
        ledger=_ledger(settings),
    )
    return _answer(response, submitted)


@router.post(
    "/{candidacy_id}/admissibility-decision",
    response_model=CandidacyRead,
    summary="Decide admissibility (décision de recevabilité)",
    description="The certifier of the certification decides: ADMISSIBLE (recevable), "
    "NOT_ADMISSIBLE (non recevable) or INCOMPLETE (dossier incomplet: it goes back to the "
    "candidate), with reasons for the last two. If-Match is required; a decision is final "
    "except for an administrator's revocation, which the history keeps. France VAE calls it "
    "the décision sur le dossier de faisabilité (ADMISSIBLE, REJECTED, INCOMPLETE).",
    responses={
        **success(200, "The decided candidacy.", **examples.DECIDED_ANSWER),
        **problem_responses(
            *_AUTH,
            CandidacyNotFoundError,
            ActionNotAllowedError,
            CandidacyVersionMismatchError,
            IfMatchRequiredError,
            DecisionReasonsRequiredError,
        ),
    },
)
async def decide_admissibility(
    candidacy_id: uuid.UUID,
    payload: Annotated[
        AdmissibilityDecisionCreate, Body(openapi_examples=examples.DECISION_BODY)
    ],
    db: DbSession,
    principal: Certifier,
    response: Response,
    if_match: IfMatchRequired = None,
) -> CandidacyRead:
    version = expected_version(if_match, required=True, resource="candidacy")
    decided = await candidacy_service.decide_admissibility(
        db, principal, candidacy_id, payload, expected_version=version or -1
    )
    return _answer(response, decided)


@router.post(
    "/{candidacy_id}/decision-revocation",
    response_model=CandidacyRead,
    summary="Revoke an admissibility decision (annulation d'une décision de recevabilité)",
    description="Administrators only. Puts the candidacy back to SUBMITTED (recevabilité en "
    "attente) for a new decision; the revoked decision stays in the history. Not possible once "
    "a jury has sat. If-Match is required.",
    responses={
        **success(200, "The candidacy, SUBMITTED again.", **examples.REVOKED_ANSWER),
        **problem_responses(
            *_AUTH,
            CandidacyNotFoundError,
            ActionNotAllowedError,
            CandidacyVersionMismatchError,
            IfMatchRequiredError,
        ),
    },
)
async def revoke_decision(
    candidacy_id: uuid.UUID,
    payload: Annotated[ReasonCreate, Body(openapi_examples=examples.REVOCATION_BODY)],
    db: DbSession,
    principal: Admin,
    response: Response,
    if_match: IfMatchRequired = None,
) -> CandidacyRead:
    version = expected_version(if_match, required=True, resource="candidacy")
    revoked = await candidacy_service.revoke_decision(
        db,
        principal,
        candidacy_id,
        reason=payload.reason,
        expected_version=version or -1,
    )
    return _answer(response, revoked)


@router.post(
    "/{candidacy_id}/withdrawal",
    response_model=CandidacyRead,
    summary="Withdraw a candidacy (abandon de la candidature)",
    description="Closes an open candidacy: WITHDRAWN, « candidature abandonnée » (France VAE "
    "records a drop-out). A demande de recevabilité already counted stays counted in the "
    "year's limits. Honours If-Match.",
    responses={
        **success(200, "The withdrawn candidacy.", **examples.WITHDRAWN_ANSWER),
        **problem_responses(
            *_AUTH,
            CandidacyNotFoundError,
            ActionNotAllowedError,
            CandidacyVersionMismatchError,
        ),
    },
)
async def withdraw_candidacy(
    candidacy_id: uuid.UUID,
    payload: Annotated[ReasonCreate, Body(openapi_examples=examples.WITHDRAWAL_BODY)],
    db: DbSession,
    principal: Owner,
    response: Response,
    if_match: IfMatch = None,
) -> CandidacyRead:
    withdrawn = await candidacy_service.withdraw_candidacy(
        db,
        principal,
        candidacy_id,
        reason=payload.reason,
        expected_version=expected_version(
            if_match, required=False, resource="candidacy"
        ),
    )
    return _answer(response, withdrawn)


@router.get(
    "/{candidacy_id}/history",
    response_model=list[TransitionRead],
    summary="A candidacy's history (historique de la candidature)",
    description="Every step, oldest first: the act (dépôt, décision de recevabilité, résultat "
    "du jury, abandon…), the states before and after, the API client that acted, when. With "
    "`vocabulary=france-vae`, each step also carries France VAE's statuses before and after.",
    responses={
        **success(200, "The steps, oldest first.", **examples.HISTORY_ANSWER),
        **problem_responses(*_AUTH, CandidacyNotFoundError),
    },
)
async def get_history(
    candidacy_id: uuid.UUID,
    db: DbSession,
    principal: Reader,
    vocabulary: VocabularyQuery = Vocabulary.VAE,
) -> list[TransitionRead]:
    return await candidacy_service.get_history(
        db, principal, candidacy_id, vocabulary=vocabulary
    )


@router.get(
    "/{candidacy_id}/jury-outcomes",
    response_model=list[JuryOutcomeRead],
    summary="A candidacy's jury outcomes (résultats du jury)",
    description="What each signed report (procès-verbal) said: attendance, the result of each "
    "bloc de compétences, and the overall résultat du jury in France VAE's vocabulary.",
    responses={
        **success(200, "The outcomes, oldest first.", **examples.OUTCOMES_ANSWER),
        **problem_responses(*_AUTH, CandidacyNotFoundError),
    },
)
async def get_outcomes(
    candidacy_id: uuid.UUID, db: DbSession, principal: Reader
) -> list[JuryOutcomeRead]:
    return await candidacy_service.get_outcomes(db, principal, candidacy_id)
