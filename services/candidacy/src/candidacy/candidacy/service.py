"""Candidacy use cases: create, submit, decide, revoke, withdraw, read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid6 import uuid7

from candidacy.candidacy import vocabulary as vocab
from candidacy.candidacy.models import Candidacy
from candidacy.candidacy.repository import CandidacyRepository
from candidacy.candidacy.rules import (
    Action,
    BlockResult,
    Decision,
    State,
    allowed_actions,
    can,
    state_after_decision,
)
from candidacy.candidacy.schemas import (
    Admissibility,
    AdmissibilityDecisionCreate,
    CandidacyCreate,
    CandidacyRead,
    CandidacyUpdate,
    CertificationSnapshot,
    EquivalentRead,
    FranceVaeCandidacy,
    FranceVaeTransition,
    FranceVaeValueRead,
    GlossaryRead,
    JuryOutcomeRead,
    SnapshotBlock,
    TransitionRead,
    VocabularyRead,
)
from candidacy.candidacy.vocabulary import Vocabulary
from candidacy.candidate.repository import CandidateRepository
from candidacy.clients.catalog import CatalogCertification, CatalogClient
from candidacy.config import EVENT_SOURCE
from candidacy.db import OutboxEvent
from candidacy.errors import (
    ActionNotAllowedError,
    BlocksAlreadyAcquiredError,
    BlocksNotInCertificationError,
    CandidacyNotFoundError,
    CandidacyVersionMismatchError,
    CandidateNotFoundError,
    CertificationInactiveError,
    CertificationNotOpenToVaeError,
    CertificationUnknownError,
    DecisionReasonsRequiredError,
    NoExperienceDeclaredError,
    SubmissionLimitReachedError,
    YearlyCertificationLimitReachedError,
)
from candidacy.ledger.repository import LedgerRepository
from candidacy.ledger.service import held_blocks
from common import (
    Principal,
    add_event,
    cursor_position,
    keyset_page,
    utcnow,
)

PARIS = ZoneInfo("Europe/Paris")
_CURSOR = "candidacy"


@dataclass(frozen=True, slots=True)
class Limits:
    """The yearly limits of admissibility requests."""

    per_certification: int
    certifications: int


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    """How the ledger judges blocks: the horizon of EXPIRING."""

    horizon_days: int


def today_in_paris(now: datetime | None = None) -> date:
    """Today's date in France (business dates are counted in Europe/Paris)."""
    return (now or utcnow()).astimezone(PARIS).date()


def _no_candidacy(candidacy_id: uuid.UUID) -> CandidacyNotFoundError:
    return CandidacyNotFoundError(
        f"No candidacy {candidacy_id} is visible to you: check the id."
    )


def france_vae_view(candidacy: CandidacyRead) -> FranceVaeCandidacy:
    """The candidacy in France VAE's vocabulary (the rule is in vocabulary.py)."""
    standing = vocab.standing(
        candidacy.state,
        decision=candidacy.admissibility.decision if candidacy.admissibility else None,
        jury_result=candidacy.jury_result,
        submitted=candidacy.submitted_at is not None,
    )
    return FranceVaeCandidacy(
        status=standing.status,
        status_match=standing.status_match,
        dropped_out=standing.dropped_out,
        feasibility_decision=standing.feasibility_decision,
        feasibility_status_interop=standing.feasibility_status_interop,
        jury_result=standing.jury_result,
        jury_result_interop=standing.jury_result_interop,
    )


def france_vae_step(step: TransitionRead) -> FranceVaeTransition:
    """One step of the history in France VAE's vocabulary."""
    before, after = vocab.transition_statuses(step.from_state, step.to_state)
    decision = (step.details or {}).get("decision")
    return FranceVaeTransition(
        from_status=before,
        to_status=after,
        dropped_out=step.to_state is State.WITHDRAWN,
        feasibility_decision=vocab.feasibility_decision_of(Decision(decision))
        if step.action is Action.DECIDE_ADMISSIBILITY and decision
        else None,
    )


def to_read(
    candidacy: Candidacy, actor: str, vocabulary: Vocabulary = Vocabulary.VAE
) -> CandidacyRead:
    """The candidacy as its caller sees it, with the actions the caller may take.

    With vocabulary=france-vae, ``france_vae`` says the same in France VAE's values; our own
    fields are the same in both vocabularies.
    """
    admissibility = None
    if candidacy.decision is not None and candidacy.decided_at is not None:
        admissibility = Admissibility(
            decision=Decision(candidacy.decision),
            reasons=candidacy.decision_reasons or [],
            decided_at=candidacy.decided_at,
        )
    read = CandidacyRead(
        id=candidacy.id,
        candidate_id=candidacy.candidate_id,
        organisation_id=candidacy.organisation_id,
        rncp_code=candidacy.rncp_code,
        requested_block_codes=candidacy.requested_block_codes,
        target_block_codes=candidacy.target_block_codes,
        state=State(candidacy.state),
        snapshot=CertificationSnapshot.model_validate(candidacy.snapshot)
        if candidacy.snapshot
        else None,
        submitted_at=candidacy.submitted_at,
        admissibility=admissibility,
        jury_result=candidacy.jury_result,
        jury_date=candidacy.jury_date,
        allowed_actions=allowed_actions(State(candidacy.state), actor),
        version=candidacy.version,
        created_at=candidacy.created_at,
        updated_at=candidacy.updated_at,
    )
    if vocabulary is Vocabulary.FRANCE_VAE:
        read.france_vae = france_vae_view(read)
    return read


def event_data(candidacy: Candidacy) -> dict[str, Any]:
    """The public representation an event carries (no personal data, no caller's actions)."""
    return to_read(candidacy, "none").model_dump(
        mode="json", exclude={"allowed_actions", "france_vae"}
    )


def publish(db: AsyncSession, candidacy: Candidacy, name: str) -> None:
    """Adds a ``fr.vae.candidacy.<name>.v1`` event about the candidacy to the outbox."""
    add_event(
        db,
        OutboxEvent,
        type=f"fr.vae.candidacy.{name}.v1",
        source=EVENT_SOURCE,
        subject=str(candidacy.id),
        data=event_data(candidacy),
    )


async def check_certification(
    catalog: CatalogClient,
    rncp_code: str,
    block_codes: Sequence[str] | None,
    as_of: date,
) -> CatalogCertification:
    """Asks the catalog whether a candidacy may aim at this certification and these blocks.

    Raises
    ------
    CertificationUnknownError, CertificationInactiveError, CertificationNotOpenToVaeError,
    BlocksNotInCertificationError
        The certification or the blocks cannot be aimed at.
    CatalogUnavailableError
        The catalog could not be asked: nothing is accepted without its answer.
    """
    certification = await catalog.get_certification(rncp_code, as_of=as_of)
    if certification is None:
        raise CertificationUnknownError(
            f"The catalog knows no certification {rncp_code}: check the RNCP number."
        )
    if not certification.active:
        end = certification.registration.end_date
        raise CertificationInactiveError(
            f"{rncp_code} is not registered and active at the RNCP on {as_of}"
            + (f" (its registration ended on {end})" if end else "")
            + ": choose an active certification, perhaps its newer version.",
            next_codes=certification.next_codes,
        )
    if not certification.vae_eligible:
        raise CertificationNotOpenToVaeError(
            f"{rncp_code} is not open to VAE (no access « par expérience » at the RNCP): choose another certification."
        )
    if block_codes is not None:
        unknown = sorted(set(block_codes) - set(certification.block_codes))
        if unknown:
            raise BlocksNotInCertificationError(
                f"{', '.join(unknown)} {'is not a block' if len(unknown) == 1 else 'are not blocks'} of {rncp_code}; its blocks are {', '.join(certification.block_codes) or 'none'}.",
                block_codes=unknown,
            )
    return certification


async def _target(
    db: AsyncSession,
    catalog: CatalogClient,
    candidate_id: uuid.UUID,
    certification: CatalogCertification,
    requested: Sequence[str] | None,
    *,
    as_of: date,
    horizon_days: int,
) -> tuple[list[str], list[str]]:
    """The blocks to assess and those left out because they are already held and valid.

    Raises
    ------
    BlocksAlreadyAcquiredError
        Blocks asked for explicitly are already held, or every block is.
    """
    async with db.begin():
        blocks = await LedgerRepository(db).of_candidate(candidate_id)
    held = {
        h.block_code
        for h in await held_blocks(
            blocks,
            certification,
            catalog=catalog,
            as_of=as_of,
            horizon_days=horizon_days,
        )
    }
    wanted = list(requested) if requested is not None else certification.block_codes
    already = [code for code in wanted if code in held]
    remaining = [code for code in certification.block_codes if code not in held]
    if requested is not None and already:
        raise BlocksAlreadyAcquiredError(
            f"The candidate already holds {', '.join(already)} (acquired and still valid): aim only at blocks not yet held.",
            block_codes=already,
            remaining_block_codes=remaining,
        )
    target = [code for code in wanted if code not in held]
    if not target:
        raise BlocksAlreadyAcquiredError(
            f"The candidate already holds every block of {certification.rncp_code}: the certification is obtained.",
            block_codes=already,
            remaining_block_codes=[],
        )
    return target, already


async def create_candidacy(
    db: AsyncSession,
    principal: Principal,
    payload: CandidacyCreate,
    *,
    catalog: CatalogClient,
    ledger: LedgerSettings,
) -> CandidacyRead:
    """Creates a DRAFT candidacy for one of the caller's candidates.

    Raises
    ------
    CandidateNotFoundError
        The candidate is not the caller's.
    CertificationUnknownError, CertificationInactiveError, CertificationNotOpenToVaeError,
    BlocksNotInCertificationError, BlocksAlreadyAcquiredError
        The target cannot be aimed at.
    CatalogUnavailableError
        The catalog could not be asked.
    """
    async with db.begin():
        candidate = await CandidateRepository(db).get_visible(
            principal, payload.candidate_id
        )
    if candidate is None:
        raise CandidateNotFoundError(
            f"No candidate {payload.candidate_id} is visible to you: check the id."
        )
    today = today_in_paris()
    certification = await check_certification(
        catalog, payload.rncp_code, payload.block_codes, today
    )
    await _target(
        db,
        catalog,
        candidate.id,
        certification,
        payload.block_codes,
        as_of=today,
        horizon_days=ledger.horizon_days,
    )
    now = utcnow()
    candidacy = Candidacy(
        id=uuid7(),
        candidate_id=candidate.id,
        organisation_id=candidate.organisation_id,
        rncp_code=payload.rncp_code,
        requested_block_codes=payload.block_codes,
        state=State.DRAFT,
        version=1,
        created_at=now,
        updated_at=now,
    )
    async with db.begin():
        db.add(candidacy)
        CandidacyRepository(db).record_transition(
            candidacy.id,
            action=Action.CREATE,
            from_state=None,
            to_state=State.DRAFT,
            actor_id=principal.client_id,
            actor_role=principal.role.value,
        )
    return to_read(candidacy, principal.role.value)


async def _load(
    db: AsyncSession, principal: Principal, candidacy_id: uuid.UUID
) -> Candidacy:
    candidacy = await CandidacyRepository(db).get_visible(principal, candidacy_id)
    if candidacy is None:
        raise _no_candidacy(candidacy_id)
    return candidacy


async def _load_for(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    action: Action,
    expected_version: int | None,
) -> Candidacy:
    """Loads a visible candidacy on which the caller may take an action now."""
    candidacy = await _load(db, principal, candidacy_id)
    # A stale ETag is a 412 whatever the state now: the caller's view is out of date.
    _check_version(candidacy, expected_version)
    if not can(action, State(candidacy.state), principal.role.value):
        raise _refuse(candidacy, action, principal)
    return candidacy


def _refuse(
    candidacy: Candidacy, action: Action, principal: Principal
) -> ActionNotAllowedError:
    allowed = allowed_actions(State(candidacy.state), principal.role.value)
    return ActionNotAllowedError(
        f"{action} is not possible on a candidacy in state {candidacy.state}"
        + (
            f"; you may now: {', '.join(allowed)}."
            if allowed
            else "; you can take no action on it now."
        ),
        state=candidacy.state,
        allowed_actions=list(allowed),
    )


def _check_version(candidacy: Candidacy, expected: int | None) -> None:
    if expected is not None and expected != candidacy.version:
        raise CandidacyVersionMismatchError(
            f"The candidacy changed since you read it (it is at version {candidacy.version}): read it again and retry.",
        )


async def _change(
    repository: CandidacyRepository,
    candidacy: Candidacy,
    expected: int | None,
    **values: Any,
) -> None:
    if not await repository.change(candidacy, expected, **values):
        raise CandidacyVersionMismatchError(
            "The candidacy changed since you read it: read it again and retry."
        )


async def get_candidacy(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    *,
    vocabulary: Vocabulary = Vocabulary.VAE,
) -> CandidacyRead:
    """Gets a candidacy the caller may see.

    Raises
    ------
    CandidacyNotFoundError
        It does not exist or is not visible to the caller.
    """
    async with db.begin():
        candidacy = await _load(db, principal, candidacy_id)
    return to_read(candidacy, principal.role.value, vocabulary)


async def list_candidacies(
    db: AsyncSession,
    principal: Principal,
    *,
    state: str | None,
    vocabulary: Vocabulary = Vocabulary.VAE,
    rncp_code: str | None,
    candidate_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CandidacyRead], str | None]:
    """Lists the candidacies the caller may see, oldest first.

    ``state`` is one of our states or, with vocabulary=france-vae, a France VAE status too,
    which selects the states it stands for.

    Raises
    ------
    UnknownStateError, StateWithoutEquivalentError
        ``state`` selects no state of ours.
    InvalidCursorError
        The cursor is not one this list made.
    """
    states = vocab.states_matching(state, vocabulary) if state is not None else None
    after = cursor_position(cursor, _CURSOR, lambda values: uuid.UUID(str(values[0])))
    async with db.begin():
        rows = await CandidacyRepository(db).list_visible(
            principal,
            states=states,
            rncp_code=rncp_code,
            candidate_id=candidate_id,
            after=after,
            limit=limit + 1,
        )
    items, next_cursor = keyset_page(rows, limit, _CURSOR, lambda c: [str(c.id)])
    return [to_read(c, principal.role.value, vocabulary) for c in items], next_cursor


async def update_candidacy(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    payload: CandidacyUpdate,
    *,
    expected_version: int | None,
    catalog: CatalogClient,
    ledger: LedgerSettings,
) -> CandidacyRead:
    """Changes the certification or blocks of a candidacy in DRAFT or INCOMPLETE.

    Raises
    ------
    CandidacyNotFoundError, ActionNotAllowedError, CandidacyVersionMismatchError
        Not visible; not in a state that may change; changed meanwhile.
    CertificationUnknownError, CertificationInactiveError, CertificationNotOpenToVaeError,
    BlocksNotInCertificationError, BlocksAlreadyAcquiredError, CatalogUnavailableError
        The new target cannot be aimed at.
    """
    async with db.begin():
        candidacy = await _load_for(
            db, principal, candidacy_id, Action.UPDATE, expected_version
        )
    changes = payload.model_dump(exclude_unset=True)
    rncp_code = changes.get("rncp_code") or candidacy.rncp_code
    blocks = changes.get("block_codes", candidacy.requested_block_codes)
    if rncp_code != candidacy.rncp_code and "block_codes" not in changes:
        blocks = None
    today = today_in_paris()
    certification = await check_certification(catalog, rncp_code, blocks, today)
    await _target(
        db,
        catalog,
        candidacy.candidate_id,
        certification,
        blocks,
        as_of=today,
        horizon_days=ledger.horizon_days,
    )
    async with db.begin():
        repository = CandidacyRepository(db)
        await _change(
            repository,
            candidacy,
            candidacy.version,
            rncp_code=rncp_code,
            requested_block_codes=blocks,
        )
        repository.record_transition(
            candidacy.id,
            action=Action.UPDATE,
            from_state=candidacy.state,
            to_state=candidacy.state,
            actor_id=principal.client_id,
            actor_role=principal.role.value,
            details={"rncp_code": rncp_code, "block_codes": blocks},
        )
    return to_read(candidacy, principal.role.value)


async def submit_candidacy(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    *,
    expected_version: int | None,
    catalog: CatalogClient,
    limits: Limits,
    ledger: LedgerSettings,
    now: datetime | None = None,
) -> CandidacyRead:
    """Submits a candidacy for the admissibility decision (demande de recevabilité).

    The catalog is asked before the write transaction opens (no lock is held across a call);
    the yearly limits are then counted under the candidate's row lock, so two submissions
    at once can never both pass.

    Raises
    ------
    CandidacyNotFoundError, ActionNotAllowedError, CandidacyVersionMismatchError
        Not visible; not in DRAFT or INCOMPLETE; changed meanwhile.
    CertificationUnknownError, CertificationInactiveError, CertificationNotOpenToVaeError,
    BlocksNotInCertificationError, BlocksAlreadyAcquiredError
        The target cannot be aimed at.
    NoExperienceDeclaredError
        The candidate declared no experience.
    SubmissionLimitReachedError, YearlyCertificationLimitReachedError
        The legal yearly limits are reached.
    CatalogUnavailableError
        The catalog could not be asked: nothing is accepted without its answer.
    """
    now = now or utcnow()
    today = today_in_paris(now)
    async with db.begin():
        candidacy = await _load_for(
            db, principal, candidacy_id, Action.SUBMIT, expected_version
        )
    certification = await check_certification(
        catalog, candidacy.rncp_code, candidacy.requested_block_codes, today
    )
    target, already = await _target(
        db,
        catalog,
        candidacy.candidate_id,
        certification,
        candidacy.requested_block_codes,
        as_of=today,
        horizon_days=ledger.horizon_days,
    )
    snapshot = CertificationSnapshot(
        title=certification.title,
        kind=certification.kind,
        level=certification.level,
        version=certification.version,
        end_date=certification.registration.end_date,
        retention_policy=certification.retention.policy,
        retention_years=certification.retention.years,
        blocks=[
            SnapshotBlock(code=b.code, title=b.title) for b in certification.blocks
        ],
        certifier_ids=[str(c.id) for c in certification.certifiers],
        already_acquired_block_codes=already,
    )
    try:
        async with db.begin():
            candidate = await CandidateRepository(db).lock(candidacy.candidate_id)
            repository = CandidacyRepository(db)
            fresh = await repository.get(candidacy.id)
            if candidate is None or fresh is None:
                raise _no_candidacy(candidacy_id)
            candidacy = fresh
            if not can(Action.SUBMIT, State(candidacy.state), principal.role.value):
                raise _refuse(candidacy, Action.SUBMIT, principal)
            if await CandidateRepository(db).count_experiences(candidate.id) == 0:
                raise NoExperienceDeclaredError(
                    "The candidate has declared no experience: add at least one (POST /v1/candidates/{id}/experiences) before submitting."
                )
            year = today.year
            if not await repository.has_slot(candidacy.id):
                await _take_slot(repository, candidacy, year, limits)
            from_state = candidacy.state
            await _change(
                repository,
                candidacy,
                expected_version,
                state=State.SUBMITTED,
                snapshot=snapshot.model_dump(mode="json"),
                target_block_codes=target,
                department=candidate.department,
                level=certification.level,
                kind=certification.kind,
                submitted_at=now,
                submission_year=candidacy.submission_year or year,
                decision=None,
                decision_reasons=None,
                decided_at=None,
                decided_by=None,
            )
            await repository.set_certifiers(candidacy.id, snapshot.certifier_ids)
            repository.record_transition(
                candidacy.id,
                action=Action.SUBMIT,
                from_state=from_state,
                to_state=State.SUBMITTED,
                actor_id=principal.client_id,
                actor_role=principal.role.value,
                details={
                    "target_block_codes": target,
                    "already_acquired_block_codes": already,
                },
            )
            publish(db, candidacy, "submitted")
    except IntegrityError as error:
        # Only a concurrent request for the same slot gets here; the row lock makes it rare.
        raise SubmissionLimitReachedError(
            f"Another request for {candidacy.rncp_code} was made this year at the same moment: one request per certification per calendar year.",
        ) from error
    return to_read(candidacy, principal.role.value)


async def _take_slot(
    repository: CandidacyRepository, candidacy: Candidacy, year: int, limits: Limits
) -> None:
    used = await repository.slots_used(candidacy.candidate_id, year)
    same = used.get(candidacy.rncp_code, 0)
    if same >= limits.per_certification:
        raise SubmissionLimitReachedError(
            f"The candidate already made {same} admissibility request(s) for {candidacy.rncp_code} in {year}; "
            f"the limit is {limits.per_certification} per certification and calendar year.",
            year=year,
        )
    if candidacy.rncp_code not in used and len(used) >= limits.certifications:
        raise YearlyCertificationLimitReachedError(
            f"The candidate already made requests for {len(used)} different certifications in {year} "
            f"({', '.join(sorted(used))}); the limit is {limits.certifications} per calendar year.",
            year=year,
        )
    await repository.take_slot(candidacy, year, same + 1)


async def decide_admissibility(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    payload: AdmissibilityDecisionCreate,
    *,
    expected_version: int,
) -> CandidacyRead:
    """Records the certifier's admissibility decision; once only, per the ETag read.

    Raises
    ------
    CandidacyNotFoundError
        Not visible to this certifier (not one of its certifications).
    ActionNotAllowedError
        Already decided (an administrator may revoke a decision) or not submitted.
    CandidacyVersionMismatchError
        Another decision or change came first.
    DecisionReasonsRequiredError
        NOT_ADMISSIBLE and INCOMPLETE need reasons.
    """
    if payload.decision is not Decision.ADMISSIBLE and not payload.reasons:
        raise DecisionReasonsRequiredError(
            f"A {payload.decision} decision must give its reasons (motifs) in `reasons`."
        )
    target = state_after_decision(payload.decision)
    now = utcnow()
    async with db.begin():
        repository = CandidacyRepository(db)
        candidacy = await _load_for(
            db, principal, candidacy_id, Action.DECIDE_ADMISSIBILITY, expected_version
        )
        from_state = candidacy.state
        await _change(
            repository,
            candidacy,
            expected_version,
            state=target,
            decision=payload.decision,
            decision_reasons=payload.reasons,
            decided_at=now,
            decided_by=principal.client_id,
        )
        repository.record_transition(
            candidacy.id,
            action=Action.DECIDE_ADMISSIBILITY,
            from_state=from_state,
            to_state=target,
            actor_id=principal.client_id,
            actor_role=principal.role.value,
            details={"decision": payload.decision, "reasons": payload.reasons},
        )
        publish(db, candidacy, "admissibility-decided")
    return to_read(candidacy, principal.role.value)


async def revoke_decision(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    *,
    reason: str | None,
    expected_version: int,
) -> CandidacyRead:
    """Revokes an admissibility decision (administrators only); the history keeps it.

    Raises
    ------
    CandidacyNotFoundError, ActionNotAllowedError, CandidacyVersionMismatchError
        Not found; no decision to revoke (or a jury already sat); changed meanwhile.
    """
    async with db.begin():
        repository = CandidacyRepository(db)
        candidacy = await _load_for(
            db, principal, candidacy_id, Action.REVOKE_DECISION, expected_version
        )
        revoked = {
            "decision": candidacy.decision,
            "reasons": candidacy.decision_reasons,
            "decided_at": candidacy.decided_at.isoformat()
            if candidacy.decided_at
            else None,
            "decided_by": candidacy.decided_by,
            "reason": reason,
        }
        from_state = candidacy.state
        await _change(
            repository,
            candidacy,
            expected_version,
            state=State.SUBMITTED,
            decision=None,
            decision_reasons=None,
            decided_at=None,
            decided_by=None,
        )
        repository.record_transition(
            candidacy.id,
            action=Action.REVOKE_DECISION,
            from_state=from_state,
            to_state=State.SUBMITTED,
            actor_id=principal.client_id,
            actor_role=principal.role.value,
            details={"revoked": revoked},
        )
        publish(db, candidacy, "admissibility-revoked")
    return to_read(candidacy, principal.role.value)


async def withdraw_candidacy(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    *,
    reason: str | None,
    expected_version: int | None,
) -> CandidacyRead:
    """Withdraws an open candidacy (abandon).

    Raises
    ------
    CandidacyNotFoundError, ActionNotAllowedError, CandidacyVersionMismatchError
        Not visible; already closed; changed meanwhile.
    """
    async with db.begin():
        repository = CandidacyRepository(db)
        candidacy = await _load_for(
            db, principal, candidacy_id, Action.WITHDRAW, expected_version
        )
        await withdraw(repository, candidacy, principal, reason, expected_version)
        publish(db, candidacy, "withdrawn")
    return to_read(candidacy, principal.role.value)


async def withdraw(
    repository: CandidacyRepository,
    candidacy: Candidacy,
    principal: Principal,
    reason: str | None,
    expected_version: int | None,
) -> None:
    """Moves a candidacy to WITHDRAWN and records it (in the caller's transaction)."""
    from_state = candidacy.state
    await _change(repository, candidacy, expected_version, state=State.WITHDRAWN)
    repository.record_transition(
        candidacy.id,
        action=Action.WITHDRAW,
        from_state=from_state,
        to_state=State.WITHDRAWN,
        actor_id=principal.client_id,
        actor_role=principal.role.value,
        details={"reason": reason} if reason else None,
    )


async def get_history(
    db: AsyncSession,
    principal: Principal,
    candidacy_id: uuid.UUID,
    *,
    vocabulary: Vocabulary = Vocabulary.VAE,
) -> list[TransitionRead]:
    """Gets a candidacy's history, oldest first.

    Raises
    ------
    CandidacyNotFoundError
        It does not exist or is not visible to the caller.
    """
    async with db.begin():
        await _load(db, principal, candidacy_id)
        steps = await CandidacyRepository(db).history(candidacy_id)
    history = [
        TransitionRead(
            action=Action(step.action),
            from_state=State(step.from_state) if step.from_state else None,
            to_state=State(step.to_state),
            actor_role=step.actor_role,
            actor_id=step.actor_id,
            details=step.details,
            occurred_at=step.occurred_at,
        )
        for step in steps
    ]
    if vocabulary is Vocabulary.FRANCE_VAE:
        for read in history:
            read.france_vae = france_vae_step(read)
    return history


async def get_outcomes(
    db: AsyncSession, principal: Principal, candidacy_id: uuid.UUID
) -> list[JuryOutcomeRead]:
    """Gets the jury outcomes recorded for a candidacy, oldest first.

    Raises
    ------
    CandidacyNotFoundError
        It does not exist or is not visible to the caller.
    """
    async with db.begin():
        await _load(db, principal, candidacy_id)
        outcomes = await CandidacyRepository(db).outcomes(candidacy_id)
    return [
        JuryOutcomeRead(
            report_id=o.report_id,
            session_id=o.session_id,
            jury_date=o.jury_date,
            attendance=o.attendance,
            block_results={
                r["block_code"]: BlockResult(r["result"]) for r in o.block_results
            },
            result=o.result,
            recorded_at=o.recorded_at,
        )
        for o in outcomes
    ]


def get_vocabulary() -> VocabularyRead:
    """Gets our candidacy vocabulary beside France VAE's (the tables of vocabulary.py)."""
    return VocabularyRead(
        sources=list(vocab.SOURCES),
        enums=[_glossary(glossary) for glossary in vocab.GLOSSARIES],
    )


def _glossary(glossary: vocab.Glossary[Any]) -> GlossaryRead:
    values = []
    for value in glossary.enum:
        term = glossary.terms[value]
        values.append(
            EquivalentRead(
                value=value.value,
                french_term=term.french,
                france_vae=list(term.france_vae),
                france_vae_interop=list(term.interop),
                match=term.match,
                note=term.note,
            )
        )
    return GlossaryRead(
        enum=glossary.enum.__name__,
        description=(glossary.enum.__doc__ or "").strip(),
        france_vae_field=glossary.france_vae_field,
        values=values,
        france_vae_values=[
            FranceVaeValueRead(
                value=str(value),
                french_term=term.french,
                ours=[ours.value for ours in glossary.ours_for(value)],
                note=term.note,
            )
            for value, term in glossary.france_vae_terms.items()
        ],
    )
