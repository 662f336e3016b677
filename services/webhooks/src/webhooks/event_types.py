"""The event types of the platform that partners may subscribe to, grouped in families.

Who may receive each family is decided in ``access.py``; this module only names and describes
the types (the producers are the catalog, candidacy and sessions services, and this one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PING = "fr.vae.webhooks.ping.v1"
OWN_PREFIX = "fr.vae.webhooks."


class Family(StrEnum):
    """Event types that carry the same kind of data, hence the same visibility rule."""

    CANDIDACY = "CANDIDACY"
    BLOCK = "BLOCK"
    CANDIDATE_ERASED = "CANDIDATE_ERASED"
    SESSION_CALENDAR = "SESSION_CALENDAR"
    REPORT_SIGNED = "REPORT_SIGNED"
    CATALOG = "CATALOG"
    PING = "PING"


@dataclass(frozen=True, slots=True)
class EventType:
    """A type of event: its family and what it tells."""

    type: str
    family: Family
    description: str


_TYPES = [
    EventType(
        "fr.vae.candidacy.submitted.v1",
        Family.CANDIDACY,
        "A candidacy (candidature) was submitted to the certifier, who now decides its "
        "admissibility (recevabilité). Data: the candidacy, without personal data.",
    ),
    EventType(
        "fr.vae.candidacy.admissibility-decided.v1",
        Family.CANDIDACY,
        "The certifier decided a candidacy's admissibility (décision de recevabilité): "
        "admissible or not, with the reasons. Data: the candidacy.",
    ),
    EventType(
        "fr.vae.candidacy.admissibility-revoked.v1",
        Family.CANDIDACY,
        "An admissibility decision was revoked (retrait de la recevabilité). Data: the candidacy.",
    ),
    EventType(
        "fr.vae.candidacy.withdrawn.v1",
        Family.CANDIDACY,
        "The candidate withdrew the candidacy (abandon). Data: the candidacy.",
    ),
    EventType(
        "fr.vae.candidacy.jury-outcome-recorded.v1",
        Family.CANDIDACY,
        "The jury's outcome (résultat du jury: validation totale, partielle or refus) was "
        "recorded on the candidacy. Data: the candidacy.",
    ),
    EventType(
        "fr.vae.candidacy.block-acquired.v1",
        Family.BLOCK,
        "A candidate acquired a block of competences (bloc de compétences acquis), by a jury "
        "or by equivalence. Data: candidate id, organisation, RNCP and block codes, expiry.",
    ),
    EventType(
        "fr.vae.candidacy.block-expiring.v1",
        Family.BLOCK,
        "An acquired block will soon stop counting (fin de validité approchante). Data: as "
        "block-acquired.",
    ),
    EventType(
        "fr.vae.candidacy.block-expired.v1",
        Family.BLOCK,
        "An acquired block no longer counts (fin de validité). Data: as block-acquired.",
    ),
    EventType(
        "fr.vae.candidacy.candidate-erased.v1",
        Family.CANDIDATE_ERASED,
        "A candidate's personal data was erased (effacement RGPD): erase your copies. Data: "
        "candidate id and organisation.",
    ),
    EventType(
        "fr.vae.sessions.session-scheduled.v1",
        Family.SESSION_CALENDAR,
        "An exam session (session d'examen) opened on the public calendar. Data: the public "
        "view of the session (centre, certification, dates, seats), no staff.",
    ),
    EventType(
        "fr.vae.sessions.session-cancelled.v1",
        Family.SESSION_CALENDAR,
        "An exam session was cancelled (session annulée). Data: the public view of the session.",
    ),
    EventType(
        "fr.vae.sessions.session-held.v1",
        Family.SESSION_CALENDAR,
        "An exam session took place (session tenue). Data: the public view of the session.",
    ),
    EventType(
        "fr.vae.sessions.convocations-sent.v1",
        Family.SESSION_CALENDAR,
        "The convocations of an exam session were sent (convocations envoyées). Data: the "
        "public view of the session.",
    ),
    EventType(
        "fr.vae.sessions.report-revoked.v1",
        Family.SESSION_CALENDAR,
        "A session's signed report (procès-verbal) was revoked; the session is held again. "
        "Data: the public view of the session.",
    ),
    EventType(
        "fr.vae.sessions.report-signed.v1",
        Family.REPORT_SIGNED,
        "The jury's report (procès-verbal) of a session was signed: attendance and results, "
        "block by block, per candidacy. Data: report and session ids, RNCP code, jury date, "
        "centre and certifiers, results.",
    ),
    EventType(
        "fr.vae.catalog.certification-created.v1",
        Family.CATALOG,
        "A certification (fiche RNCP) entered the catalog. Data: the public certification.",
    ),
    EventType(
        "fr.vae.catalog.certification-updated.v1",
        Family.CATALOG,
        "A certification of the catalog changed (blocks, dates, certifiers). Data: the public "
        "certification.",
    ),
    EventType(
        "fr.vae.catalog.certification-deactivated.v1",
        Family.CATALOG,
        "A certification is no longer active (fiche inactive). Data: the public certification.",
    ),
    EventType(
        PING,
        Family.PING,
        "A test delivery you ask for (POST …/pings); sent to that subscription whether or not "
        "it lists this type. Data: the subscription id and a message.",
    ),
]

EVENT_TYPES: dict[str, EventType] = {
    event_type.type: event_type for event_type in _TYPES
}


def family_of(event_type: str) -> Family | None:
    """The family of a known type, or None for a type this service does not know."""
    known = EVENT_TYPES.get(event_type)
    return known.family if known is not None else None
