"""Who sees what: the events a subscription's owner may receive, and the subscriptions a caller sees.

A subscription receives an event only if its owner could see the event's data through the API:

- admin: everything;
- partner (bound to its organisation): candidacy, block and erasure events of its own
  candidates (``data.organisation_id``), the public session calendar, the catalog;
- certifier (bound to its certifier id): candidacy events of its certifications
  (``data.snapshot.certifier_ids``), signed reports naming it (``data.certifier_ids``), the
  session calendar, the catalog;
- exam centre (bound to its centre id): session events and reports of its own centre
  (``data.centre_id``), the catalog.

The owner's role and organisation are those it had when the subscription was created.
Subscriptions themselves belong to one API client: others get 404, administrators see all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, true

from common import Principal, Role
from webhooks.event_types import EVENT_TYPES, OWN_PREFIX, Family, family_of
from webhooks.subscription.models import WebhookSubscription

_EVERYONE = frozenset(Role)

# Which roles may ever receive each family.
RECEIVERS: dict[Family, frozenset[Role]] = {
    Family.CANDIDACY: frozenset({Role.ADMIN, Role.PARTNER, Role.CERTIFIER}),
    Family.BLOCK: frozenset({Role.ADMIN, Role.PARTNER}),
    Family.CANDIDATE_ERASED: frozenset({Role.ADMIN, Role.PARTNER}),
    Family.SESSION_CALENDAR: _EVERYONE,
    Family.REPORT_SIGNED: frozenset({Role.ADMIN, Role.CERTIFIER, Role.EXAM_CENTRE}),
    Family.CATALOG: _EVERYONE,
    Family.PING: _EVERYONE,
}

# Why a role never receives a family: the detail of a 422 tells the caller.
_WHY_NOT: dict[tuple[Family, Role], str] = {
    (Family.CANDIDACY, Role.EXAM_CENTRE): "candidacies are told to the candidate's "
    "organisation and to the certifier, not to exam centres",
    (Family.BLOCK, Role.CERTIFIER): "acquired blocks are told to the organisation that "
    "follows the candidate; certifiers receive jury-outcome-recorded instead",
    (
        Family.BLOCK,
        Role.EXAM_CENTRE,
    ): "acquired blocks are told to the organisation that follows the candidate",
    (
        Family.CANDIDATE_ERASED,
        Role.CERTIFIER,
    ): "an erasure is told to the organisation that "
    "holds the candidate's personal data",
    (
        Family.CANDIDATE_ERASED,
        Role.EXAM_CENTRE,
    ): "an erasure is told to the organisation "
    "that holds the candidate's personal data",
    (
        Family.REPORT_SIGNED,
        Role.PARTNER,
    ): "a signed report (procès-verbal) lists candidacies "
    "of several organisations; partners receive their own candidacies' "
    "jury-outcome-recorded events instead",
}


@dataclass(frozen=True, slots=True)
class Owner:
    """The API client a subscription acts for, as it was when the subscription was created."""

    client_id: str
    role: Role
    organisation_id: str | None

    @classmethod
    def of(cls, principal: Principal) -> Owner:
        """The owner a caller's new subscription gets."""
        return cls(principal.client_id, principal.role, principal.organisation_id)

    @classmethod
    def of_subscription(cls, subscription: WebhookSubscription) -> Owner:
        """The owner a subscription stored."""
        return cls(
            subscription.owner_client_id,
            Role(subscription.owner_role),
            subscription.owner_organisation_id,
        )


def roles_receiving(event_type: str) -> list[Role]:
    """The roles that may receive a type (some of its events, by the rules above)."""
    family = family_of(event_type)
    allowed = RECEIVERS[family] if family is not None else frozenset({Role.ADMIN})
    return [role for role in Role if role in allowed]


def refused_types(role: Role, event_types: Iterable[str]) -> dict[str, str]:
    """The types among these that a role can never receive, with the reason of each."""
    refused: dict[str, str] = {}
    for event_type in event_types:
        family = family_of(event_type)
        if family is None or role in RECEIVERS[family]:
            continue
        refused[event_type] = _WHY_NOT.get(
            (family, role), f"the role {role.value} never sees these events"
        )
    return refused


def subscribable_types(role: Role) -> list[str]:
    """The types a role may subscribe to."""
    return [t for t in EVENT_TYPES if not refused_types(role, [t])]


def _text(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None


def _contains(values: Any, wanted: str) -> bool:
    return isinstance(values, list) and wanted in (str(v) for v in values)


def may_receive(owner: Owner, event_type: str, data: Any) -> bool:
    """Tells whether a subscription of this owner may receive this event.

    Events of this service's own namespace (pings) are never fanned out: a ping goes to the
    one subscription that asked for it.
    """
    if event_type.startswith(OWN_PREFIX):
        return False
    if owner.role is Role.ADMIN:
        return True
    family = family_of(event_type)
    if family is None or owner.role not in RECEIVERS[family]:
        return False
    if family in (Family.CATALOG,):
        return True
    organisation = owner.organisation_id
    if not organisation:
        return False
    fields: Mapping[str, Any] = data if isinstance(data, Mapping) else {}
    if owner.role is Role.PARTNER:
        if family is Family.SESSION_CALENDAR:
            return True
        # Candidacy, block and erasure events name the candidate's organisation.
        return _text(fields.get("organisation_id")) == organisation
    if owner.role is Role.CERTIFIER:
        if family is Family.SESSION_CALENDAR:
            return True
        if family is Family.CANDIDACY:
            snapshot = fields.get("snapshot")
            return isinstance(snapshot, Mapping) and _contains(
                snapshot.get("certifier_ids"), organisation
            )
        # A signed report names the certifiers of its certification.
        return _contains(fields.get("certifier_ids"), organisation)
    # An exam centre: the sessions and reports of its own centre.
    return _text(fields.get("centre_id")) == organisation


def subscription_visible_to(principal: Principal) -> ColumnElement[bool]:
    """The condition on ``WebhookSubscription`` rows this caller sees: its own, or all (admin)."""
    if principal.role is Role.ADMIN:
        return true()
    return WebhookSubscription.owner_client_id == principal.client_id
