"""Endpoints of exam sessions: the calendar, the jury, and the acts of a session's life."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response, status

from common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    AuthenticationError,
    DbSession,
    InvalidCursorError,
    Page,
    PermissionDeniedError,
    QueryDateTime,
    expected_version,
    next_link,
    problem_responses,
    version_etag,
)
from sessions.centre.schemas import Department, Region, RncpCode
from sessions.dependencies import (
    AnyRole,
    Catalog,
    CentreOrAdmin,
    IfMatch,
    Now,
    Rules,
)
from sessions.errors import (
    ActionNotAllowedError,
    BlocksNotInCertificationError,
    CatalogUnavailableError,
    CertificationInactiveError,
    CertificationUnknownError,
    ConvocationsTooLateError,
    ExamCentreNotFoundError,
    ExamSessionNotFoundError,
    JurorConflictOfInterestError,
    JurorDoubleBookedError,
    JurorNotFoundError,
    JurorNotHabilitatedError,
    JuryCompositionInvalidError,
    JuryTooSmallError,
    SessionDatesInvalidError,
    SessionFullError,
    SessionManagerConflictOfInterestError,
    SessionNotApprovedError,
    SessionNotEndedError,
    SessionTooLongError,
    SessionVersionMismatchError,
    SiteNotFoundError,
    SupervisorConflictOfInterestError,
)
from sessions.openapi import examples, success
from sessions.session import service as session_service
from sessions.session.rules import SessionKind, State
from sessions.session.schemas import (
    CANCELLATION_EXAMPLE,
    DECLARATION_EXAMPLE,
    JURY_EXAMPLE,
    SESSION_CREATE_EXAMPLE,
    SESSION_PUBLIC_EXAMPLE,
    SESSION_READ_EXAMPLE,
    SESSION_UPDATE_EXAMPLE,
    CancellationWrite,
    ExamSessionCreate,
    ExamSessionRead,
    ExamSessionUpdate,
    JuryDeclarationWrite,
    JuryWrite,
)
from sessions.session.service import CalendarFilters

router = APIRouter(prefix="/v1/exam-sessions", tags=["exam-sessions"])

_AUTH = (AuthenticationError, PermissionDeniedError)
_ACT = (
    ExamSessionNotFoundError,
    ActionNotAllowedError,
    SessionVersionMismatchError,
)
_JURY = (
    JurorNotHabilitatedError,
    JuryTooSmallError,
    JuryCompositionInvalidError,
    JurorDoubleBookedError,
    JurorConflictOfInterestError,
)
_STAFF = (SessionManagerConflictOfInterestError, SupervisorConflictOfInterestError)


def _answer(response: Response, session: ExamSessionRead) -> ExamSessionRead:
    response.headers["ETag"] = version_etag(session.version)
    return session


def _version(if_match: str | None) -> int | None:
    return expected_version(if_match, required=False, resource="exam session")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=ExamSessionRead,
    summary="Create an exam session (session d'examen)",
    description="An exam centre plans a session at one of its sites, in DRAFT: certification, "
    "kind (session titre, CCP, CCS, jury of a diploma), blocks assessed, dates (tests of at most "
    "12 hours in all, over one or several days), capacity, session manager (responsable de "
    "session) and supervisors.",
    responses={
        **success(
            201,
            "The session, in DRAFT (whole: the centre's view).",
            "Une session d'examen en brouillon",
            {
                **SESSION_READ_EXAMPLE,
                "state": "DRAFT",
                "seats_left": 8,
                "jury": [],
                "allowed_actions": ["UPDATE", "SET_JURY", "SCHEDULE", "CANCEL"],
                "version": 1,
            },
        ),
        **problem_responses(
            *_AUTH,
            ExamCentreNotFoundError,
            SiteNotFoundError,
            SessionDatesInvalidError,
            SessionTooLongError,
            CertificationUnknownError,
            BlocksNotInCertificationError,
            CatalogUnavailableError,
        ),
    },
)
async def create_session(
    payload: Annotated[
        ExamSessionCreate,
        Body(
            openapi_examples=examples(
                "Session titre professionnel sur deux jours",
                SESSION_CREATE_EXAMPLE,
                "Every block of RNCP38077 (block_codes omitted), 11.5 hours of tests "
                "(épreuves), eight seats, a session manager (responsable de session) and a "
                "supervisor (surveillante).",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    catalog: Catalog,
    rules: Rules,
    response: Response,
) -> ExamSessionRead:
    created = await session_service.create_session(
        db, principal, payload, catalog=catalog, rules=rules
    )
    response.headers["Location"] = f"/v1/exam-sessions/{created.id}"
    return _answer(response, created)


@router.get(
    "",
    response_model=Page[ExamSessionRead],
    summary="Find exam sessions (calendrier des sessions d'examen)",
    description="What a counsellor asks first: sessions of a certification, in a region or "
    "département, between two dates, with seats left. Partners see the public calendar "
    "(no staff, no jury); a centre sees its drafts too. Soonest first.",
    responses={
        **success(
            200,
            "A page of sessions, soonest first.",
            "Le calendrier des sessions d'examen, vu par un partenaire",
            {"items": [SESSION_PUBLIC_EXAMPLE], "next_cursor": None},
        ),
        **problem_responses(*_AUTH, InvalidCursorError),
    },
)
async def list_sessions(
    request: Request,
    response: Response,
    db: DbSession,
    principal: AnyRole,
    rules: Rules,
    rncp_code: Annotated[RncpCode | None, Query()] = None,
    region: Annotated[Region | None, Query()] = None,
    department: Annotated[Department | None, Query()] = None,
    centre_id: Annotated[uuid.UUID | None, Query()] = None,
    starts_after: Annotated[QueryDateTime | None, Query()] = None,
    starts_before: Annotated[QueryDateTime | None, Query()] = None,
    state: Annotated[State | None, Query()] = None,
    kind: Annotated[
        SessionKind | None,
        Query(description="TITLE (session titre), CCP, CCS or DIPLOMA_JURY."),
    ] = None,
    with_seats_left: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Page[ExamSessionRead]:
    filters = CalendarFilters(
        rncp_code=rncp_code,
        region=region,
        department=department,
        centre_id=centre_id,
        starts_after=starts_after,
        starts_before=starts_before,
        state=state,
        kind=kind,
        with_seats_left=with_seats_left,
    )
    items, next_cursor = await session_service.list_sessions(
        db, principal, filters, cursor=cursor, limit=limit, rules=rules
    )
    response.headers.update(next_link(request.url, next_cursor))
    return Page[ExamSessionRead](items=items, next_cursor=next_cursor)


@router.get(
    "/{session_id:uuid}",
    response_model=ExamSessionRead,
    summary="Get an exam session (session d'examen)",
    description="Whole for its exam centre, the certifiers of its certification and "
    "administrators; partners see the public calendar's view (no staff, no jury). The ETag "
    "is the session's version, for If-Match.",
    responses={
        **success(
            200,
            "The session (here, the centre's whole view).",
            "Une session d'examen programmée, avec son jury",
            SESSION_READ_EXAMPLE,
        ),
        **problem_responses(*_AUTH, ExamSessionNotFoundError),
    },
)
async def get_session(
    session_id: uuid.UUID,
    db: DbSession,
    principal: AnyRole,
    rules: Rules,
    response: Response,
) -> ExamSessionRead:
    return _answer(
        response,
        await session_service.get_session(db, principal, session_id, rules=rules),
    )


@router.patch(
    "/{session_id:uuid}",
    response_model=ExamSessionRead,
    summary="Change a session's staff, capacity or (in DRAFT) dates",
    description="A new session manager (responsable de session) or supervisor (surveillant) "
    "is checked against the registered candidates' declared links. Honours If-Match.",
    responses={
        **success(
            200,
            "The changed session.",
            "Une session d'examen agrandie",
            {
                **SESSION_READ_EXAMPLE,
                "capacity": 10,
                "seats_left": 7,
                "supervisors": [
                    {"full_name": "Inès Garnier", "email": None},
                    {"full_name": "Paul Moreau", "email": None},
                ],
                "version": 5,
            },
        ),
        **problem_responses(
            *_AUTH,
            *_ACT,
            SessionDatesInvalidError,
            SessionTooLongError,
            SessionFullError,
            *_STAFF,
        ),
    },
)
async def update_session(
    session_id: uuid.UUID,
    payload: Annotated[
        ExamSessionUpdate,
        Body(
            openapi_examples=examples(
                "Deux places de plus et un second surveillant",
                SESSION_UPDATE_EXAMPLE,
                "Only the fields given change; the dates change only in DRAFT.",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    rules: Rules,
    response: Response,
    if_match: IfMatch = None,
) -> ExamSessionRead:
    updated = await session_service.update_session(
        db,
        principal,
        session_id,
        payload,
        expected_version=_version(if_match),
        rules=rules,
    )
    return _answer(response, updated)


@router.put(
    "/{session_id}/jury",
    response_model=ExamSessionRead,
    summary="Compose the jury (composition du jury)",
    description="Replaces the jury. A TP jury (TITLE, CCP, CCS): at least two members "
    "habilitated for the certification and valid over the session's dates. A diploma jury: a "
    "president, teachers or trainers, and professionals of the sector. No juror sits in two "
    "overlapping sessions, and none is linked to a registered candidate (trainer, tutor, "
    "supervisor, colleague, personal). Each breach has its own code naming the juror.",
    responses={
        **success(
            200,
            "The session with its jury.",
            "Un jury de deux membres habilités",
            SESSION_READ_EXAMPLE,
        ),
        **problem_responses(*_AUTH, *_ACT, JurorNotFoundError, *_JURY),
    },
)
async def set_jury(
    session_id: uuid.UUID,
    payload: Annotated[
        JuryWrite,
        Body(
            openapi_examples=examples(
                "Jury d'un titre professionnel",
                JURY_EXAMPLE,
                "Two professionals habilitated for the certification (membres de jury).",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    rules: Rules,
    response: Response,
    if_match: IfMatch = None,
) -> ExamSessionRead:
    updated = await session_service.set_jury(
        db,
        principal,
        session_id,
        payload,
        expected_version=_version(if_match),
        rules=rules,
    )
    return _answer(response, updated)


@router.put(
    "/{session_id}/jury/{juror_id}/declaration",
    response_model=ExamSessionRead,
    summary="Record a juror's declaration of links (déclaration sur l'honneur)",
    description="Each juror declares, on their honour, the candidates of the session they "
    "know. A declared link with a registered candidate makes the jury unlawful until the juror "
    "is replaced.",
    responses={
        **success(
            200,
            "The session, with the declaration recorded on the juror's seat.",
            "Déclaration d'absence de lien enregistrée",
            SESSION_READ_EXAMPLE,
        ),
        **problem_responses(*_AUTH, ExamSessionNotFoundError, JurorNotFoundError),
    },
)
async def declare_links(
    session_id: uuid.UUID,
    juror_id: uuid.UUID,
    payload: Annotated[
        JuryDeclarationWrite,
        Body(
            openapi_examples=examples(
                "Le juré ne connaît aucun candidat",
                DECLARATION_EXAMPLE,
                "An empty list: the juror declares no link with the session's candidates.",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    rules: Rules,
    response: Response,
) -> ExamSessionRead:
    updated = await session_service.declare_links(
        db, principal, session_id, juror_id, payload, rules=rules
    )
    return _answer(response, updated)


@router.post(
    "/{session_id}/scheduling",
    response_model=ExamSessionRead,
    summary="Schedule a session (programmation de la session d'examen)",
    description="Requires an approval (agrément) of the site for the certification valid over "
    "every day of the session, a certification active at the RNCP over those days, and a "
    "lawful jury. Publishes `session-scheduled`. Honours If-Match.",
    responses={
        **success(
            200,
            "The scheduled session, now on the public calendar.",
            "Une session d'examen programmée",
            SESSION_READ_EXAMPLE,
        ),
        **problem_responses(
            *_AUTH,
            *_ACT,
            CertificationInactiveError,
            SessionNotApprovedError,
            CatalogUnavailableError,
            *_JURY,
            *_STAFF,
        ),
    },
)
async def schedule_session(
    session_id: uuid.UUID,
    db: DbSession,
    principal: CentreOrAdmin,
    catalog: Catalog,
    rules: Rules,
    response: Response,
    if_match: IfMatch = None,
) -> ExamSessionRead:
    scheduled = await session_service.schedule_session(
        db,
        principal,
        session_id,
        expected_version=_version(if_match),
        catalog=catalog,
        rules=rules,
    )
    return _answer(response, scheduled)


@router.post(
    "/{session_id}/convocations",
    response_model=ExamSessionRead,
    summary="Send the convocations (envoi des convocations)",
    description="Convokes candidates and jurors, one month before the session at the latest "
    "(Europe/Paris); registrations close then. The jury and the staff are checked once more "
    "against the final list of candidates. Each convocation is an iCalendar file. Honours If-Match.",
    responses={
        **success(
            200,
            "The session, its convocations sent.",
            "Convocations envoyées un mois avant la session",
            {
                **SESSION_READ_EXAMPLE,
                "state": "CONVOCATIONS_SENT",
                "allowed_actions": ["RECORD_ATTENDANCE", "MARK_HELD", "CANCEL"],
                "version": 5,
            },
        ),
        **problem_responses(*_AUTH, *_ACT, ConvocationsTooLateError, *_JURY, *_STAFF),
    },
)
async def send_convocations(
    session_id: uuid.UUID,
    db: DbSession,
    principal: CentreOrAdmin,
    now: Now,
    rules: Rules,
    response: Response,
    if_match: IfMatch = None,
) -> ExamSessionRead:
    convoked = await session_service.send_convocations(
        db,
        principal,
        session_id,
        expected_version=_version(if_match),
        now=now,
        rules=rules,
    )
    return _answer(response, convoked)


@router.post(
    "/{session_id}/holding",
    response_model=ExamSessionRead,
    summary="Record that the session took place (session tenue)",
    description="After its end; the report (procès-verbal) can then be signed. Honours "
    "If-Match.",
    responses={
        **success(
            200,
            "The session, HELD.",
            "Une session d'examen tenue",
            {
                **SESSION_READ_EXAMPLE,
                "state": "HELD",
                "allowed_actions": ["RECORD_ATTENDANCE", "SIGN_REPORT"],
                "version": 6,
            },
        ),
        **problem_responses(*_AUTH, *_ACT, SessionNotEndedError),
    },
)
async def mark_held(
    session_id: uuid.UUID,
    db: DbSession,
    principal: CentreOrAdmin,
    now: Now,
    rules: Rules,
    response: Response,
    if_match: IfMatch = None,
) -> ExamSessionRead:
    held = await session_service.mark_held(
        db,
        principal,
        session_id,
        expected_version=_version(if_match),
        now=now,
        rules=rules,
    )
    return _answer(response, held)


@router.post(
    "/{session_id}/cancellation",
    response_model=ExamSessionRead,
    summary="Cancel a session (annulation de la session d'examen)",
    description="Before it takes place. Publishes `session-cancelled`. Honours If-Match.",
    responses={
        **success(
            200,
            "The cancelled session.",
            "Une session d'examen annulée",
            {
                **SESSION_READ_EXAMPLE,
                "state": "CANCELLED",
                "cancelled_reason": CANCELLATION_EXAMPLE["reason"],
                "allowed_actions": [],
                "version": 5,
            },
        ),
        **problem_responses(*_AUTH, *_ACT),
    },
)
async def cancel_session(
    session_id: uuid.UUID,
    payload: Annotated[
        CancellationWrite,
        Body(
            openapi_examples=examples(
                "Annulation pour indisponibilité du plateau technique",
                CANCELLATION_EXAMPLE,
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    rules: Rules,
    response: Response,
    if_match: IfMatch = None,
) -> ExamSessionRead:
    cancelled = await session_service.cancel_session(
        db,
        principal,
        session_id,
        reason=payload.reason,
        expected_version=_version(if_match),
        rules=rules,
    )
    return _answer(response, cancelled)
