"""What each queued email says, worded at sending time from the records as they are now.

Subjects are discreet by default: "Hearth: your appointment on Tue 4 Mar at 6:00 PM EST"
names neither the workshop nor the service. A family that opted into descriptive
wording sees the workshop's title instead of "your appointment".
"""

from __future__ import annotations

from dataclasses import replace
from email.utils import parseaddr
from typing import Any

from flask import current_app, render_template

from scheduler.extensions import db
from scheduler.ics import CalendarInfo, EventStatus, build_calendar
from scheduler.mail import Message
from scheduler.models import Booking, EmailLink, LinkPurpose, MessageKind, OutboxMessage, User
from scheduler.services import accounts, digest, email_links
from scheduler.services.errors import seats_text
from scheduler.services.feeds import booking_event
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
#: Kinds that carry an emailed link, and the path the link opens.
LINK_PATHS = {
    MessageKind.PASSWORD_RESET: "/password/reset",
    MessageKind.VERIFY_EMAIL: "/email/confirm",
}
LINK_KINDS = frozenset(LINK_PATHS)
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
    recipient = db.session.get(User, row.recipient_id)
    if recipient is None or not recipient.is_active:
        return None
    kind = MessageKind(row.kind)
    if kind in LINK_KINDS:
        return _link_message(row, kind, recipient)
    if kind is MessageKind.DIGEST:
        return _digest_message(row, recipient)
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
    return _link(f"/reminders/off/{user.id}/{accounts.unsubscribe_token(user.id)}")


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
    links = [("See or change your bookings", _link("/bookings"))]
    unsubscribe = None
    if kind is MessageKind.REMINDER:
        unsubscribe = unsubscribe_url(family)
        links += [
            ("Change reminder times", _link("/account#reminders")),
            ("Stop reminder emails", unsubscribe),
        ]
    method = INVITES.get(kind)
    return _message(
        row,
        family,
        subject,
        headline=headline,
        details=details,
        links=links,
        ics=_invite(booking, family, method) if method else None,
        ics_method=method,
        list_unsubscribe=unsubscribe,
    )


def _link_message(row: OutboxMessage, kind: MessageKind, user: User) -> Message | None:
    link = db.session.get(EmailLink, row.link_id) if row.link_id else None
    if link is None or not email_links.is_usable(link, user, utcnow()):
        return None  # used, replaced or expired before it could go out: say nothing
    url = _link(f"{LINK_PATHS[kind]}/{email_links.link_token(link)}")
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


def _digest_message(row: OutboxMessage, facilitator: User) -> Message | None:
    day = digest.digest_day(facilitator, row.due_at)
    lines = digest.day_summary(facilitator, day)
    if not lines:
        return None  # every session of the day was cancelled since
    zone = facilitator.timezone
    details, links = [], []
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
        links.append((f"Roster, {clock}", _link(f"/manage/sessions/{line.session.id}/roster")))
    total = "1 session" if len(lines) == 1 else f"{len(lines)} sessions"
    return _message(
        row,
        facilitator,
        f"Hearth: your day, {day:%a} {day.day} {day:%b}",
        headline=f"Good morning. You have {total} today.",
        details=details,
        links=links,
    )
