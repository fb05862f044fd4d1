"""Outbox rows for changes that reach a household in one email each, however many of its
bookings they touch: a booking moved to another session, and a workshop whose place,
online link, title or time changed.

notify's sibling: the rows are written the same way (``notify.insert_rows``), in the
transaction of the change, each with a key that lets the change queue its email once.
The words are chosen when the email goes out (``services/messages/changes.py``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Booking, MessageKind, WorkshopChange, WorkshopSession
from scheduler.services import notify


def booking_moved(old: Booking, new: Booking, now: datetime) -> None:
    """One email for a move: the new seat and the old one given up; reminders follow.

    The old booking was cancelled with ``moved=True``: its reminders are withdrawn and
    it queued no email of its own, nor did the new booking.
    """
    told = notify.message_row(
        MessageKind.MOVED,
        f"booking:{new.id}:{MessageKind.MOVED}:{new.sequence}",
        new.family_id,
        now,
        now,
        version=new.sequence,
        booking_id=new.id,
        session_id=old.session_id,  # where it came from, for the email to say
    )
    reminders = notify.booking_reminders(new, now) if new.is_confirmed else []
    notify.insert_rows([told, *reminders])


def workshop_changed(
    sessions: Sequence[WorkshopSession], changes: Collection[WorkshopChange], now: datetime
) -> None:
    """Tell every household booked or waitlisted in ``sessions`` (one workshop's, changed
    together, their sequences already raised) what changed, once per household.

    A household is told on its first changed booking; the email shows all its bookings
    in the workshop. A new time moves the families' pending reminders too.
    """
    if not sessions or not changes:
        return
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.session)
        .where(Booking.session_id.in_([s.id for s in sessions]), Booking.is_active)
        .order_by(WorkshopSession.starts_at, Booking.id)
    ).all()
    if WorkshopChange.TIME in changes:
        notify.cancel_pending_reminders(b.id for b in bookings)
    said = " ".join(change for change in WorkshopChange if change in changes)
    first: dict[int, Booking] = {}
    for booking in bookings:
        first.setdefault(booking.family_id, booking)
    rows = []
    for family_id, booking in first.items():
        session = booking.session
        # A change raises the sequence of every session it touches, so the first
        # session's id and sequence name this change for this household.
        key = (
            f"workshop:{session.workshop_id}:changed:s{session.id}.{session.sequence}:f{family_id}"
        )
        row = notify.message_row(
            MessageKind.WORKSHOP_CHANGED,
            key,
            family_id,
            now,
            now,
            version=session.sequence,
            booking_id=booking.id,
            session_id=session.id,
        )
        rows.append(row | {"changes": said})
    notify.insert_rows(rows)
    if WorkshopChange.TIME in changes:
        notify.insert_rows(
            row for b in bookings if b.is_confirmed for row in notify.booking_reminders(b, now)
        )
