"""Ledger use cases: what a candidate holds on a date, recording blocks, the expiry sweep."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from uuid6 import uuid7

from candidacy.candidate.repository import CandidateRepository
from candidacy.clients.catalog import CatalogCertification, CatalogClient
from candidacy.config import EVENT_SOURCE
from candidacy.db import OutboxEvent
from candidacy.errors import (
    BlocksNotInCertificationError,
    CandidateNotFoundError,
    CertificationUnknownError,
)
from candidacy.ledger.models import AcquiredBlock
from candidacy.ledger.repository import LedgerRepository
from candidacy.ledger.rules import (
    Equivalence,
    RetentionPolicy,
    Source,
    carried_over,
    equivalences,
    expiry_date,
    status_on,
)
from candidacy.ledger.schemas import (
    AcquiredBlockRead,
    CertificationProgress,
    EquivalenceCreate,
    ExpiringBlockRead,
    HeldBlock,
    LedgerRead,
)
from common import (
    Principal,
    Role,
    add_events,
    cursor_position,
    keyset_page,
    utcnow,
)

BLOCK_EXPIRING = "fr.vae.candidacy.block-expiring.v1"
BLOCK_EXPIRED = "fr.vae.candidacy.block-expired.v1"
BLOCK_ACQUIRED = "fr.vae.candidacy.block-acquired.v1"


def _no_candidate(candidate_id: uuid.UUID) -> CandidateNotFoundError:
    return CandidateNotFoundError(
        f"No candidate {candidate_id} is visible to you: check the id."
    )


async def _equivalences(catalog: CatalogClient, rncp_code: str) -> list[Equivalence]:
    lineage = await catalog.get_lineage(rncp_code)
    if lineage is None or not lineage.correspondences:
        return []
    whole = {
        code
        for c in lineage.correspondences
        for code, blocks in (
            (c.declared_by, c.source_block_codes),
            (c.destination_rncp_code, c.destination_block_codes),
        )
        if not blocks
    }
    blocks_of: dict[str, list[str]] = {}
    for code in sorted(whole):
        certification = await catalog.get_certification(code)
        if certification is not None:
            blocks_of[code] = certification.block_codes
    return equivalences(
        (
            (
                c.declared_by,
                c.source_block_codes,
                c.destination_rncp_code,
                c.destination_block_codes,
            )
            for c in lineage.correspondences
        ),
        blocks_of,
    )


def _direct(blocks: Sequence[AcquiredBlock], as_of: date) -> dict[str, date | None]:
    """The blocks held directly on a date, with the latest expiry of each."""
    held: dict[str, date | None] = {}
    for block in blocks:
        if block.acquired_on > as_of or (
            block.expires_on is not None and block.expires_on <= as_of
        ):
            continue
        if block.block_code not in held or _outlasts(
            block.expires_on, held[block.block_code]
        ):
            held[block.block_code] = block.expires_on
    return held


def _outlasts(candidate: date | None, current: date | None) -> bool:
    if current is None:
        return False
    return candidate is None or candidate > current


def _granting(
    blocks: Sequence[AcquiredBlock], certification: CatalogCertification, as_of: date
) -> dict[str, date]:
    """Blocks of other certifications that may grant blocks of this one, by acquisition date.

    A block counts when it is valid on the date, or was still held on the eve of this
    certification's registration: a block of a version that ended since carries over to its
    successor.
    """
    start = certification.registration.start_date
    granting: dict[str, date] = {}
    for block in blocks:
        if block.rncp_code == certification.rncp_code or block.acquired_on > as_of:
            continue
        alive = block.expires_on is None or block.expires_on > as_of
        alive_at_start = start is not None and (
            block.expires_on is None or block.expires_on >= start
        )
        if alive or alive_at_start:
            previous = granting.get(block.block_code)
            if previous is None or block.acquired_on > previous:
                granting[block.block_code] = block.acquired_on
    return granting


async def held_blocks(
    blocks: Sequence[AcquiredBlock],
    certification: CatalogCertification,
    *,
    catalog: CatalogClient,
    as_of: date,
    horizon_days: int,
) -> list[HeldBlock]:
    """The certification's blocks the candidate holds on a date, directly or by correspondence.

    A block granted by correspondence expires by this certification's retention policy,
    counted from the acquisition of the blocks that grant it.
    """
    direct = _direct(blocks, as_of)
    carried = carried_over(
        _granting(blocks, certification, as_of),
        await _equivalences(catalog, certification.rncp_code),
    )
    held: list[HeldBlock] = []
    for code in certification.block_codes:
        via: frozenset[str] = frozenset()
        if code in direct:
            expires_on = direct[code]
        elif code in carried:
            acquired_on, via = carried[code]
            expires_on = _expiry(certification, acquired_on)
            if expires_on is not None and expires_on <= as_of:
                continue
        else:
            continue
        held.append(
            HeldBlock(
                block_code=code,
                expires_on=expires_on,
                status=status_on(expires_on, as_of, horizon_days),
                via_block_codes=sorted(via),
            )
        )
    return held


def _expiry(certification: CatalogCertification, acquired_on: date) -> date | None:
    return expiry_date(
        acquired_on,
        policy=RetentionPolicy(certification.retention.policy),
        years=certification.retention.years,
        certification_end_date=certification.registration.end_date,
    )


async def get_ledger(
    db: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    *,
    catalog: CatalogClient,
    as_of: date,
    horizon_days: int,
) -> LedgerRead:
    """Gets a candidate's acquired blocks and, per certification, what remains.

    The certifications shown are those of the blocks held and their successors (the ledger
    carries over to a new version through the catalog's block correspondences).

    Raises
    ------
    CandidateNotFoundError
        The candidate does not exist or is not visible to the caller.
    CatalogUnavailableError
        The catalog could not be asked for the certifications' blocks.
    """
    async with db.begin():
        if await CandidateRepository(db).get_visible(principal, candidate_id) is None:
            raise _no_candidate(candidate_id)
        blocks = await LedgerRepository(db).of_candidate(candidate_id)
    codes: list[str] = []
    for block in blocks:
        if block.rncp_code not in codes:
            codes.append(block.rncp_code)
    for code in list(codes):
        lineage = await catalog.get_lineage(code)
        for successor in lineage.successors if lineage else []:
            if successor.rncp_code not in codes:
                codes.append(successor.rncp_code)
    progress = []
    for code in codes:
        certification = await catalog.get_certification(code, as_of=as_of)
        if certification is None:
            progress.append(
                CertificationProgress(
                    rncp_code=code,
                    title=None,
                    active=None,
                    blocks_total=0,
                    held=[],
                    remaining_block_codes=[],
                    obtained=False,
                )
            )
            continue
        held = await held_blocks(
            blocks,
            certification,
            catalog=catalog,
            as_of=as_of,
            horizon_days=horizon_days,
        )
        held_codes = {h.block_code for h in held}
        remaining = [c for c in certification.block_codes if c not in held_codes]
        progress.append(
            CertificationProgress(
                rncp_code=code,
                title=certification.title,
                active=certification.active,
                blocks_total=len(certification.blocks),
                held=held,
                remaining_block_codes=remaining,
                obtained=bool(certification.blocks) and not remaining,
            )
        )
    return LedgerRead(
        candidate_id=candidate_id,
        as_of=as_of,
        expiring_horizon_days=horizon_days,
        blocks=[_read(block, as_of, horizon_days) for block in blocks],
        certifications=progress,
    )


def _read(block: AcquiredBlock, as_of: date, horizon_days: int) -> AcquiredBlockRead:
    return AcquiredBlockRead(
        id=block.id,
        block_code=block.block_code,
        block_title=block.block_title,
        rncp_code=block.rncp_code,
        certification_version=block.certification_version,
        acquired_on=block.acquired_on,
        expires_on=block.expires_on,
        source=Source(block.source),
        candidacy_id=block.candidacy_id,
        status=status_on(block.expires_on, as_of, horizon_days),
        created_at=block.created_at,
    )


def block_rows(
    *,
    candidate_id: uuid.UUID,
    organisation_id: str,
    certification: CatalogCertification,
    block_codes: Sequence[str],
    acquired_on: date,
    source: Source,
    source_ref: str,
    candidacy_id: uuid.UUID | None,
) -> list[dict[str, Any]]:
    """The ledger rows for blocks won, each with its expiry from the certification's policy."""
    expires_on = _expiry(certification, acquired_on)
    titles = {block.code: block.title for block in certification.blocks}
    now = utcnow()
    return [
        {
            "id": uuid7(),
            "candidate_id": candidate_id,
            "organisation_id": organisation_id,
            "block_code": code,
            "rncp_code": certification.rncp_code,
            "block_title": titles.get(code),
            "certification_version": certification.version,
            "acquired_on": acquired_on,
            "expires_on": expires_on,
            "source": source.value,
            "source_ref": source_ref,
            "candidacy_id": candidacy_id,
            "created_at": now,
        }
        for code in block_codes
    ]


def acquired_events(
    rows: Sequence[dict[str, Any]],
) -> list[tuple[str, str, str | None, dict[str, Any]]]:
    """The ``block.acquired`` events of new ledger rows."""
    return [
        (
            BLOCK_ACQUIRED,
            EVENT_SOURCE,
            str(row["candidate_id"]),
            {
                "acquired_block_id": str(row["id"]),
                "candidate_id": str(row["candidate_id"]),
                "organisation_id": row["organisation_id"],
                "block_code": row["block_code"],
                "rncp_code": row["rncp_code"],
                "acquired_on": row["acquired_on"].isoformat(),
                "expires_on": row["expires_on"].isoformat()
                if row["expires_on"]
                else None,
                "source": row["source"],
            },
        )
        for row in rows
    ]


async def record_equivalence(
    db: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    payload: EquivalenceCreate,
    *,
    catalog: CatalogClient,
    as_of: date,
    horizon_days: int,
) -> AcquiredBlockRead:
    """Records a block granted by equivalence, by a certifier of its certification (or an admin).

    Raises
    ------
    CandidateNotFoundError
        The candidate is not visible to the caller, or the caller does not certify the block.
    CertificationUnknownError, BlocksNotInCertificationError
        The catalog knows no such certification or block.
    CatalogUnavailableError
        The catalog could not be asked.
    """
    certification = await catalog.get_certification(payload.rncp_code)
    if certification is None:
        raise CertificationUnknownError(
            f"The catalog knows no certification {payload.rncp_code}: check the RNCP number."
        )
    if payload.block_code not in certification.block_codes:
        raise BlocksNotInCertificationError(
            f"{payload.block_code} is not a block of {payload.rncp_code}; its blocks are {', '.join(certification.block_codes)}.",
            block_codes=[payload.block_code],
        )
    certifies = principal.role is Role.ADMIN or any(
        str(c.id) == principal.organisation_id for c in certification.certifiers
    )
    async with db.begin():
        candidate = await CandidateRepository(db).get_visible(principal, candidate_id)
        if candidate is None or not certifies:
            raise _no_candidate(candidate_id)
        rows = block_rows(
            candidate_id=candidate.id,
            organisation_id=candidate.organisation_id,
            certification=certification,
            block_codes=[payload.block_code],
            acquired_on=payload.acquired_on,
            source=Source.EQUIVALENCE,
            source_ref=f"equivalence:{payload.reference}",
            candidacy_id=None,
        )
        repository = LedgerRepository(db)
        if await repository.add(rows):
            await add_events(db, OutboxEvent, acquired_events(rows))
        stored = next(
            b
            for b in await repository.of_candidate(candidate.id)
            if b.block_code == payload.block_code
            and b.source_ref == rows[0]["source_ref"]
        )
    return _read(stored, as_of, horizon_days)


_EXPIRING_CURSOR = "expiring"


async def list_expiring(
    db: AsyncSession,
    principal: Principal,
    *,
    after: date,
    until: date,
    rncp_code: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[ExpiringBlockRead], str | None]:
    """Lists the blocks of the caller's candidates that expire after one date, by another.

    Raises
    ------
    InvalidCursorError
        The cursor is not one this list made.
    """
    start = cursor_position(
        cursor,
        _EXPIRING_CURSOR,
        lambda values: (date.fromisoformat(values[0]), uuid.UUID(values[1])),
    )
    organisation = None if principal.role is Role.ADMIN else principal.organisation_id
    async with db.begin():
        rows = await LedgerRepository(db).expiring(
            organisation_id=organisation,
            after=after,
            until=until,
            rncp_code=rncp_code,
            position=start,
            limit=limit + 1,
        )
    items, next_cursor = keyset_page(
        rows, limit, _EXPIRING_CURSOR, lambda b: [str(b.expires_on), str(b.id)]
    )
    return [
        ExpiringBlockRead(
            id=b.id,
            candidate_id=b.candidate_id,
            block_code=b.block_code,
            rncp_code=b.rncp_code,
            acquired_on=b.acquired_on,
            expires_on=b.expires_on,
        )
        for b in items
    ], next_cursor


@dataclass(frozen=True, slots=True)
class SweepReport:
    """How many blocks a sweep announced."""

    expiring: int
    expired: int


async def sweep_expiries(
    sessionmaker: async_sessionmaker[AsyncSession],
    *,
    today: date,
    horizon_days: int,
    batch_size: int = 1000,
) -> SweepReport:
    """Announces, once per block, the blocks that expire soon and those that have expired.

    Each batch marks its blocks and writes their events in one transaction: a crash loses
    nothing and repeats nothing; concurrent sweeps share the work.
    """
    until = today + timedelta(days=horizon_days)
    counts = {BLOCK_EXPIRED: 0, BLOCK_EXPIRING: 0}
    for event_type in (BLOCK_EXPIRED, BLOCK_EXPIRING):
        while True:
            async with sessionmaker() as db, db.begin():
                repository = LedgerRepository(db)
                now = utcnow()
                rows = (
                    await repository.claim_expired(today, now, batch_size)
                    if event_type == BLOCK_EXPIRED
                    else await repository.claim_expiring(today, until, now, batch_size)
                )
                await add_events(
                    db,
                    OutboxEvent,
                    [
                        (
                            event_type,
                            EVENT_SOURCE,
                            str(row.candidate_id),
                            {
                                "acquired_block_id": str(row.id),
                                "candidate_id": str(row.candidate_id),
                                "organisation_id": row.organisation_id,
                                "block_code": row.block_code,
                                "rncp_code": row.rncp_code,
                                "acquired_on": row.acquired_on.isoformat(),
                                "expires_on": row.expires_on.isoformat(),
                            },
                        )
                        for row in rows
                    ],
                )
            counts[event_type] += len(rows)
            if len(rows) < batch_size:
                break
    return SweepReport(expiring=counts[BLOCK_EXPIRING], expired=counts[BLOCK_EXPIRED])
