"""Endpoint of the anonymous statistics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from candidacy.candidacy.schemas import RncpCode
from candidacy.candidate.schemas import Department
from candidacy.dependencies import AnyRole, CurrentSettings
from candidacy.openapi import success
from candidacy.statistics import examples
from candidacy.statistics import service as statistics_service
from candidacy.statistics.schemas import Dimension, StatisticsRead
from common import (
    AuthenticationError,
    DbSession,
    PermissionDeniedError,
    problem_responses,
)

router = APIRouter(tags=["statistics"])


@router.get(
    "/v1/candidacies/statistics",
    response_model=StatisticsRead,
    summary="Statistics of candidacies, without personal data (statistiques des candidatures)",
    description="Counts of submitted candidacies by certification, level, kind, department, "
    "year, state and jury result, for the regional observatories (Carif-Oref, OREF). Groups "
    "smaller than the configured minimum are left out (secret statistique). Erased candidates "
    "still count, anonymously.",
    responses={
        **success(200, "The counts.", **examples.STATISTICS_ANSWER),
        **problem_responses(AuthenticationError, PermissionDeniedError),
    },
)
async def get_statistics(
    db: DbSession,
    principal: AnyRole,
    settings: CurrentSettings,
    group_by: Annotated[
        list[Dimension] | None,
        Query(
            description="Dimensions, repeatable: `group_by=certification&group_by=year`."
        ),
    ] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    rncp_code: Annotated[RncpCode | None, Query()] = None,
    department: Annotated[Department | None, Query()] = None,
) -> StatisticsRead:
    return await statistics_service.count_candidacies(
        db,
        group_by=group_by or [Dimension.CERTIFICATION, Dimension.YEAR],
        year=year,
        rncp_code=rncp_code,
        department=department,
        min_cell_size=settings.statistics_min_cell_size,
    )
