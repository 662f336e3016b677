"""Session rules that need no database: the state machine, deadlines, juries, conflicts.

The state machine is one table; resources show the actions their caller may take now.
"""

from __future__ import annotations

import calendar
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from common import Role

PARIS = ZoneInfo("Europe/Paris")


class State(StrEnum):
    """Where an exam session stands."""

    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    CONVOCATIONS_SENT = "CONVOCATIONS_SENT"
    HELD = "HELD"
    REPORT_SIGNED = "REPORT_SIGNED"
    CANCELLED = "CANCELLED"


class Action(StrEnum):
    """What can happen to an exam session."""

    UPDATE = "UPDATE"
    SET_JURY = "SET_JURY"
    SCHEDULE = "SCHEDULE"
    REGISTER = "REGISTER"
    SEND_CONVOCATIONS = "SEND_CONVOCATIONS"
    RECORD_ATTENDANCE = "RECORD_ATTENDANCE"
    MARK_HELD = "MARK_HELD"
    SIGN_REPORT = "SIGN_REPORT"
    REVOKE_REPORT = "REVOKE_REPORT"
    CANCEL = "CANCEL"


class SessionKind(StrEnum):
    """Session titre (whole TP), CCP (blocks), CCS (specialisation), jury of a diploma."""

    TITLE = "TITLE"
    CCP = "CCP"
    CCS = "CCS"
    DIPLOMA_JURY = "DIPLOMA_JURY"


class JuryRole(StrEnum):
    """A juror's seat: any habilitated member of a TP jury, or the roles of a diploma jury."""

    MEMBER = "MEMBER"
    PRESIDENT = "PRESIDENT"
    TEACHER_TRAINER = "TEACHER_TRAINER"
    PROFESSIONAL = "PROFESSIONAL"


class Profile(StrEnum):
    """What a juror is: a professional of the trade, or a teacher or trainer of the specialty."""

    PROFESSIONAL = "PROFESSIONAL"
    TEACHER_TRAINER = "TEACHER_TRAINER"


class Attendance(StrEnum):
    """What the session manager records for a candidate."""

    PRESENT = "PRESENT"
    LATE = "LATE"
    ABSENT = "ABSENT"
    EXCUSED = "EXCUSED"


class BlockResult(StrEnum):
    """The jury's result for one assessed block."""

    VALIDATED = "VALIDATED"
    NOT_VALIDATED = "NOT_VALIDATED"
    NOT_ASSESSED = "NOT_ASSESSED"


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the state machine."""

    action: Action
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    actors: frozenset[Role]


_CENTRE = frozenset({Role.EXAM_CENTRE, Role.ADMIN})

TRANSITIONS: tuple[Transition, ...] = (
    Transition(Action.UPDATE, frozenset({State.DRAFT, State.SCHEDULED}), None, _CENTRE),
    Transition(
        Action.SET_JURY, frozenset({State.DRAFT, State.SCHEDULED}), None, _CENTRE
    ),
    Transition(Action.SCHEDULE, frozenset({State.DRAFT}), State.SCHEDULED, _CENTRE),
    Transition(
        Action.REGISTER, frozenset({State.SCHEDULED}), None, frozenset({Role.PARTNER})
    ),
    Transition(
        Action.SEND_CONVOCATIONS,
        frozenset({State.SCHEDULED}),
        State.CONVOCATIONS_SENT,
        _CENTRE,
    ),
    Transition(
        Action.RECORD_ATTENDANCE,
        frozenset({State.CONVOCATIONS_SENT, State.HELD}),
        None,
        _CENTRE,
    ),
    Transition(
        Action.MARK_HELD, frozenset({State.CONVOCATIONS_SENT}), State.HELD, _CENTRE
    ),
    Transition(
        Action.SIGN_REPORT, frozenset({State.HELD}), State.REPORT_SIGNED, _CENTRE
    ),
    Transition(
        Action.REVOKE_REPORT,
        frozenset({State.REPORT_SIGNED}),
        State.HELD,
        frozenset({Role.ADMIN}),
    ),
    Transition(
        Action.CANCEL,
        frozenset({State.DRAFT, State.SCHEDULED, State.CONVOCATIONS_SENT}),
        State.CANCELLED,
        _CENTRE,
    ),
)

_BY_ACTION = {transition.action: transition for transition in TRANSITIONS}


def can(action: Action, state: State, role: Role) -> bool:
    """Tells whether a role may take an action in a state."""
    transition = _BY_ACTION[action]
    return state in transition.sources and role in transition.actors


def allowed_actions(state: State, role: Role) -> list[Action]:
    """The actions a role may take now, in the table's order."""
    return [t.action for t in TRANSITIONS if state in t.sources and role in t.actors]


def target_of(action: Action, state: State) -> State:
    """The state an action leads to from a state."""
    return _BY_ACTION[action].target or state


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the 31st becomes the month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def registration_deadline(starts_at: datetime, months: int) -> datetime:
    """When registrations close and convocations must be out: midnight in Paris, a month before."""
    first_day = starts_at.astimezone(PARIS).date()
    return datetime.combine(months_before(first_day, months), time(0), tzinfo=PARIS)


def session_days(starts_at: datetime, ends_at: datetime) -> tuple[date, date]:
    """The first and last days of a session, in Paris."""
    return starts_at.astimezone(PARIS).date(), ends_at.astimezone(PARIS).date()


def habilitation_refusal(
    *,
    years_in_trade: int,
    left_trade_on: date | None,
    granted_on: date,
    min_years: int,
    max_years_out: int,
) -> str | None:
    """Why a juror may not be habilitated on a date (three years in the trade, not out of it
    for more than five), or None when they may."""
    if years_in_trade < min_years:
        return f"has {years_in_trade} year(s) in the trade; a juror needs at least {min_years}"
    if left_trade_on is not None and granted_on > months_before(
        left_trade_on, -12 * max_years_out
    ):
        return (
            f"left the trade on {left_trade_on}, more than {max_years_out} years before "
            f"the habilitation on {granted_on}"
        )
    return None


@dataclass(frozen=True, slots=True)
class Seat:
    """A juror's seat in a jury, with what the rules need to know of them."""

    name: str
    role: JuryRole
    profile: Profile
    habilitated: bool


def jury_problem(
    kind: SessionKind, seats: Sequence[Seat], min_members: int
) -> tuple[str, str] | None:
    """The first breach of the jury rules as (code, detail), or None when the jury is lawful.

    A TP jury (TITLE, CCP, CCS): at least ``min_members`` members, every one habilitated for the
    certification over the session's dates. A diploma jury: one president, at least one
    teacher or trainer and one professional of the sector, each seated by their profile (no
    TP MEMBER seat).
    """
    if kind is SessionKind.DIPLOMA_JURY:
        for seat in seats:
            if seat.role is JuryRole.MEMBER:
                return (
                    "JURY_COMPOSITION_INVALID",
                    f"{seat.name} sits as MEMBER; a diploma jury seats a PRESIDENT, TEACHER_TRAINERs and PROFESSIONALs",
                )
        roles = [seat.role for seat in seats]
        if roles.count(JuryRole.PRESIDENT) != 1:
            return (
                "JURY_COMPOSITION_INVALID",
                f"a diploma jury has exactly one president; this one has {roles.count(JuryRole.PRESIDENT)}",
            )
        for role, profile in (
            (JuryRole.TEACHER_TRAINER, Profile.TEACHER_TRAINER),
            (JuryRole.PROFESSIONAL, Profile.PROFESSIONAL),
        ):
            if role not in roles:
                return (
                    "JURY_COMPOSITION_INVALID",
                    f"a diploma jury needs at least one {role.value.lower().replace('_', ' ')}",
                )
            for seat in seats:
                if seat.role is role and seat.profile is not profile:
                    return (
                        "JURY_COMPOSITION_INVALID",
                        f"{seat.name} sits as {role.value} but is a {seat.profile.value}",
                    )
        return None
    for seat in seats:
        if seat.role is not JuryRole.MEMBER:
            return (
                "JURY_COMPOSITION_INVALID",
                f"{seat.name} sits as {seat.role.value}; a TP jury has MEMBERs only",
            )
        if not seat.habilitated:
            return (
                "JUROR_NOT_HABILITATED",
                f"{seat.name} holds no habilitation for this certification valid over the session's dates",
            )
    if len(seats) < min_members:
        return (
            "JURY_TOO_SMALL",
            f"a TP jury needs at least {min_members} habilitated members; it has {len(seats)}",
        )
    return None


_LIGATURES = str.maketrans({"æ": "ae", "œ": "oe"})


def normalise_name(name: str) -> str:
    """A name compared without accents, ligatures, case, punctuation or extra spaces.

    Any hyphen, dash or apostrophe (typed ``'`` or ``’``) separates words, and ``œ`` is ``oe``.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = plain.casefold().translate(_LIGATURES)
    return " ".join("".join(c if c.isalnum() else " " for c in folded).split())


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who may not be linked to a candidate: juror, session manager, supervisor."""

    full_name: str
    email: str | None = None
    juror_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeclaredLink:
    """A link a candidate declared, as the candidacy service holds it."""

    relation: str
    full_name: str
    email: str | None = None
    juror_id: str | None = None


def link_between(person: Person, links: Iterable[DeclaredLink]) -> DeclaredLink | None:
    """The candidate's declared link that names this person, or None.

    Matched on the juror id, the e-mail (case ignored) or the name (accents, case and hyphens
    ignored): refusing a lawful juror is a nuisance, seating a linked one voids the jury.
    """
    name = normalise_name(person.full_name)
    email = person.email.casefold() if person.email else None
    for link in links:
        if person.juror_id is not None and link.juror_id == person.juror_id:
            return link
        if (
            email is not None
            and link.email is not None
            and link.email.casefold() == email
        ):
            return link
        if normalise_name(link.full_name) == name:
            return link
    return None
