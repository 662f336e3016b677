"""Tests of the synthetic RNCP open-data export generator."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import etree

from catalog.rncp_import.synthetic import SyntheticExportStats, write_synthetic_export

TODAY = date(2026, 8, 16)
SEED = 4242
FICHES = 300
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
Written = tuple[Path, SyntheticExportStats]

# Children of FICHE in the order of the real v4.1 flux (FORMATS.md §1.3).
FICHE_CHILDREN = (
    "ID_FICHE", "NUMERO_FICHE", "NOUVELLES_CERTIFICATIONS", "ANCIENNES_CERTIFICATIONS",
    "INTITULE", "ABREGE", "ETAT_FICHE", "FORMACODES", "NOMENCLATURE_EUROPE", "CODES_NSF",
    "CERTIFICATEURS", "EXISTENCE_PARTENAIRES", "PARTENAIRES", "ACTIVITES_VISEES",
    "CAPACITES_ATTESTEES", "SECTEURS_ACTIVITE", "TYPE_EMPLOI_ACCESSIBLES", "CODES_ROME",
    "REGLEMENTATIONS_ACTIVITES", "SI_JURY_FI", "SI_JURY_CA", "SI_JURY_FC", "SI_JURY_CQ",
    "SI_JURY_CL", "SI_JURY_VAE", "ACCESSIBLE_NOUVELLE_CALEDONIE",
    "ACCESSIBLE_POLYNESIE_FRANCAISE", "PUBLICATION_DECRET_GENERAL",
    "PUBLICATION_DECRET_CREATION", "PUBLICATION_DECRET_AUTRE", "DATE_DERNIER_JO",
    "DATE_DECISION", "DUREE_ENREGISTREMENT", "STATISTIQUES_PROMOTIONS",
    "LIEN_URL_DESCRIPTION", "DATE_FIN_ENREGISTREMENT", "DATE_EFFET",
    "ANNEES_PROMOTIONS_NIVEAU", "TYPE_ENREGISTREMENT", "BLOCS_COMPETENCES",
    "OBJECTIFS_CONTEXTE", "ACTIF", "PREREQUIS_ENTREE_FORMATION",
    "PREREQUIS_VALIDATION_CERTIFICATION", "DATE_DE_PUBLICATION", "DATE_LIMITE_DELIVRANCE",
    "CORRESPONDANCES",
)  # fmt: skip


@dataclass
class Fiche:
    """What the tests need to know about one parsed FICHE."""

    numero: str
    children: list[str]
    actif: str
    fin: date | None
    registration: str
    decision: date | None
    duree: int | None
    bloc_codes: list[str]
    partners: int
    lineage: list[str]
    ampersands: int


@dataclass
class ParsedExport:
    """A synthetic export read back with lxml's streaming parser."""

    root: str = ""
    first_child: str = ""
    version_flux: str | None = None
    fiches: list[Fiche] = field(default_factory=list)


def _date(text: str | None) -> date | None:
    """Parses a JJ/MM/AAAA date of the flux."""
    return None if text is None else datetime.strptime(text, "%d/%m/%Y").date()


def _plus_years(day: date, years: int) -> date:
    """Adds whole years, 29 February becoming the 28th."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _parse(raw: bytes) -> ParsedExport:
    """Reads an export fiche by fiche with iterparse, as the importer does."""
    parsed = ParsedExport()
    depth = 0
    for event, element in etree.iterparse(io.BytesIO(raw), events=("start", "end")):
        if event == "start":
            depth += 1
            if depth == 1:
                parsed.root = element.tag
            elif depth == 2 and not parsed.first_child:
                parsed.first_child = element.tag
            continue
        depth -= 1
        if element.tag == "VERSION_FLUX" and depth == 1:
            parsed.version_flux = element.text
        elif element.tag == "FICHE":
            duree = element.findtext("DUREE_ENREGISTREMENT")
            parsed.fiches.append(
                Fiche(
                    numero=element.findtext("NUMERO_FICHE") or "",
                    children=[child.tag for child in element],
                    actif=element.findtext("ACTIF") or "",
                    fin=_date(element.findtext("DATE_FIN_ENREGISTREMENT")),
                    registration=element.findtext("TYPE_ENREGISTREMENT") or "",
                    decision=_date(element.findtext("DATE_DECISION")),
                    duree=None if duree is None else int(duree),
                    bloc_codes=[
                        bloc.findtext("CODE") or ""
                        for bloc in element.iterfind(
                            "BLOCS_COMPETENCES/BLOC_COMPETENCES"
                        )
                    ],
                    partners=len(element.findall("PARTENAIRES/PARTENAIRE")),
                    lineage=[
                        link.text or ""
                        for link in element.iter(
                            "ID_FICHE_ANCIENNE_CERTIFICATION",
                            "ID_FICHE_NOUVELLE_CERTIFICATION",
                        )
                    ],
                    ampersands="".join(element.itertext()).count("&"),
                )
            )
            element.clear()
    return parsed


def _member(path: Path) -> bytes:
    """Returns the bytes of the single XML member of a zipped export."""
    with zipfile.ZipFile(path) as archive:
        (name,) = archive.namelist()
        return archive.read(name)


@pytest.fixture(scope="module")
def xml_export(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """A small plain-XML export."""
    path = tmp_path_factory.mktemp("synthetic") / "export.xml"
    return path, write_synthetic_export(path, fiches=FICHES, seed=SEED, today=TODAY)


@pytest.fixture(scope="module")
def zip_export(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """The same export, zipped."""
    path = tmp_path_factory.mktemp("synthetic") / "export-fiches-rncp-v4-1.zip"
    return path, write_synthetic_export(path, fiches=FICHES, seed=SEED, today=TODAY)


@pytest.fixture(scope="module")
def parsed(xml_export: Written) -> ParsedExport:
    """The plain-XML export read back."""
    return _parse(xml_export[0].read_bytes())


class TestWriteSyntheticExport:
    """write_synthetic_export."""

    def test_starts_with_the_declaration_then_version_flux(
        self, xml_export: Written, parsed: ParsedExport
    ) -> None:
        raw = xml_export[0].read_bytes()
        assert raw.startswith(
            DECLARATION + b"<FICHES>\n    <VERSION_FLUX>4.1</VERSION_FLUX>\n"
        )
        assert parsed.root == "FICHES"
        assert parsed.first_child == "VERSION_FLUX"
        assert parsed.version_flux == "4.1"

    def test_writes_the_requested_number_of_fiches_with_unique_numbers(
        self, parsed: ParsedExport
    ) -> None:
        numeros = [fiche.numero for fiche in parsed.fiches]
        assert len(numeros) == FICHES
        assert len(set(numeros)) == FICHES
        assert all(re.fullmatch(r"RNCP\d{3,6}", numero) for numero in numeros)

    def test_keeps_the_element_order_of_the_flux(self, parsed: ParsedExport) -> None:
        rank = {tag: position for position, tag in enumerate(FICHE_CHILDREN)}
        for fiche in parsed.fiches:
            assert set(fiche.children) <= rank.keys(), fiche.numero
            positions = [rank[tag] for tag in fiche.children]
            assert positions == sorted(set(positions)), fiche.numero

    def test_codes_blocs_after_their_fiche_number_in_sequence(
        self, parsed: ParsedExport
    ) -> None:
        with_blocs = [fiche for fiche in parsed.fiches if fiche.bloc_codes]
        assert with_blocs
        for fiche in with_blocs:
            expected = [
                f"{fiche.numero}BC{n:02d}" for n in range(1, len(fiche.bloc_codes) + 1)
            ]
            assert fiche.bloc_codes == expected
            assert 2 <= len(fiche.bloc_codes) <= 10

    def test_marks_active_exactly_the_fiches_whose_registration_has_not_ended(
        self, parsed: ParsedExport
    ) -> None:
        for fiche in parsed.fiches:
            in_force = fiche.fin is not None and fiche.fin >= TODAY
            assert fiche.actif == ("Oui" if in_force else "Non"), fiche.numero
        active = sum(fiche.actif == "Oui" for fiche in parsed.fiches)
        assert 0.1 * FICHES < active < 0.35 * FICHES

    def test_ends_sur_demande_registrations_at_decision_plus_duration(
        self, parsed: ParsedExport
    ) -> None:
        sur_demande = [
            f for f in parsed.fiches if f.registration.endswith("sur demande")
        ]
        assert sur_demande
        for fiche in sur_demande:
            assert fiche.decision is not None
            assert fiche.duree is not None
            assert fiche.fin == _plus_years(fiche.decision, fiche.duree), fiche.numero

    def test_points_lineage_mostly_at_fiches_of_the_same_export(
        self, parsed: ParsedExport
    ) -> None:
        numeros = {fiche.numero for fiche in parsed.fiches}
        references = [ref for fiche in parsed.fiches for ref in fiche.lineage]
        assert len(references) > FICHES // 4
        resolved = sum(ref in numeros for ref in references)
        assert resolved >= 0.9 * len(references)

    def test_returns_stats_that_match_the_plain_file(
        self, xml_export: Written, parsed: ParsedExport
    ) -> None:
        path, stats = xml_export
        assert stats.fiches == len(parsed.fiches)
        assert stats.blocks == sum(len(fiche.bloc_codes) for fiche in parsed.fiches)
        assert stats.partners == sum(fiche.partners for fiche in parsed.fiches)
        assert stats.bytes_written == path.stat().st_size

    def test_zips_one_member_named_after_the_export_date(
        self, zip_export: Written
    ) -> None:
        path, stats = zip_export
        with zipfile.ZipFile(path) as archive:
            (member,) = archive.infolist()
        assert member.filename == "export_fiches_RNCP_V4_1_2026-08-16.xml"
        assert member.compress_type == zipfile.ZIP_DEFLATED
        assert member.file_size == stats.bytes_written

    def test_zips_the_same_document_as_the_plain_file(
        self, xml_export: Written, zip_export: Written
    ) -> None:
        assert _member(zip_export[0]) == xml_export[0].read_bytes()
        assert zip_export[1] == xml_export[1]

    def test_writes_identical_bytes_for_the_same_seed(
        self, tmp_path: Path, xml_export: Written, zip_export: Written
    ) -> None:
        again_xml, again_zip = tmp_path / "again.xml", tmp_path / "again.zip"
        write_synthetic_export(again_xml, fiches=FICHES, seed=SEED, today=TODAY)
        write_synthetic_export(again_zip, fiches=FICHES, seed=SEED, today=TODAY)
        assert again_xml.read_bytes() == xml_export[0].read_bytes()
        assert again_zip.read_bytes() == zip_export[0].read_bytes()

    def test_writes_other_content_for_another_seed(
        self, tmp_path: Path, xml_export: Written
    ) -> None:
        other = tmp_path / "other.xml"
        write_synthetic_export(other, fiches=FICHES, seed=SEED + 1, today=TODAY)
        assert other.read_bytes() != xml_export[0].read_bytes()

    def test_escapes_ampersands_so_that_they_round_trip(
        self, xml_export: Written, parsed: ParsedExport
    ) -> None:
        raw = xml_export[0].read_bytes()
        ampersands = sum(fiche.ampersands for fiche in parsed.fiches)
        assert ampersands > 0
        assert raw.count(b"&amp;") == ampersands
        assert re.search(rb"&(?!amp;|lt;|gt;)", raw) is None

    def test_reports_progress_every_500_fiches_and_at_the_end(
        self, tmp_path: Path
    ) -> None:
        calls: list[int] = []
        write_synthetic_export(
            tmp_path / "p.xml",
            fiches=1001,
            seed=SEED,
            today=TODAY,
            progress=calls.append,
        )
        assert calls == [500, 1000, 1001]

    def test_reports_the_last_round_count_only_once(self, tmp_path: Path) -> None:
        calls: list[int] = []
        write_synthetic_export(
            tmp_path / "p.xml",
            fiches=1000,
            seed=SEED,
            today=TODAY,
            progress=calls.append,
        )
        assert calls == [500, 1000]

    def test_writes_an_empty_flux_for_zero_fiches(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.xml"
        calls: list[int] = []
        stats = write_synthetic_export(
            path, fiches=0, seed=SEED, today=TODAY, progress=calls.append
        )
        assert stats == SyntheticExportStats(0, 0, 0, path.stat().st_size)
        assert calls == [0]
        assert _parse(path.read_bytes()).version_flux == "4.1"

    def test_rejects_a_negative_number_of_fiches(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="fiches"):
            write_synthetic_export(tmp_path / "x.xml", fiches=-1, today=TODAY)
