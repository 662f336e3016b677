"""Juror use cases: register jurors, grant habilitations under the jury rules."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from common import ConflictError, cursor_position, keyset_page, utcnow
from sessions.clients.catalog import CatalogClient
from sessions.errors import (
    CertificationInactiveError,
    CertificationUnknownError,
    JurorExperienceTooShortError,
    JurorLeftTradeTooLongAgoError,
    JurorNotFoundError,
)
from sessions.juror.models import Habilitation, Juror
from sessions.juror.repository import JurorRepository
from sessions.juror.schemas import (
    HabilitationCreate,
    HabilitationRead,
    JurorCreate,
    JurorRead,
)
from sessions.session.rules import Profile, habilitation_refusal, months_before

_CURSOR = "juror"


class HabilitationAlreadyExistsError(ConflictError):
    code = "HABILITATION_ALREADY_EXISTS"


def _read(juror: Juror, habilitations: Sequence[Habilitation]) -> JurorRead:
    return JurorRead(
        id=juror.id,
        given_name=juror.given_name,
        family_name=juror.family_name,
        email=juror.email,
        profile=Profile(juror.profile),
        trade=juror.trade,
        years_in_trade=juror.years_in_trade,
        left_trade_on=juror.left_trade_on,
        habilitations=[
            HabilitationRead.model_validate(h, from_attributes=True)
            for h in habilitations
        ],
        version=juror.version,
        created_at=juror.created_at,
        updated_at=juror.updated_at,
    )


def _no_juror(juror_id: uuid.UUID) -> JurorNotFoundError:
    return JurorNotFoundError(f"No juror has the id {juror_id}: check it.")


async def create_juror(db: AsyncSession, payload: JurorCreate) -> JurorRead:
    """Registers a juror."""
    now = utcnow()
    juror = Juror(
        id=uuid7(), version=1, created_at=now, updated_at=now, **payload.model_dump()
    )
    async with db.begin():
        db.add(juror)
    return _read(juror, [])


async def get_juror(db: AsyncSession, juror_id: uuid.UUID) -> JurorRead:
    """Gets a juror with their habilitations.

    Raises
    ------
    JurorNotFoundError
        No such juror.
    """
    async with db.begin():
        repository = JurorRepository(db)
        juror = await repository.get(juror_id)
        if juror is None:
            raise _no_juror(juror_id)
        habilitations = await repository.habilitations_of([juror.id])
    return _read(juror, habilitations)


async def list_jurors(
    db: AsyncSession, *, rncp_code: str | None, cursor: str | None, limit: int
) -> tuple[list[JurorRead], str | None]:
    """Lists jurors (those habilitated for a certification, if asked), by id.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    after = cursor_position(cursor, _CURSOR, lambda values: uuid.UUID(str(values[0])))
    async with db.begin():
        repository = JurorRepository(db)
        rows = await repository.list(rncp_code=rncp_code, after=after, limit=limit + 1)
        items, next_cursor = keyset_page(rows, limit, _CURSOR, lambda j: [str(j.id)])
        habilitations = await repository.habilitations_of([j.id for j in items])
    by_juror: dict[uuid.UUID, list[Habilitation]] = {}
    for habilitation in habilitations:
        by_juror.setdefault(habilitation.juror_id, []).append(habilitation)
    return [_read(j, by_juror.get(j.id, [])) for j in items], next_cursor


async def grant_habilitation(
    db: AsyncSession,
    juror_id: uuid.UUID,
    payload: HabilitationCreate,
    *,
    catalog: CatalogClient,
    min_years: int,
    max_years_out: int,
) -> HabilitationRead:
    """Records a habilitation, refused unless the juror meets the rules on its date.

    The rules of a TP jury: at least three years in the trade, and not out of it for more than
    five years at the habilitation date. It lasts at most until the certification's end date.

    Raises
    ------
    JurorNotFoundError
        No such juror.
    JurorExperienceTooShortError, JurorLeftTradeTooLongAgoError
        The juror does not meet the rules.
    CertificationUnknownError, CatalogUnavailableError
        The catalog knows no such certification, or could not be asked.
    CertificationInactiveError
        The certification ended before the habilitation date.
    HabilitationAlreadyExistsError
        The same habilitation was already recorded.
    """
    async with db.begin():
        juror = await JurorRepository(db).get(juror_id)
    if juror is None:
        raise _no_juror(juror_id)
    refusal = habilitation_refusal(
        years_in_trade=juror.years_in_trade,
        left_trade_on=juror.left_trade_on,
        granted_on=payload.granted_on,
        min_years=min_years,
        max_years_out=max_years_out,
    )
    if refusal is not None:
        error = (
            JurorExperienceTooShortError
            if juror.years_in_trade < min_years
            else JurorLeftTradeTooLongAgoError
        )
        raise error(
            f"{juror.full_name} {refusal}: the habilitation is refused.",
            juror_id=str(juror.id),
        )
    certification = await catalog.get_certification(payload.rncp_code)
    if certification is None:
        raise CertificationUnknownError(
            f"The catalog knows no certification {payload.rncp_code}: check the RNCP number."
        )
    end = certification.registration.end_date
    if end is not None and end < payload.granted_on:
        raise CertificationInactiveError(
            f"{payload.rncp_code} ended on {end}, before the habilitation on {payload.granted_on}: "
            "no juror can be habilitated for it any more.",
            certification_end_date=end.isoformat(),
        )
    ceiling = end or months_before(payload.granted_on, -60)
    valid_until = min(payload.valid_until or ceiling, ceiling)
    # A failed commit expires the juror: keep their name for the refusal.
    name = juror.full_name
    habilitation = Habilitation(
        id=uuid7(),
        juror_id=juror.id,
        rncp_code=payload.rncp_code,
        granted_on=payload.granted_on,
        valid_until=valid_until,
        authority=payload.authority,
        created_at=utcnow(),
    )
    try:
        async with db.begin():
            db.add(habilitation)
    except IntegrityError as error:
        raise HabilitationAlreadyExistsError(
            f"{name} already holds a habilitation for {payload.rncp_code} granted on {payload.granted_on}."
        ) from error
    return HabilitationRead.model_validate(habilitation, from_attributes=True)
