"""Reads a Certif Info ↔ RNCP correspondence CSV incrementally: bytes in, correspondences out.

Two shapes are recognised by their header (FORMATS.md §4), whatever the other columns:

- the Certif Info open data (``opendata-certifinfo-*.csv``): ``Code_Diplome`` (the Certif Info
  code) and ``Code_RNCP`` (a bare number, often empty), Latin-1, ``;``, no quoting;
- Onisep's « table de passage »: ``certif_info_ci_identifiant`` and ``ci_code_rncp``.

Each line is decoded on its own: UTF-8 when its bytes are UTF-8 (a UTF-8 BOM makes UTF-8
mandatory), else Windows-1252, else Latin-1, so a Latin-1 file and a UTF-8 export both read
right. The separator is the first of ``;``, tab, ``,``, ``|`` that splits the header into the
needed columns. A line that cannot be read is skipped with its number and the reason; only a
header without the needed columns refuses the whole file.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

MAX_LINE_BYTES: Final = 64 * 1024
_BOM: Final = b"\xef\xbb\xbf"
_SEPARATORS: Final = (";", "\t", ",", "|")
_CERTIF_INFO_CODE = re.compile(r"\d{1,10}")
_RNCP_NUMBER = re.compile(r"(?:RNCP)?\s*(\d{1,6})", re.IGNORECASE)


class CertifInfoFormatError(Exception):
    """The file is not a Certif Info correspondence CSV; nothing of it can be used."""


@dataclass(frozen=True, slots=True)
class CsvShape:
    """A known shape of correspondence file: its name and the (folded) names of its two columns."""

    name: str
    code_column: str
    rncp_column: str


SHAPES: Final = (
    CsvShape("CERTIF_INFO_OPEN_DATA", "code_diplome", "code_rncp"),
    CsvShape("ONISEP_TABLE_DE_PASSAGE", "certif_info_ci_identifiant", "ci_code_rncp"),
)


@dataclass(frozen=True, slots=True)
class Correspondence:
    """One data line: a Certif Info code and the RNCP code it names (None when empty)."""

    line: int
    certif_info_id: int
    rncp_code: str | None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A data line that could not be read, and why."""

    line: int
    reason: str


Row = Correspondence | SkippedRow


def _fold(name: str) -> str:
    """Folds a header name for matching: no BOM, quotes, accents, case or surrounding spaces."""
    name = name.replace("\ufeff", "").strip().strip('"').strip()
    return (
        unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    )


def _value(raw: str) -> str:
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    return value


class CertifInfoCsvReader:
    """Turns the bytes of a correspondence CSV, fed in chunks of any size, into rows."""

    def __init__(self) -> None:
        self._pending = b""
        self._line = 0
        self._utf8_only = False
        self._encodings: set[str] = set()
        self._separator = ";"
        self._code_index = self._rncp_index = 0
        self._width = 0
        self._code_name = self._rncp_name = ""
        self.shape: CsvShape | None = None
        self.rows_read = 0
        self.bytes_read = 0

    @property
    def encoding(self) -> str:
        """The encoding the lines were read in: ASCII, UTF-8, LATIN-1 (or WINDOWS-1252), MIXED."""
        if not self._encodings:
            return "UTF-8" if self._utf8_only else "ASCII"
        return next(iter(self._encodings)) if len(self._encodings) == 1 else "MIXED"

    def feed(self, chunk: bytes) -> list[Row]:
        """Reads a chunk; returns the rows of the lines it completed.

        Raises
        ------
        CertifInfoFormatError
            The header lacks the needed columns, or a line is absurdly long.
        """
        self.bytes_read += len(chunk)
        data = self._pending + chunk
        *lines, self._pending = data.split(b"\n")
        if len(self._pending) > MAX_LINE_BYTES:
            raise CertifInfoFormatError(
                f"line {self._line + 1} is longer than {MAX_LINE_BYTES:,} bytes: this is not a "
                "Certif Info CSV (one correspondence per line)"
            )
        return [row for raw in lines if (row := self._read_line(raw)) is not None]

    def finish(self) -> list[Row]:
        """Reads what is left after the last chunk.

        Raises
        ------
        CertifInfoFormatError
            The file had no header line at all.
        """
        rows = []
        if self._pending:
            row = self._read_line(self._pending)
            self._pending = b""
            if row is not None:
                rows.append(row)
        if self.shape is None:
            raise CertifInfoFormatError(
                "the file holds no header line: send the Certif Info CSV with its header "
                "(Code_Diplome;…;Code_RNCP;…)"
            )
        return rows

    def _decode(self, raw: bytes) -> str | None:
        if self._line == 1 and raw.startswith(_BOM):
            raw, self._utf8_only = raw[len(_BOM) :], True
        if raw.isascii():
            return raw.decode("ascii")
        try:
            text = raw.decode("utf-8")
            self._encodings.add("UTF-8")
            return text
        except UnicodeDecodeError:
            if self._utf8_only:
                return None
        try:
            text = raw.decode("cp1252")
            self._encodings.add("WINDOWS-1252")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
            self._encodings.add("LATIN-1")
        return text

    def _read_line(self, raw: bytes) -> Row | None:
        self._line += 1
        raw = raw.removesuffix(b"\r")
        if (
            self.shape is None
            and self._line == 1
            and raw.startswith((b"\xff\xfe", b"\xfe\xff"))
        ):
            raise CertifInfoFormatError(
                "the file is UTF-16 (a spreadsheet's « Unicode text »): save it as CSV, in Latin-1 or UTF-8"
            )
        text = self._decode(raw)
        if text is None:
            return SkippedRow(
                self._line, "not valid UTF-8, although the file starts with a UTF-8 BOM"
            )
        if not text.strip():
            return None
        if self.shape is None:
            self._read_header(text)
            return None
        self.rows_read += 1
        return self._read_row(text)

    def _read_header(self, text: str) -> None:
        for separator in _SEPARATORS:
            names = [_fold(name) for name in text.split(separator)]
            for shape in SHAPES:
                if shape.code_column in names and shape.rncp_column in names:
                    raw_names = text.split(separator)
                    self.shape, self._separator, self._width = (
                        shape,
                        separator,
                        len(names),
                    )
                    self._code_index = names.index(shape.code_column)
                    self._rncp_index = names.index(shape.rncp_column)
                    self._code_name = _value(raw_names[self._code_index]).lstrip(
                        "\ufeff"
                    )
                    self._rncp_name = _value(raw_names[self._rncp_index])
                    return
        found = ", ".join(_value(name) for name in text.split(";")[:12]) or "nothing"
        raise CertifInfoFormatError(
            f"the header names {found}: a Certif Info correspondence needs the columns "
            "Code_Diplome and Code_RNCP (open data) or certif_info_ci_identifiant and "
            "ci_code_rncp (Onisep's table de passage)"
        )

    def _read_row(self, text: str) -> Row:
        fields = text.split(self._separator)
        if len(fields) > self._width and any(f.strip() for f in fields[self._width :]):
            return SkippedRow(
                self._line,
                f"{len(fields)} fields where the header has {self._width}: a value holds the "
                f"separator {self._separator!r}",
            )
        code = (
            _value(fields[self._code_index]) if self._code_index < len(fields) else ""
        )
        rncp = (
            _value(fields[self._rncp_index]) if self._rncp_index < len(fields) else ""
        )
        if not code:
            return SkippedRow(self._line, f"{self._code_name} is empty")
        if not _CERTIF_INFO_CODE.fullmatch(code) or int(code) == 0:
            return SkippedRow(
                self._line,
                f"{self._code_name} {code[:40]!r} is not a Certif Info code (1 to 10 digits)",
            )
        if not rncp:
            return Correspondence(self._line, int(code), None)
        match = _RNCP_NUMBER.fullmatch(rncp)
        if match is None or int(match.group(1)) == 0:
            return SkippedRow(
                self._line, f"{self._rncp_name} {rncp[:40]!r} is not an RNCP number"
            )
        return Correspondence(self._line, int(code), f"RNCP{int(match.group(1))}")
