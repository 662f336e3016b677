"""Registration use cases: register an admissible candidacy, cancel, list, record attendance."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import PermissionDeniedError, Principal, Role, utcnow
from sessions.access import manages
from sessions.clients.candidacy import CandidacyClient
from sessions.errors import (
    AlreadyRegisteredError,
    BlocksNotInTargetError,
    CandidacyCertificationMismatchError,
    CandidacyNotAdmissibleError,
    CandidacyNotFoundError,
    CandidateDoubleBookedError,
    RegistrationClosedError,
    RegistrationNotFoundError,
    SessionFullError,
    SessionNotStartedError,
)
from sessions.registration.models import Registration
from sessions.registration.repository import RegistrationRepository
from sessions.registration.schemas import (
    AttendanceWrite,
    RegistrationCreate,
    RegistrationRead,
)
from sessions.session.models import ExamSession
from sessions.session.repository import SessionRepository
from sessions.session.rules import Action, Attendance, State, registration_deadline
from sessions.session.service import SessionRules, check_action, check_conflicts, load

# Candidacies that may sit a session: admissible, or partially validated (a new jury follows).
_REGISTRABLE = frozenset({"ADMISSIBLE", "PARTIALLY_CERTIFIED"})


def _read(registration: Registration) -> RegistrationRead:
    return RegistrationRead(
        id=registration.id,
        session_id=registration.session_id,
        candidacy_id=registration.candidacy_id,
        candidate_id=registration.candidate_id,
        organisation_id=registration.organisation_id,
        candidate_name=registration.candidate_name,
        block_codes=registration.block_codes,
        attendance=Attendance(registration.attendance)
        if registration.attendance
        else None,
        created_at=registration.created_at,
    )


def _check_open(session: ExamSession, now: datetime, rules: SessionRules) -> None:
    deadline = registration_deadline(session.starts_at, rules.convocation_months)
    if now >= deadline:
        raise RegistrationClosedError(
            f"Registrations closed on {deadline.isoformat()}, one month before the session: choose a later session."
        )


async def register(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    payload: RegistrationCreate,
    *,
    authorization: str,
    candidacy_client: CandidacyClient,
    now: datetime,
    rules: SessionRules,
) -> RegistrationRead:
    """Registers an admissible candidacy in a scheduled session, never beyond its capacity.

    The candidacy service is asked with the caller's own credentials (so a partner registers
    only its own candidacies). Seats are taken by one conditional UPDATE, so no concurrency
    can overbook; the (session, candidacy) unique key refuses a double registration.

    Raises
    ------
    ExamSessionNotFoundError, ActionNotAllowedError
        No such session visible; not open to registrations.
    RegistrationClosedError
        Less than a month before the session.
    CandidacyNotFoundError, CandidacyNotAdmissibleError, CandidacyCertificationMismatchError,
    BlocksNotInTargetError, CandidacyServiceUnavailableError
        The candidacy cannot sit this session (or the candidacy service could not be asked).
    CandidateDoubleBookedError, AlreadyRegisteredError, SessionFullError
        The candidate sits another session then; already registered; no seat left.
    JurorConflictOfInterestError, SessionManagerConflictOfInterestError,
    SupervisorConflictOfInterestError
        Someone of the session is linked to the candidate.
    """
    async with db.begin():
        session, _ = await load(db, principal, session_id)
        check_action(session, Action.REGISTER, principal)
        _check_open(session, now, rules)
    candidacy = await candidacy_client.get_candidacy(
        payload.candidacy_id, authorization=authorization
    )
    if candidacy is None:
        raise CandidacyNotFoundError(
            f"No candidacy {payload.candidacy_id} is visible to you: register your own candidates' candidacies."
        )
    if candidacy.state not in _REGISTRABLE:
        raise CandidacyNotAdmissibleError(
            f"Candidacy {candidacy.id} is {candidacy.state}: only an ADMISSIBLE candidacy (or one partially certified) may sit a session."
        )
    if candidacy.rncp_code != session.rncp_code:
        raise CandidacyCertificationMismatchError(
            f"Candidacy {candidacy.id} aims at {candidacy.rncp_code}; this session assesses {session.rncp_code}."
        )
    target = candidacy.target_block_codes or session.block_codes
    blocks = payload.block_codes or [c for c in session.block_codes if c in target]
    outside = sorted(set(blocks) - (set(session.block_codes) & set(target)))
    if outside or not blocks:
        raise BlocksNotInTargetError(
            f"Blocks {', '.join(outside) or '(none)'} are not both assessed by this session ({', '.join(session.block_codes)}) and aimed at by the candidacy ({', '.join(target)}).",
            block_codes=outside,
        )
    candidate = await candidacy_client.get_candidate(
        candidacy.candidate_id, authorization=authorization
    )
    if candidate is None:
        raise CandidacyNotFoundError(
            f"The candidate of candidacy {candidacy.id} is not visible to you."
        )
    registration = Registration(
        id=uuid7(),
        session_id=session.id,
        candidacy_id=candidacy.id,
        candidate_id=candidacy.candidate_id,
        organisation_id=candidacy.organisation_id,
        block_codes=blocks,
        candidate_name=f"{candidate.given_name} {candidate.family_name}",
        candidate_email=candidate.email,
        links=[
            {
                "relation": link.relation,
                "full_name": link.full_name,
                "email": link.email,
                "juror_id": str(link.juror_id) if link.juror_id else None,
            }
            for link in candidate.links
        ],
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        created_at=utcnow(),
    )
    try:
        async with db.begin():
            repository = SessionRepository(db)
            session, _ = await load(db, principal, session_id)
            check_action(session, Action.REGISTER, principal)
            _check_open(session, now, rules)
            registrations = RegistrationRepository(db)
            await registrations.lock_candidate(candidacy.candidate_id)
            other = await registrations.overlapping(
                candidacy.candidate_id, session.starts_at, session.ends_at
            )
            if other is not None and other.session_id == session.id:
                raise AlreadyRegisteredError(
                    f"Candidacy {candidacy.id} is already registered in this session."
                )
            if other is not None:
                raise CandidateDoubleBookedError(
                    f"The candidate is registered in session {other.session_id}, which overlaps this one.",
                    other_session_id=str(other.session_id),
                )
            check_conflicts(
                session, await repository.jury_of(session.id), [registration]
            )
            if await repository.take_seat(session.id) is None:
                raise SessionFullError(
                    f"Session {session.id} is full ({session.capacity} seats): choose another session."
                )
            db.add(registration)
    except IntegrityError as error:
        raise AlreadyRegisteredError(
            f"Candidacy {candidacy.id} is already registered in this session."
        ) from error
    return _read(registration)


async def _visible_registration(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
) -> tuple[ExamSession, bool, Registration]:
    session, whole = await load(db, principal, session_id)
    registration = await RegistrationRepository(db).get(session.id, registration_id)
    mine = registration is not None and (
        whole
        or (
            principal.role is Role.PARTNER
            and registration.organisation_id == principal.organisation_id
        )
    )
    if registration is None or not mine:
        raise RegistrationNotFoundError(
            f"No registration {registration_id} of this session is visible to you."
        )
    return session, whole, registration


async def list_registrations(
    db: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> list[RegistrationRead]:
    """Lists a session's registrations: all for its centre and certifier, a partner's own.

    Raises
    ------
    ExamSessionNotFoundError
        No such session visible to the caller.
    """
    async with db.begin():
        session, whole = await load(db, principal, session_id)
        # Only a partner's organisation owns registrations; any other caller not seeing the
        # whole session sees none (a centre's or certifier's id must never match a partner's).
        organisation = (
            None
            if whole
            else principal.organisation_id
            if principal.role is Role.PARTNER and principal.organisation_id
            else "-"
        )
        rows = await RegistrationRepository(db).of_session(
            session.id, organisation_id=organisation
        )
    return [_read(r) for r in rows]


async def cancel_registration(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
) -> None:
    """Cancels a registration while the session is scheduled; its seat is given back.

    Raises
    ------
    ExamSessionNotFoundError, RegistrationNotFoundError
        Not visible to the caller.
    PermissionDeniedError
        A certifier: it sees the session but does not act on it.
    ActionNotAllowedError
        The convocations are out (or the session is over).
    """
    from sessions.errors import ActionNotAllowedError

    async with db.begin():
        session, _, registration = await _visible_registration(
            db, principal, session_id, registration_id
        )
        # A certifier sees the whole session but acts on none of it.
        if principal.role is not Role.PARTNER and not manages(principal, session):
            raise PermissionDeniedError(
                "Only the registering partner or the session's exam centre cancels a registration."
            )
        if session.state != State.SCHEDULED:
            raise ActionNotAllowedError(
                f"A registration is cancelled while the session is SCHEDULED; it is {session.state}."
            )
        await RegistrationRepository(db).remove(registration)
        await SessionRepository(db).release_seat(session.id)


async def record_attendance(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
    payload: AttendanceWrite,
    *,
    now: datetime,
) -> RegistrationRead:
    """Records a candidate's presence, absence or late arrival (the manager's émargement).

    Raises
    ------
    ExamSessionNotFoundError, RegistrationNotFoundError, PermissionDeniedError
        Not visible; not the session's centre.
    ActionNotAllowedError, SessionNotStartedError
        Not convoked yet; the session has not started.
    """
    async with db.begin():
        session, _, registration = await _visible_registration(
            db, principal, session_id, registration_id
        )
        if not manages(principal, session):
            raise PermissionDeniedError(
                "Only the session's exam centre records attendance."
            )
        check_action(session, Action.RECORD_ATTENDANCE, principal)
        if now < session.starts_at:
            raise SessionNotStartedError(
                f"The session starts at {session.starts_at.isoformat()}: attendance is recorded from then."
            )
        registration.attendance = payload.attendance
    return _read(registration)


async def convocation_of(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    registration_id: uuid.UUID,
) -> tuple[ExamSession, Registration]:
    """The session and registration of a candidate's convocation, once convocations are out.

    Raises
    ------
    ExamSessionNotFoundError, RegistrationNotFoundError
        Not visible to the caller.
    ActionNotAllowedError
        The convocations are not sent yet.
    """
    from sessions.errors import ActionNotAllowedError

    async with db.begin():
        session, _, registration = await _visible_registration(
            db, principal, session_id, registration_id
        )
    if session.convocations_sent_at is None:
        raise ActionNotAllowedError(
            "The convocations of this session are not sent yet."
        )
    return session, registration
