"""Catalog rules without a database: kinds, retention, activity, competences."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.certification.rules import (
    Kind,
    RegistrationType,
    RetentionPolicy,
    default_retention,
    derive_kind,
    is_active_on,
    split_competences,
)

UIMM = "UNION DES INDUSTRIES ET DES METIERS DE LA METALLURGIE (UIMM)"


class TestDeriveKind:
    @pytest.mark.parametrize(
        ("abbreviation", "title", "certifiers", "registration", "expected"),
        [
            (
                "TP",
                "Développeur web et web mobile",
                ["MINISTERE DU TRAVAIL"],
                RegistrationType.BY_RIGHT,
                Kind.TITRE_PROFESSIONNEL,
            ),
            (
                "BTS",
                "Management commercial opérationnel",
                ["MINISTERE"],
                RegistrationType.BY_RIGHT,
                Kind.DIPLOME,
            ),
            (
                "DE",
                "Educateur spécialisé",
                ["MINISTERE"],
                RegistrationType.BY_RIGHT,
                Kind.DIPLOME,
            ),
            (
                "Grade_Master",
                "Diplôme d'ingénieur",
                ["ECOLE"],
                RegistrationType.BY_RIGHT,
                Kind.DIPLOME,
            ),
            (
                None,
                "CQPM Technicien de la qualité",
                [UIMM],
                RegistrationType.ON_REQUEST,
                Kind.CQPM,
            ),
            (
                None,
                "Certificat de qualification professionnelle Soudeur",
                [UIMM],
                RegistrationType.ON_REQUEST,
                Kind.CQPM,
            ),
            (
                "CQP",
                "CQP Vendeur conseil",
                ["BRANCHE DU COMMERCE"],
                RegistrationType.ON_REQUEST,
                Kind.CQP,
            ),
            (
                None,
                "TPM - Soudeur industriel",
                [UIMM],
                RegistrationType.ON_REQUEST,
                Kind.TPM,
            ),
            (
                None,
                "Titre à finalité professionnelle Tuyauteur industriel",
                [UIMM],
                RegistrationType.ON_REQUEST,
                Kind.TPM,
            ),
            (
                None,
                "Expert en ingénierie du logiciel",
                ["ECOLE PRIVEE"],
                RegistrationType.ON_REQUEST,
                Kind.OTHER,
            ),
            (
                "Autre",
                "Manager des organisations",
                ["ECOLE"],
                RegistrationType.ON_REQUEST,
                Kind.OTHER,
            ),
        ],
    )
    def test_derives_the_kind(
        self,
        abbreviation: str | None,
        title: str,
        certifiers: list[str],
        registration: RegistrationType,
        expected: Kind,
    ) -> None:
        assert derive_kind(abbreviation, title, certifiers, registration) is expected


class TestDefaultRetention:
    def test_keeps_diploma_blocks_five_years(self) -> None:
        assert default_retention(Kind.DIPLOME) == (RetentionPolicy.FIXED_YEARS, 5)

    @pytest.mark.parametrize(
        "kind", [Kind.TITRE_PROFESSIONNEL, Kind.CQP, Kind.CQPM, Kind.TPM, Kind.OTHER]
    )
    def test_keeps_other_blocks_until_the_certification_ends(self, kind: Kind) -> None:
        assert default_retention(kind) == (RetentionPolicy.UNTIL_END_DATE, None)


class TestIsActiveOn:
    def test_is_active_between_the_dates_inclusive(self) -> None:
        start, end = date(2023, 9, 1), date(2028, 8, 31)
        assert is_active_on(start, end, True, start)
        assert is_active_on(start, end, True, end)
        assert not is_active_on(start, end, True, date(2028, 9, 1))
        assert not is_active_on(start, end, True, date(2023, 8, 31))

    def test_dates_decide_over_the_exported_flag(self) -> None:
        assert is_active_on(None, date(2030, 1, 1), False, date(2029, 1, 1))
        assert not is_active_on(None, date(2020, 1, 1), True, date(2029, 1, 1))

    def test_without_an_end_date_the_flag_decides(self) -> None:
        assert is_active_on(None, None, True, date(2029, 1, 1))
        assert not is_active_on(None, None, False, date(2029, 1, 1))


class TestSplitCompetences:
    def test_splits_on_runs_of_spaces_and_bullets(self) -> None:
        text = "1. Développer le front-end        * Installer son environnement      * Maquetter des interfaces  o Réaliser une maquette"
        assert split_competences(text) == [
            "1. Développer le front-end",
            "Installer son environnement",
            "Maquetter des interfaces",
            "Réaliser une maquette",
        ]

    def test_keeps_hyphens_inside_words(self) -> None:
        assert split_competences("Assurer le service après-vente") == [
            "Assurer le service après-vente"
        ]

    def test_drops_empty_and_punctuation_only_items(self) -> None:
        assert split_competences("  -  ;  Accueillir le public   ") == [
            "Accueillir le public"
        ]
        assert split_competences(None) == []
