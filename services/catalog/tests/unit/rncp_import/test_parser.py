"""The RNCP export reader: real samples field by field, and every kind of bad file."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest

from catalog.certification.content import FicheRecord
from catalog.certification.rules import RegistrationType
from catalog.rncp_import.parser import ExportFormatError, RncpExport, SkippedFiche
from common.testing import require_reference_data

HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'


def fiche_xml(code: str = "RNCP90001", **fields: str) -> str:
    """Returns a minimal FICHE with optional extra or replaced children."""
    children = {
        "ID_FICHE": "1",
        "NUMERO_FICHE": code,
        "INTITULE": "Titre d’essai",
        "NOMENCLATURE_EUROPE": "<NIVEAU>NIV4</NIVEAU><LIBELLE>Niveau 4</LIBELLE>",
        "SI_JURY_VAE": "<ACTIF>Oui</ACTIF>",
        "DATE_FIN_ENREGISTREMENT": "31/08/2030",
        "TYPE_ENREGISTREMENT": "Enregistrement sur demande",
        "ACTIF": "Oui",
    }
    children.update(fields)
    body = "".join(
        f"<{tag}>{value}</{tag}>" for tag, value in children.items() if value
    )
    return f"<FICHE>{body}</FICHE>"


def export_file(
    tmp_path: Path, *fiches: str, version: str = "4.1", name: str = "export.xml"
) -> Path:
    """Writes an export holding these fiches."""
    path = tmp_path / name
    path.write_text(
        f"{HEAD}<FICHES><VERSION_FLUX>{version}</VERSION_FLUX>{''.join(fiches)}</FICHES>",
        "utf-8",
    )
    return path


def read_all(path: Path) -> list[FicheRecord | SkippedFiche]:
    return list(RncpExport(path))


@pytest.fixture(scope="module")
def real_sample() -> dict[str, FicheRecord]:
    path = require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml"
    return {r.rncp_code: r for r in RncpExport(path) if isinstance(r, FicheRecord)}


class TestRealSample:
    def test_reads_every_fiche(self, real_sample: dict[str, FicheRecord]) -> None:
        assert len(real_sample) == 12

    def test_reads_a_titre_professionnel_field_by_field(
        self, real_sample: dict[str, FicheRecord]
    ) -> None:
        fiche = real_sample["RNCP37674"]
        assert fiche.source_id == 24208
        assert fiche.title == "Développeur web et web mobile"
        assert (fiche.abbreviation_code, fiche.abbreviation_label) == (
            "TP",
            "Titre professionnel",
        )
        assert fiche.fiche_state == "Publiée"
        assert fiche.level == 5
        assert fiche.registration_type is RegistrationType.BY_RIGHT
        assert fiche.rncp_active is True
        assert fiche.vae_eligible is True
        assert (
            fiche.vae_jury_composition is not None
            and fiche.vae_jury_composition.startswith("Le jury du titre")
        )
        assert (fiche.start_date, fiche.end_date) == (
            date(2023, 9, 1),
            date(2028, 9, 1),
        )
        assert fiche.delivery_deadline_date is None
        assert [(c.name, c.siret) for c in fiche.certifiers] == [
            (
                "MINISTERE DU TRAVAIL DU PLEIN EMPLOI ET DE L' INSERTION",
                "11000007200014",
            )
        ]
        assert {(c.scheme, c.code) for c in fiche.codes} == {
            ("NSF", "326t"), ("ROME", "M1805"),
            ("FORMACODE", "31090"), ("FORMACODE", "46357"), ("FORMACODE", "31006"), ("FORMACODE", "70710"),
        }  # fmt: skip
        assert [b.code for b in fiche.blocks] == ["RNCP37674BC01", "RNCP37674BC02"]
        assert fiche.blocks[0].title.startswith("Développer la partie front-end")
        assert fiche.blocks[0].evaluation_modalities is not None
        assert len(fiche.partners) == 471
        assert fiche.partners[0] == {
            "name": "10MENTIONWEB FORMATION",
            "siret": "88055223700047",
            "habilitation": "TRAIN_AND_ASSESS",
            "state": "ACTIVE",
        }
        assert fiche.statistics == (
            {
                "year": 2021,
                "certified": 3899,
                "certified_by_vae": 0,
                "employment_rate_6_months": 60,
                "job_employment_rate_2_years": 83,
            },
        )
        assert fiche.previous_codes == ("RNCP31114",)
        assert fiche.next_codes == ()
        assert [
            (c.source_block_codes, c.destination_rncp_code, c.destination_block_codes)
            for c in fiche.correspondences
        ] == [
            ((), "RNCP31114", ()),
            (("RNCP37674BC01",), "RNCP31114", ("RNCP31114BC01",)),
            (("RNCP37674BC02",), "RNCP31114", ("RNCP31114BC02",)),
        ]

    def test_reads_an_on_request_certification_field_by_field(
        self, real_sample: dict[str, FicheRecord]
    ) -> None:
        fiche = real_sample["RNCP40344"]
        assert fiche.title == "Auxiliaire spécialisé vétérinaire"
        assert fiche.abbreviation_code is None
        assert fiche.fiche_state == "Modifications à valider"
        assert fiche.level == 4
        assert fiche.registration_type is RegistrationType.ON_REQUEST
        assert fiche.decision_date == fiche.start_date == date(2025, 3, 28)
        assert fiche.end_date == date(2028, 3, 28)
        assert fiche.delivery_deadline_date == date(2032, 3, 28)
        assert fiche.description_urls == (
            "https://devenir-asv.com/",
            "https://apform.fr/espace-candidat/",
        )
        assert [(c.name, c.siret) for c in fiche.certifiers] == [
            ("ANIMAL PRO FORMATION", "52875765100013"),
            ("SNVEL", None),
        ]
        assert [s["year"] for s in fiche.statistics] == [2021, 2022, 2023]
        assert fiche.statistics[0]["certified_by_vae"] == 225
        assert len(fiche.blocks) == 4
        assert len(fiche.partners) == 24
        assert fiche.previous_codes == ("RNCP37507",)
        assert len(fiche.correspondences) == 8

    def test_reads_lineage_from_both_sides(
        self, real_sample: dict[str, FicheRecord]
    ) -> None:
        assert real_sample["RNCP34762"].next_codes == ("RNCP39568",)
        assert real_sample["RNCP39568"].previous_codes == ("RNCP34762",)
        assert real_sample["RNCP34762"].rncp_active is False

    def test_hash_is_stable_and_tells_changes(
        self, real_sample: dict[str, FicheRecord]
    ) -> None:
        path = require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml"
        again = {r.rncp_code: r for r in RncpExport(path) if isinstance(r, FicheRecord)}
        assert all(
            again[code].content_hash == fiche.content_hash
            for code, fiche in real_sample.items()
        )
        assert len({fiche.content_hash for fiche in real_sample.values()}) == 12

    def test_reads_the_zipped_export_like_the_xml(
        self, real_sample: dict[str, FicheRecord], tmp_path: Path
    ) -> None:
        source = (
            require_reference_data() / "rncp-xml" / "export_fiches_RNCP_fixture.xml"
        )
        archive = tmp_path / "export-fiches-rncp-v4-1-2026-08-16.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.write(source, "export_fiches_RNCP_V4_1_2026-08-16.xml")
        export = RncpExport(archive)
        records = {r.rncp_code: r for r in export if isinstance(r, FicheRecord)}
        assert {code: r.content_hash for code, r in records.items()} == {
            code: r.content_hash for code, r in real_sample.items()
        }
        assert export.version == "4.1"


class TestSkippedFiches:
    def test_skips_a_repertoire_specifique_fiche(self, tmp_path: Path) -> None:
        [skipped] = read_all(export_file(tmp_path, fiche_xml("RS5000")))
        assert (
            isinstance(skipped, SkippedFiche)
            and "Répertoire spécifique" in skipped.reason
        )

    def test_skips_a_fiche_without_number_or_title(self, tmp_path: Path) -> None:
        records = read_all(
            export_file(
                tmp_path,
                fiche_xml(NUMERO_FICHE=""),
                fiche_xml("RNCP90002", INTITULE=""),
            )
        )
        assert [
            (r.rncp_code, r.reason) for r in records if isinstance(r, SkippedFiche)
        ] == [
            (None, "the fiche has no NUMERO_FICHE"),
            ("RNCP90002", "the fiche has no INTITULE"),
        ]

    def test_skips_a_fiche_with_an_impossible_date_and_keeps_the_others(
        self, tmp_path: Path
    ) -> None:
        records = read_all(
            export_file(
                tmp_path,
                fiche_xml("RNCP90001", DATE_FIN_ENREGISTREMENT="31/02/2030"),
                fiche_xml("RNCP90002"),
            )
        )
        assert isinstance(records[0], SkippedFiche)
        assert "DATE_FIN_ENREGISTREMENT '31/02/2030'" in records[0].reason
        assert isinstance(records[1], FicheRecord) and records[1].end_date == date(
            2030, 8, 31
        )

    def test_skips_a_fiche_with_a_bad_block_code(self, tmp_path: Path) -> None:
        block = "<BLOC_COMPETENCES><CODE>BLOC-1</CODE><LIBELLE>Bloc</LIBELLE></BLOC_COMPETENCES>"
        [record] = read_all(export_file(tmp_path, fiche_xml(BLOCS_COMPETENCES=block)))
        assert isinstance(record, SkippedFiche) and "BLOC-1" in record.reason

    def test_completes_a_bare_block_code(self, tmp_path: Path) -> None:
        block = "<BLOC_COMPETENCES><CODE>01</CODE><LIBELLE>Bloc</LIBELLE></BLOC_COMPETENCES>"
        [record] = read_all(export_file(tmp_path, fiche_xml(BLOCS_COMPETENCES=block)))
        assert isinstance(record, FicheRecord) and [b.code for b in record.blocks] == [
            "RNCP90001BC01"
        ]

    def test_reads_older_plain_text_access_routes_and_flat_lineage(
        self, tmp_path: Path
    ) -> None:
        [record] = read_all(
            export_file(
                tmp_path,
                fiche_xml(SI_JURY_VAE="Oui", ANCIENNE_CERTIFICATION="RNCP1197"),
            )
        )
        assert isinstance(record, FicheRecord)
        assert record.vae_eligible is True and record.previous_codes == ("RNCP1197",)

    def test_reads_cdata_text(self, tmp_path: Path) -> None:
        [record] = read_all(
            export_file(tmp_path, fiche_xml(INTITULE="<![CDATA[Titre & co]]>"))
        )
        assert isinstance(record, FicheRecord) and record.title == "Titre & co"


class TestRefusedFiles:
    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"", "neither an XML document nor a zip"),
            (b"hello, this is not XML", "neither an XML document nor a zip"),
            (HEAD.encode() + b"<lheo><offres/></lheo>", "root element is <lheo>"),
            (
                HEAD.encode() + b"<FICHES><VERSION_FLUX>3.0</VERSION_FLUX></FICHES>",
                "VERSION_FLUX is 3.0",
            ),
            (
                HEAD.encode() + b"<FICHES>" + fiche_xml().encode() + b"</FICHES>",
                "before VERSION_FLUX",
            ),
            (
                HEAD.encode()
                + b"<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>"
                + fiche_xml().encode()[:60],
                "malformed or truncated",
            ),
            (
                HEAD.encode()
                + b"<FICHES><VERSION_FLUX>4.1</VERSION_FLUX><FICHE><INTITULE>&undefined;</INTITULE></FICHE></FICHES>",
                "malformed",
            ),
        ],
        ids=[
            "empty",
            "text",
            "wrong-root",
            "old-version",
            "no-version",
            "truncated",
            "undefined-entity",
        ],
    )
    def test_refuses_with_a_clear_message(
        self, tmp_path: Path, content: bytes, message: str
    ) -> None:
        path = tmp_path / "bad.xml"
        path.write_bytes(content)
        with pytest.raises(ExportFormatError, match=message):
            read_all(path)

    def test_refuses_an_entity_expansion_bomb(self, tmp_path: Path) -> None:
        entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(
            f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
        )
        path = tmp_path / "bomb.xml"
        path.write_text(
            f"{HEAD}<!DOCTYPE FICHES [{entities}]><FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{fiche_xml(INTITULE='&a9;')}</FICHES>"
        )
        # Refused either for its DTD or, earlier, by libxml2's amplification limit: never expanded.
        with pytest.raises(ExportFormatError, match=r"DTD|amplification"):
            read_all(path)

    def test_refuses_an_external_entity(self, tmp_path: Path) -> None:
        path = tmp_path / "xxe.xml"
        path.write_text(
            f'{HEAD}<!DOCTYPE FICHES [<!ENTITY x SYSTEM "file:///etc/passwd">]><FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{fiche_xml(INTITULE="&x;")}</FICHES>'
        )
        with pytest.raises(ExportFormatError, match="DTD"):
            read_all(path)

    def test_refuses_a_file_in_another_encoding(self, tmp_path: Path) -> None:
        path = tmp_path / "latin1.xml"
        path.write_bytes(
            f"{HEAD}<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{fiche_xml(INTITULE='Éducateur spécialisé')}</FICHES>".encode(
                "latin-1"
            )
        )
        with pytest.raises(ExportFormatError, match="malformed"):
            read_all(path)

    def test_refuses_a_huge_text_node(self, tmp_path: Path) -> None:
        path = export_file(tmp_path, fiche_xml(ACTIVITES_VISEES="a" * 11_000_000))
        with pytest.raises(ExportFormatError, match="malformed"):
            read_all(path)

    def test_refuses_a_truncated_zip(self, tmp_path: Path) -> None:
        archive = tmp_path / "export.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
            zipped.writestr(
                "export_fiches_RNCP_V4_1_2026-08-16.xml",
                f"{HEAD}<FICHES><VERSION_FLUX>4.1</VERSION_FLUX>{fiche_xml() * 200}</FICHES>",
            )
        archive.write_bytes(archive.read_bytes()[:400])
        with pytest.raises(ExportFormatError, match="zip"):
            read_all(archive)

    def test_refuses_a_zip_without_an_export(self, tmp_path: Path) -> None:
        archive = tmp_path / "export.zip"
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr("readme.txt", "nothing here")
        with pytest.raises(ExportFormatError, match="exactly one RNCP XML export"):
            read_all(archive)
