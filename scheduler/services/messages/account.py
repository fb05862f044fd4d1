"""Emails about an account itself: its emailed links (reset, address check, invitation,
new address), its address changed, and its address tried by someone else."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext

from scheduler import links
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import EmailLink, LinkPurpose, MessageKind, OutboxMessage, Role, User
from scheduler.services import email_links
from scheduler.services.messages.common import render_message
from scheduler.timeutil import utcnow

#: Kinds that carry an emailed link (scheduler.links knows the page each one opens).
LINK_KINDS = frozenset(
    {
        MessageKind.PASSWORD_RESET,
        MessageKind.VERIFY_EMAIL,
        MessageKind.INVITE,
        MessageKind.CHANGE_EMAIL,
        MessageKind.CLAIM,
        MessageKind.REOPEN,
    }
)


def _lasts(hours: int) -> str:
    """How long a link works: "24 hours", "7 days"."""
    if hours < 48:
        return ngettext("{count} hour", "{count} hours", hours).format(count=hours)
    days = hours // 24
    return ngettext("{count} day", "{count} days", days).format(count=days)


def link_message(row: OutboxMessage, kind: MessageKind, user: User) -> Message | None:
    """Send a link only while it still works: a dead link in an inbox only confuses."""
    link = db.session.get(EmailLink, row.link_id) if row.link_id else None
    if link is None or not email_links.is_usable(link, user, utcnow()):
        return None  # used, replaced or expired before it could go out: say nothing
    url = links.email_link(LinkPurpose(kind), email_links.link_token(link))
    hours = int(email_links.valid_for(link.purpose).total_seconds() // 3600)
    lasts = _lasts(hours)
    if kind is MessageKind.INVITE:
        return _invitation(row, user, url, lasts)
    if kind is MessageKind.CHANGE_EMAIL:
        return render_message(
            row,
            user,
            _("Hearth: please confirm your new email address"),
            address=link.new_email,
            headline=_("Someone asked to use this email address for a Hearth account."),
            details=[
                _(
                    "If it was you, confirm it with the link below: the account's address "
                    "changes only then. The link works once, for the next {lasts}."
                ).format(lasts=lasts),
                _("If it wasn't you, you can ignore this email: nothing changes."),
            ],
            links=[(_("Use this address"), url)],
        )
    if kind is MessageKind.PASSWORD_RESET:
        return render_message(
            row,
            user,
            _("Hearth: reset your password"),
            headline=_("Someone asked to reset the password of your Hearth account."),
            details=[
                _(
                    "If it was you, choose a new password with the link below. It works once, "
                    "for the next {lasts}."
                ).format(lasts=lasts),
                _("If it wasn't you, you can ignore this email: your password stays the same."),
            ],
            links=[(_("Choose a new password"), url)],
        )
    if kind is MessageKind.REOPEN:
        return _closed(row, user, url, lasts)
    if kind is MessageKind.CLAIM:
        return render_message(
            row,
            user,
            _("Hearth: your own log-in for your bookings"),
            headline=_(
                "Our team booked for your household when you called or came by. You can "
                "now see and change those bookings yourself."
            ),
            details=[
                _(
                    "Choose a password with the link below; you then log in with this email "
                    "address. The link works once, for the next {lasts}."
                ).format(lasts=lasts),
                _("If you didn't expect this email, you can ignore it: nothing changes."),
            ],
            links=[(_("Choose my password"), url)],
        )
    return render_message(
        row,
        user,
        _("Hearth: please confirm your email address"),
        headline=_("Please confirm that this is your email address."),
        details=[
            _("It lets us reach you about your bookings. The link works for {lasts}.").format(
                lasts=lasts
            ),
            _("You can book without it. If you didn't make a Hearth account, ignore this email."),
        ],
        links=[(_("Confirm my email address"), url)],
    )


def signup_attempt_message(row: OutboxMessage, user: User) -> Message:
    """The sign-up page answers a taken address as a new one; the owner hears of it here."""
    return render_message(
        row,
        user,
        _("Hearth: someone tried to make an account with your address"),
        headline=_("Someone tried to make a new Hearth account with this email address."),
        details=[
            _("You already have an account, so nothing was made and nothing changed."),
            _("If it was you, log in with your password, or choose a new one if you forgot it."),
            _("If it wasn't you, you can ignore this email. Your account is safe."),
        ],
        links=[(_("Log in"), links.login()), (_("Choose a new password"), links.forgot_password())],
    )


def _closed(row: OutboxMessage, user: User, url: str, lasts: str) -> Message:
    """The one email a closed account gets: what closing did, and how to undo it."""
    return render_message(
        row,
        user,
        _("Hearth: your account is closed"),
        headline=_("Your Hearth account is closed, as you asked."),
        details=[
            _(
                "Your upcoming bookings and appointments were cancelled, and you were "
                "logged out everywhere. Your calendar link no longer works."
            ),
            _(
                "Changed your mind? Open your account again with the link below, for the "
                "next {lasts}. Bookings that were cancelled stay cancelled."
            ).format(lasts=lasts),
            _(
                "After that, your name, email address, needs and notes are erased for good. "
                "If you didn't ask for this, use the link and change your password."
            ),
        ],
        links=[(_("Open my account again"), url)],
    )


def _invitation(row: OutboxMessage, user: User, url: str, lasts: str) -> Message:
    """An admin's invitation to join as staff: the invitee chooses their password."""
    role = _("an admin") if user.role == Role.ADMIN else _("a facilitator")
    return render_message(
        row,
        user,
        _("Hearth: you're invited to join"),
        headline=_("You're invited to join Hearth as {role}.").format(role=role),
        details=[
            _(
                "Choose your password with the link below, and you're in. The link works "
                "once, for the next {lasts}."
            ).format(lasts=lasts),
            _(
                "If you weren't expecting this, you can ignore this email: no account "
                "opens without the link."
            ),
        ],
        links=[(_("Choose my password"), url)],
    )


def email_changed_message(row: OutboxMessage, user: User) -> Message | None:
    """Tell the old address the account moved away from it (not where to)."""
    link = db.session.get(EmailLink, row.link_id) if row.link_id else None
    if link is None:
        return None
    return render_message(
        row,
        user,
        _("Hearth: your email address was changed"),
        address=link.email,
        headline=_(
            "The email address of your Hearth account was changed. Our emails now go to "
            "the new address."
        ),
        details=[
            _("If you made this change, there is nothing more to do."),
            _(
                "If you didn't, please contact the people who run Hearth for you right "
                "away, so they can help you get your account back."
            ),
        ],
    )


def address_in_use_message(row: OutboxMessage, user: User) -> Message:
    """Someone asked to move another account to this address; its owner is told calmly."""
    return render_message(
        row,
        user,
        _("Hearth: about your email address"),
        headline=_("Someone asked to use this email address for another Hearth account."),
        details=[
            _("It is already your account's address, so nothing changed: it stays yours."),
            _("If it was you, simply log in with this address. If not, ignore this email."),
        ],
        links=[(_("Log in"), links.login())],
    )
