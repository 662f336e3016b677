"""Object-level authorisation: which candidates and candidacies a caller may see.

A partner sees only its own candidates; a certifier only candidacies submitted for its
certifications (and the candidates behind them); an administrator everything. Anything else
answers 404, as if it did not exist. Erased candidates are seen by no one.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, select

from candidacy.candidacy.models import Candidacy, CandidacyCertifier
from candidacy.candidacy.rules import State
from candidacy.candidate.models import Candidate
from common import Principal, Role


def _certifier_sees(
    candidacy_id: ColumnElement[object], certifier_id: str
) -> ColumnElement[bool]:
    return exists(
        select(CandidacyCertifier.candidacy_id).where(
            CandidacyCertifier.candidacy_id == candidacy_id,
            CandidacyCertifier.certifier_id == certifier_id,
        )
    )


def candidacy_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``Candidacy`` rows this caller may see (join ``Candidate`` too)."""
    alive = Candidate.erased_at.is_(None)
    if principal.role is Role.ADMIN:
        return alive
    if principal.role is Role.PARTNER and principal.organisation_id:
        return and_(alive, Candidacy.organisation_id == principal.organisation_id)
    if principal.role is Role.CERTIFIER and principal.organisation_id:
        return and_(
            alive,
            Candidacy.state != State.DRAFT,
            _certifier_sees(Candidacy.id, principal.organisation_id),  # type: ignore[arg-type]
        )
    return false()


def candidate_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``Candidate`` rows this caller may see."""
    alive = Candidate.erased_at.is_(None)
    if principal.role is Role.ADMIN:
        return alive
    if principal.role is Role.PARTNER and principal.organisation_id:
        return and_(alive, Candidate.organisation_id == principal.organisation_id)
    if principal.role is Role.CERTIFIER and principal.organisation_id:
        submitted = (
            select(Candidacy.id)
            .where(
                Candidacy.candidate_id == Candidate.id,
                Candidacy.state != State.DRAFT,
                _certifier_sees(Candidacy.id, principal.organisation_id),  # type: ignore[arg-type]
            )
            .exists()
        )
        return and_(alive, submitted)
    return false()


def owns(principal: Principal, organisation_id: str) -> bool:
    """Tells whether the caller acts for the organisation that owns a candidate (or is admin)."""
    return principal.role is Role.ADMIN or (
        principal.role is Role.PARTNER and principal.organisation_id == organisation_id
    )
