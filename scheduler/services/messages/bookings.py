"""A family's booking emails: confirmed, waitlisted, promoted, moved, cancelled, reminders.

Subjects are discreet by default: "Hearth: your appointment on Tue 4 Mar at 6:00 PM EST"
names neither the workshop nor the service. A family that opted into descriptive
wording sees the workshop's title instead of "your appointment".

The words are lazy (``lazy_gettext``): each is worded in the language of the email
being written, which ``compose`` sets to its recipient's.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import Booking, MessageKind, OutboxMessage, User
from scheduler.services.errors import seats_text
from scheduler.services.feeds import booking_event
from scheduler.services.messages.common import family_message, place_details, when_text

#: Subject lines by kind; {what} is "your appointment" or the workshop's title.
SUBJECTS = {
    MessageKind.CONFIRMED: _l("Hearth: {what} on {when}"),
    MessageKind.WAITLISTED: _l("Hearth: on the waitlist for {when}"),
    MessageKind.PROMOTED: _l("Hearth: a seat opened up for {when}"),
    MessageKind.CANCELLED: _l("Hearth: cancelled, {what} on {when}"),
    MessageKind.RESCHEDULED: _l("Hearth: new time for {what}, {when}"),
    MessageKind.SESSION_CANCELLED: _l("Hearth: {what} on {when} is cancelled"),
    MessageKind.REMINDER: _l("Hearth: reminder, {what} on {when}"),
}
HEADLINES = {
    MessageKind.CONFIRMED: _l("You're booked: {seats} on {when}."),
    MessageKind.WAITLISTED: _l(
        "You're on the waitlist for {seats} on {when}. If seats free up, we give them out "
        "in the order people joined, and we'll email you."
    ),
    MessageKind.PROMOTED: _l("Good news: a place opened up. You're booked: {seats} on {when}."),
    MessageKind.CANCELLED: _l("Your booking for {when} is cancelled."),
    MessageKind.RESCHEDULED: _l("The time has changed. It is now on {when}."),
    MessageKind.SESSION_CANCELLED: _l(
        "We're sorry: the session on {when} is cancelled. Nothing is needed from you."
    ),
    MessageKind.REMINDER: _l("A reminder: you're booked for {when} ({seats})."),
}
#: The same news when staff booked or cancelled for the household (it phoned or came
#: by): the email says who did it, so a booking the family didn't make isn't a mystery.
FOR_THEM_HEADLINES = {
    MessageKind.CONFIRMED: _l("As you asked, our team booked {seats} for you on {when}."),
    MessageKind.WAITLISTED: _l(
        "As you asked, our team put you on the waitlist for {seats} on {when}. If seats "
        "free up, we give them out in the order people joined, and we'll email you."
    ),
    MessageKind.CANCELLED: _l("As you asked, our team cancelled your booking for {when}."),
}
#: Kinds whose email carries a calendar invite, and the invite's method.
INVITES = {
    MessageKind.CONFIRMED: "REQUEST",
    MessageKind.PROMOTED: "REQUEST",
    MessageKind.RESCHEDULED: "REQUEST",
    MessageKind.CANCELLED: "CANCEL",
    MessageKind.SESSION_CANCELLED: "CANCEL",
}


def booking_message(row: OutboxMessage, kind: MessageKind, family: User) -> Message | None:
    """Word a booking's email from the booking as it is now, not as it was when queued."""
    booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
    if booking is None:
        return None
    if kind is MessageKind.REMINDER and not family.reminders_enabled:
        return None  # turned off after it was queued
    when = when_text(booking, family.timezone)
    what = booking.session.workshop.title if family.descriptive_titles else _("your appointment")
    subject = str(SUBJECTS[kind]).format(what=what, when=when)
    headlines = FOR_THEM_HEADLINES if _for_them(row, kind, booking) else HEADLINES
    headline = str(headlines[kind]).format(when=when, seats=seats_text(booking.seats))
    details = place_details(
        booking.session.workshop,
        descriptive=family.descriptive_titles,
        show_link=booking.is_confirmed and kind is not MessageKind.CANCELLED,
    )
    event = booking_event(booking, descriptive=family.descriptive_titles)
    return family_message(row, family, kind, subject, headline, details, event, INVITES.get(kind))


def _for_them(row: OutboxMessage, kind: MessageKind, booking: Booking) -> bool:
    """Whether staff made the change this email tells of, for the household.

    A booking's first email (its version 0) tells of the booking itself; a later
    "waitlisted" one of a capacity lowered, which no one did for the family.
    """
    if kind is MessageKind.CANCELLED:
        return booking.cancelled_by_id is not None
    return kind in FOR_THEM_HEADLINES and booking.booked_by_id is not None and row.version == 0
