"""The LHEO writer: one formation per certification, valid, escaped, cut to LHEO's lengths."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from lheo_schemas import NS, validated
from lxml import etree

from catalog.lheo.writer import (
    LheoDocument,
    OfferBlock,
    OfferCertification,
    OfferCertifier,
    write_document,
)
from catalog.openapi import LHEO_EXAMPLE

MINISTRY = OfferCertifier(
    "MINISTERE DU TRAVAIL DU PLEIN EMPLOI ET DE L' INSERTION",
    "11000007200014",
    "https://travail-emploi.gouv.fr",
    True,
)


def certification(**changes: object) -> OfferCertification:
    record = OfferCertification(
        rncp_code="RNCP37674",
        title="TP - Développeur web & web mobile <full-stack> – l’« essentiel »",
        level=5,
        certif_info_id=92891,
        start_date=date(2023, 9, 1),
        end_date=date(2028, 9, 1),
        capabilities="Installer & configurer son environnement < sécurisé >",
        description_urls=("https://example.org/fiche", "x"),
        created_at=datetime(2026, 8, 17, tzinfo=UTC),
        updated_at=datetime(2026, 11, 27, tzinfo=UTC),
        formacodes=("31054", "31025", "31034", "31006", "24231", "31052"),
        nsf_codes=("326t", "326n", "326", "310m", "312"),
        rome_codes=("M1805", "M1810", "bad"),
        blocks=(
            OfferBlock(
                "RNCP37674BC01", "Développer la partie front-end & « sécurisée »"
            ),
            OfferBlock("2", "Un bloc au code nu"),
            OfferBlock("RNCP37674BC03", "B" * 700),
            OfferBlock("X", "code trop court"),
        ),
        certifiers=(
            OfferCertifier(
                "AUTRE CERTIFICATEUR INACTIF", "99999999999999", None, False
            ),
            OfferCertifier("SANS SIRET", None, None, True),
            MINISTRY,
        ),
    )
    return dataclasses.replace(record, **changes)  # type: ignore[arg-type]


def text(tree: etree._Element, path: str) -> list[str]:
    return [str(node.text) for node in tree.iterfind(path, NS)]


class TestFormation:
    def test_writes_a_valid_formation_for_a_vae_route(self) -> None:
        tree = validated(
            write_document([certification()], generated_on=date(2026, 11, 27))
        )
        formation = tree.find("l:offres/l:formation", NS)
        assert formation is not None
        assert formation.get("numero") == "VAE-RNCP37674"
        assert (formation.get("datecrea"), formation.get("datemaj")) == (
            "20260817",
            "20261127",
        )
        assert text(formation, "l:certification/l:code-RNCP") == ["37674"]
        assert text(formation, "l:certification/l:code-CERTIFINFO") == ["92891"]
        assert text(formation, "l:code-niveau-sortie") == ["15"]
        assert text(formation, "l:certifiante") == ["1"]
        assert text(formation, "l:domaine-formation/l:code-NSF") == [
            "326",
            "310",
            "312",
        ]
        assert len(text(formation, "l:domaine-formation/l:code-FORMACODE")) == 5
        assert text(formation, "l:domaine-formation/l:code-ROME") == ["M1805", "M1810"]
        session = "l:action/l:session"
        assert text(formation, f"{session}/l:periode/l:debut") == ["20230901"]
        assert text(formation, f"{session}/l:periode/l:fin") == ["20280901"]
        assert text(
            formation, f"{session}/l:blocs-competences/l:bloc-competences/l:code-bloc"
        ) == [
            "RNCP37674BC01",
            "RNCP37674BC02",
            "RNCP37674BC03",
        ]
        organisation = "l:organisme-formation-responsable"
        assert text(
            formation, f"{organisation}/l:SIRET-organisme-formation/l:SIRET"
        ) == ["11000007200014"]
        assert text(formation, f"{organisation}/l:nom-organisme") == [MINISTRY.name]
        assert text(formation, "l:url-formation/l:urlweb") == [
            "https://www.francecompetences.fr/recherche/rncp/37674/",
            "https://example.org/fiche",
        ]

    def test_escapes_and_keeps_special_characters(self) -> None:
        document = write_document([certification()], generated_on=date(2026, 11, 27))
        assert b"&amp;" in document and b"&lt;full-stack&gt;" in document
        tree = validated(document)
        title = text(tree, "l:offres/l:formation/l:intitule-formation")[0]
        assert title.endswith(
            "Développeur web & web mobile <full-stack> – l’« essentiel »"
        )
        blocks = text(tree, ".//l:libelle-bloc")
        assert blocks[0] == "Développer la partie front-end & « sécurisée »"

    def test_cuts_texts_to_lheo_lengths_and_drops_what_xml_cannot_carry(self) -> None:
        record = certification(
            title="Titre\x00 \x0b" + "t" * 400,
            capabilities="c" * 5000,
            blocks=(OfferBlock("RNCP37674BC01", "b" * 900),),
        )
        tree = validated(write_document([record], generated_on=date(2026, 11, 27)))
        title = text(tree, ".//l:intitule-formation")[0]
        assert len(title) == 255 and title.endswith("…") and "\x00" not in title
        assert len(text(tree, ".//l:resultats-attendus")[0]) == 3000
        assert len(text(tree, ".//l:libelle-bloc")[0]) == 500

    def test_states_unknown_dates_and_level_the_lheo_way(self) -> None:
        record = certification(
            start_date=None, end_date=None, level=None, certif_info_id=None, blocks=()
        )
        tree = validated(write_document([record], generated_on=date(2026, 11, 27)))
        assert text(tree, ".//l:periode/l:debut") == ["00000000"]
        assert text(tree, ".//l:periode/l:fin") == ["99999999"]
        assert tree.find(".//l:code-niveau-sortie", NS) is None
        assert tree.find(".//l:code-CERTIFINFO", NS) is None
        assert tree.find(".//l:blocs-competences", NS) is None

    def test_needs_a_certifier_with_a_siret(self) -> None:
        record = certification(
            certifiers=(OfferCertifier("SANS SIRET", None, None, True),)
        )
        with pytest.raises(ValueError, match="no certifier with a SIRET"):
            write_document([record], generated_on=date(2026, 11, 27))


class TestDocument:
    def test_streams_in_chunks_that_make_the_whole_document(self) -> None:
        records = [certification(rncp_code=f"RNCP{n}") for n in range(30000, 30040)]
        document = LheoDocument(generated_on=date(2026, 11, 27), chunk_bytes=4096)
        chunks = (
            [document.open()] + [document.add(r) for r in records] + [document.close()]
        )
        assert sum(1 for chunk in chunks if chunk) > 5
        whole = b"".join(chunks)
        assert whole == write_document(records, generated_on=date(2026, 11, 27))
        tree = validated(whole)
        assert len(tree.findall("l:offres/l:formation", NS)) == 40

    def test_declares_the_namespace_once(self) -> None:
        records = [certification(rncp_code=f"RNCP{n}") for n in range(30000, 30003)]
        document = write_document(records, generated_on=date(2026, 11, 27))
        assert document.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
        assert document.count(b'xmlns="http://lheo.gouv.fr/2.3"') == 1

    def test_refuses_to_close_an_empty_offer(self) -> None:
        document = LheoDocument(generated_on=date(2026, 11, 27))
        document.open()
        with pytest.raises(ValueError, match="at least one formation"):
            document.close()

    def test_the_documented_example_is_valid(self) -> None:
        validated(LHEO_EXAMPLE.encode())
