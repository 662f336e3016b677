"""Convocations as iCalendar files (RFC 5545), for candidates and jurors."""

from __future__ import annotations

from icalendar import Calendar, Event, vCalAddress, vText

from common import utcnow
from sessions.centre.models import ExamSite
from sessions.session.models import ExamSession

MEDIA_TYPE = "text/calendar; charset=utf-8"


def convocation(
    session: ExamSession,
    site: ExamSite,
    *,
    uid: str,
    attendee_name: str | None,
    attendee_email: str | None,
    purpose: str,
) -> bytes:
    """One event: where and when, for whom, and why they are convoked."""
    calendar = Calendar()
    calendar.add("prodid", "-//VAE platform//sessions//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"{uid}@vae-sessions")
    event.add("dtstamp", utcnow())
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", f"Convocation : {session.certification_title}")
    event.add(
        "location", f"{site.name}, {site.address}, {site.postal_code} {site.city}"
    )
    event.add(
        "description",
        f"{purpose}\nSession {session.kind} de {session.rncp_code} "
        f"({session.test_hours:g} h d'épreuves). Blocs : {', '.join(session.block_codes)}.",
    )
    manager_email = session.manager.get("email")
    if manager_email:
        organizer = vCalAddress(f"mailto:{manager_email}")
        organizer.params["cn"] = vText(session.manager["full_name"])
        event.add("organizer", organizer)
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        if attendee_name:
            attendee.params["cn"] = vText(attendee_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee)
    calendar.add_component(event)
    return bytes(calendar.to_ical())
