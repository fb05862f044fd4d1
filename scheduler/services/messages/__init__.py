"""What each queued email says, worded at sending time from the records as they are now.

One module per kind of email: ``bookings``, ``changes`` (a booking moved, a workshop
changed), ``appointments`` (counseling), ``account`` (emailed links, sign-up attempts),
``digests``, ``sharing`` (a workshop shared with a facilitator), ``invite_back`` (a
household that missed a session), ``group`` (a facilitator's message to a group) and
``data_export`` (a family's copy of its data is ready), on what ``common`` gives them all.
:func:`compose` picks the one a queued row needs; ``loading`` reads what a whole batch of
rows is worded from at once.

Each email is written in its recipient's language (``i18n.for_user``), whoever's request
or job queued it: the words, and the dates and zones ``scheduler.timetext`` gives.
"""

from __future__ import annotations

from scheduler import i18n
from scheduler.extensions import db
from scheduler.mail import Message
from scheduler.models import MessageKind, OutboxMessage, User
from scheduler.services.messages.account import (
    LINK_KINDS,
    address_in_use_message,
    email_changed_message,
    link_message,
    signup_attempt_message,
)
from scheduler.services.messages.appointments import (
    APPOINTMENT_CANCELS,
    APPOINTMENT_HEADLINES,
    APPOINTMENT_INVITES,
    APPOINTMENT_SUBJECTS,
    appointment_message,
)
from scheduler.services.messages.bookings import HEADLINES, INVITES, SUBJECTS, booking_message
from scheduler.services.messages.changes import CHANGE_KINDS, change_message
from scheduler.services.messages.common import unsubscribe_url, when_text
from scheduler.services.messages.data_export import data_export_message
from scheduler.services.messages.digests import digest_message
from scheduler.services.messages.group import group_message
from scheduler.services.messages.invite_back import invite_back_message
from scheduler.services.messages.loading import (
    Loaded,
    Revision,
    preload,
    revisions,
    revisions_query,
    worded_ahead,
)
from scheduler.services.messages.sharing import cofacilitator_message

__all__ = [
    "APPOINTMENT_CANCELS",
    "APPOINTMENT_HEADLINES",
    "APPOINTMENT_INVITES",
    "APPOINTMENT_SUBJECTS",
    "CHANGE_KINDS",
    "HEADLINES",
    "INVITES",
    "LINK_KINDS",
    "SUBJECTS",
    "Loaded",
    "Revision",
    "compose",
    "preload",
    "revisions",
    "revisions_query",
    "unsubscribe_url",
    "when_text",
    "worded_ahead",
]


def compose(row: OutboxMessage, loaded: Loaded | None = None) -> Message | None:
    """Word one queued email, or None when there is nothing left to say.

    ``loaded``: what :func:`preload` read for the row's batch, so nothing is read twice.
    """
    recipient = db.session.get(User, row.recipient_id)
    if recipient is None or recipient.email is None or not _reachable(recipient, row):
        return None  # gone, switched off, or a household recorded without an address
    with i18n.for_user(recipient.language):
        return _compose(row, recipient, loaded)


def _reachable(recipient: User, row: OutboxMessage) -> bool:
    """Active accounts get mail; an invited one (not active yet) only its invitation, a
    closed one only the link that reopens it."""
    if recipient.is_invited:
        return row.kind == MessageKind.INVITE
    if recipient.is_closed:
        return row.kind == MessageKind.REOPEN
    return recipient.is_active


def _compose(row: OutboxMessage, recipient: User, loaded: Loaded | None) -> Message | None:
    kind = MessageKind(row.kind)
    if kind in LINK_KINDS:
        return link_message(row, kind, recipient)
    if kind is MessageKind.EMAIL_CHANGED:
        return email_changed_message(row, recipient)
    if kind is MessageKind.ADDRESS_IN_USE:
        return address_in_use_message(row, recipient)
    if kind is MessageKind.DIGEST:
        return digest_message(row, recipient)
    if kind is MessageKind.SIGNUP_ATTEMPT:
        return signup_attempt_message(row, recipient)
    if kind is MessageKind.COFACILITATOR_ADDED:
        return cofacilitator_message(row, recipient)
    if kind is MessageKind.INVITE_BACK:
        return invite_back_message(row, recipient)
    if kind is MessageKind.GROUP_MESSAGE:
        return group_message(row, recipient)
    if kind is MessageKind.DATA_EXPORT:
        return data_export_message(row, recipient)
    if row.appointment_id is not None:
        return appointment_message(row, kind, recipient, loaded or Loaded())
    if kind in CHANGE_KINDS:
        return change_message(row, kind, recipient)
    return booking_message(row, kind, recipient)
