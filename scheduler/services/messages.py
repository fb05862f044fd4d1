"""What each queued email says, worded at sending time from the records as they are now.

Subjects are discreet by default: "Hearth: your appointment on Tue 4 Mar at 6:00 PM EST"
names neither the workshop nor the service. A family that opted into descriptive
wording sees the workshop's title (or "counseling with <counselor>") instead of
"your appointment". Counseling appointments use the same kinds, plus the approval ones.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template

from scheduler import links
from scheduler.extensions import db
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.mail import Message
from scheduler.models import (
    Appointment,
    Booking,
    EmailLink,
    LinkPurpose,
    MeetingMode,
    MessageKind,
    OutboxMessage,
    SessionKind,
    User,
)
from scheduler.services import accounts, counseling, digest, email_links
from scheduler.services.errors import seats_text
from scheduler.services.feeds import appointment_event, booking_event
from scheduler.timeutil import format_local, to_local, utcnow

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
#: Appointment subjects; {what} is "your appointment" or "counseling with {name}".
APPOINTMENT_SUBJECTS = {
    MessageKind.CONFIRMED: SUBJECTS[MessageKind.CONFIRMED],
    MessageKind.AWAITING_APPROVAL: "Hearth: request received for {when}",
    MessageKind.DECLINED: "Hearth: {when} is not available",
    MessageKind.REQUEST_EXPIRED: "Hearth: {when} is not available",
    MessageKind.RESCHEDULED: SUBJECTS[MessageKind.RESCHEDULED],
    MessageKind.DETAILS_CHANGED: "Hearth: new details for {what} on {when}",
    MessageKind.CANCELLED: SUBJECTS[MessageKind.CANCELLED],
    MessageKind.REMINDER: SUBJECTS[MessageKind.REMINDER],
}
#: Appointment headlines; {name} is the counselor's. They open the body, so mail
#: previews show them: no service words here either.
APPOINTMENT_HEADLINES = {
    MessageKind.CONFIRMED: "You're booked with {name} on {when}.",
    MessageKind.AWAITING_APPROVAL: (
        "Thank you. {name} looks at first appointments before confirming them; we'll email "
        "you as soon as they do. The time is held for you."
    ),
    MessageKind.DECLINED: (
        "{name} can't take this appointment. Please choose another time, or contact them."
    ),
    MessageKind.REQUEST_EXPIRED: (
        "{name} couldn't answer your request for {when} in time, so the time is free "
        "again. Please choose another time, or contact them."
    ),
    MessageKind.RESCHEDULED: "The time has changed. Your appointment with {name} is now on {when}.",
    MessageKind.DETAILS_CHANGED: (
        "The place or the meeting link of your appointment with {name} on {when} has "
        "changed. The time stays the same."
    ),
    MessageKind.CANCELLED: "Your appointment with {name} on {when} is cancelled.",
    MessageKind.REMINDER: "A reminder: you have an appointment with {name} on {when}.",
}
#: Kinds that carry an emailed link (scheduler.links knows the page each one opens).
LINK_KINDS = frozenset({MessageKind.PASSWORD_RESET, MessageKind.VERIFY_EMAIL})
#: Kinds whose email carries a calendar invite, and the invite's method.
INVITES = {
    MessageKind.CONFIRMED: "REQUEST",
    MessageKind.PROMOTED: "REQUEST",
    MessageKind.RESCHEDULED: "REQUEST",
    MessageKind.CANCELLED: "CANCEL",
    MessageKind.SESSION_CANCELLED: "CANCEL",
}
#: The same for appointments: a declined request withdraws the held time too.
APPOINTMENT_INVITES = {
    MessageKind.CONFIRMED: "REQUEST",
    MessageKind.RESCHEDULED: "REQUEST",
    MessageKind.DETAILS_CHANGED: "REQUEST",
    MessageKind.CANCELLED: "CANCEL",
    MessageKind.DECLINED: "CANCEL",
    MessageKind.REQUEST_EXPIRED: "CANCEL",
}
#: Appointment kinds after which the appointment no longer holds its time.
APPOINTMENT_CANCELS = frozenset(
    {MessageKind.CANCELLED, MessageKind.DECLINED, MessageKind.REQUEST_EXPIRED}
)


def when_text(moment: Booking | datetime, zone: str) -> str:
    """'Tue 4 Mar at 6:00 PM EST': an instant (or a booking's start) in the reader's zone."""
    starts_at = moment.session.starts_at if isinstance(moment, Booking) else moment
    local = to_local(starts_at, zone)
    clock = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%a} {local.day} {local:%b} at {clock} {local.tzname()}"


def _sender_address() -> str:
    return parseaddr(current_app.config["MAIL_FROM"])[1]


def _invite(event: CalendarEvent, family: User, method: str) -> bytes:
    """Wrap a family's event as an iTIP invite: Hearth organizes, the family alone attends."""
    if method == "CANCEL":
        event = replace(event, status=EventStatus.CANCELLED)
    event = replace(event, organizer=_sender_address(), attendee=family.email)
    return build_calendar([event], CalendarInfo(name="Hearth", method=method))


def compose(row: OutboxMessage) -> Message | None:
    """Word one queued email, or None when there is nothing left to say."""
    recipient = db.session.get(User, row.recipient_id)
    if recipient is None or not recipient.is_active:
        return None
    kind = MessageKind(row.kind)
    if kind in LINK_KINDS:
        return _link_message(row, kind, recipient)
    if kind is MessageKind.DIGEST:
        return _digest_message(row, recipient)
    if kind is MessageKind.SIGNUP_ATTEMPT:
        return _signup_attempt_message(row, recipient)
    if row.appointment_id is not None:
        return _appointment_message(row, kind, recipient)
    return _booking_message(row, kind, recipient)


def _message(row: OutboxMessage, to: User, subject: str, **context: Any) -> Message:
    context.setdefault("greeting", f"Hello {to.name},")
    context.setdefault("details", [])
    context.setdefault("links", [])
    return Message(
        key=row.key,
        to=to.email,
        subject=subject,
        text=render_template("mail/message.txt", subject=subject, **context),
        html=render_template("mail/message.html", subject=subject, **context),
        ics=context.get("ics"),
        ics_method=context.get("ics_method"),
        list_unsubscribe=context.get("list_unsubscribe"),
    )


def unsubscribe_url(user: User) -> str:
    """The family's one-click "no more reminders" link (RFC 8058), no login needed."""
    return links.unsubscribe(user.id, accounts.unsubscribe_token(user))


def _booking_message(row: OutboxMessage, kind: MessageKind, family: User) -> Message | None:
    booking = db.session.get(Booking, row.booking_id) if row.booking_id else None
    if booking is None:
        return None
    if kind is MessageKind.REMINDER and not family.reminders_enabled:
        return None  # turned off after it was queued
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
    event = booking_event(booking, descriptive=family.descriptive_titles)
    return _family_message(row, family, kind, subject, headline, details, event, INVITES.get(kind))


def _family_message(
    row: OutboxMessage,
    family: User,
    kind: MessageKind,
    subject: str,
    headline: str,
    details: list[str],
    event: CalendarEvent,
    method: str | None,
) -> Message:
    """A booking's or appointment's email: its links, and the invite when it carries one."""
    shown, unsubscribe = _family_links(family, reminder=kind is MessageKind.REMINDER)
    return _message(
        row,
        family,
        subject,
        headline=headline,
        details=details,
        links=shown,
        ics=_invite(event, family, method) if method else None,
        ics_method=method,
        list_unsubscribe=unsubscribe,
    )


def _family_links(family: User, *, reminder: bool) -> tuple[list[tuple[str, str]], str | None]:
    """The bookings link, and for reminders the one-click unsubscribe with its header URL."""
    shown = [("See or change your bookings", links.bookings())]
    if not reminder:
        return shown, None
    unsubscribe = unsubscribe_url(family)
    shown += [
        ("Change reminder times", links.reminder_settings()),
        ("Stop reminder emails", unsubscribe),
    ]
    return shown, unsubscribe


def _appointment_message(row: OutboxMessage, kind: MessageKind, recipient: User) -> Message | None:
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
    if kind is MessageKind.REMINDER and not (
        appointment.is_confirmed and recipient.reminders_enabled
    ):
        return None  # cancelled or declined since, or reminders turned off
    family = recipient
    counselor = appointment.facilitator
    settings = counseling.settings_for(appointment.facilitator_id)
    when = when_text(appointment.slot.starts_at, family.timezone)
    descriptive = family.descriptive_titles
    what = f"counseling with {counselor.name}" if descriptive else "your appointment"
    subject = APPOINTMENT_SUBJECTS[kind].format(what=what, when=when)
    headline = APPOINTMENT_HEADLINES[kind].format(name=counselor.name, when=when)
    details = []
    if descriptive:
        details.append(f"Counselor: {counselor.name}")
        details.append(
            "Family counseling"
            if appointment.kind == SessionKind.FAMILY
            else "Individual counseling"
        )
        if settings is not None and settings.mode == MeetingMode.ONLINE:
            link = counseling.meeting_link(appointment, settings)
            shown = link and kind not in APPOINTMENT_CANCELS
            details.append(f"Online: {link}" if shown else "Online")
        elif settings is not None and settings.location:
            details.append(f"Where: {settings.location}")
    else:
        details.append("Open your bookings to see the place and details.")
    if (
        kind in (MessageKind.DECLINED, MessageKind.REQUEST_EXPIRED)
        and settings
        and settings.contact
    ):
        details.append(f"Contact: {settings.contact}")
    method = APPOINTMENT_INVITES.get(kind)
    if method == "REQUEST" and not appointment.is_confirmed:
        # Only a confirmed time goes into the family's calendar by invite; a pending one
        # waits for its CONFIRMED email, and a cancelled one for its CANCEL.
        method = None
    event = appointment_event(appointment, descriptive=descriptive, settings=settings)
    return _family_message(row, family, kind, subject, headline, details, event, method)


def _approval_request(
    row: OutboxMessage, appointment: Appointment, counselor: User
) -> Message | None:
    """Ask the counselor to look at a first appointment; the family's note stays in Hearth."""
    if not appointment.is_pending or counselor.id != appointment.facilitator_id:
        return None  # approved, declined or cancelled before this went out
    when = when_text(appointment.slot.starts_at, counselor.timezone)
    household = appointment.family.name
    return _message(
        row,
        counselor,
        "Hearth: an appointment request to approve",
        headline=f"{household} asked for a first appointment with you on {when}.",
        details=[
            f"Household: {household}",
            f"When: {when}",
            "The time is held until you approve or decline the request.",
        ],
        links=[
            (
                "Approve or decline",
                links.counselor_appointment(appointment.id),
            )
        ],
    )


def _family_changed(
    row: OutboxMessage, appointment: Appointment, counselor: User
) -> Message | None:
    """Tell the counselor a family moved or cancelled, as things stand when it goes out."""
    if counselor.id != appointment.facilitator_id:
        return None
    queued_at_version = int(row.key.split(":")[3])  # appointment:<id>:<kind>:<version>:<to>
    if queued_at_version < appointment.sequence:
        return None  # changed again since: that change's own notice tells the counselor
    when = when_text(appointment.slot.starts_at, counselor.timezone)
    household = appointment.family.name
    if appointment.holds_slot:
        subject = "Hearth: an appointment moved"
        headline = f"{household} moved their appointment with you. It is now on {when}."
    else:
        subject = "Hearth: an appointment was cancelled"
        headline = f"{household} cancelled their appointment with you on {when}."
    return _message(
        row,
        counselor,
        subject,
        headline=headline,
        details=["Your calendar link shows the change too."],
        links=[("See the appointment", links.counselor_appointment(appointment.id))],
    )


def _link_message(row: OutboxMessage, kind: MessageKind, user: User) -> Message | None:
    link = db.session.get(EmailLink, row.link_id) if row.link_id else None
    if link is None or not email_links.is_usable(link, user, utcnow()):
        return None  # used, replaced or expired before it could go out: say nothing
    url = links.email_link(LinkPurpose(kind), email_links.link_token(link))
    hours = int(email_links.VALID_FOR[LinkPurpose(link.purpose)].total_seconds() // 3600)
    lasts = f"{hours} hours" if hours < 48 else f"{hours // 24} days"
    if kind is MessageKind.PASSWORD_RESET:
        return _message(
            row,
            user,
            "Hearth: reset your password",
            headline="Someone asked to reset the password of your Hearth account.",
            details=[
                f"If it was you, choose a new password with the link below. It works once, "
                f"for the next {lasts}.",
                "If it wasn't you, you can ignore this email: your password stays the same.",
            ],
            links=[("Choose a new password", url)],
        )
    return _message(
        row,
        user,
        "Hearth: please confirm your email address",
        headline="Please confirm that this is your email address.",
        details=[
            f"It lets us reach you about your bookings. The link works for {lasts}.",
            "You can book without it. If you didn't make a Hearth account, ignore this email.",
        ],
        links=[("Confirm my email address", url)],
    )


def _signup_attempt_message(row: OutboxMessage, user: User) -> Message:
    """The sign-up page answers a taken address as a new one; the owner hears of it here."""
    return _message(
        row,
        user,
        "Hearth: someone tried to make an account with your address",
        headline="Someone tried to make a new Hearth account with this email address.",
        details=[
            "You already have an account, so nothing was made and nothing changed.",
            "If it was you, log in with your password, or choose a new one if you forgot it.",
            "If it wasn't you, you can ignore this email. Your account is safe.",
        ],
        links=[("Log in", links.login()), ("Choose a new password", links.forgot_password())],
    )


def _digest_message(row: OutboxMessage, facilitator: User) -> Message | None:
    day = digest.digest_day(facilitator, row.due_at)
    lines = digest.day_summary(facilitator, day)
    appointments = digest.appointments_on(facilitator, day)
    if not lines and not appointments:
        return None  # everything of the day was cancelled since
    zone = facilitator.timezone
    details, shown = [], []
    for line in lines:
        clock = format_local(line.session.starts_at, zone, with_date=False)
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
        clock = format_local(appointment.slot.starts_at, zone, with_date=False)
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
    return _message(
        row,
        facilitator,
        f"Hearth: your day, {day:%a} {day.day} {day:%b}",
        headline=f"Good morning. You have {' and '.join(counts)} today.",
        details=details,
        links=shown,
    )
