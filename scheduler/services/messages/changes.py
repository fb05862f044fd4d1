"""Emails about a change that reached a household's bookings: its booking moved to
another session, or a workshop it is booked in changed its name, place, online link or
time.

One email per change and household, however many of its bookings the change touches,
with one calendar file holding each of them (the new and the old one, for a move).
Worded when it goes out, from the records as they are then; only what changed is kept
from the moment it was queued (``OutboxMessage.changes``). Subjects stay discreet:
"your appointment" unless the family chose descriptive wording.
"""

from __future__ import annotations

from datetime import datetime

from babel.lists import format_list
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.i18n import current_language
from scheduler.mail import Message
from scheduler.models import (
    Booking,
    BookingStatus,
    MessageKind,
    OutboxMessage,
    SessionStatus,
    User,
    WorkshopChange,
    WorkshopSession,
)
from scheduler.services.errors import seats_text
from scheduler.services.feeds import booking_event
from scheduler.services.messages.common import (
    family_message,
    invite_method,
    place_details,
    when_text,
)
from scheduler.timeutil import utcnow

#: The kinds worded here.
CHANGE_KINDS = frozenset({MessageKind.MOVED, MessageKind.WORKSHOP_CHANGED})

#: What a notice calls each change: "the place and the time".
CHANGE_WORDS = {
    WorkshopChange.TITLE: _l("the name"),
    WorkshopChange.PLACE: _l("the place"),
    WorkshopChange.LINK: _l("the online link"),
    WorkshopChange.TIME: _l("the time"),
}
#: Subjects; {what} is "your appointment(s)" or the workshop's title, {when} the first date.
NEW_TIME = _l("Hearth: new time for {what}, {when}")
NEW_DETAILS = _l("Hearth: new details for {what} on {when}")
MOVED = _l("Hearth: {what} moved to {when}")


def change_message(row: OutboxMessage, kind: MessageKind, family: User) -> Message | None:
    """Word a move or a workshop change for the family, or None when nothing is left to say."""
    booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
    if booking is None or booking.family_id != family.id:
        return None
    if kind is MessageKind.MOVED:
        return _moved(row, booking, family)
    return _workshop_changed(row, booking, family)


def _moved(row: OutboxMessage, booking: Booking, family: User) -> Message | None:
    if not booking.is_active:
        return None  # moved on or cancelled since: that change's own email says so
    left = db.session.scalar(
        select(Booking)
        .where(
            Booking.session_id == row.session_id,
            Booking.family_id == family.id,
            Booking.status == BookingStatus.CANCELLED,
        )
        .order_by(Booking.id.desc())
        .limit(1)
    )
    zone, descriptive = family.timezone, family.descriptive_titles
    workshop = booking.session.workshop
    when = when_text(booking, zone)
    what = workshop.title if descriptive else _("your appointment")
    seats = seats_text(booking.seats)
    if booking.is_confirmed:
        headline = _("Your booking has moved. You're booked: {seats} on {when}.")
    else:
        headline = _("Your booking has moved. You're on the waitlist for {seats} on {when}.")
    details = []
    if left is not None:
        details.append(_("Before, it was on {when}.").format(when=when_text(left, zone)))
    details += place_details(workshop, descriptive=descriptive, show_link=booking.is_confirmed)
    events = [booking_event(booking, descriptive=descriptive)]
    if left is not None:
        events.append(booking_event(left, descriptive=descriptive))  # cancelled, for calendars
    return family_message(
        row,
        family,
        MessageKind.MOVED,
        str(MOVED).format(what=what, when=when),
        headline.format(seats=seats, when=when),
        details,
        events,
        invite_method(events),
    )


def _household_bookings(booking: Booking, now: datetime) -> list[Booking]:
    """The household's bookings still to come in the booking's workshop, soonest first."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.session)
            .where(
                Booking.family_id == booking.family_id,
                Booking.is_active,
                WorkshopSession.workshop_id == booking.session.workshop_id,
                WorkshopSession.status == SessionStatus.SCHEDULED,
                WorkshopSession.starts_at > now,
            )
            .order_by(WorkshopSession.starts_at, Booking.id)
        )
    )


def _workshop_changed(row: OutboxMessage, booking: Booking, family: User) -> Message | None:
    bookings = _household_bookings(booking, utcnow())
    if not bookings:
        return None  # cancelled or over since: nothing of theirs changed any more
    changes = [WorkshopChange(change) for change in row.changes.split()]
    zone, descriptive = family.timezone, family.descriptive_titles
    workshop = booking.session.workshop
    count = len(bookings)
    if descriptive:
        what = workshop.title
    else:
        what = _("your appointment") if count == 1 else _("your appointments")
    subject = NEW_TIME if WorkshopChange.TIME in changes else NEW_DETAILS
    said = format_list([str(CHANGE_WORDS[change]) for change in changes], locale=current_language())
    headline = ngettext(
        "Something about your booking has changed: {changes}.",
        "Something about your bookings has changed: {changes}.",
        count,
    ).format(changes=said)
    details = place_details(
        workshop, descriptive=descriptive, show_link=any(b.is_confirmed for b in bookings)
    )
    for held in bookings:
        line = (
            _("You're booked on {when}: {seats}.")
            if held.is_confirmed
            else _("You're on the waitlist for {when}: {seats}.")
        )
        details.append(line.format(when=when_text(held, zone), seats=seats_text(held.seats)))
    events = [booking_event(held, descriptive=descriptive) for held in bookings]
    return family_message(
        row,
        family,
        MessageKind.WORKSHOP_CHANGED,
        str(subject).format(what=what, when=when_text(bookings[0], zone)),
        headline,
        details,
        events,
        invite_method(events),
    )
