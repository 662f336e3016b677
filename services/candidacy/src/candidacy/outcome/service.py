"""Applying signed jury reports: outcomes per candidacy and blocks in the ledger, exactly once."""

from __future__ import annotations

import uuid
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from candidacy.candidacy.models import Candidacy, JuryOutcome
from candidacy.candidacy.repository import CandidacyRepository
from candidacy.candidacy.rules import (
    SYSTEM,
    Action,
    State,
    can,
    check_target,
    jury_outcome,
)
from candidacy.candidacy.service import publish
from candidacy.candidate.repository import CandidateRepository
from candidacy.clients.catalog import CatalogCertification, CatalogClient
from candidacy.db import HandledEvent, OutboxEvent
from candidacy.errors import CertificationUnknownError, InvalidEventError
from candidacy.ledger.repository import LedgerRepository
from candidacy.ledger.rules import Source
from candidacy.ledger.service import acquired_events, block_rows, held_blocks
from candidacy.outcome.schemas import REPORT_SIGNED, EventReceipt, ReportSigned
from common import add_events, utcnow

logger = structlog.get_logger(__name__)


async def handle_event(
    db: AsyncSession, event: dict[str, Any], *, catalog: CatalogClient
) -> EventReceipt:
    """Applies a delivered CloudEvent; the same event twice changes nothing.

    Events of other types are acknowledged and ignored.

    Raises
    ------
    InvalidEventError
        A report.signed event whose data does not parse.
    CatalogUnavailableError
        The catalog could not be asked: the delivery fails and the sender retries.
    """
    event_id = str(event.get("id", ""))
    if event.get("type") != REPORT_SIGNED:
        # A subscriber acknowledges what it does not need: the sender's relay delivers every
        # event it publishes and would otherwise retry this one for ever.
        return EventReceipt(event_id=event_id, duplicate=False, ignored=True)
    try:
        report = ReportSigned.model_validate(event.get("data"))
        key = uuid.UUID(event_id)
    except (ValidationError, ValueError) as error:
        raise InvalidEventError(
            f"The {REPORT_SIGNED} event {event_id!r} is malformed: {str(error)[:500]}"
        ) from error
    async with db.begin():
        if await db.get(HandledEvent, key) is not None:
            return EventReceipt(event_id=event_id, duplicate=True)
    # Ask the catalog before the transaction: no lock is held across a call.
    certification = await catalog.get_certification(
        report.rncp_code, as_of=report.jury_date
    )
    if certification is None:
        raise CertificationUnknownError(
            f"The catalog knows no certification {report.rncp_code}, named by report {report.report_id}."
        )
    await catalog.get_lineage(report.rncp_code)
    try:
        return await _apply(db, key, report, certification, catalog)
    except IntegrityError:
        # A concurrent delivery of the same event committed first.
        return EventReceipt(event_id=event_id, duplicate=True)


async def _apply(
    db: AsyncSession,
    key: uuid.UUID,
    report: ReportSigned,
    certification: CatalogCertification,
    catalog: CatalogClient,
) -> EventReceipt:
    receipt = EventReceipt(event_id=str(key), duplicate=False)
    async with db.begin():
        db.add(HandledEvent(id=key, type=REPORT_SIGNED, handled_at=utcnow()))
        await db.flush()
        repository = CandidacyRepository(db)
        ledger = LedgerRepository(db)
        for line in report.results:
            candidacy = await db.scalar(
                select(Candidacy).where(Candidacy.id == line.candidacy_id)
            )
            reason = await _why_not(db, repository, candidacy, report)
            if reason is not None or candidacy is None:
                receipt.skipped[str(line.candidacy_id)] = reason or "unknown candidacy"
                logger.warning(
                    "report_line_skipped",
                    report_id=report.report_id,
                    candidacy_id=str(line.candidacy_id),
                    reason=reason,
                )
                continue
            await CandidateRepository(db).lock(candidacy.candidate_id)
            held_before = {
                h.block_code
                for h in await held_blocks(
                    await ledger.of_candidate(candidacy.candidate_id),
                    certification,
                    catalog=catalog,
                    as_of=report.jury_date,
                    horizon_days=0,
                )
            }
            target = candidacy.target_block_codes or certification.block_codes
            lines = [
                (b.block_code, b.result)
                for b in line.blocks
                if b.block_code in certification.block_codes
            ]
            rule = jury_outcome(
                attendance=line.attendance,
                block_results=lines,
                target_block_codes=target,
                certification_block_codes=certification.block_codes,
                held_before=held_before,
                current_state=State(candidacy.state),
            )
            check_target(Action.RECORD_JURY_OUTCOME, rule.state)
            rows = block_rows(
                candidate_id=candidacy.candidate_id,
                organisation_id=candidacy.organisation_id,
                certification=certification,
                block_codes=sorted(rule.validated),
                acquired_on=report.jury_date,
                source=Source.JURY_REPORT,
                source_ref=f"report:{report.report_id}",
                candidacy_id=candidacy.id,
            )
            await ledger.add(rows)
            await add_events(db, OutboxEvent, acquired_events(rows))
            db.add(
                JuryOutcome(
                    id=uuid7(),
                    candidacy_id=candidacy.id,
                    report_id=report.report_id,
                    session_id=report.session_id,
                    event_id=key,
                    jury_date=report.jury_date,
                    attendance=line.attendance,
                    block_results=[
                        {"block_code": code, "result": result.value}
                        for code, result in lines
                    ],
                    result=rule.result,
                    recorded_at=utcnow(),
                )
            )
            from_state = candidacy.state
            await repository.change(
                candidacy,
                None,
                state=rule.state,
                jury_result=rule.result,
                jury_date=report.jury_date,
            )
            repository.record_transition(
                candidacy.id,
                action=Action.RECORD_JURY_OUTCOME,
                from_state=from_state,
                to_state=rule.state,
                actor_id=SYSTEM,
                actor_role=SYSTEM,
                details={
                    "report_id": report.report_id,
                    "session_id": report.session_id,
                    "result": rule.result,
                    "validated_block_codes": sorted(rule.validated),
                },
            )
            publish(db, candidacy, "jury-outcome-recorded")
            receipt.applied.append(candidacy.id)
    return receipt


async def _why_not(
    db: AsyncSession,
    repository: CandidacyRepository,
    candidacy: Candidacy | None,
    report: ReportSigned,
) -> str | None:
    """Why a report line cannot apply to a candidacy, or None when it can."""
    if candidacy is None:
        return "unknown candidacy"
    if candidacy.rncp_code != report.rncp_code:
        return f"the candidacy aims at {candidacy.rncp_code}, not {report.rncp_code}"
    if await repository.outcome_recorded(candidacy.id, report.report_id):
        return "this report was already applied to the candidacy"
    if not can(Action.RECORD_JURY_OUTCOME, State(candidacy.state), SYSTEM):
        return f"the candidacy is {candidacy.state}"
    candidate = await CandidateRepository(db).lock(candidacy.candidate_id)
    if candidate is None or candidate.erased_at is not None:
        return "the candidate's data was erased"
    return None
