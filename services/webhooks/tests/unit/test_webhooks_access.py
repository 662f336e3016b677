"""Who receives which event: the visibility rules, without a database."""

from __future__ import annotations

import pytest

from common import Role
from webhooks.access import (
    Owner,
    may_receive,
    refused_types,
    roles_receiving,
    subscribable_types,
)
from webhooks.event_types import EVENT_TYPES, PING

P1, P2 = "partner-1", "partner-2"
C1, C2 = "certifier-1", "certifier-2"
E1, E2 = "centre-1", "centre-2"


def owner(role: Role, organisation_id: str | None) -> Owner:
    return Owner(f"client-{organisation_id}", role, organisation_id)


ADMIN = owner(Role.ADMIN, None)
OWNERS = {
    "admin": ADMIN,
    "p1": owner(Role.PARTNER, P1),
    "p2": owner(Role.PARTNER, P2),
    "c1": owner(Role.CERTIFIER, C1),
    "c2": owner(Role.CERTIFIER, C2),
    "e1": owner(Role.EXAM_CENTRE, E1),
    "e2": owner(Role.EXAM_CENTRE, E2),
}
EVERYONE = set(OWNERS)


@pytest.mark.parametrize(
    ("event_type", "data", "expected"),
    [
        (
            "fr.vae.candidacy.submitted.v1",
            {"organisation_id": P1, "snapshot": {"certifier_ids": [C1]}},
            {"admin", "p1", "c1"},
        ),
        (
            "fr.vae.candidacy.withdrawn.v1",
            {"organisation_id": P2, "snapshot": None},
            {"admin", "p2"},
        ),
        (
            "fr.vae.candidacy.block-acquired.v1",
            {"organisation_id": P2, "candidate_id": "x"},
            {"admin", "p2"},
        ),
        (
            "fr.vae.candidacy.candidate-erased.v1",
            {"organisation_id": P1, "candidate_id": "x"},
            {"admin", "p1"},
        ),
        (
            "fr.vae.sessions.session-scheduled.v1",
            {"centre_id": E1},
            {"admin", "p1", "p2", "c1", "c2", "e1"},
        ),
        (
            "fr.vae.sessions.report-revoked.v1",
            {"centre_id": E2},
            {"admin", "p1", "p2", "c1", "c2", "e2"},
        ),
        (
            "fr.vae.sessions.report-signed.v1",
            {"centre_id": E2, "certifier_ids": [C2]},
            {"admin", "c2", "e2"},
        ),
        # The keys being added by the sessions service: absent means no match.
        ("fr.vae.sessions.report-signed.v1", {"results": []}, {"admin"}),
        ("fr.vae.catalog.certification-created.v1", {"rncp_code": "RNCP1"}, EVERYONE),
        ("fr.vae.unknown.v1", {"organisation_id": P1}, {"admin"}),
        (PING, {}, set()),
    ],
)
def test_may_receive_matrix(
    event_type: str, data: dict[str, object], expected: set[str]
) -> None:
    receivers = {
        name for name, who in OWNERS.items() if may_receive(who, event_type, data)
    }
    assert receivers == expected


def test_unbound_non_admin_receives_only_public_events() -> None:
    unbound = owner(Role.PARTNER, None)
    assert may_receive(unbound, "fr.vae.catalog.certification-updated.v1", {})
    assert not may_receive(
        unbound, "fr.vae.candidacy.submitted.v1", {"organisation_id": None}
    )


def test_malformed_data_never_matches() -> None:
    certifier = OWNERS["c1"]
    assert not may_receive(
        certifier, "fr.vae.candidacy.submitted.v1", {"snapshot": "oops"}
    )
    assert not may_receive(
        certifier, "fr.vae.sessions.report-signed.v1", {"certifier_ids": C1}
    )
    assert not may_receive(OWNERS["p1"], "fr.vae.candidacy.submitted.v1", ["x"])


class TestSubscribableTypes:
    def test_partner_may_not_subscribe_to_signed_reports(self) -> None:
        refused = refused_types(Role.PARTNER, ["fr.vae.sessions.report-signed.v1"])
        assert list(refused) == ["fr.vae.sessions.report-signed.v1"]
        assert "jury-outcome-recorded" in refused["fr.vae.sessions.report-signed.v1"]

    def test_exam_centre_may_not_subscribe_to_candidacies(self) -> None:
        types = subscribable_types(Role.EXAM_CENTRE)
        assert "fr.vae.candidacy.submitted.v1" not in types
        assert "fr.vae.candidacy.block-acquired.v1" not in types
        assert "fr.vae.sessions.report-signed.v1" in types

    def test_admin_may_subscribe_to_everything(self) -> None:
        assert subscribable_types(Role.ADMIN) == list(EVENT_TYPES)

    def test_every_type_lists_its_roles(self) -> None:
        assert roles_receiving("fr.vae.candidacy.block-expired.v1") == [
            Role.ADMIN,
            Role.PARTNER,
        ]
        for event_type in EVENT_TYPES:
            assert Role.ADMIN in roles_receiving(event_type)
