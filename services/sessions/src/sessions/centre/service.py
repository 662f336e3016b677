"""Exam centre use cases: centres, sites, approvals (agréments)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import (
    ConflictError,
    PermissionDeniedError,
    Principal,
    Role,
    cursor_position,
    keyset_page,
    utcnow,
)
from sessions.centre.models import Approval, ExamCentre, ExamSite
from sessions.centre.repository import CentreRepository
from sessions.centre.schemas import (
    ApprovalCreate,
    ApprovalRead,
    ExamCentreCreate,
    ExamCentreRead,
    SiteCreate,
    SiteRead,
)
from sessions.clients.catalog import CatalogClient
from sessions.errors import (
    ApprovalBeyondCertificationEndError,
    CertificationUnknownError,
    ExamCentreNotFoundError,
    SiteNotFoundError,
)

_CURSOR = "exam-centre"


class ExamCentreAlreadyExistsError(ConflictError):
    code = "EXAM_CENTRE_ALREADY_EXISTS"


def _no_centre(centre_id: uuid.UUID) -> ExamCentreNotFoundError:
    return ExamCentreNotFoundError(f"No exam centre has the id {centre_id}: check it.")


def _read(centre: ExamCentre, sites: Sequence[ExamSite]) -> ExamCentreRead:
    return ExamCentreRead(
        id=centre.id,
        name=centre.name,
        siret=centre.siret,
        region=centre.region,
        department=centre.department,
        sites=[SiteRead.model_validate(s, from_attributes=True) for s in sites],
        version=centre.version,
        created_at=centre.created_at,
        updated_at=centre.updated_at,
    )


def _site(centre_id: uuid.UUID, payload: SiteCreate) -> ExamSite:
    return ExamSite(
        id=uuid7(), centre_id=centre_id, created_at=utcnow(), **payload.model_dump()
    )


def check_acts_for(principal: Principal, centre_id: uuid.UUID) -> None:
    """Admits an administrator or the centre's own API client.

    Raises
    ------
    PermissionDeniedError
        Another exam centre, or another role.
    """
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.EXAM_CENTRE and principal.organisation_id == str(
        centre_id
    ):
        return
    raise PermissionDeniedError(
        f"Only exam centre {centre_id}'s own API client or an administrator may do this."
    )


async def create_centre(db: AsyncSession, payload: ExamCentreCreate) -> ExamCentreRead:
    """Registers an exam centre with its sites.

    Raises
    ------
    ExamCentreAlreadyExistsError
        A centre already has this id or SIRET.
    """
    now = utcnow()
    centre = ExamCentre(
        id=payload.id or uuid7(),
        name=payload.name,
        siret=payload.siret,
        region=payload.region,
        department=payload.department,
        version=1,
        created_at=now,
        updated_at=now,
    )
    sites = [_site(centre.id, s) for s in payload.sites]
    try:
        async with db.begin():
            db.add(centre)
            await db.flush()
            db.add_all(sites)
    except IntegrityError as error:
        raise ExamCentreAlreadyExistsError(
            f"An exam centre already has the id {centre.id} or the SIRET {payload.siret}."
        ) from error
    return _read(centre, sites)


async def get_centre(db: AsyncSession, centre_id: uuid.UUID) -> ExamCentreRead:
    """Gets a centre with its sites.

    Raises
    ------
    ExamCentreNotFoundError
        No such centre.
    """
    async with db.begin():
        repository = CentreRepository(db)
        centre = await repository.get(centre_id)
        if centre is None:
            raise _no_centre(centre_id)
        sites = await repository.sites_of([centre.id])
    return _read(centre, sites)


async def list_centres(
    db: AsyncSession,
    *,
    region: str | None,
    department: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ExamCentreRead], str | None]:
    """Lists centres with their sites, by id.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    after = cursor_position(cursor, _CURSOR, lambda values: uuid.UUID(str(values[0])))
    async with db.begin():
        repository = CentreRepository(db)
        rows = await repository.list(
            region=region, department=department, after=after, limit=limit + 1
        )
        items, next_cursor = keyset_page(rows, limit, _CURSOR, lambda c: [str(c.id)])
        sites = await repository.sites_of([c.id for c in items])
    by_centre: dict[uuid.UUID, list[ExamSite]] = {}
    for site in sites:
        by_centre.setdefault(site.centre_id, []).append(site)
    return [_read(c, by_centre.get(c.id, [])) for c in items], next_cursor


async def add_site(
    db: AsyncSession, principal: Principal, centre_id: uuid.UUID, payload: SiteCreate
) -> SiteRead:
    """Adds a site to a centre (the centre itself or an administrator).

    Raises
    ------
    ExamCentreNotFoundError, PermissionDeniedError
        No such centre; not the centre's client.
    """
    async with db.begin():
        if await CentreRepository(db).get(centre_id) is None:
            raise _no_centre(centre_id)
        check_acts_for(principal, centre_id)
        site = _site(centre_id, payload)
        db.add(site)
    return SiteRead.model_validate(site, from_attributes=True)


def _approval_read(approval: Approval) -> ApprovalRead:
    return ApprovalRead.model_validate(approval, from_attributes=True)


async def add_approval(
    db: AsyncSession,
    centre_id: uuid.UUID,
    payload: ApprovalCreate,
    *,
    catalog: CatalogClient,
) -> ApprovalRead:
    """Records an approval of a site for a certification, checked against the catalog.

    Raises
    ------
    ExamCentreNotFoundError, SiteNotFoundError
        No such centre, or the site is not the centre's.
    CertificationUnknownError, ApprovalBeyondCertificationEndError
        The catalog knows no such certification, or the approval outlives it.
    CatalogUnavailableError
        The catalog could not be asked.
    """
    async with db.begin():
        repository = CentreRepository(db)
        if await repository.get(centre_id) is None:
            raise _no_centre(centre_id)
        if await repository.get_site(centre_id, payload.site_id) is None:
            raise SiteNotFoundError(
                f"Exam centre {centre_id} has no site {payload.site_id}: add the site first."
            )
    certification = await catalog.get_certification(payload.rncp_code)
    if certification is None:
        raise CertificationUnknownError(
            f"The catalog knows no certification {payload.rncp_code}: check the RNCP number."
        )
    end = certification.registration.end_date
    if end is not None and payload.end_date > end:
        raise ApprovalBeyondCertificationEndError(
            f"An approval may not run past the certification's end date: {payload.rncp_code} "
            f"ends on {end}, the approval on {payload.end_date}. End it on {end} at the latest.",
            certification_end_date=end.isoformat(),
        )
    approval = Approval(
        id=uuid7(),
        centre_id=centre_id,
        created_at=utcnow(),
        **payload.model_dump(),
    )
    async with db.begin():
        db.add(approval)
    return _approval_read(approval)


async def list_approvals(db: AsyncSession, centre_id: uuid.UUID) -> list[ApprovalRead]:
    """Lists a centre's approvals, newest first.

    Raises
    ------
    ExamCentreNotFoundError
        No such centre.
    """
    async with db.begin():
        repository = CentreRepository(db)
        if await repository.get(centre_id) is None:
            raise _no_centre(centre_id)
        approvals = await repository.approvals_of(centre_id)
    return [_approval_read(a) for a in approvals]


async def withdraw_approval(
    db: AsyncSession, centre_id: uuid.UUID, approval_id: uuid.UUID
) -> ApprovalRead:
    """Withdraws an approval (retrait d'agrément); sessions not yet scheduled lose it.

    Raises
    ------
    ExamCentreNotFoundError
        No such approval of this centre.
    """
    async with db.begin():
        approval = await CentreRepository(db).get_approval(centre_id, approval_id)
        if approval is None:
            raise ExamCentreNotFoundError(
                f"Exam centre {centre_id} has no approval {approval_id}."
            )
        if approval.withdrawn_at is None:
            approval.withdrawn_at = utcnow()
    return _approval_read(approval)
