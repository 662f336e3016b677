"""Anonymous statistics of candidacies, by certification, level, kind, department, year, state, outcome."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from candidacy.candidacy.models import Candidacy
from candidacy.statistics.schemas import Dimension, StatisticsCell, StatisticsRead

_COLUMNS: dict[Dimension, tuple[str, Any]] = {
    Dimension.CERTIFICATION: ("rncp_code", Candidacy.rncp_code),
    Dimension.LEVEL: ("level", Candidacy.level),
    Dimension.KIND: ("kind", Candidacy.kind),
    Dimension.DEPARTMENT: ("department", Candidacy.department),
    Dimension.YEAR: ("year", Candidacy.submission_year),
    Dimension.STATE: ("state", Candidacy.state),
    Dimension.OUTCOME: ("outcome", Candidacy.jury_result),
}


async def count_candidacies(
    db: AsyncSession,
    *,
    group_by: list[Dimension],
    year: int | None,
    rncp_code: str | None,
    department: str | None,
    min_cell_size: int,
) -> StatisticsRead:
    """Counts submitted candidacies by the chosen dimensions; small groups are suppressed.

    Only columns copied at submission are read: erased candidates still count, anonymously.
    """
    dimensions = list(dict.fromkeys(group_by))
    columns = [_COLUMNS[d][1].label(_COLUMNS[d][0]) for d in dimensions]
    conditions: list[ColumnElement[bool]] = [Candidacy.submission_year.is_not(None)]
    if year is not None:
        conditions.append(Candidacy.submission_year == year)
    if rncp_code is not None:
        conditions.append(Candidacy.rncp_code == rncp_code)
    if department is not None:
        conditions.append(Candidacy.department == department)
    statement = select(*columns, func.count().label("count")).where(*conditions)
    if columns:
        statement = statement.group_by(*columns).order_by(*columns)
    async with db.begin():
        rows = (await db.execute(statement)).mappings().all()
    cells = [StatisticsCell(**row) for row in rows if row["count"] >= min_cell_size]
    total = sum(int(row["count"]) for row in rows)
    return StatisticsRead(
        group_by=dimensions,
        min_cell_size=min_cell_size,
        cells=cells,
        suppressed_cells=len(rows) - len(cells),
        total=total if total >= min_cell_size else None,
    )
