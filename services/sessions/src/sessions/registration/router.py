"""Endpoints of registrations and convocations."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from common import (
    AuthenticationError,
    DbSession,
    PermissionDeniedError,
    problem_responses,
)
from sessions.dependencies import (
    AnyRole,
    CallerAuthorization,
    Candidacy,
    CentreOrAdmin,
    Now,
    Partner,
    RegistrationActor,
    Rules,
)
from sessions.errors import (
    ActionNotAllowedError,
    AlreadyRegisteredError,
    BlocksNotInTargetError,
    CandidacyCertificationMismatchError,
    CandidacyNotAdmissibleError,
    CandidacyNotFoundError,
    CandidacyServiceUnavailableError,
    CandidateDoubleBookedError,
    ExamSessionNotFoundError,
    JurorConflictOfInterestError,
    JurorNotFoundError,
    RegistrationClosedError,
    RegistrationNotFoundError,
    SessionFullError,
    SessionManagerConflictOfInterestError,
    SessionNotStartedError,
    SupervisorConflictOfInterestError,
)
from sessions.openapi import examples, success
from sessions.registration import service as registration_service
from sessions.registration.schemas import (
    ATTENDANCE_EXAMPLE,
    CONVOCATION_EXAMPLE,
    REGISTRATION_CREATE_EXAMPLE,
    REGISTRATION_READ_EXAMPLE,
    AttendanceWrite,
    RegistrationCreate,
    RegistrationRead,
)
from sessions.session import ics
from sessions.session.service import load, site_of

router = APIRouter(prefix="/v1/exam-sessions/{session_id}", tags=["registrations"])

_AUTH = (AuthenticationError, PermissionDeniedError)
_CALENDAR: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/calendar": {
                "schema": {"type": "string"},
                "examples": examples(
                    "Convocation aux épreuves (fichier iCalendar)", CONVOCATION_EXAMPLE
                ),
            }
        },
        "description": "An iCalendar file.",
    }
}


@router.post(
    "/registrations",
    status_code=status.HTTP_201_CREATED,
    response_model=RegistrationRead,
    summary="Register a candidacy (inscription)",
    description="A partner registers one of its candidates' ADMISSIBLE candidacies for that "
    "certification (asked of the candidacy service), for blocks the session assesses and the "
    "candidacy aims at; no overlap with another session of the candidate; closed one month "
    "before the session (Europe/Paris); never more than the capacity (SESSION_FULL), under any "
    "concurrency. Nobody of the session may be linked to the candidate.",
    responses={
        **success(
            201,
            "The registration; the seat is taken.",
            "Une candidature inscrite à la session d'examen",
            REGISTRATION_READ_EXAMPLE,
        ),
        **problem_responses(
            *_AUTH,
            ExamSessionNotFoundError,
            ActionNotAllowedError,
            RegistrationClosedError,
            CandidacyNotFoundError,
            CandidacyNotAdmissibleError,
            CandidacyCertificationMismatchError,
            BlocksNotInTargetError,
            CandidateDoubleBookedError,
            AlreadyRegisteredError,
            SessionFullError,
            JurorConflictOfInterestError,
            SessionManagerConflictOfInterestError,
            SupervisorConflictOfInterestError,
            CandidacyServiceUnavailableError,
        ),
    },
)
async def register(
    session_id: uuid.UUID,
    payload: Annotated[
        RegistrationCreate,
        Body(
            openapi_examples=examples(
                "Inscription d'une candidature recevable sur deux blocs",
                REGISTRATION_CREATE_EXAMPLE,
                "An ADMISSIBLE candidacy (candidature recevable) of the partner's candidate, "
                "for two of the session's blocks; omit block_codes for every block it aims at.",
            )
        ),
    ],
    db: DbSession,
    principal: Partner,
    authorization: CallerAuthorization,
    candidacy: Candidacy,
    now: Now,
    rules: Rules,
    response: Response,
) -> RegistrationRead:
    created = await registration_service.register(
        db,
        principal,
        session_id,
        payload,
        authorization=authorization,
        candidacy_client=candidacy,
        now=now,
        rules=rules,
    )
    response.headers["Location"] = (
        f"/v1/exam-sessions/{session_id}/registrations/{created.id}"
    )
    return created


@router.get(
    "/registrations",
    response_model=list[RegistrationRead],
    summary="A session's registrations (inscriptions)",
    description="All of them for the session's centre, its certifier and administrators; a "
    "partner sees its own.",
    responses={
        **success(
            200,
            "The registrations the caller may see.",
            "Les inscrits d'une session d'examen",
            [REGISTRATION_READ_EXAMPLE],
        ),
        **problem_responses(*_AUTH, ExamSessionNotFoundError),
    },
)
async def list_registrations(
    session_id: uuid.UUID, db: DbSession, principal: AnyRole
) -> list[RegistrationRead]:
    return await registration_service.list_registrations(db, principal, session_id)


@router.delete(
    "/registrations/{registration_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Cancel a registration (désinscription)",
    description="While the session is SCHEDULED; the seat is given back. No content.",
    responses=problem_responses(
        *_AUTH,
        ExamSessionNotFoundError,
        RegistrationNotFoundError,
        ActionNotAllowedError,
    ),
)
async def cancel_registration(
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    db: DbSession,
    principal: RegistrationActor,
) -> Response:
    await registration_service.cancel_registration(
        db, principal, session_id, registration_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/registrations/{registration_id}/attendance",
    response_model=RegistrationRead,
    summary="Record attendance (émargement)",
    description="The session manager records each candidate PRESENT, LATE, ABSENT or EXCUSED, "
    "from the session's start.",
    responses={
        **success(
            200,
            "The registration with its attendance.",
            "Candidat émargé présent",
            {**REGISTRATION_READ_EXAMPLE, "attendance": "PRESENT"},
        ),
        **problem_responses(
            *_AUTH,
            ExamSessionNotFoundError,
            RegistrationNotFoundError,
            ActionNotAllowedError,
            SessionNotStartedError,
        ),
    },
)
async def record_attendance(
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    payload: Annotated[
        AttendanceWrite,
        Body(
            openapi_examples=examples(
                "Émargement : présent",
                ATTENDANCE_EXAMPLE,
                "PRESENT, LATE (en retard), ABSENT or EXCUSED (absence justifiée).",
            )
        ),
    ],
    db: DbSession,
    principal: CentreOrAdmin,
    now: Now,
) -> RegistrationRead:
    return await registration_service.record_attendance(
        db, principal, session_id, registration_id, payload, now=now
    )


@router.get(
    "/registrations/{registration_id}/convocation",
    response_class=Response,
    summary="A candidate's convocation (convocation du candidat, iCalendar)",
    description="Once the convocations are sent: the session's dates and place as a `.ics` file.",
    responses={
        **_CALENDAR,
        **problem_responses(
            *_AUTH,
            ExamSessionNotFoundError,
            RegistrationNotFoundError,
            ActionNotAllowedError,
        ),
    },
)
async def candidate_convocation(
    session_id: uuid.UUID, registration_id: uuid.UUID, db: DbSession, principal: AnyRole
) -> Response:
    session, registration = await registration_service.convocation_of(
        db, principal, session_id, registration_id
    )
    async with db.begin():
        site = await site_of(db, session)
    body = ics.convocation(
        session,
        site,
        uid=f"convocation-{registration.id}",
        attendee_name=registration.candidate_name,
        attendee_email=registration.candidate_email,
        purpose="Convocation du candidat aux épreuves de validation des acquis de l'expérience.",
    )
    return Response(
        body,
        media_type=ics.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="convocation.ics"'},
    )


@router.get(
    "/jury/{juror_id}/convocation",
    response_class=Response,
    summary="A juror's convocation (convocation du membre de jury, iCalendar)",
    description="Once the convocations are sent, for the session's centre.",
    responses={
        **_CALENDAR,
        **problem_responses(
            *_AUTH, ExamSessionNotFoundError, JurorNotFoundError, ActionNotAllowedError
        ),
    },
)
async def juror_convocation(
    session_id: uuid.UUID, juror_id: uuid.UUID, db: DbSession, principal: CentreOrAdmin
) -> Response:
    from sessions.access import manages
    from sessions.session.repository import SessionRepository

    async with db.begin():
        session, _ = await load(db, principal, session_id)
        if not manages(principal, session):
            raise PermissionDeniedError(
                "Only the session's exam centre convokes its jurors."
            )
        juror = next(
            (
                j
                for m, j in await SessionRepository(db).jury_of(session.id)
                if j.id == juror_id
            ),
            None,
        )
        site = await site_of(db, session)
    if juror is None:
        raise JurorNotFoundError(
            f"Juror {juror_id} does not sit on this session's jury."
        )
    if session.convocations_sent_at is None:
        raise ActionNotAllowedError(
            "The convocations of this session are not sent yet."
        )
    body = ics.convocation(
        session,
        site,
        uid=f"jury-{session.id}-{juror.id}",
        attendee_name=juror.full_name,
        attendee_email=juror.email,
        purpose="Convocation du membre de jury.",
    )
    return Response(
        body,
        media_type=ics.MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="convocation-jury.ics"'},
    )
