"""Response models of the Certif Info import."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CONFLICT_KINDS = Literal[
    "CERTIF_INFO_CODE_WITH_SEVERAL_RNCP_CODES",
    "RNCP_CODE_WITH_SEVERAL_CERTIF_INFO_CODES",
    "CERTIF_INFO_CODE_ON_ANOTHER_CERTIFICATION",
    "CERTIFICATION_HAS_ANOTHER_CERTIF_INFO_CODE",
]


class SkippedRowRead(BaseModel):
    """A line of the file that could not be read."""

    line: int = Field(description="Line number in the file (the header is line 1).")
    reason: str = Field(
        examples=["Code_Diplome 'ABC' is not a Certif Info code (1 to 10 digits)"]
    )


class UnknownRncpCodeRead(BaseModel):
    """A correspondence naming an RNCP code the catalog does not hold."""

    rncp_code: str = Field(examples=["RNCP99999"])
    certif_info_id: int = Field(examples=[99001])
    line: int


class ConflictRead(BaseModel):
    """A link the import did not make, because it contradicts the file or the catalog."""

    kind: CONFLICT_KINDS = Field(
        description=(
            "CERTIF_INFO_CODE_WITH_SEVERAL_RNCP_CODES and RNCP_CODE_WITH_SEVERAL_CERTIF_INFO_CODES: "
            "the file itself is ambiguous (never applied). CERTIF_INFO_CODE_ON_ANOTHER_CERTIFICATION "
            "and CERTIFICATION_HAS_ANOTHER_CERTIF_INFO_CODE: the catalog holds another link "
            "(applied only with `overwrite=true`)."
        )
    )
    certif_info_ids: list[int]
    rncp_codes: list[str]
    lines: list[int] = Field(description="Lines of the file involved.")
    detail: str


class CertifInfoImportRead(BaseModel):
    """What an import of the Certif Info correspondence did (table de correspondance Certif Info ↔ RNCP)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "file_format": "CERTIF_INFO_OPEN_DATA",
                    "encoding": "WINDOWS-1252",
                    "overwrite": False,
                    "bytes_read": 52_310,
                    "rows_read": 1203,
                    "linked": 812,
                    "unchanged": 0,
                    "unlinked": 0,
                    "rows_without_rncp_code": 301,
                    "unknown_rncp_codes": 86,
                    "conflicts": 1,
                    "skipped": 1,
                    "unknown_rncp_code_rows": [
                        {"rncp_code": "RNCP99999", "certif_info_id": 99001, "line": 14}
                    ],
                    "conflict_details": [
                        {
                            "kind": "RNCP_CODE_WITH_SEVERAL_CERTIF_INFO_CODES",
                            "certif_info_ids": [54912, 54913],
                            "rncp_codes": ["RNCP35340"],
                            "lines": [220, 221],
                            "detail": "the file links RNCP35340 to the Certif Info codes 54912, 54913: the catalog keeps one code per certification, none was set",
                        }
                    ],
                    "skipped_rows": [
                        {
                            "line": 97,
                            "reason": "Code_Diplome 'ABC' is not a Certif Info code (1 to 10 digits)",
                        }
                    ],
                    "duration_seconds": 0.42,
                }
            ]
        }
    )

    file_format: Literal["CERTIF_INFO_OPEN_DATA", "ONISEP_TABLE_DE_PASSAGE"] | None = (
        Field(description="The shape recognised from the header.")
    )
    encoding: str | None = Field(
        description="How the lines were decoded: ASCII, UTF-8, WINDOWS-1252, LATIN-1 or MIXED."
    )
    overwrite: bool = Field(
        description="Whether links already in the catalog could be replaced."
    )
    bytes_read: int
    rows_read: int = Field(
        description="Data lines read (header and blank lines aside)."
    )
    linked: int = Field(
        description="Certifications that received a Certif Info code (new or replaced)."
    )
    unchanged: int = Field(
        description="Certifications that already carried the code the file gives them."
    )
    unlinked: int = Field(
        description="Certifications whose code moved to another one (overwrite only)."
    )
    rows_without_rncp_code: int = Field(
        description="Rows whose RNCP code is empty (Certif Info also lists certifications outside the RNCP)."
    )
    unknown_rncp_codes: int = Field(
        description="RNCP codes of the file that the catalog does not hold."
    )
    conflicts: int
    skipped: int = Field(description="Rows that could not be read.")
    unknown_rncp_code_rows: list[UnknownRncpCodeRead] = Field(
        description="The first 1,000 of them."
    )
    conflict_details: list[ConflictRead] = Field(
        description="The first 1,000 conflicts."
    )
    skipped_rows: list[SkippedRowRead] = Field(
        description="The first 1,000 rows skipped, with their line number."
    )
    duration_seconds: float
