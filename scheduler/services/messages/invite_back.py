"""The invitation back: to a household marked absent, the workshop's next sessions.

Gentle and discreet: the subject names neither the workshop nor the service (unless the
family chose descriptive wording), the email asks for no explanation and says nothing of
why the family might have missed it, and it says how to stop these emails. Worded as
things are when it goes out: a household marked came since, one that turned these emails
off, a workshop that stopped inviting, or one with no session left to offer gets none.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from scheduler import links
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import Booking, OutboxMessage, User
from scheduler.services import invite_back
from scheduler.services.messages.common import render_message, when_text
from scheduler.timeutil import utcnow

SUBJECT = _l("Hearth: we hope to see you next time")
#: With descriptive wording chosen: {title} is the workshop's title.
DESCRIPTIVE_SUBJECT = _l("Hearth: {title}, we hope to see you next time")


def invite_back_message(row: OutboxMessage, family: User) -> Message | None:
    """Word the invitation back, or None when there is nothing (left) to send."""
    booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
    if booking is None or not invite_back.still_wanted(booking):
        return None
    upcoming = invite_back.next_sessions(booking, utcnow())
    if not upcoming:
        return None  # nothing to invite them to: a note that they were missed says too much
    workshop = booking.session.workshop
    zone = family.timezone
    if family.descriptive_titles:
        subject = str(DESCRIPTIVE_SUBJECT).format(title=workshop.title)
        place = [workshop.title]
        if workshop.location:
            place.append(_("Where: {place}").format(place=workshop.location))
    else:
        subject = str(SUBJECT)
        place = [_("The link below shows the place and the details.")]
    lines = [_("The next dates:")]
    for item in upcoming:
        when = when_text(item.session.starts_at, zone)
        if item.booked:
            line = _("{when}: you're booked.").format(when=when)
        elif item.seats.open > 0:
            line = ngettext(
                "{when}: {count} seat free.", "{when}: {count} seats free.", item.seats.open
            ).format(when=when, count=item.seats.open)
        else:
            line = _("{when}: full, you can join the waitlist.").format(when=when)
        lines.append(line)
    return render_message(
        row,
        family,
        subject,
        headline=_(
            "We missed you on {when}. There's nothing you need to do: you're welcome back "
            "whenever you're ready."
        ).format(when=when_text(booking.session.starts_at, zone)),
        details=[
            *lines,
            *place,
            _("Rather not get these emails? You can turn them off in your account settings."),
        ],
        links=[
            (_("See the dates and book"), links.workshop_page(workshop.id)),
            (_("Stop these emails"), links.invite_back_settings()),
        ],
    )
