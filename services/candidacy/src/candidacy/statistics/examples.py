"""OpenAPI examples of the statistics endpoint, built from the schemas so they cannot drift."""

from __future__ import annotations

from candidacy.openapi import example
from candidacy.statistics.schemas import Dimension, StatisticsCell, StatisticsRead

STATISTICS_ANSWER = {
    "by_certification_and_year": example(
        "Par certification et par année",
        StatisticsRead(
            group_by=[Dimension.CERTIFICATION, Dimension.YEAR],
            min_cell_size=5,
            cells=[
                StatisticsCell(rncp_code="RNCP38077", year=2025, count=42),
                StatisticsCell(rncp_code="RNCP38077", year=2026, count=57),
                StatisticsCell(rncp_code="RNCP41936", year=2026, count=12),
            ],
            suppressed_cells=2,
            total=118,
        ),
        "Groups of fewer than min_cell_size candidacies are left out (secret statistique).",
    ),
    "by_outcome": example(
        "Par résultat du jury",
        StatisticsRead(
            group_by=[Dimension.OUTCOME],
            min_cell_size=5,
            cells=[
                StatisticsCell(outcome="FULL_SUCCESS_OF_FULL_CERTIFICATION", count=31),
                StatisticsCell(
                    outcome="PARTIAL_SUCCESS_OF_FULL_CERTIFICATION", count=14
                ),
                StatisticsCell(outcome=None, count=66),
            ],
            suppressed_cells=1,
            total=113,
        ),
    ),
}
