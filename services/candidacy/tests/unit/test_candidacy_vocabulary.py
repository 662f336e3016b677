"""The France VAE vocabulary: every value of ours is mapped, and the rules that read the tables."""

from __future__ import annotations

import inspect
from enum import StrEnum
from typing import Any

import pytest

from candidacy.candidacy import rules
from candidacy.candidacy.rules import Decision, JuryResult, State
from candidacy.candidacy.vocabulary import (
    GLOSSARIES,
    STATES,
    FranceVaeFeasibilityDecision,
    FranceVaeInteropFeasibilityStatus,
    FranceVaeInteropJuryResult,
    FranceVaeJuryResult,
    FranceVaeStatus,
    Glossary,
    Match,
    Vocabulary,
    describe,
    enum_descriptions,
    standing,
    states_matching,
    transition_statuses,
)
from candidacy.errors import StateWithoutEquivalentError, UnknownStateError

OUR_ENUMS = [
    member
    for _, member in inspect.getmembers(rules, inspect.isclass)
    if issubclass(member, StrEnum) and member.__module__ == rules.__name__
]
BY_ENUM = {glossary.enum: glossary for glossary in GLOSSARIES}


class TestEveryValueIsMapped:
    def test_every_enum_of_the_rules_has_a_glossary(self) -> None:
        assert OUR_ENUMS, "rules.py defines the enums"
        assert sorted(e.__name__ for e in OUR_ENUMS) == sorted(
            e.__name__ for e in BY_ENUM
        )

    @pytest.mark.parametrize("enum", OUR_ENUMS, ids=lambda e: e.__name__)
    def test_every_value_has_a_french_term_and_a_stated_match(
        self, enum: type[StrEnum]
    ) -> None:
        glossary = BY_ENUM[enum]
        assert set(glossary.terms) == set(enum), f"{enum.__name__} values unmapped"
        for value in enum:
            term = glossary.terms[value]
            assert term.french.strip(), value
            if term.match is Match.EXACT:
                assert term.france_vae or term.interop, value
            else:
                # An approximate or missing equivalent always says why.
                assert term.note, value

    @pytest.mark.parametrize(
        "glossary",
        [g for g in GLOSSARIES if g.france_vae_terms],
        ids=lambda g: g.enum.__name__,
    )
    def test_every_france_vae_value_has_a_term_and_ours_or_a_reason(
        self, glossary: Glossary[Any]
    ) -> None:
        for value, term in glossary.france_vae_terms.items():
            assert term.french.strip(), value
            if not glossary.ours_for(value):
                assert term.note, f"{value} has no equivalent and no reason"
        known = set(glossary.france_vae_terms)
        for ours in glossary.terms.values():
            assert set(ours.france_vae) <= known, ours

    def test_the_france_vae_enums_are_fully_described(self) -> None:
        assert {g.france_vae_field for g in GLOSSARIES if g.enum is State} == {
            "CandidacyStatusStep"
        }
        assert set(BY_ENUM[State].france_vae_terms) == set(FranceVaeStatus)
        assert set(BY_ENUM[Decision].france_vae_terms) == set(
            FranceVaeFeasibilityDecision
        )
        assert set(BY_ENUM[JuryResult].france_vae_terms) == set(FranceVaeJuryResult)


class TestTable:
    @pytest.mark.parametrize(
        ("state", "status", "match"),
        [
            (State.DRAFT, "PROJET", Match.APPROXIMATE),
            (State.SUBMITTED, "DOSSIER_FAISABILITE_ENVOYE", Match.EXACT),
            (State.INCOMPLETE, "DOSSIER_FAISABILITE_INCOMPLET", Match.EXACT),
            (State.ADMISSIBLE, "DOSSIER_FAISABILITE_RECEVABLE", Match.EXACT),
            (State.NOT_ADMISSIBLE, "DOSSIER_FAISABILITE_NON_RECEVABLE", Match.EXACT),
            (State.CERTIFIED, "DOSSIER_DE_VALIDATION_ENVOYE", Match.APPROXIMATE),
        ],
    )
    def test_states(self, state: State, status: str, match: Match) -> None:
        assert STATES[state].france_vae == (status,)
        assert STATES[state].match is match

    def test_withdrawal_has_no_status_of_its_own(self) -> None:
        assert STATES[State.WITHDRAWN].france_vae == ()
        assert "candidacyDropOut" in (STATES[State.WITHDRAWN].note or "")

    def test_decisions_use_france_vae_and_interop_values(self) -> None:
        terms = BY_ENUM[Decision].terms
        assert terms[Decision.NOT_ADMISSIBLE].france_vae == ("REJECTED",)
        assert terms[Decision.NOT_ADMISSIBLE].interop == ("IRRECEVABLE",)
        assert terms[Decision.ADMISSIBLE].interop == ("RECEVABLE",)

    def test_jury_results_are_france_vae_values(self) -> None:
        for value, term in BY_ENUM[JuryResult].terms.items():
            assert term.france_vae == (value.value,)
            assert FranceVaeInteropJuryResult(term.interop[0])
        only = [
            value
            for value in BY_ENUM[JuryResult].france_vae_terms
            if not BY_ENUM[JuryResult].ours_for(value)
        ]
        assert only == [FranceVaeJuryResult.PARTIAL_SUCCESS_PENDING_CONFIRMATION]

    def test_france_vae_statuses_without_ours(self) -> None:
        glossary = BY_ENUM[State]
        unmatched = {s for s in FranceVaeStatus if not glossary.ours_for(s)}
        assert unmatched == {
            FranceVaeStatus.ARCHIVE,
            FranceVaeStatus.VALIDATION,
            FranceVaeStatus.PRISE_EN_CHARGE,
            FranceVaeStatus.PARCOURS_ENVOYE,
            FranceVaeStatus.PARCOURS_CONFIRME,
            FranceVaeStatus.DOSSIER_DE_VALIDATION_SIGNALE,
            FranceVaeStatus.DEMANDE_FINANCEMENT_ENVOYE,
            FranceVaeStatus.DEMANDE_PAIEMENT_ENVOYEE,
            FranceVaeStatus.DOSSIER_PRO,
            FranceVaeStatus.CERTIFICATION,
        }


class TestStanding:
    def test_a_draft_is_a_project_without_feasibility_file(self) -> None:
        found = standing(State.DRAFT, decision=None, jury_result=None, submitted=False)
        assert found.status is FranceVaeStatus.PROJET
        assert found.status_match is Match.APPROXIMATE
        assert found.feasibility_decision is None
        assert found.feasibility_status_interop is None
        assert not found.dropped_out

    def test_a_submitted_file_awaits_its_decision(self) -> None:
        found = standing(
            State.SUBMITTED, decision=None, jury_result=None, submitted=True
        )
        assert found.status is FranceVaeStatus.DOSSIER_FAISABILITE_ENVOYE
        assert found.feasibility_decision is FranceVaeFeasibilityDecision.PENDING
        assert (
            found.feasibility_status_interop
            is FranceVaeInteropFeasibilityStatus.EN_ATTENTE
        )

    def test_not_admissible_is_rejected(self) -> None:
        found = standing(
            State.NOT_ADMISSIBLE,
            decision=Decision.NOT_ADMISSIBLE,
            jury_result=None,
            submitted=True,
        )
        assert found.status is FranceVaeStatus.DOSSIER_FAISABILITE_NON_RECEVABLE
        assert found.feasibility_decision is FranceVaeFeasibilityDecision.REJECTED
        assert (
            found.feasibility_status_interop
            is FranceVaeInteropFeasibilityStatus.IRRECEVABLE
        )

    def test_a_jury_outcome_is_the_nearest_step_with_the_result(self) -> None:
        found = standing(
            State.PARTIALLY_CERTIFIED,
            decision=Decision.ADMISSIBLE,
            jury_result=JuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION,
            submitted=True,
        )
        assert found.status is FranceVaeStatus.DOSSIER_DE_VALIDATION_ENVOYE
        assert found.status_match is Match.APPROXIMATE
        assert found.feasibility_decision is FranceVaeFeasibilityDecision.ADMISSIBLE
        assert (
            found.jury_result
            is FranceVaeJuryResult.PARTIAL_SUCCESS_OF_FULL_CERTIFICATION
        )
        assert (
            found.jury_result_interop
            is FranceVaeInteropJuryResult.SUCCES_PARTIEL_CERTIFICATION_COMPLETE
        )

    @pytest.mark.parametrize(
        ("decision", "jury_result", "submitted", "status", "feasibility"),
        [
            (None, None, False, FranceVaeStatus.PROJET, None),
            (
                None,
                None,
                True,
                FranceVaeStatus.DOSSIER_FAISABILITE_ENVOYE,
                FranceVaeFeasibilityDecision.PENDING,
            ),
            (
                Decision.INCOMPLETE,
                None,
                True,
                FranceVaeStatus.DOSSIER_FAISABILITE_INCOMPLET,
                FranceVaeFeasibilityDecision.INCOMPLETE,
            ),
            (
                Decision.ADMISSIBLE,
                JuryResult.CANDIDATE_ABSENT,
                True,
                FranceVaeStatus.DOSSIER_FAISABILITE_RECEVABLE,
                FranceVaeFeasibilityDecision.ADMISSIBLE,
            ),
            (
                Decision.ADMISSIBLE,
                JuryResult.FULL_SUCCESS_OF_PARTIAL_CERTIFICATION,
                True,
                FranceVaeStatus.DOSSIER_DE_VALIDATION_ENVOYE,
                FranceVaeFeasibilityDecision.ADMISSIBLE,
            ),
        ],
    )
    def test_a_withdrawal_keeps_the_step_reached(
        self,
        decision: Decision | None,
        jury_result: JuryResult | None,
        submitted: bool,
        status: FranceVaeStatus,
        feasibility: FranceVaeFeasibilityDecision | None,
    ) -> None:
        found = standing(
            State.WITHDRAWN,
            decision=decision,
            jury_result=jury_result,
            submitted=submitted,
        )
        assert found.dropped_out
        assert found.status is status
        assert found.feasibility_decision is feasibility
        assert found.feasibility_status_interop is (
            FranceVaeInteropFeasibilityStatus.ABANDONNE if submitted else None
        )

    def test_history_steps(self) -> None:
        assert transition_statuses(None, State.DRAFT) == (
            None,
            FranceVaeStatus.PROJET,
        )
        assert transition_statuses(State.SUBMITTED, State.ADMISSIBLE) == (
            FranceVaeStatus.DOSSIER_FAISABILITE_ENVOYE,
            FranceVaeStatus.DOSSIER_FAISABILITE_RECEVABLE,
        )
        assert transition_statuses(State.INCOMPLETE, State.WITHDRAWN) == (
            FranceVaeStatus.DOSSIER_FAISABILITE_INCOMPLET,
            FranceVaeStatus.DOSSIER_FAISABILITE_INCOMPLET,
        )


class TestStateFilter:
    @pytest.mark.parametrize("vocabulary", list(Vocabulary))
    def test_our_states_in_both_vocabularies(self, vocabulary: Vocabulary) -> None:
        assert states_matching("SUBMITTED", vocabulary) == {State.SUBMITTED}

    def test_a_france_vae_status_selects_the_states_it_stands_for(self) -> None:
        assert states_matching(
            "DOSSIER_FAISABILITE_RECEVABLE", Vocabulary.FRANCE_VAE
        ) == {State.ADMISSIBLE}
        assert states_matching(
            "DOSSIER_DE_VALIDATION_ENVOYE", Vocabulary.FRANCE_VAE
        ) == {State.CERTIFIED, State.PARTIALLY_CERTIFIED, State.NOT_CERTIFIED}

    def test_france_vae_statuses_need_the_france_vae_vocabulary(self) -> None:
        with pytest.raises(UnknownStateError) as raised:
            states_matching("DOSSIER_FAISABILITE_RECEVABLE", Vocabulary.VAE)
        assert "vocabulary=france-vae" in raised.value.detail
        assert raised.value.extensions["errors"][0]["loc"] == ["query", "state"]

    @pytest.mark.parametrize("vocabulary", list(Vocabulary))
    def test_an_unknown_value_is_refused(self, vocabulary: Vocabulary) -> None:
        with pytest.raises(UnknownStateError):
            states_matching("RECEVABLE", vocabulary)

    def test_a_status_without_equivalent_says_why(self) -> None:
        with pytest.raises(StateWithoutEquivalentError) as raised:
            states_matching("PRISE_EN_CHARGE", Vocabulary.FRANCE_VAE)
        assert "DRAFT" in raised.value.detail
        assert raised.value.status_code == 422


class TestDescriptions:
    def test_the_state_description_carries_the_table(self) -> None:
        text = describe(BY_ENUM[State])
        assert text.startswith("Where a candidacy stands (statut de la candidature).")
        assert (
            "| `SUBMITTED` | candidature déposée: dossier de faisabilité envoyé, "
            "recevabilité en attente | `DOSSIER_FAISABILITE_ENVOYE` |"
        ) in text
        assert "- `PRISE_EN_CHARGE` (candidature prise en charge par l'AAP)" in text

    def test_one_description_per_enum(self) -> None:
        assert set(enum_descriptions()) == {e.__name__ for e in OUR_ENUMS}
