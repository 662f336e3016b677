"""The Certif Info CSV reader: shapes, encodings, separators, bad lines, any chunking."""

from __future__ import annotations

import pytest

from catalog.certif_info.reader import (
    MAX_LINE_BYTES,
    CertifInfoCsvReader,
    CertifInfoFormatError,
    Correspondence,
    Row,
    SkippedRow,
)

OPEN_DATA = (
    "Code_Diplome;Libelle_Diplome;Code_RNCP;Code_Scolarité;Valideur\r\n"
    "19004;BTS négociation et relation client;474;32031211;Éducation nationale\r\n"
    "92891;Titre professionnel développeur web et web mobile;37674;;Ministère du travail\r\n"
    "1879;Habilitation électrique « B1V » – opérateur’s;;;\r\n"
)


def read(
    data: bytes, chunk: int | None = None
) -> tuple[CertifInfoCsvReader, list[Row]]:
    reader = CertifInfoCsvReader()
    rows: list[Row] = []
    step = chunk or len(data) or 1
    for start in range(0, len(data), step):
        rows += reader.feed(data[start : start + step])
    rows += reader.finish()
    return reader, rows


class TestShapes:
    def test_reads_the_open_data_in_windows_1252(self) -> None:
        reader, rows = read(OPEN_DATA.encode("cp1252"))
        assert rows == [
            Correspondence(2, 19004, "RNCP474"),
            Correspondence(3, 92891, "RNCP37674"),
            Correspondence(4, 1879, None),
        ]
        assert reader.shape is not None
        assert reader.shape.name == "CERTIF_INFO_OPEN_DATA"
        assert (reader.encoding, reader.rows_read) == ("WINDOWS-1252", 3)

    def test_reads_latin_1_bytes_that_windows_1252_leaves_undefined(self) -> None:
        data = "Code_Diplome;Code_RNCP;Libelle_Diplome\n12650;37297;Café\x81\n".encode(
            "latin-1"
        )
        reader, rows = read(data)
        assert rows == [Correspondence(2, 12650, "RNCP37297")]
        assert reader.encoding == "LATIN-1"

    def test_reads_utf_8_with_a_bom(self) -> None:
        reader, rows = read(b"\xef\xbb\xbf" + OPEN_DATA.encode("utf-8"))
        assert [r.line for r in rows] == [2, 3, 4]
        assert reader.encoding == "UTF-8"

    def test_reads_onisep_s_table_de_passage_with_other_separators(self) -> None:
        for separator in ("|", ",", "\t"):
            data = (
                separator.join(
                    [
                        "certif_info_ci_identifiant",
                        "ideo_identifiant_formation",
                        "ci_code_rncp",
                        "ci_code_scolarite",
                    ]
                )
                + "\n"
                + separator.join(["12650", "FOR.8763", "37297", "17021003"])
                + "\n"
            )
            reader, rows = read(data.encode())
            assert rows == [Correspondence(2, 12650, "RNCP37297")], separator
            assert reader.shape is not None
            assert reader.shape.name == "ONISEP_TABLE_DE_PASSAGE"

    def test_matches_columns_by_name_whatever_their_case_order_and_quotes(
        self,
    ) -> None:
        data = b'"code_rncp";"CODE_DIPLOME"\n"RNCP35340";"54912"\n'
        assert read(data)[1] == [Correspondence(2, 54912, "RNCP35340")]

    def test_refuses_a_header_without_the_needed_columns(self) -> None:
        with pytest.raises(CertifInfoFormatError, match="Code_Diplome and Code_RNCP"):
            read(b"Numero_Fiche;Intitule\nRNCP1;X\n")

    def test_refuses_an_empty_file_and_utf_16(self) -> None:
        with pytest.raises(CertifInfoFormatError, match="no header"):
            read(b"\n\n")
        with pytest.raises(CertifInfoFormatError, match="UTF-16"):
            read(OPEN_DATA.encode("utf-16"))

    def test_refuses_a_file_without_line_breaks(self) -> None:
        with pytest.raises(CertifInfoFormatError, match="longer than"):
            read(b"x" * (MAX_LINE_BYTES + 10), chunk=4096)


class TestRows:
    def test_skips_bad_rows_with_their_line_number(self) -> None:
        data = (
            "Code_Diplome;Code_RNCP;Libelle_Diplome\n"
            "ABC;474;lettres\n"
            ";474;vide\n"
            "0;474;zéro\n"
            "12345678901;474;trop long\n"
            "19004;RS5080;répertoire spécifique\n"
            "19005;474;un;point-virgule\n"
            "\n"
            "19006;RNCP 474;préfixé\n"
            "19007;00474;zéros\n"
        ).encode()
        _reader, rows = read(data)
        skipped = {row.line: row.reason for row in rows if isinstance(row, SkippedRow)}
        assert sorted(skipped) == [2, 3, 4, 5, 6, 7]
        assert "Code_Diplome 'ABC' is not a Certif Info code" in skipped[2]
        assert "Code_RNCP 'RS5080' is not an RNCP number" in skipped[6]
        assert "4 fields where the header has 3" in skipped[7]
        assert [r for r in rows if isinstance(r, Correspondence)] == [
            Correspondence(9, 19006, "RNCP474"),
            Correspondence(10, 19007, "RNCP474"),
        ]

    def test_tolerates_trailing_empty_fields_and_short_rows(self) -> None:
        data = b"Code_Diplome;Code_RNCP;Libelle\n19004;474;x;;\n19005\n"
        assert read(data)[1] == [
            Correspondence(2, 19004, "RNCP474"),
            Correspondence(3, 19005, None),
        ]

    def test_a_bom_file_must_be_utf_8(self) -> None:
        data = b"\xef\xbb\xbfCode_Diplome;Code_RNCP;Libelle\n19004;474;caf\xe9\n"
        assert read(data)[1] == [
            SkippedRow(2, "not valid UTF-8, although the file starts with a UTF-8 BOM")
        ]

    @pytest.mark.parametrize("chunk", [1, 2, 3, 7, 64])
    def test_reads_the_same_whatever_the_chunks(self, chunk: int) -> None:
        data = b"\xef\xbb\xbf" + OPEN_DATA.encode("utf-8")
        assert read(data, chunk)[1] == read(data)[1]
