"""A facilitator's morning digest: the day's sessions and appointments, with no family named."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import ngettext

from scheduler import links
from scheduler.i18n import current_language
from scheduler.mail import Message
from scheduler.models import Appointment, OutboxMessage, SessionKind, User
from scheduler.services import digest
from scheduler.services.messages.common import render_message
from scheduler.timetext import time_text, zone_name


def _session_line(clock: str, line: digest.DigestLine) -> str:
    """One session of the day: its seats, waitlist and needs, in numbers."""
    seats, needs = line.seats, line.needs
    parts = [
        ngettext(
            "{confirmed} of {count} seat booked",
            "{confirmed} of {count} seats booked",
            seats.capacity,
        ).format(confirmed=seats.confirmed, count=seats.capacity)
    ]
    if waiting := seats.waitlisted_households:
        parts.append(ngettext("{count} waiting", "{count} waiting", waiting).format(count=waiting))
    if childcare := needs.childcare_households:
        parts.append(
            ngettext("childcare for {count}", "childcare for {count}", childcare).format(
                count=childcare
            )
        )
    for language, count in needs.interpreter_languages.items():
        parts.append(
            ngettext(
                "{language} interpreter for {count}", "{language} interpreter for {count}", count
            ).format(language=language, count=count)
        )
    if notes := len(needs.accessibility_notes):
        parts.append(
            ngettext("{count} accessibility note", "{count} accessibility notes", notes).format(
                count=notes
            )
        )
    # Translators: {details} is a list of "3 of 4 seats booked; 1 waiting; ...".
    return _("{clock}: {title}. {details}.").format(
        clock=clock, title=line.session.workshop.title, details="; ".join(parts)
    )


def _appointment_line(clock: str, appointment: Appointment) -> str:
    """One appointment of the day, without the family's name."""
    family = appointment.kind == SessionKind.FAMILY
    if appointment.is_pending:
        words = (
            _("{clock}: counseling appointment, family session, waiting for your approval.")
            if family
            else _(
                "{clock}: counseling appointment, individual session, waiting for your approval."
            )
        )
    else:
        words = (
            _("{clock}: counseling appointment, family session, confirmed.")
            if family
            else _("{clock}: counseling appointment, individual session, confirmed.")
        )
    return words.format(clock=clock)


def _cancelled_line(when: str, line: digest.CancelledLine) -> str:
    """Bookings given up in a session still to come, with no family named."""
    # Translators: {seats} is "2 seats"; {when} a date and time.
    return ngettext(
        "{when}: {title}. {count} booking cancelled since yesterday ({seats} free again).",
        "{when}: {title}. {count} bookings cancelled since yesterday ({seats} free again).",
        line.bookings,
    ).format(
        when=when,
        title=line.session.workshop.title,
        count=line.bookings,
        seats=ngettext("{count} seat", "{count} seats", line.seats).format(count=line.seats),
    )


def _headline(sessions: int, appointments: int, zone: str) -> str:
    """Good morning, how much there is today, and the one zone every time is in."""
    if not sessions and not appointments:
        return _("Good morning. Nothing is booked for you today. Times are in {zone}.").format(
            zone=zone
        )
    if sessions and appointments:
        words = _(
            "Good morning. You have {sessions} and {appointments} today. Times are in {zone}."
        )
    elif sessions:
        words = _("Good morning. You have {sessions} today. Times are in {zone}.")
    else:
        words = _("Good morning. You have {appointments} today. Times are in {zone}.")
    return words.format(
        sessions=ngettext("{count} session", "{count} sessions", sessions).format(count=sessions),
        appointments=ngettext("{count} appointment", "{count} appointments", appointments).format(
            count=appointments
        ),
        zone=zone,
    )


def _day(day: date) -> str:
    """ "Mon 21 Dec": short, as subjects are, in the reader's language."""
    return str(format_date(day, "EEE d MMM", locale=current_language()))


def digest_message(row: OutboxMessage, facilitator: User) -> Message | None:
    """Word the digest at sending time, so changes since it was queued are in it."""
    day = digest.digest_day(facilitator, row.due_at)
    lines = digest.day_summary(facilitator, day)
    appointments = digest.appointments_on(facilitator, day)
    cancelled = digest.cancelled_since(facilitator.id, row.due_at)
    if not lines and not appointments and not cancelled:
        return None  # everything of the day was cancelled since
    zone = facilitator.timezone
    details, shown = [], []
    for line in lines:
        clock = time_text(line.session.starts_at, zone).clock
        details.append(_session_line(clock, line))
        shown.append((_("Roster, {clock}").format(clock=clock), links.roster(line.session.id)))
    for appointment in appointments:
        # Like sessions, no family is named: the appointment page (audited) has the name.
        clock = time_text(appointment.slot.starts_at, zone).clock
        details.append(_appointment_line(clock, appointment))
        shown.append(
            (
                _("Appointment, {clock}").format(clock=clock),
                links.counselor_appointment(appointment.id),
            )
        )
    for cancel in cancelled:
        when = time_text(cancel.session.starts_at, zone, relative=False).main
        details.append(_cancelled_line(when, cancel))
        shown.append((_("Roster, {when}").format(when=when), links.roster(cancel.session.id)))
    return render_message(
        row,
        facilitator,
        _("Hearth: your day, {day}").format(day=_day(day)),
        # Every time is the facilitator's own, so the zone is said once.
        headline=_headline(len(lines), len(appointments), zone_name(zone, row.due_at)),
        details=details,
        links=shown,
    )
