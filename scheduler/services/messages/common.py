"""What every email shares: its template, the reader's own time, a family's links and invite.

Each kind of email is worded in a module of its own; this is what they all build on,
so a family's email looks and links alike whatever it is about.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from scheduler import links, settings
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.mail import Message
from scheduler.models import Booking, MessageKind, OutboxMessage, User, Workshop
from scheduler.services import accounts
from scheduler.timetext import moment_text


def when_text(moment: Booking | datetime, zone: str) -> str:
    """'Thu, Dec 3, 2026, 8:00 PM Eastern Time': an instant (or a booking's start) in the
    reader's own zone, worded as the pages word it first (``scheduler.timetext``).

    An email is read some day after it is written, so it says the year and no
    "Tomorrow", and one reader's time is all it gives.
    """
    starts_at = moment.session.starts_at if isinstance(moment, Booking) else moment
    return moment_text(starts_at, zone)


def _sender_address() -> str:
    return parseaddr(settings.current().mail_from)[1]


def invite(events: CalendarEvent | Sequence[CalendarEvent], family: User, method: str) -> bytes:
    """Wrap a family's event as an iTIP invite: Hearth organizes, the family alone attends.

    Several events at once (a move: the new booking and the old one, cancelled) go as a
    PUBLISH, which names no attendee (RFC 5546); a REQUEST or CANCEL carries one event.
    """
    listed = [events] if isinstance(events, CalendarEvent) else list(events)
    attendee = None if method == "PUBLISH" else family.email
    organizer = _sender_address()
    if method == "CANCEL":
        listed = [replace(event, status=EventStatus.CANCELLED) for event in listed]
    listed = [replace(event, organizer=organizer, attendee=attendee) for event in listed]
    return build_calendar(listed, CalendarInfo(name="Hearth", method=method))


def invite_method(events: Sequence[CalendarEvent]) -> str:
    """REQUEST for one event; PUBLISH for several (a REQUEST holds one UID, RFC 5546)."""
    return "REQUEST" if len(events) == 1 else "PUBLISH"


def place_details(workshop: Workshop, *, descriptive: bool, show_link: bool) -> list[str]:
    """A workshop's title, place and (``show_link``) its online link, for families who chose
    descriptive wording; for the others, where to find them, so the email names nothing."""
    if not descriptive:
        return [_("Open your bookings to see the place and details.")]
    details = [workshop.title]
    if workshop.location:
        details.append(_("Where: {place}").format(place=workshop.location))
    if workshop.online_url and show_link:
        details.append(_("Join online: {link}").format(link=workshop.online_url))
    return details


def render_message(
    row: OutboxMessage, to: User, subject: str, *, address: str | None = None, **context: Any
) -> Message:
    """One email from the shared template: every kind reads and looks the same.

    Everything is worded in the current language: ``compose`` writes each email inside
    ``i18n.for_user`` with its recipient's. ``address``: where it goes when that is not
    the account's address now (a new address to confirm, or the old one told).
    """
    if to.email is None:  # compose never words one: a household recorded without one
        raise ValueError(f"account {to.id} has no email address")
    context.setdefault("greeting", _("Hello {name},").format(name=to.name))
    context.setdefault("details", [])
    context.setdefault("links", [])
    return Message(
        key=row.key,
        to=address or to.email,
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


def family_message(
    row: OutboxMessage,
    family: User,
    kind: MessageKind,
    subject: str,
    headline: str,
    details: list[str],
    event: CalendarEvent | Sequence[CalendarEvent],
    method: str | None,
    *,
    bookings_link: tuple[str, str] | None = None,
) -> Message:
    """A booking's or appointment's email: its links, and the invite when it carries one.

    ``bookings_link``: (label, address) of the bookings page when the email points at one
    place on it.
    """
    shown, unsubscribe = family_links(
        family, reminder=kind is MessageKind.REMINDER, bookings_link=bookings_link
    )
    return render_message(
        row,
        family,
        subject,
        headline=headline,
        details=details,
        links=shown,
        ics=invite(event, family, method) if method else None,
        ics_method=method,
        list_unsubscribe=unsubscribe,
    )


def family_links(
    family: User, *, reminder: bool, bookings_link: tuple[str, str] | None = None
) -> tuple[list[tuple[str, str]], str | None]:
    """The bookings link, and for reminders the one-click unsubscribe with its header URL."""
    shown = [bookings_link or (_("See or change your bookings"), links.bookings())]
    if not reminder:
        return shown, None
    unsubscribe = unsubscribe_url(family)
    shown += [
        (_("Change reminder times"), links.reminder_settings()),
        (_("Stop reminder emails"), unsubscribe),
    ]
    return shown, unsubscribe
