"""A facilitator's morning digest: the day's sessions and appointments, with no family named."""

from __future__ import annotations

from scheduler import links
from scheduler.mail import Message
from scheduler.models import OutboxMessage, SessionKind, User
from scheduler.services import digest
from scheduler.services.messages.common import render_message
from scheduler.timetext import time_text, zone_name


def digest_message(row: OutboxMessage, facilitator: User) -> Message | None:
    """Word the digest at sending time, so changes since it was queued are in it."""
    day = digest.digest_day(facilitator, row.due_at)
    lines = digest.day_summary(facilitator, day)
    appointments = digest.appointments_on(facilitator, day)
    if not lines and not appointments:
        return None  # everything of the day was cancelled since
    zone = facilitator.timezone
    details, shown = [], []
    for line in lines:
        clock = time_text(line.session.starts_at, zone).clock
        parts = [
            f"{line.seats.confirmed} of {line.seats.capacity} seats booked",
        ]
        if line.seats.waitlisted_households:
            parts.append(f"{line.seats.waitlisted_households} waiting")
        if line.needs.childcare_households:
            parts.append(f"childcare for {line.needs.childcare_households}")
        for language, count in line.needs.interpreter_languages.items():
            parts.append(f"{language} interpreter for {count}")
        if line.needs.accessibility_notes:
            parts.append(f"{len(line.needs.accessibility_notes)} accessibility notes")
        details.append(f"{clock}: {line.session.workshop.title}. " + "; ".join(parts) + ".")
        shown.append((f"Roster, {clock}", links.roster(line.session.id)))
    for appointment in appointments:
        # Like sessions, no family is named: the appointment page (audited) has the name.
        clock = time_text(appointment.slot.starts_at, zone).clock
        kind = "Family session" if appointment.kind == SessionKind.FAMILY else "Individual session"
        state = "waiting for your approval" if appointment.is_pending else "confirmed"
        details.append(f"{clock}: counseling appointment, {kind.lower()}, {state}.")
        shown.append(
            (
                f"Appointment, {clock}",
                links.counselor_appointment(appointment.id),
            )
        )
    counts = []
    if lines:
        counts.append("1 session" if len(lines) == 1 else f"{len(lines)} sessions")
    if appointments:
        counts.append(
            "1 appointment" if len(appointments) == 1 else f"{len(appointments)} appointments"
        )
    return render_message(
        row,
        facilitator,
        f"Hearth: your day, {day:%a} {day.day} {day:%b}",
        # Every time is the facilitator's own, so the zone is said once.
        headline=(
            f"Good morning. You have {' and '.join(counts)} today. "
            f"Times are in {zone_name(zone, row.due_at)}."
        ),
        details=details,
        links=shown,
    )
