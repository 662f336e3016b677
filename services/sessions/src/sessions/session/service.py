"""Exam session use cases: create, change, compose the jury, schedule, convoke, hold, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import (
    PermissionDeniedError,
    Principal,
    ServiceError,
    add_event,
    cursor_position,
    keyset_page,
    utcnow,
)
from sessions.access import manages
from sessions.centre.models import ExamSite
from sessions.centre.repository import CentreRepository
from sessions.clients.catalog import CatalogCertification, CatalogClient
from sessions.config import EVENT_SOURCE
from sessions.db import OutboxEvent
from sessions.errors import (
    ActionNotAllowedError,
    BlocksNotInCertificationError,
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
    SessionManagerConflictOfInterestError,
    SessionNotApprovedError,
    SessionNotEndedError,
    SessionTooLongError,
    SessionVersionMismatchError,
    SiteNotFoundError,
    SupervisorConflictOfInterestError,
)
from sessions.juror.models import Juror
from sessions.juror.repository import JurorRepository
from sessions.registration.models import Registration
from sessions.registration.repository import RegistrationRepository
from sessions.session.models import ExamSession, JuryMember
from sessions.session.repository import SessionRepository
from sessions.session.rules import (
    Action,
    DeclaredLink,
    JuryRole,
    Person,
    Profile,
    Seat,
    SessionKind,
    State,
    allowed_actions,
    can,
    jury_problem,
    link_between,
    registration_deadline,
    session_days,
    target_of,
)
from sessions.session.schemas import (
    ExamSessionCreate,
    ExamSessionRead,
    ExamSessionUpdate,
    JuryDeclarationWrite,
    JurySeatRead,
    JuryWrite,
    PersonRead,
    SiteSummary,
)

_CURSOR = "exam-session"
_JURY_ERRORS: dict[str, type[ServiceError]] = {
    "JURY_TOO_SMALL": JuryTooSmallError,
    "JUROR_NOT_HABILITATED": JurorNotHabilitatedError,
    "JURY_COMPOSITION_INVALID": JuryCompositionInvalidError,
}


@dataclass(frozen=True, slots=True)
class SessionRules:
    """The configurable figures of the rules."""

    title_jury_min_members: int = 2
    max_test_hours: float = 12.0
    convocation_months: int = 1


def _no_session(session_id: uuid.UUID) -> ExamSessionNotFoundError:
    return ExamSessionNotFoundError(
        f"No exam session {session_id} is visible to you: check the id."
    )


def to_read(
    session: ExamSession,
    site: ExamSite,
    *,
    whole: bool,
    jury: Sequence[tuple[JuryMember, Juror]],
    principal: Principal | None,
    rules: SessionRules,
) -> ExamSessionRead:
    """The session as its caller sees it: whole, or as the public calendar shows it."""
    actions: list[Action] = []
    if principal is not None:
        actions = [
            a
            for a in allowed_actions(State(session.state), principal.role)
            if a is Action.REGISTER or manages(principal, session)
        ]
    return ExamSessionRead(
        id=session.id,
        centre_id=session.centre_id,
        site=SiteSummary.model_validate(site, from_attributes=True),
        rncp_code=session.rncp_code,
        certification_title=session.certification_title,
        kind=SessionKind(session.kind),
        block_codes=session.block_codes,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        test_hours=session.test_hours,
        capacity=session.capacity,
        seats_left=session.capacity - session.seats_taken,
        state=State(session.state),
        region=session.region,
        department=session.department,
        registration_deadline=registration_deadline(
            session.starts_at, rules.convocation_months
        ),
        manager=PersonRead(**session.manager) if whole else None,
        supervisors=[PersonRead(**p) for p in session.supervisors] if whole else None,
        jury=[
            JurySeatRead(
                juror_id=juror.id,
                full_name=juror.full_name,
                profile=Profile(juror.profile),
                role=JuryRole(member.role),
                declared_candidacy_ids=member.declared_candidacy_ids,
                declared_at=member.declared_at,
            )
            for member, juror in jury
        ]
        if whole
        else None,
        cancelled_reason=session.cancelled_reason,
        allowed_actions=actions,
        version=session.version,
        created_at=session.created_at,
        updated_at=session.updated_at,
    )


async def publish(
    db: AsyncSession,
    session: ExamSession,
    site: ExamSite,
    name: str,
    rules: SessionRules,
) -> None:
    """Adds a ``fr.vae.sessions.<name>.v1`` event to the outbox: the public calendar's view of
    the session, plus ``certifier_ids`` (the certifiers recorded for it), which partner
    webhooks use, with ``centre_id``, to decide who may receive the event."""
    data = to_read(session, site, whole=False, jury=[], principal=None, rules=rules)
    add_event(
        db,
        OutboxEvent,
        type=f"fr.vae.sessions.{name}.v1",
        source=EVENT_SOURCE,
        subject=str(session.id),
        data={
            **data.model_dump(
                mode="json",
                exclude={"allowed_actions", "manager", "supervisors", "jury"},
            ),
            "certifier_ids": await SessionRepository(db).certifiers_of(session.id),
        },
    )


async def site_of(db: AsyncSession, session: ExamSession) -> ExamSite:
    site = await CentreRepository(db).get_site(session.centre_id, session.site_id)
    assert site is not None  # a session's site belongs to its centre (foreign keys)
    return site


async def load(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    lock: bool = False,
) -> tuple[ExamSession, bool]:
    """Gets a session the caller may see, and whether they see it whole.

    Raises
    ------
    ExamSessionNotFoundError
        It does not exist or is a draft of another centre.
    """
    found = await SessionRepository(db).get_visible(principal, session_id, lock=lock)
    if found is None:
        raise _no_session(session_id)
    return found


def check_version(session: ExamSession, expected: int | None) -> None:
    """Refuses a stale ETag (a 412 whatever the state: the caller's view is out of date).

    Raises
    ------
    SessionVersionMismatchError
        The session changed since the caller read it.
    """
    if expected is not None and expected != session.version:
        raise SessionVersionMismatchError(
            f"The session changed since you read it (it is at version {session.version}): read it again and retry."
        )


def check_standing(session: ExamSession, action: Action, principal: Principal) -> None:
    """Refuses a caller who does not manage the session an action only its centre takes.

    Checked before the version, so that another centre learns nothing of the session's state.

    Raises
    ------
    PermissionDeniedError
        The caller does not manage this session.
    """
    if action is not Action.REGISTER and not manages(principal, session):
        raise PermissionDeniedError(
            "Only the session's exam centre (or an administrator) may do this."
        )


def check_action(session: ExamSession, action: Action, principal: Principal) -> None:
    """Refuses an action the state machine or the caller's standing does not allow.

    Raises
    ------
    PermissionDeniedError
        The caller does not manage this session.
    ActionNotAllowedError
        Not in this state.
    """
    check_standing(session, action, principal)
    if not can(action, State(session.state), principal.role):
        allowed = allowed_actions(State(session.state), principal.role)
        raise ActionNotAllowedError(
            f"{action} is not possible on a session in state {session.state}"
            + (f"; you may now: {', '.join(allowed)}." if allowed else "."),
            state=session.state,
            allowed_actions=list(allowed),
        )


async def load_for(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    action: Action,
    expected_version: int | None,
) -> ExamSession:
    session, _ = await load(db, principal, session_id, lock=True)
    check_standing(session, action, principal)
    check_version(session, expected_version)
    check_action(session, action, principal)
    return session


async def change_session(
    repository: SessionRepository,
    session: ExamSession,
    expected: int | None,
    **values: Any,
) -> None:
    if not await repository.change(session, expected, **values):
        raise SessionVersionMismatchError(
            "The session changed since you read it: read it again and retry."
        )


def _check_times(
    starts_at: datetime, ends_at: datetime, test_hours: float, rules: SessionRules
) -> None:
    if ends_at <= starts_at:
        raise SessionDatesInvalidError("The session must end after it starts.")
    if test_hours > rules.max_test_hours:
        raise SessionTooLongError(
            f"Tests last at most {rules.max_test_hours:g} hours in all, over one or several days; this session plans {test_hours:g}."
        )
    span_hours = (ends_at - starts_at).total_seconds() / 3600
    if test_hours > span_hours:
        raise SessionDatesInvalidError(
            f"{test_hours:g} hours of tests do not fit between the start and the end ({span_hours:g} hours)."
        )


async def _certification(
    catalog: CatalogClient, rncp_code: str, as_of: date | None = None
) -> CatalogCertification:
    certification = await catalog.get_certification(rncp_code, as_of=as_of)
    if certification is None:
        raise CertificationUnknownError(
            f"The catalog knows no certification {rncp_code}: check the RNCP number."
        )
    return certification


async def create_session(
    db: AsyncSession,
    principal: Principal,
    payload: ExamSessionCreate,
    *,
    catalog: CatalogClient,
    rules: SessionRules,
) -> ExamSessionRead:
    """Creates a DRAFT session at one of the centre's sites.

    Raises
    ------
    ExamCentreNotFoundError, SiteNotFoundError, PermissionDeniedError
        No such centre or site; not the centre's client.
    SessionDatesInvalidError, SessionTooLongError
        The dates or the hours of tests break the rules.
    CertificationUnknownError, BlocksNotInCertificationError, CatalogUnavailableError
        The certification or its blocks are unknown, or the catalog could not be asked.
    """
    from sessions.centre.service import check_acts_for

    async with db.begin():
        repository = CentreRepository(db)
        centre = await repository.get(payload.centre_id)
        if centre is None:
            raise ExamCentreNotFoundError(
                f"No exam centre has the id {payload.centre_id}."
            )
        check_acts_for(principal, centre.id)
        site = await repository.get_site(centre.id, payload.site_id)
        if site is None:
            raise SiteNotFoundError(
                f"Exam centre {centre.id} has no site {payload.site_id}: add the site first."
            )
    _check_times(payload.starts_at, payload.ends_at, payload.test_hours, rules)
    certification = await _certification(catalog, payload.rncp_code)
    blocks = payload.block_codes or certification.block_codes
    unknown = sorted(set(blocks) - set(certification.block_codes))
    if unknown or not blocks:
        raise BlocksNotInCertificationError(
            f"{', '.join(unknown) or 'No block'} {'is' if len(unknown) <= 1 else 'are'} not a block of {payload.rncp_code}; its blocks are {', '.join(certification.block_codes) or 'none'}.",
            block_codes=unknown,
        )
    now = utcnow()
    session = ExamSession(
        id=uuid7(),
        centre_id=centre.id,
        site_id=site.id,
        rncp_code=payload.rncp_code,
        certification_title=certification.title,
        kind=payload.kind,
        block_codes=[c for c in certification.block_codes if c in blocks],
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
        test_hours=payload.test_hours,
        capacity=payload.capacity,
        seats_taken=0,
        state=State.DRAFT,
        region=centre.region,
        department=site.department,
        manager=payload.manager.model_dump(mode="json"),
        supervisors=[p.model_dump(mode="json") for p in payload.supervisors],
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with db.begin():
        db.add(session)
        await db.flush()
        await SessionRepository(db).set_certifiers(
            session.id, [str(c.id) for c in certification.certifiers]
        )
    return to_read(session, site, whole=True, jury=[], principal=principal, rules=rules)


async def get_session(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    rules: SessionRules,
) -> ExamSessionRead:
    """Gets a session: whole for its centre, its certifier and administrators.

    Raises
    ------
    ExamSessionNotFoundError
        No such session visible to the caller.
    """
    async with db.begin():
        session, whole = await load(db, principal, session_id)
        site = await site_of(db, session)
        jury = await SessionRepository(db).jury_of(session.id) if whole else []
    return to_read(
        session, site, whole=whole, jury=jury, principal=principal, rules=rules
    )


@dataclass(frozen=True, slots=True)
class CalendarFilters:
    """What a counsellor asks first: which certification, where, when, with seats left."""

    rncp_code: str | None = None
    region: str | None = None
    department: str | None = None
    centre_id: uuid.UUID | None = None
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    state: State | None = None
    with_seats_left: bool = False
    kind: SessionKind | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The SQL conditions of these filters."""
        conditions: list[ColumnElement[bool]] = []
        for column, value in (
            (ExamSession.rncp_code, self.rncp_code),
            (ExamSession.region, self.region),
            (ExamSession.department, self.department),
            (ExamSession.centre_id, self.centre_id),
            (ExamSession.state, self.state),
            (ExamSession.kind, self.kind),
        ):
            if value is not None:
                conditions.append(column == value)
        if self.starts_after is not None:
            conditions.append(ExamSession.starts_at >= self.starts_after)
        if self.starts_before is not None:
            conditions.append(ExamSession.starts_at < self.starts_before)
        if self.with_seats_left:
            conditions.append(ExamSession.seats_taken < ExamSession.capacity)
        return conditions


async def list_sessions(
    db: AsyncSession,
    principal: Principal,
    filters: CalendarFilters,
    *,
    cursor: str | None,
    limit: int,
    rules: SessionRules,
) -> tuple[list[ExamSessionRead], str | None]:
    """Lists the sessions the caller may see, soonest first.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    position = cursor_position(
        cursor,
        _CURSOR,
        lambda values: (datetime.fromisoformat(values[0]), uuid.UUID(values[1])),
    )
    async with db.begin():
        repository = SessionRepository(db)
        rows = await repository.calendar(
            principal, filters=filters.conditions(), position=position, limit=limit + 1
        )
        items, next_cursor = keyset_page(
            rows,
            limit,
            _CURSOR,
            lambda row: [row[0].starts_at.isoformat(), str(row[0].id)],
        )
        reads = []
        for session, whole in items:
            jury = await repository.jury_of(session.id) if whole else []
            reads.append(
                to_read(
                    session,
                    await site_of(db, session),
                    whole=whole,
                    jury=jury,
                    principal=principal,
                    rules=rules,
                )
            )
    return reads, next_cursor


async def update_session(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    payload: ExamSessionUpdate,
    *,
    expected_version: int | None,
    rules: SessionRules,
) -> ExamSessionRead:
    """Changes a session's staff and capacity, and its dates while it is a draft.

    A new manager or supervisor is checked against the registered candidates' links.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; not in DRAFT or SCHEDULED; changed meanwhile.
    SessionDatesInvalidError, SessionTooLongError
        New dates or hours break the rules (or dates change once scheduled).
    SessionFullError
        The capacity would fall under the seats already taken.
    SessionManagerConflictOfInterestError, SupervisorConflictOfInterestError
        The new staff is linked to a registered candidate.
    """
    from sessions.errors import SessionFullError

    changes = payload.model_dump(exclude_unset=True, mode="json")
    async with db.begin():
        repository = SessionRepository(db)
        session = await load_for(
            db, principal, session_id, Action.UPDATE, expected_version
        )
        moves = {"starts_at", "ends_at", "test_hours"} & changes.keys()
        if moves and session.state != State.DRAFT:
            raise SessionDatesInvalidError(
                "The dates and hours of a scheduled session are fixed (its approval and jury were checked for them): cancel it and create another."
            )
        starts_at = payload.starts_at or session.starts_at
        ends_at = payload.ends_at or session.ends_at
        _check_times(
            starts_at, ends_at, payload.test_hours or session.test_hours, rules
        )
        if payload.capacity is not None and payload.capacity < session.seats_taken:
            raise SessionFullError(
                f"{session.seats_taken} candidates are registered: the capacity cannot fall under that."
            )
        values: dict[str, Any] = {k: v for k, v in changes.items() if k not in moves}
        if moves:
            values.update(
                starts_at=starts_at,
                ends_at=ends_at,
                test_hours=payload.test_hours or session.test_hours,
            )
        await change_session(repository, session, expected_version, **values)
        if moves:
            await repository.set_dates_of_jury(session)
        jury = await repository.jury_of(session.id)
        registrations = await RegistrationRepository(db).of_session(session.id)
        check_conflicts(session, jury, registrations)
        site = await site_of(db, session)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )


def check_conflicts(
    session: ExamSession,
    jury: Sequence[tuple[JuryMember, Juror]],
    registrations: Sequence[Registration],
) -> None:
    """Refuses any juror, manager or supervisor linked to a registered candidate.

    Links come from the candidates' declarations (copied at registration) and from each
    juror's own declaration for this session.

    Raises
    ------
    JurorConflictOfInterestError, SessionManagerConflictOfInterestError,
    SupervisorConflictOfInterestError
        Naming the person, the candidacy and the link.
    """
    for registration in registrations:
        links = [DeclaredLink(**link) for link in registration.links]
        candidacy = str(registration.candidacy_id)
        for member, juror in jury:
            if candidacy in member.declared_candidacy_ids:
                raise JurorConflictOfInterestError(
                    f"Juror {juror.full_name} ({juror.id}) declared a link with the candidate of candidacy {candidacy}: they may not sit on this jury.",
                    person=juror.full_name,
                    juror_id=str(juror.id),
                    candidacy_id=candidacy,
                    rule="DECLARED_BY_JUROR",
                )
            link = link_between(
                Person(juror.full_name, juror.email, str(juror.id)), links
            )
            if link is not None:
                raise JurorConflictOfInterestError(
                    f"Juror {juror.full_name} ({juror.id}) is declared as {link.relation} by the candidate of candidacy {candidacy}: they may not sit on this jury.",
                    person=juror.full_name,
                    juror_id=str(juror.id),
                    candidacy_id=candidacy,
                    rule=link.relation,
                )
        manager = Person(session.manager["full_name"], session.manager.get("email"))
        link = link_between(manager, links)
        if link is not None:
            raise SessionManagerConflictOfInterestError(
                f"The session manager {manager.full_name} is declared as {link.relation} by the candidate of candidacy {candidacy}: name another manager.",
                person=manager.full_name,
                candidacy_id=candidacy,
                rule=link.relation,
            )
        for supervisor in session.supervisors:
            person = Person(supervisor["full_name"], supervisor.get("email"))
            link = link_between(person, links)
            if link is not None:
                raise SupervisorConflictOfInterestError(
                    f"The supervisor {person.full_name} is declared as {link.relation} by the candidate of candidacy {candidacy}: they may not supervise these tests.",
                    person=person.full_name,
                    candidacy_id=candidacy,
                    rule=link.relation,
                )


async def _check_jury(
    db: AsyncSession,
    session: ExamSession,
    jury: Sequence[tuple[JuryMember, Juror]],
    *,
    complete: bool,
    rules: SessionRules,
) -> None:
    """Refuses a jury that breaks the rules; ``complete`` also checks its size and roles."""
    first_day, last_day = session_days(session.starts_at, session.ends_at)
    ids = [juror.id for _, juror in jury]
    habilitated = await JurorRepository(db).habilitated(
        ids, session.rncp_code, first_day, last_day
    )
    kind = SessionKind(session.kind)
    seats = [
        Seat(
            juror.full_name,
            JuryRole(member.role),
            Profile(juror.profile),
            juror.id in habilitated,
        )
        for member, juror in jury
    ]
    problem = jury_problem(kind, seats, rules.title_jury_min_members)
    if problem is not None and (complete or problem[0] == "JUROR_NOT_HABILITATED"):
        code, detail = problem
        raise _JURY_ERRORS[code](f"The jury breaks the rules: {detail}.")
    for juror_id, other in await SessionRepository(db).double_bookings(
        ids, session.starts_at, session.ends_at, session.id
    ):
        name = next(j.full_name for _, j in jury if j.id == juror_id)
        raise JurorDoubleBookedError(
            f"Juror {name} ({juror_id}) already sits in session {other}, which overlaps this one.",
            person=name,
            juror_id=str(juror_id),
            other_session_id=str(other),
        )


async def set_jury(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    payload: JuryWrite,
    *,
    expected_version: int | None,
    rules: SessionRules,
) -> ExamSessionRead:
    """Replaces a session's jury, checked against the rules, other sessions and candidates.

    The jurors' rows are locked while the double bookings are checked, so two sessions cannot
    seat the same juror over the same days at once.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; not in DRAFT or SCHEDULED; changed meanwhile.
    JurorNotFoundError
        A juror does not exist.
    JurorNotHabilitatedError, JuryTooSmallError, JuryCompositionInvalidError,
    JurorDoubleBookedError, JurorConflictOfInterestError
        The jury breaks a rule (size and roles are checked once the session is scheduled).
    """
    ids = [seat.juror_id for seat in payload.members]
    async with db.begin():
        repository = SessionRepository(db)
        session = await load_for(
            db, principal, session_id, Action.SET_JURY, expected_version
        )
        jurors = {j.id: j for j in await JurorRepository(db).get_many(ids, lock=True)}
        missing = [str(i) for i in ids if i not in jurors]
        if missing:
            raise JurorNotFoundError(f"No juror has the id(s) {', '.join(missing)}.")
        await repository.replace_jury(
            session, [(seat.juror_id, seat.role.value) for seat in payload.members]
        )
        jury = await repository.jury_of(session.id)
        await _check_jury(
            db, session, jury, complete=session.state != State.DRAFT, rules=rules
        )
        check_conflicts(
            session, jury, await RegistrationRepository(db).of_session(session.id)
        )
        await change_session(repository, session, expected_version)
        site = await site_of(db, session)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )


async def declare_links(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    juror_id: uuid.UUID,
    payload: JuryDeclarationWrite,
    *,
    rules: SessionRules,
) -> ExamSessionRead:
    """Records a juror's own declaration of links with the session's candidates.

    A declared link with a registered candidate is a conflict of interest: the answer is the
    refusal naming it, and the declaration stays recorded so that the session cannot go on
    with this juror.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError
        Not visible; not the centre's.
    JurorNotFoundError
        The juror does not sit on this jury.
    """
    async with db.begin():
        repository = SessionRepository(db)
        session, _ = await load(db, principal, session_id, lock=True)
        if not manages(principal, session):
            raise PermissionDeniedError(
                "Only the session's exam centre (or an administrator) records jurors' declarations."
            )
        jury = await repository.jury_of(session.id)
        member = next((m for m, _ in jury if m.juror_id == juror_id), None)
        if member is None:
            raise JurorNotFoundError(
                f"Juror {juror_id} does not sit on this session's jury."
            )
        member.declared_candidacy_ids = sorted(
            {str(i) for i in payload.linked_candidacy_ids}
        )
        member.declared_at = utcnow()
        await change_session(repository, session, None)
        site = await site_of(db, session)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )


async def schedule_session(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    expected_version: int | None,
    catalog: CatalogClient,
    rules: SessionRules,
) -> ExamSessionRead:
    """Schedules a draft: approved site, active certification, lawful jury.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; not a draft; changed meanwhile.
    CertificationInactiveError, CatalogUnavailableError
        The certification is not active over the session (or the catalog could not be asked).
    SessionNotApprovedError
        No approval of the site covers every day of the session.
    JuryTooSmallError, JurorNotHabilitatedError, JuryCompositionInvalidError,
    JurorDoubleBookedError
        The jury breaks a rule.
    """
    async with db.begin():
        session, _ = await load(db, principal, session_id)
        check_standing(session, Action.SCHEDULE, principal)
        check_version(session, expected_version)
        check_action(session, Action.SCHEDULE, principal)
    first_day, last_day = session_days(session.starts_at, session.ends_at)
    certification = await _certification(catalog, session.rncp_code, first_day)
    end = certification.registration.end_date
    if not certification.active or (end is not None and end < last_day):
        raise CertificationInactiveError(
            f"{session.rncp_code} is not registered and active at the RNCP over the whole session ({first_day} to {last_day})"
            + (f"; its registration ends on {end}" if end else "")
            + "."
        )
    async with db.begin():
        repository = SessionRepository(db)
        session = await load_for(
            db, principal, session_id, Action.SCHEDULE, expected_version
        )
        approval = await CentreRepository(db).covering_approval(
            session.site_id, session.rncp_code, first_day, last_day
        )
        if approval is None:
            raise SessionNotApprovedError(
                f"No approval (agrément) of this site for {session.rncp_code} covers every day from {first_day} to {last_day}: ask the DREETS for one, or move the session."
            )
        jury = await repository.jury_of(session.id)
        jurors = [juror.id for _, juror in jury]
        await JurorRepository(db).get_many(jurors, lock=True)
        await _check_jury(db, session, jury, complete=True, rules=rules)
        check_conflicts(
            session, jury, await RegistrationRepository(db).of_session(session.id)
        )
        await change_session(
            repository, session, expected_version, state=State.SCHEDULED
        )
        site = await site_of(db, session)
        await publish(db, session, site, "session-scheduled", rules)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )


async def send_convocations(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    expected_version: int | None,
    now: datetime,
    rules: SessionRules,
) -> ExamSessionRead:
    """Convokes candidates and jurors, one month before the session at the latest.

    The jury and the conflicts are checked once more against the final list of candidates.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; not scheduled; changed meanwhile.
    ConvocationsTooLateError
        Less than a month remains before the session.
    JuryTooSmallError, JurorNotHabilitatedError, JuryCompositionInvalidError,
    JurorDoubleBookedError, JurorConflictOfInterestError,
    SessionManagerConflictOfInterestError, SupervisorConflictOfInterestError
        The jury or the staff breaks a rule.
    """
    async with db.begin():
        repository = SessionRepository(db)
        session = await load_for(
            db, principal, session_id, Action.SEND_CONVOCATIONS, expected_version
        )
        deadline = registration_deadline(session.starts_at, rules.convocation_months)
        if now >= deadline:
            raise ConvocationsTooLateError(
                f"Convocations are due one month before the session, by {deadline.isoformat()}: it is too late for this session; cancel it and plan another."
            )
        jury = await repository.jury_of(session.id)
        await _check_jury(db, session, jury, complete=True, rules=rules)
        check_conflicts(
            session, jury, await RegistrationRepository(db).of_session(session.id)
        )
        await change_session(
            repository,
            session,
            expected_version,
            state=State.CONVOCATIONS_SENT,
            convocations_sent_at=now,
        )
        site = await site_of(db, session)
        await publish(db, session, site, "convocations-sent", rules)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )


async def mark_held(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    expected_version: int | None,
    now: datetime,
    rules: SessionRules,
) -> ExamSessionRead:
    """Records that the session took place, once it has ended.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; not convoked; changed meanwhile.
    SessionNotEndedError
        The session has not ended yet.
    """
    async with db.begin():
        repository = SessionRepository(db)
        session = await load_for(
            db, principal, session_id, Action.MARK_HELD, expected_version
        )
        if now < session.ends_at:
            raise SessionNotEndedError(
                f"The session ends at {session.ends_at.isoformat()}: it can be marked held after that."
            )
        await change_session(
            repository,
            session,
            expected_version,
            state=target_of(Action.MARK_HELD, State(session.state)),
        )
        site = await site_of(db, session)
        jury = await repository.jury_of(session.id)
        await publish(db, session, site, "session-held", rules)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )


async def cancel_session(
    db: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    reason: str,
    expected_version: int | None,
    rules: SessionRules,
) -> ExamSessionRead:
    """Cancels a session that has not taken place; its registrations stay, marked by its state.

    Raises
    ------
    ExamSessionNotFoundError, PermissionDeniedError, ActionNotAllowedError,
    SessionVersionMismatchError
        Not visible; not the centre's; already held or cancelled; changed meanwhile.
    """
    async with db.begin():
        repository = SessionRepository(db)
        session = await load_for(
            db, principal, session_id, Action.CANCEL, expected_version
        )
        await change_session(
            repository,
            session,
            expected_version,
            state=State.CANCELLED,
            cancelled_reason=reason,
        )
        site = await site_of(db, session)
        jury = await repository.jury_of(session.id)
        await publish(db, session, site, "session-cancelled", rules)
    return to_read(
        session, site, whole=True, jury=jury, principal=principal, rules=rules
    )
