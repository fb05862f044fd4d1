"""Counseling emails: to the family as for a booking, plus the approval ones, and the
counselor's notices of a request to approve or a family's move or cancellation.

Appointment subjects are discreet too: "counseling with <counselor>" only for families
that opted into descriptive wording.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler import links
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import Appointment, MeetingMode, MessageKind, OutboxMessage, SessionKind, User
from scheduler.services import counseling
from scheduler.services.feeds import appointment_event
from scheduler.services.messages.bookings import SUBJECTS
from scheduler.services.messages.common import family_message, render_message, when_text
from scheduler.services.messages.loading import Loaded

#: Appointment subjects; {what} is "your appointment" or "counseling with {name}".
APPOINTMENT_SUBJECTS = {
    MessageKind.CONFIRMED: SUBJECTS[MessageKind.CONFIRMED],
    MessageKind.AWAITING_APPROVAL: _l("Hearth: request received for {when}"),
    MessageKind.DECLINED: _l("Hearth: {when} is not available"),
    MessageKind.REQUEST_EXPIRED: _l("Hearth: {when} is not available"),
    MessageKind.RESCHEDULED: SUBJECTS[MessageKind.RESCHEDULED],
    MessageKind.COUNSELOR_MOVED: SUBJECTS[MessageKind.RESCHEDULED],
    MessageKind.DETAILS_CHANGED: _l("Hearth: new details for {what} on {when}"),
    MessageKind.CANCELLED: SUBJECTS[MessageKind.CANCELLED],
    MessageKind.REMINDER: SUBJECTS[MessageKind.REMINDER],
}
#: Appointment headlines; {name} is the counselor's. They open the body, so mail
#: previews show them: no service words here either.
APPOINTMENT_HEADLINES = {
    MessageKind.CONFIRMED: _l("You're booked with {name} on {when}."),
    MessageKind.AWAITING_APPROVAL: _l(
        "Thank you. {name} looks at first appointments before confirming them; we'll email "
        "you as soon as they do. The time is held for you."
    ),
    MessageKind.DECLINED: _l(
        "{name} can't take this appointment. Please choose another time, or contact them."
    ),
    MessageKind.REQUEST_EXPIRED: _l(
        "{name} couldn't answer your request for {when} in time, so the time is free "
        "again. Please choose another time, or contact them."
    ),
    MessageKind.RESCHEDULED: _l(
        "The time has changed. Your appointment with {name} is now on {when}."
    ),
    MessageKind.COUNSELOR_MOVED: _l("{name} has moved your appointment. It is now on {when}."),
    MessageKind.DETAILS_CHANGED: _l(
        "The place or the meeting link of your appointment with {name} on {when} has "
        "changed. The time stays the same."
    ),
    MessageKind.CANCELLED: _l("Your appointment with {name} on {when} is cancelled."),
    MessageKind.REMINDER: _l("A reminder: you have an appointment with {name} on {when}."),
}
#: Kinds whose email carries a calendar invite, as for bookings: a declined or expired
#: request withdraws the held time too.
APPOINTMENT_INVITES = {
    MessageKind.CONFIRMED: "REQUEST",
    MessageKind.RESCHEDULED: "REQUEST",
    MessageKind.COUNSELOR_MOVED: "REQUEST",
    MessageKind.DETAILS_CHANGED: "REQUEST",
    MessageKind.CANCELLED: "CANCEL",
    MessageKind.DECLINED: "CANCEL",
    MessageKind.REQUEST_EXPIRED: "CANCEL",
}
#: Appointment kinds after which the appointment no longer holds its time.
APPOINTMENT_CANCELS = frozenset(
    {MessageKind.CANCELLED, MessageKind.DECLINED, MessageKind.REQUEST_EXPIRED}
)


def appointment_message(
    row: OutboxMessage, kind: MessageKind, recipient: User, loaded: Loaded
) -> Message | None:
    """Word an appointment's email from the appointment as it is now, like a booking's."""
    appointment = db.session.get(Appointment, row.appointment_id)
    if appointment is None:
        return None
    if kind is MessageKind.APPROVAL_NEEDED:
        return _approval_request(row, appointment, recipient)
    if kind is MessageKind.FAMILY_CHANGED:
        return _family_changed(row, appointment, recipient)
    if kind not in APPOINTMENT_SUBJECTS or recipient.id != appointment.family_id:
        return None  # nothing Hearth knows how to say about it
    if kind is MessageKind.AWAITING_APPROVAL and not appointment.is_pending:
        return None  # decided before this went out: the decision's own email says it
    if kind is MessageKind.COUNSELOR_MOVED and not (
        appointment.is_active and appointment.moved_by_counselor_at
    ):
        return None  # the family answered already: their own move or cancel says it
    if kind is MessageKind.REMINDER and not (
        appointment.is_confirmed and recipient.reminders_enabled
    ):
        return None  # cancelled or declined since, or reminders turned off
    family = recipient
    counselor = appointment.facilitator
    settings = loaded.counseling_settings(appointment.facilitator_id)
    when = when_text(appointment.slot.starts_at, family.timezone)
    descriptive = family.descriptive_titles
    what = (
        _("counseling with {name}").format(name=counselor.name)
        if descriptive
        else _("your appointment")
    )
    subject = str(APPOINTMENT_SUBJECTS[kind]).format(what=what, when=when)
    headline = str(APPOINTMENT_HEADLINES[kind]).format(name=counselor.name, when=when)
    details = []
    if descriptive:
        details.append(_("Counselor: {name}").format(name=counselor.name))
        details.append(
            _("Family counseling")
            if appointment.kind == SessionKind.FAMILY
            else _("Individual counseling")
        )
        if settings is not None and settings.mode == MeetingMode.ONLINE:
            link = counseling.meeting_link(appointment, settings)
            shown = link and kind not in APPOINTMENT_CANCELS
            details.append(_("Online: {link}").format(link=link) if shown else _("Online"))
        elif settings is not None and settings.location:
            details.append(_("Where: {place}").format(place=settings.location))
    else:
        details.append(_("Open your bookings to see the place and details."))
    if (
        kind in (MessageKind.DECLINED, MessageKind.REQUEST_EXPIRED)
        and settings
        and settings.contact
    ):
        details.append(_("Contact: {contact}").format(contact=settings.contact))
    answer = None
    if kind is MessageKind.COUNSELOR_MOVED:
        details.append(
            _(
                "If the new time works for you, there is nothing to do. If it doesn't, open "
                "your bookings: choose another time there, or say the new time doesn't work "
                "for you, which cancels the appointment and tells {name}."
            ).format(name=counselor.name)
        )
        answer = (
            _("See the new time, or say it doesn't work for you"),
            links.family_appointment(appointment.id),
        )
    method = APPOINTMENT_INVITES.get(kind)
    if method == "REQUEST" and not appointment.is_confirmed:
        # Only a confirmed time goes into the family's calendar by invite; a pending one
        # waits for its CONFIRMED email, and a cancelled one for its CANCEL.
        method = None
    event = appointment_event(appointment, descriptive=descriptive, settings=settings)
    return family_message(
        row, family, kind, subject, headline, details, event, method, bookings_link=answer
    )


def _approval_request(
    row: OutboxMessage, appointment: Appointment, counselor: User
) -> Message | None:
    """Ask the counselor to look at a first appointment; the family's note stays in Hearth."""
    if not appointment.is_pending or counselor.id != appointment.facilitator_id:
        return None  # approved, declined or cancelled before this went out
    when = when_text(appointment.slot.starts_at, counselor.timezone)
    household = appointment.family.staff_name
    return render_message(
        row,
        counselor,
        _("Hearth: an appointment request to approve"),
        headline=_("{household} asked for a first appointment with you on {when}.").format(
            household=household, when=when
        ),
        details=[
            _("Household: {household}").format(household=household),
            _("When: {when}").format(when=when),
            _("The time is held until you approve or decline the request."),
        ],
        links=[(_("Approve or decline"), links.counselor_appointment(appointment.id))],
    )


def _family_changed(
    row: OutboxMessage, appointment: Appointment, counselor: User
) -> Message | None:
    """Tell the counselor a family moved or cancelled, as things stand when it goes out."""
    if counselor.id != appointment.facilitator_id:
        return None
    # Every notice of this kind has its version (migration 0008 filled in older rows).
    if row.version is not None and row.version < appointment.sequence:
        return None  # changed again since: that change's own notice tells the counselor
    when = when_text(appointment.slot.starts_at, counselor.timezone)
    household = appointment.family.staff_name
    if appointment.is_active:
        subject = _("Hearth: an appointment moved")
        headline = _("{household} moved their appointment with you. It is now on {when}.")
    elif appointment.moved_by_counselor_at is not None:  # they declined the time given
        subject = _("Hearth: an appointment was cancelled")
        headline = _(
            "The new time you gave {household} doesn't work for them, so their appointment "
            "with you on {when} is cancelled. The time is free again."
        )
    else:
        subject = _("Hearth: an appointment was cancelled")
        headline = _("{household} cancelled their appointment with you on {when}.")
    return render_message(
        row,
        counselor,
        subject,
        headline=headline.format(household=household, when=when),
        details=[_("Your calendar link shows the change too.")],
        links=[(_("See the appointment"), links.counselor_appointment(appointment.id))],
    )
