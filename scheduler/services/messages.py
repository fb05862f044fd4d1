"""What each queued email says, worded at sending time from the records as they are now.

Subjects are discreet by default: "Hearth: your appointment on Tue 4 Mar at 6:00 PM EST"
names neither the workshop nor the service. A family that opted into descriptive
wording sees the workshop's title instead of "your appointment".
"""

from __future__ import annotations

from dataclasses import replace
from email.utils import parseaddr

from flask import current_app, render_template

from scheduler.extensions import db
from scheduler.ics import CalendarInfo, EventStatus, build_calendar
from scheduler.mail import Message
from scheduler.models import Booking, MessageKind, OutboxMessage, User
from scheduler.services.errors import seats_text
from scheduler.services.feeds import booking_event
from scheduler.timeutil import to_local

#: Subject lines by kind; {what} is "your appointment" or the workshop's title.
SUBJECTS = {
    MessageKind.CONFIRMED: "Hearth: {what} on {when}",
    MessageKind.WAITLISTED: "Hearth: on the waitlist for {when}",
    MessageKind.PROMOTED: "Hearth: a seat opened up for {when}",
    MessageKind.CANCELLED: "Hearth: cancelled, {what} on {when}",
    MessageKind.RESCHEDULED: "Hearth: new time for {what}, {when}",
    MessageKind.SESSION_CANCELLED: "Hearth: {what} on {when} is cancelled",
    MessageKind.REMINDER: "Hearth: reminder, {what} on {when}",
}
HEADLINES = {
    MessageKind.CONFIRMED: "You're booked: {seats} on {when}.",
    MessageKind.WAITLISTED: (
        "You're on the waitlist for {seats} on {when}. If seats free up, we give them out "
        "in the order people joined, and we'll email you."
    ),
    MessageKind.PROMOTED: "Good news: a place opened up. You're booked: {seats} on {when}.",
    MessageKind.CANCELLED: "Your booking for {when} is cancelled.",
    MessageKind.RESCHEDULED: "The time has changed. It is now on {when}.",
    MessageKind.SESSION_CANCELLED: (
        "We're sorry: the session on {when} is cancelled. Nothing is needed from you."
    ),
    MessageKind.REMINDER: "A reminder: you're booked for {when} ({seats}).",
}
#: Kinds whose email carries a calendar invite, and the invite's method.
INVITES = {
    MessageKind.CONFIRMED: "REQUEST",
    MessageKind.PROMOTED: "REQUEST",
    MessageKind.RESCHEDULED: "REQUEST",
    MessageKind.CANCELLED: "CANCEL",
    MessageKind.SESSION_CANCELLED: "CANCEL",
}


def when_text(booking: Booking, zone: str) -> str:
    """'Tue 4 Mar at 6:00 PM EST', in the family's own zone."""
    local = to_local(booking.session.starts_at, zone)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%a} {local.day} {local:%b} at {clock} {local.tzname()}"


def _link(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def _sender_address() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1]


def _invite(booking: Booking, family: User, method: str) -> bytes:
    event = booking_event(booking, descriptive=family.descriptive_titles)
    if method == "CANCEL":
        event = replace(event, status=EventStatus.CANCELLED)
    event = replace(event, organizer=_sender_address(), attendee=family.email)
    return build_calendar([event], CalendarInfo(name="Hearth", method=method))


def compose(row: OutboxMessage) -> Message | None:
    """Word one queued email, or None when there is nothing left to say."""
    booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
    family = db.session.get(User, row.recipient_id)
    if booking is None or family is None:
        return None
    kind = MessageKind(row.kind)
    when = when_text(booking, family.timezone)
    what = booking.session.workshop.title if family.descriptive_titles else "your appointment"
    subject = SUBJECTS[kind].format(what=what, when=when)
    headline = HEADLINES[kind].format(when=when, seats=seats_text(booking.seats))
    workshop = booking.session.workshop
    details = []
    if family.descriptive_titles:
        details.append(workshop.title)
        if workshop.location:
            details.append(f"Where: {workshop.location}")
        if workshop.online_url and booking.is_confirmed and kind is not MessageKind.CANCELLED:
            details.append(f"Join online: {workshop.online_url}")
    else:
        details.append("Open your bookings to see the place and details.")
    reminders_url = _link("/account#reminders") if kind is MessageKind.REMINDER else None
    context = {
        "subject": subject,
        "greeting": f"Hello {family.name},",
        "headline": headline,
        "details": details,
        "bookings_url": _link("/bookings"),
        "reminders_url": reminders_url,
    }
    method = INVITES.get(kind)
    return Message(
        key=row.key,
        to=family.email,
        subject=subject,
        text=render_template("mail/message.txt", **context),
        html=render_template("mail/message.html", **context),
        ics=_invite(booking, family, method) if method else None,
        ics_method=method,
        list_unsubscribe=reminders_url,
    )
