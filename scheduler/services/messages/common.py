"""What every email shares: its template, the reader's own time, a family's links and invite.

Each kind of email is worded in a module of its own; this is what they all build on,
so a family's email looks and links alike whatever it is about.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from scheduler import links, settings
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.mail import Message
from scheduler.models import Booking, MessageKind, OutboxMessage, User
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


def invite(event: CalendarEvent, family: User, method: str) -> bytes:
    """Wrap a family's event as an iTIP invite: Hearth organizes, the family alone attends."""
    if method == "CANCEL":
        event = replace(event, status=EventStatus.CANCELLED)
    event = replace(event, organizer=_sender_address(), attendee=family.email)
    return build_calendar([event], CalendarInfo(name="Hearth", method=method))


def render_message(
    row: OutboxMessage, to: User, subject: str, *, address: str | None = None, **context: Any
) -> Message:
    """One email from the shared template: every kind reads and looks the same.

    Everything is worded in the current language: ``compose`` writes each email inside
    ``i18n.for_user`` with its recipient's. ``address``: where it goes when that is not
    the account's address now (a new address to confirm, or the old one told).
    """
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
    event: CalendarEvent,
    method: str | None,
) -> Message:
    """A booking's or appointment's email: its links, and the invite when it carries one."""
    shown, unsubscribe = family_links(family, reminder=kind is MessageKind.REMINDER)
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


def family_links(family: User, *, reminder: bool) -> tuple[list[tuple[str, str]], str | None]:
    """The bookings link, and for reminders the one-click unsubscribe with its header URL."""
    shown = [(_("See or change your bookings"), links.bookings())]
    if not reminder:
        return shown, None
    unsubscribe = unsubscribe_url(family)
    shown += [
        (_("Change reminder times"), links.reminder_settings()),
        (_("Stop reminder emails"), unsubscribe),
    ]
    return shown, unsubscribe
