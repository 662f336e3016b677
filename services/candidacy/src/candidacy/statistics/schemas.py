"""Response models of the anonymous statistics."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Dimension(StrEnum):
    """What the counts can be grouped by."""

    CERTIFICATION = "certification"
    LEVEL = "level"
    KIND = "kind"
    DEPARTMENT = "department"
    YEAR = "year"
    STATE = "state"
    OUTCOME = "outcome"


class StatisticsCell(BaseModel):
    """One group and its count of candidacies."""

    rncp_code: str | None = None
    level: int | None = None
    kind: str | None = None
    department: str | None = None
    year: int | None = None
    state: str | None = None
    outcome: str | None = Field(
        default=None, description="Jury result (France VAE vocabulary)."
    )
    count: int


class StatisticsRead(BaseModel):
    """Counts of submitted candidacies, without personal data (for the observatories, OREF)."""

    group_by: list[Dimension]
    min_cell_size: int = Field(
        description="Groups with fewer candidacies are left out (secret statistique)."
    )
    cells: list[StatisticsCell]
    suppressed_cells: int = Field(
        description="How many groups were left out for being too small."
    )
    total: int | None = Field(
        description="All matching candidacies; null when under min_cell_size."
    )
