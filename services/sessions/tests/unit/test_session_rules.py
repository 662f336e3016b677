"""The session rules that need no database: state machine, deadlines, juries, links."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from common import Role
from sessions.session.rules import (
    TRANSITIONS,
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
    habilitation_refusal,
    jury_problem,
    link_between,
    months_before,
    normalise_name,
    registration_deadline,
    session_days,
    target_of,
)

PARIS = ZoneInfo("Europe/Paris")
CENTRE = (Role.EXAM_CENTRE, Role.ADMIN)

# Who may take each action, from which states: the table as the domain states it.
EXPECTED: dict[Action, tuple[set[State], set[Role]]] = {
    Action.UPDATE: ({State.DRAFT, State.SCHEDULED}, set(CENTRE)),
    Action.SET_JURY: ({State.DRAFT, State.SCHEDULED}, set(CENTRE)),
    Action.SCHEDULE: ({State.DRAFT}, set(CENTRE)),
    Action.REGISTER: ({State.SCHEDULED}, {Role.PARTNER}),
    Action.SEND_CONVOCATIONS: ({State.SCHEDULED}, set(CENTRE)),
    Action.RECORD_ATTENDANCE: ({State.CONVOCATIONS_SENT, State.HELD}, set(CENTRE)),
    Action.MARK_HELD: ({State.CONVOCATIONS_SENT}, set(CENTRE)),
    Action.SIGN_REPORT: ({State.HELD}, set(CENTRE)),
    Action.REVOKE_REPORT: ({State.REPORT_SIGNED}, {Role.ADMIN}),
    Action.CANCEL: (
        {State.DRAFT, State.SCHEDULED, State.CONVOCATIONS_SENT},
        set(CENTRE),
    ),
}


class TestCan:
    def test_every_action_has_one_row(self) -> None:
        assert sorted(t.action for t in TRANSITIONS) == sorted(Action)

    @pytest.mark.parametrize("action", list(Action))
    @pytest.mark.parametrize("state", list(State))
    @pytest.mark.parametrize("role", list(Role))
    def test_matches_the_table(self, action: Action, state: State, role: Role) -> None:
        states, roles = EXPECTED[action]
        assert can(action, state, role) is (state in states and role in roles)

    @pytest.mark.parametrize("role", list(Role))
    def test_a_cancelled_session_allows_nothing(self, role: Role) -> None:
        assert not any(can(action, State.CANCELLED, role) for action in Action)

    def test_certifiers_never_act_on_a_session(self) -> None:
        assert not any(
            can(action, state, Role.CERTIFIER) for action in Action for state in State
        )


class TestAllowedActions:
    @pytest.mark.parametrize(
        ("state", "role", "expected"),
        [
            (
                State.DRAFT,
                Role.EXAM_CENTRE,
                [Action.UPDATE, Action.SET_JURY, Action.SCHEDULE, Action.CANCEL],
            ),
            (
                State.SCHEDULED,
                Role.EXAM_CENTRE,
                [
                    Action.UPDATE,
                    Action.SET_JURY,
                    Action.SEND_CONVOCATIONS,
                    Action.CANCEL,
                ],
            ),
            (State.SCHEDULED, Role.PARTNER, [Action.REGISTER]),
            (State.DRAFT, Role.PARTNER, []),
            (
                State.CONVOCATIONS_SENT,
                Role.ADMIN,
                [Action.RECORD_ATTENDANCE, Action.MARK_HELD, Action.CANCEL],
            ),
            (
                State.HELD,
                Role.EXAM_CENTRE,
                [Action.RECORD_ATTENDANCE, Action.SIGN_REPORT],
            ),
            (State.REPORT_SIGNED, Role.EXAM_CENTRE, []),
            (State.REPORT_SIGNED, Role.ADMIN, [Action.REVOKE_REPORT]),
            (State.SCHEDULED, Role.CERTIFIER, []),
            (State.CANCELLED, Role.ADMIN, []),
        ],
    )
    def test_lists_the_actions_in_the_table_order(
        self, state: State, role: Role, expected: list[Action]
    ) -> None:
        assert allowed_actions(state, role) == expected

    @pytest.mark.parametrize("state", list(State))
    @pytest.mark.parametrize("role", list(Role))
    def test_agrees_with_can(self, state: State, role: Role) -> None:
        assert set(allowed_actions(state, role)) == {
            action for action in Action if can(action, state, role)
        }


class TestTargetOf:
    @pytest.mark.parametrize(
        ("action", "state", "target"),
        [
            (Action.SCHEDULE, State.DRAFT, State.SCHEDULED),
            (Action.SEND_CONVOCATIONS, State.SCHEDULED, State.CONVOCATIONS_SENT),
            (Action.MARK_HELD, State.CONVOCATIONS_SENT, State.HELD),
            (Action.SIGN_REPORT, State.HELD, State.REPORT_SIGNED),
            (Action.REVOKE_REPORT, State.REPORT_SIGNED, State.HELD),
            (Action.CANCEL, State.CONVOCATIONS_SENT, State.CANCELLED),
            (Action.UPDATE, State.SCHEDULED, State.SCHEDULED),
            (Action.SET_JURY, State.DRAFT, State.DRAFT),
            (Action.REGISTER, State.SCHEDULED, State.SCHEDULED),
            (Action.RECORD_ATTENDANCE, State.HELD, State.HELD),
        ],
    )
    def test_moves_or_keeps_the_state(
        self, action: Action, state: State, target: State
    ) -> None:
        assert target_of(action, state) is target


class TestMonthsBefore:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2027, 5, 15), 1, date(2027, 4, 15)),
            (date(2027, 5, 31), 1, date(2027, 4, 30)),
            (date(2027, 3, 31), 1, date(2027, 2, 28)),
            (date(2027, 3, 29), 1, date(2027, 2, 28)),
            (date(2028, 3, 31), 1, date(2028, 2, 29)),
            (date(2028, 3, 30), 1, date(2028, 2, 29)),
            (date(2100, 3, 29), 1, date(2100, 2, 28)),  # not a leap year
            (date(2000, 3, 30), 1, date(2000, 2, 29)),  # a leap year
            (date(2027, 1, 15), 1, date(2026, 12, 15)),
            (date(2027, 1, 31), 2, date(2026, 11, 30)),
            (date(2028, 2, 29), 12, date(2027, 2, 28)),
            (date(2027, 7, 31), 0, date(2027, 7, 31)),
        ],
    )
    def test_goes_back_to_the_same_day_or_the_month_end(
        self, day: date, months: int, expected: date
    ) -> None:
        assert months_before(day, months) == expected

    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2027, 1, 31), -1, date(2027, 2, 28)),
            (date(2027, 12, 15), -1, date(2028, 1, 15)),
            (date(2020, 2, 29), -60, date(2025, 2, 28)),
            (date(2019, 2, 28), -60, date(2024, 2, 28)),
        ],
    )
    def test_negative_months_go_forward(
        self, day: date, months: int, expected: date
    ) -> None:
        assert months_before(day, months) == expected


class TestRegistrationDeadline:
    @pytest.mark.parametrize(
        ("starts_at", "expected_utc"),
        [
            # Summer session, deadline still in winter time (before the last Sunday of March).
            (
                datetime(2027, 4, 15, 8, tzinfo=PARIS),
                datetime(2027, 3, 14, 23, tzinfo=UTC),
            ),
            # Winter session, deadline in summer time (before the last Sunday of October).
            (
                datetime(2026, 11, 5, 9, tzinfo=PARIS),
                datetime(2026, 10, 4, 22, tzinfo=UTC),
            ),
            # The deadline falls on the night clocks go forward (28 March 2027).
            (
                datetime(2027, 4, 28, 8, tzinfo=PARIS),
                datetime(2027, 3, 27, 23, tzinfo=UTC),
            ),
            # Either side of the night clocks go back (31 October 2027).
            (
                datetime(2027, 11, 30, 8, tzinfo=PARIS),
                datetime(2027, 10, 29, 22, tzinfo=UTC),
            ),
            (
                datetime(2027, 12, 1, 8, tzinfo=PARIS),
                datetime(2027, 10, 31, 23, tzinfo=UTC),
            ),
            # The 31st: the month before has 28 days.
            (
                datetime(2027, 3, 31, 8, tzinfo=PARIS),
                datetime(2027, 2, 27, 23, tzinfo=UTC),
            ),
        ],
    )
    def test_is_midnight_in_paris_a_month_before(
        self, starts_at: datetime, expected_utc: datetime
    ) -> None:
        deadline = registration_deadline(starts_at, 1)
        assert deadline == expected_utc
        local = deadline.astimezone(PARIS)
        assert (local.hour, local.minute) == (0, 0)

    def test_takes_the_first_day_in_paris_not_in_utc(self) -> None:
        # 00:30 on 1 June in Paris is still 31 May in UTC.
        starts_at = datetime(2027, 5, 31, 22, 30, tzinfo=UTC)
        deadline = registration_deadline(starts_at, 1)
        assert deadline.astimezone(PARIS) == datetime(2027, 5, 1, tzinfo=PARIS)

    def test_counts_the_configured_months(self) -> None:
        starts_at = datetime(2027, 6, 10, 8, tzinfo=PARIS)
        assert registration_deadline(starts_at, 2) == datetime(
            2027, 4, 10, tzinfo=PARIS
        )
        assert registration_deadline(starts_at, 0) == datetime(
            2027, 6, 10, tzinfo=PARIS
        )


class TestSessionDays:
    def test_are_the_paris_dates(self) -> None:
        starts_at = datetime(2027, 5, 31, 22, 30, tzinfo=UTC)  # 1 June, 00:30 in Paris
        ends_at = datetime(2027, 6, 2, 22, 30, tzinfo=UTC)  # 3 June, 00:30 in Paris
        assert session_days(starts_at, ends_at) == (date(2027, 6, 1), date(2027, 6, 3))


def _refusal(
    years: int = 10, left: date | None = None, granted: date = date(2026, 6, 15)
) -> str | None:
    return habilitation_refusal(
        years_in_trade=years,
        left_trade_on=left,
        granted_on=granted,
        min_years=3,
        max_years_out=5,
    )


class TestHabilitationRefusal:
    def test_admits_a_practising_professional(self) -> None:
        assert _refusal() is None

    def test_refuses_two_years_in_the_trade(self) -> None:
        refusal = _refusal(years=2)
        assert refusal is not None
        assert "2 year(s)" in refusal and "at least 3" in refusal

    def test_admits_exactly_three_years(self) -> None:
        assert _refusal(years=3) is None

    def test_admits_one_who_left_exactly_five_years_before(self) -> None:
        assert _refusal(left=date(2021, 6, 15), granted=date(2026, 6, 15)) is None

    def test_refuses_one_who_left_five_years_and_a_day_before(self) -> None:
        refusal = _refusal(left=date(2021, 6, 15), granted=date(2026, 6, 16))
        assert refusal is not None
        assert "2021-06-15" in refusal and "more than 5 years" in refusal

    def test_refuses_one_who_left_six_years_before(self) -> None:
        assert _refusal(left=date(2020, 6, 15), granted=date(2026, 6, 15)) is not None

    def test_counts_five_years_from_the_29th_of_february(self) -> None:
        assert _refusal(left=date(2020, 2, 29), granted=date(2025, 2, 28)) is None
        assert _refusal(left=date(2020, 2, 29), granted=date(2025, 3, 1)) is not None

    def test_admits_one_who_left_after_the_habilitation(self) -> None:
        assert _refusal(left=date(2026, 9, 1), granted=date(2026, 6, 15)) is None

    def test_checks_experience_first(self) -> None:
        refusal = _refusal(years=1, left=date(2010, 1, 1))
        assert refusal is not None and "year(s) in the trade" in refusal


def _seat(
    name: str,
    role: JuryRole = JuryRole.MEMBER,
    profile: Profile = Profile.PROFESSIONAL,
    *,
    habilitated: bool = True,
) -> Seat:
    return Seat(name, role, profile, habilitated)


class TestJuryProblemOfATP:
    @pytest.mark.parametrize(
        "kind", [SessionKind.TITLE, SessionKind.CCP, SessionKind.CCS]
    )
    def test_admits_two_habilitated_members(self, kind: SessionKind) -> None:
        assert jury_problem(kind, [_seat("Nadia Roux"), _seat("Luc Petit")], 2) is None

    @pytest.mark.parametrize("size", [0, 1])
    def test_refuses_a_jury_too_small(self, size: int) -> None:
        seats = [_seat(f"Juror {i}") for i in range(size)]
        problem = jury_problem(SessionKind.TITLE, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_TOO_SMALL"
        assert f"it has {size}" in problem[1]

    def test_honours_the_configured_minimum(self) -> None:
        seats = [_seat("Nadia Roux"), _seat("Luc Petit")]
        problem = jury_problem(SessionKind.CCP, seats, 3)
        assert problem is not None and problem[0] == "JURY_TOO_SMALL"

    def test_refuses_a_member_not_habilitated_naming_them(self) -> None:
        seats = [_seat("Nadia Roux"), _seat("Luc Petit", habilitated=False)]
        problem = jury_problem(SessionKind.TITLE, seats, 2)
        assert problem is not None
        assert problem[0] == "JUROR_NOT_HABILITATED"
        assert "Luc Petit" in problem[1]

    def test_reports_a_lone_unhabilitated_juror_as_not_habilitated(self) -> None:
        # A draft's partial jury is checked for habilitations only: this code must come first.
        problem = jury_problem(
            SessionKind.TITLE, [_seat("Luc Petit", habilitated=False)], 2
        )
        assert problem is not None and problem[0] == "JUROR_NOT_HABILITATED"

    @pytest.mark.parametrize(
        "role", [JuryRole.PRESIDENT, JuryRole.TEACHER_TRAINER, JuryRole.PROFESSIONAL]
    )
    def test_refuses_a_diploma_role(self, role: JuryRole) -> None:
        seats = [_seat("Nadia Roux"), _seat("Luc Petit", role=role)]
        problem = jury_problem(SessionKind.TITLE, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_COMPOSITION_INVALID"
        assert "Luc Petit" in problem[1] and role.value in problem[1]


def _diploma_jury(*extra: Seat) -> list[Seat]:
    return [
        _seat(
            "Anne Président",
            JuryRole.PRESIDENT,
            Profile.TEACHER_TRAINER,
            habilitated=False,
        ),
        _seat(
            "Paul Prof",
            JuryRole.TEACHER_TRAINER,
            Profile.TEACHER_TRAINER,
            habilitated=False,
        ),
        _seat(
            "Marc Pro", JuryRole.PROFESSIONAL, Profile.PROFESSIONAL, habilitated=False
        ),
        *extra,
    ]


class TestJuryProblemOfADiploma:
    def test_admits_a_president_a_teacher_and_a_professional(self) -> None:
        assert jury_problem(SessionKind.DIPLOMA_JURY, _diploma_jury(), 2) is None

    def test_admits_a_professional_president(self) -> None:
        seats = _diploma_jury()
        seats[0] = _seat("Anne Président", JuryRole.PRESIDENT, Profile.PROFESSIONAL)
        assert jury_problem(SessionKind.DIPLOMA_JURY, seats, 2) is None

    def test_admits_several_teachers_and_professionals(self) -> None:
        seats = _diploma_jury(
            _seat("Eve Prof", JuryRole.TEACHER_TRAINER, Profile.TEACHER_TRAINER),
            _seat("Léo Pro", JuryRole.PROFESSIONAL, Profile.PROFESSIONAL),
        )
        assert jury_problem(SessionKind.DIPLOMA_JURY, seats, 2) is None

    def test_refuses_no_president(self) -> None:
        problem = jury_problem(SessionKind.DIPLOMA_JURY, _diploma_jury()[1:], 2)
        assert problem == (
            "JURY_COMPOSITION_INVALID",
            "a diploma jury has exactly one president; this one has 0",
        )

    def test_refuses_two_presidents(self) -> None:
        seats = _diploma_jury(_seat("Bis Président", JuryRole.PRESIDENT))
        problem = jury_problem(SessionKind.DIPLOMA_JURY, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_COMPOSITION_INVALID" and "has 2" in problem[1]

    def test_refuses_no_teacher(self) -> None:
        seats = [s for s in _diploma_jury() if s.role is not JuryRole.TEACHER_TRAINER]
        problem = jury_problem(SessionKind.DIPLOMA_JURY, seats, 2)
        assert problem is not None
        assert (
            problem[0] == "JURY_COMPOSITION_INVALID" and "teacher trainer" in problem[1]
        )

    def test_refuses_no_professional(self) -> None:
        seats = [s for s in _diploma_jury() if s.role is not JuryRole.PROFESSIONAL]
        problem = jury_problem(SessionKind.DIPLOMA_JURY, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_COMPOSITION_INVALID" and "professional" in problem[1]

    def test_refuses_a_professional_seated_as_teacher(self) -> None:
        seats = _diploma_jury(
            _seat("Faux Prof", JuryRole.TEACHER_TRAINER, Profile.PROFESSIONAL)
        )
        problem = jury_problem(SessionKind.DIPLOMA_JURY, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_COMPOSITION_INVALID"
        assert "Faux Prof" in problem[1] and "TEACHER_TRAINER" in problem[1]

    def test_refuses_a_teacher_seated_as_professional(self) -> None:
        seats = _diploma_jury(
            _seat("Faux Pro", JuryRole.PROFESSIONAL, Profile.TEACHER_TRAINER)
        )
        problem = jury_problem(SessionKind.DIPLOMA_JURY, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_COMPOSITION_INVALID" and "Faux Pro" in problem[1]

    def test_refuses_a_tp_member_seat(self) -> None:
        seats = _diploma_jury(_seat("Simple Membre", JuryRole.MEMBER))
        problem = jury_problem(SessionKind.DIPLOMA_JURY, seats, 2)
        assert problem is not None
        assert problem[0] == "JURY_COMPOSITION_INVALID"
        assert "Simple Membre" in problem[1] and "MEMBER" in problem[1]

    def test_needs_no_habilitation(self) -> None:
        seats = _diploma_jury()
        assert not any(seat.habilitated for seat in seats)
        assert jury_problem(SessionKind.DIPLOMA_JURY, seats, 2) is None


class TestNormaliseName:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            ("Hélène Lefèvre", "helene lefevre"),
            ("  JEAN-PIERRE   Dupont ", "jean pierre dupont"),
            ("Anne-Sophie d'Arcy", "anne sophie d arcy"),
            ("Ève Ça", "eve ca"),
            ("Lætitia Cœur", "laetitia coeur"),
            ("Jürgen Straße", "jurgen strasse"),
            ("Anne\u2011Sophie D\u2019Arcy", "anne sophie d arcy"),
            ("J.-P. Dupont", "j p dupont"),
        ],
    )
    def test_ignores_accents_case_hyphens_and_spaces(
        self, name: str, expected: str
    ) -> None:
        assert normalise_name(name) == expected


JUROR = Person("Hélène Lefèvre-Durand", "Helene.Lefevre@Example.org", "j-42")


def _link(
    full_name: str = "Someone Else",
    email: str | None = None,
    juror_id: str | None = None,
    relation: str = "TRAINER",
) -> DeclaredLink:
    return DeclaredLink(relation, full_name, email, juror_id)


class TestLinkBetween:
    def test_matches_the_juror_id(self) -> None:
        link = _link(juror_id="j-42")
        assert link_between(JUROR, [link]) is link

    def test_matches_the_email_whatever_its_case(self) -> None:
        link = _link(email="HELENE.LEFEVRE@example.ORG")
        assert link_between(JUROR, [link]) is link

    @pytest.mark.parametrize(
        "declared",
        [
            "helene lefevre-durand",
            "HÉLÈNE LEFÈVRE DURAND",
            "Helene  Lefevre - Durand",
            "hélène lefèvre durand",
        ],
    )
    def test_matches_the_name_without_accents_case_or_hyphens(
        self, declared: str
    ) -> None:
        link = _link(full_name=declared)
        assert link_between(JUROR, [link]) is link

    def test_matches_a_ligature_typed_as_two_letters(self) -> None:
        link = _link(full_name="Laetitia Coeur")
        assert link_between(Person("Lætitia Cœur"), [link]) is link

    def test_matches_whatever_apostrophe_was_typed(self) -> None:
        link = _link(full_name="Anne D\u2019Arcy")
        assert link_between(Person("Anne d'Arcy"), [link]) is link

    def test_returns_the_link_that_names_the_person(self) -> None:
        other = _link(full_name="Paul Martin", relation="COLLEAGUE")
        tutor = _link(full_name="Helene Lefevre Durand", relation="INTERNSHIP_TUTOR")
        found = link_between(JUROR, [other, tutor])
        assert found is tutor and found.relation == "INTERNSHIP_TUTOR"

    @pytest.mark.parametrize(
        "link",
        [
            _link(
                full_name="Hélène Lefèvre"
            ),  # a namesake without the second family name
            _link(full_name="Hélène Durand-Lefèvre"),
            _link(full_name="Helene Lefevre Durandy"),
            _link(email="helene.lefevre@example.com"),
            _link(juror_id="j-43"),
        ],
    )
    def test_finds_no_false_match(self, link: DeclaredLink) -> None:
        assert link_between(JUROR, [link]) is None

    def test_never_matches_on_missing_emails_or_ids(self) -> None:
        staff = Person("Julien Bertrand")  # a manager: no e-mail, no juror id
        assert link_between(staff, [_link(full_name="Claire Martin")]) is None

    def test_finds_nothing_among_no_links(self) -> None:
        assert link_between(JUROR, []) is None


class TestDatesSanity:
    def test_paris_offsets_used_above(self) -> None:
        # Guards the DST expectations of TestRegistrationDeadline.
        assert datetime(2027, 3, 28, tzinfo=PARIS).utcoffset() == timedelta(hours=1)
        assert datetime(2027, 3, 29, tzinfo=PARIS).utcoffset() == timedelta(hours=2)
        assert datetime(2027, 10, 31, tzinfo=PARIS).utcoffset() == timedelta(hours=2)
        assert datetime(2027, 11, 1, tzinfo=PARIS).utcoffset() == timedelta(hours=1)
