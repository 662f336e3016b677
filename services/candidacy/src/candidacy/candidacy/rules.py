"""Candidacy rules that need no database: the state machine and the jury's outcome.

The state machine is this one table: who may do what, from which state, to which states.
Resources show the actions their caller may take now (``allowed_actions``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum

from common import Role


class State(StrEnum):
    """Where a candidacy stands (statut de la candidature)."""

    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    INCOMPLETE = "INCOMPLETE"
    ADMISSIBLE = "ADMISSIBLE"
    NOT_ADMISSIBLE = "NOT_ADMISSIBLE"
    CERTIFIED = "CERTIFIED"
    PARTIALLY_CERTIFIED = "PARTIALLY_CERTIFIED"
    NOT_CERTIFIED = "NOT_CERTIFIED"
    WITHDRAWN = "WITHDRAWN"


class Action(StrEnum):
    """What can happen to a candidacy."""

    CREATE = "CREATE"
    UPDATE = "UPDATE"
    SUBMIT = "SUBMIT"
    DECIDE_ADMISSIBILITY = "DECIDE_ADMISSIBILITY"
    REVOKE_DECISION = "REVOKE_DECISION"
    RECORD_JURY_OUTCOME = "RECORD_JURY_OUTCOME"
    WITHDRAW = "WITHDRAW"


class Decision(StrEnum):
    """The certifier's admissibility decision (décision de recevabilité)."""

    ADMISSIBLE = "ADMISSIBLE"
    NOT_ADMISSIBLE = "NOT_ADMISSIBLE"
    INCOMPLETE = "INCOMPLETE"


class BlockResult(StrEnum):
    """The jury's result for one assessed block."""

    VALIDATED = "VALIDATED"
    NOT_VALIDATED = "NOT_VALIDATED"
    NOT_ASSESSED = "NOT_ASSESSED"


class Attendance(StrEnum):
    """Whether the candidate sat the session."""

    PRESENT = "PRESENT"
    LATE = "LATE"
    ABSENT = "ABSENT"
    EXCUSED = "EXCUSED"


class JuryResult(StrEnum):
    """The overall jury result, in France VAE's vocabulary (résultat du jury)."""

    FULL_SUCCESS_OF_FULL_CERTIFICATION = "FULL_SUCCESS_OF_FULL_CERTIFICATION"
    PARTIAL_SUCCESS_OF_FULL_CERTIFICATION = "PARTIAL_SUCCESS_OF_FULL_CERTIFICATION"
    FULL_SUCCESS_OF_PARTIAL_CERTIFICATION = "FULL_SUCCESS_OF_PARTIAL_CERTIFICATION"
    PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION = (
        "PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION"
    )
    FAILURE = "FAILURE"
    CANDIDATE_EXCUSED = "CANDIDATE_EXCUSED"
    CANDIDATE_ABSENT = "CANDIDATE_ABSENT"


# The system records jury outcomes from signed reports; no API caller takes that action.
SYSTEM = "system"

OPEN_STATES = frozenset(
    {
        State.DRAFT,
        State.SUBMITTED,
        State.INCOMPLETE,
        State.ADMISSIBLE,
        State.PARTIALLY_CERTIFIED,
    }
)
DECIDED_STATES = frozenset({State.ADMISSIBLE, State.NOT_ADMISSIBLE, State.INCOMPLETE})


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of the state machine."""

    action: Action
    sources: frozenset[State]
    targets: frozenset[State]
    actors: frozenset[str]


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Action.UPDATE,
        frozenset({State.DRAFT, State.INCOMPLETE}),
        frozenset({State.DRAFT, State.INCOMPLETE}),
        frozenset({Role.PARTNER, Role.ADMIN}),
    ),
    Transition(
        Action.SUBMIT,
        frozenset({State.DRAFT, State.INCOMPLETE}),
        frozenset({State.SUBMITTED}),
        frozenset({Role.PARTNER, Role.ADMIN}),
    ),
    Transition(
        Action.DECIDE_ADMISSIBILITY,
        frozenset({State.SUBMITTED}),
        frozenset({State.ADMISSIBLE, State.NOT_ADMISSIBLE, State.INCOMPLETE}),
        frozenset({Role.CERTIFIER}),
    ),
    Transition(
        Action.REVOKE_DECISION,
        DECIDED_STATES,
        frozenset({State.SUBMITTED}),
        frozenset({Role.ADMIN}),
    ),
    Transition(
        Action.RECORD_JURY_OUTCOME,
        frozenset({State.ADMISSIBLE, State.PARTIALLY_CERTIFIED}),
        frozenset(
            {
                State.ADMISSIBLE,
                State.CERTIFIED,
                State.PARTIALLY_CERTIFIED,
                State.NOT_CERTIFIED,
            }
        ),
        frozenset({SYSTEM}),
    ),
    Transition(
        Action.WITHDRAW,
        OPEN_STATES,
        frozenset({State.WITHDRAWN}),
        frozenset({Role.PARTNER, Role.ADMIN}),
    ),
)

_BY_ACTION = {transition.action: transition for transition in TRANSITIONS}


def can(action: Action, state: State, actor: str) -> bool:
    """Tells whether an actor (a role, or the system) may take an action in a state."""
    transition = _BY_ACTION[action]
    return state in transition.sources and actor in transition.actors


def allowed_actions(state: State, actor: str) -> list[Action]:
    """The actions an actor may take now, in the table's order."""
    return [t.action for t in TRANSITIONS if state in t.sources and actor in t.actors]


def check_target(action: Action, target: State) -> None:
    """Asserts that an action leads to a state the table allows (a programming error otherwise)."""
    if target not in _BY_ACTION[action].targets:
        raise ValueError(f"{action} cannot lead to {target}")


def state_after_decision(decision: Decision) -> State:
    """The state an admissibility decision leads to."""
    return State(decision.value)


@dataclass(frozen=True, slots=True)
class JuryOutcomeRule:
    """What a report means for a candidacy: its result, its next state, the blocks won."""

    result: JuryResult
    state: State
    validated: frozenset[str]


def jury_outcome(
    *,
    attendance: Attendance,
    block_results: Iterable[tuple[str, BlockResult]],
    target_block_codes: Collection[str],
    certification_block_codes: Collection[str],
    held_before: Collection[str],
    current_state: State,
) -> JuryOutcomeRule:
    """Derives the jury result and the candidacy's next state from one report's lines.

    ``target_block_codes`` are the blocks this candidacy aimed at; the whole certification is
    obtained when, with the blocks held before, every block of the certification is held.
    """
    if attendance in (Attendance.ABSENT, Attendance.EXCUSED):
        result = (
            JuryResult.CANDIDATE_ABSENT
            if attendance is Attendance.ABSENT
            else JuryResult.CANDIDATE_EXCUSED
        )
        return JuryOutcomeRule(result, current_state, frozenset())
    validated = frozenset(
        code for code, outcome in block_results if outcome is BlockResult.VALIDATED
    )
    target = frozenset(target_block_codes)
    whole = frozenset(certification_block_codes)
    aimed_at_whole = target | frozenset(held_before) >= whole
    # Blocks a previous jury already granted are not asked of this one.
    won_target = target - frozenset(held_before) <= validated
    held_after = frozenset(held_before) | validated
    if not validated:
        result = JuryResult.FAILURE
    elif aimed_at_whole:
        result = (
            JuryResult.FULL_SUCCESS_OF_FULL_CERTIFICATION
            if won_target
            else JuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION
        )
    else:
        result = (
            JuryResult.FULL_SUCCESS_OF_PARTIAL_CERTIFICATION
            if won_target
            else JuryResult.PARTIAL_SUCCESS_OF_PARTIAL_CERTIFICATION
        )
    if not validated:
        # A later jury that validates nothing leaves what the earlier one granted.
        state = (
            State.PARTIALLY_CERTIFIED
            if current_state is State.PARTIALLY_CERTIFIED
            else State.NOT_CERTIFIED
        )
    elif held_after >= whole:
        state = State.CERTIFIED
    else:
        state = State.PARTIALLY_CERTIFIED
    return JuryOutcomeRule(result, state, validated)
