"""The candidacy state machine and the jury's outcome, without a database."""

from __future__ import annotations

import pytest

from candidacy.candidacy.rules import (
    SYSTEM,
    TRANSITIONS,
    Action,
    Attendance,
    BlockResult,
    JuryResult,
    State,
    allowed_actions,
    can,
    check_target,
    jury_outcome,
)
from common import Role

BLOCKS = ["B1", "B2", "B3"]


class TestStateMachine:
    def test_partner_submits_drafts_and_incomplete_files_only(self) -> None:
        assert can(Action.SUBMIT, State.DRAFT, Role.PARTNER)
        assert can(Action.SUBMIT, State.INCOMPLETE, Role.PARTNER)
        assert not can(Action.SUBMIT, State.SUBMITTED, Role.PARTNER)
        assert not can(Action.SUBMIT, State.DRAFT, Role.CERTIFIER)

    def test_only_a_certifier_decides_and_only_once_submitted(self) -> None:
        assert can(Action.DECIDE_ADMISSIBILITY, State.SUBMITTED, Role.CERTIFIER)
        assert not can(Action.DECIDE_ADMISSIBILITY, State.SUBMITTED, Role.ADMIN)
        assert not can(Action.DECIDE_ADMISSIBILITY, State.ADMISSIBLE, Role.CERTIFIER)

    def test_withdrawal_from_every_open_state_and_never_after_closure(self) -> None:
        for state in State:
            open_state = state in {
                State.DRAFT,
                State.SUBMITTED,
                State.INCOMPLETE,
                State.ADMISSIBLE,
                State.PARTIALLY_CERTIFIED,
            }
            assert can(Action.WITHDRAW, state, Role.PARTNER) is open_state, state

    def test_allowed_actions_follow_the_table(self) -> None:
        assert allowed_actions(State.DRAFT, Role.PARTNER) == [
            Action.UPDATE,
            Action.SUBMIT,
            Action.WITHDRAW,
        ]
        assert allowed_actions(State.SUBMITTED, Role.CERTIFIER) == [
            Action.DECIDE_ADMISSIBILITY
        ]
        assert allowed_actions(State.ADMISSIBLE, Role.ADMIN) == [
            Action.REVOKE_DECISION,
            Action.WITHDRAW,
        ]
        assert allowed_actions(State.CERTIFIED, Role.PARTNER) == []

    def test_jury_outcomes_are_recorded_by_the_system_alone(self) -> None:
        for role in Role:
            assert not can(Action.RECORD_JURY_OUTCOME, State.ADMISSIBLE, role)
        assert can(Action.RECORD_JURY_OUTCOME, State.ADMISSIBLE, SYSTEM)
        assert can(Action.RECORD_JURY_OUTCOME, State.PARTIALLY_CERTIFIED, SYSTEM)

    def test_every_action_has_one_row(self) -> None:
        actions = [t.action for t in TRANSITIONS]
        assert len(actions) == len(set(actions))

    def test_a_target_outside_the_table_is_a_programming_error(self) -> None:
        with pytest.raises(ValueError, match="cannot lead"):
            check_target(Action.SUBMIT, State.CERTIFIED)


def _outcome(
    results: dict[str, BlockResult],
    *,
    target: list[str] | None = None,
    held: list[str] | None = None,
    state: State = State.ADMISSIBLE,
    attendance: Attendance = Attendance.PRESENT,
) -> tuple[JuryResult, State, frozenset[str]]:
    rule = jury_outcome(
        attendance=attendance,
        block_results=results.items(),
        target_block_codes=target or BLOCKS,
        certification_block_codes=BLOCKS,
        held_before=held or [],
        current_state=state,
    )
    return rule.result, rule.state, rule.validated


V, N, X = BlockResult.VALIDATED, BlockResult.NOT_VALIDATED, BlockResult.NOT_ASSESSED


class TestJuryOutcome:
    def test_every_block_validated_certifies(self) -> None:
        assert _outcome({"B1": V, "B2": V, "B3": V})[:2] == (
            JuryResult.FULL_SUCCESS_OF_FULL_CERTIFICATION,
            State.CERTIFIED,
        )

    def test_some_blocks_validated_is_a_partial_validation(self) -> None:
        result, state, validated = _outcome({"B1": V, "B2": N, "B3": X})
        assert result is JuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION
        assert state is State.PARTIALLY_CERTIFIED
        assert validated == {"B1"}

    def test_nothing_validated_is_a_failure(self) -> None:
        assert _outcome({"B1": N, "B2": N, "B3": N})[:2] == (
            JuryResult.FAILURE,
            State.NOT_CERTIFIED,
        )

    def test_a_second_jury_that_validates_nothing_keeps_the_partial_validation(
        self,
    ) -> None:
        result, state, _ = _outcome(
            {"B3": N}, target=["B3"], held=["B1", "B2"], state=State.PARTIALLY_CERTIFIED
        )
        assert (result, state) == (JuryResult.FAILURE, State.PARTIALLY_CERTIFIED)

    def test_the_missing_blocks_won_later_complete_the_certification(self) -> None:
        result, state, _ = _outcome(
            {"B3": V}, target=["B3"], held=["B1", "B2"], state=State.PARTIALLY_CERTIFIED
        )
        assert (result, state) == (
            JuryResult.FULL_SUCCESS_OF_FULL_CERTIFICATION,
            State.CERTIFIED,
        )

    def test_a_chosen_set_of_blocks_won_in_full(self) -> None:
        result, state, _ = _outcome({"B1": V}, target=["B1"])
        assert (result, state) == (
            JuryResult.FULL_SUCCESS_OF_PARTIAL_CERTIFICATION,
            State.PARTIALLY_CERTIFIED,
        )

    def test_a_chosen_set_of_blocks_won_in_part(self) -> None:
        result, _, _ = _outcome({"B1": V, "B2": N}, target=["B1", "B2"])
        assert result is JuryResult.PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION

    @pytest.mark.parametrize(
        ("attendance", "expected"),
        [
            (Attendance.ABSENT, JuryResult.CANDIDATE_ABSENT),
            (Attendance.EXCUSED, JuryResult.CANDIDATE_EXCUSED),
        ],
    )
    def test_an_absent_candidate_keeps_the_state_and_wins_nothing(
        self, attendance: Attendance, expected: JuryResult
    ) -> None:
        result, state, validated = _outcome({"B1": V}, attendance=attendance)
        assert (result, state, validated) == (expected, State.ADMISSIBLE, frozenset())
