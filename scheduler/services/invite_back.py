"""Inviting a household back after it missed a session: one gentle email per booking.

It is queued in the transaction that marks the booking absent, due when the session
ends (a household marked absent ten minutes in may still walk in late), and withdrawn
if the mark changes to came or late before it goes out. Its key names the booking, so
however often the mark changes, one invitation at most is ever sent. Only when the
workshop invites absent households back (its facilitator's choice, on by default) and
the family hasn't said no to these emails; a household without an address gets none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from scheduler.extensions import db
from scheduler.models import (
    Booking,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    SessionStatus,
    User,
    WorkshopSession,
)
from scheduler.models.bookings import Attendance
from scheduler.services import notify
from scheduler.services.seats import SeatCount, seat_counts

#: Sessions an invitation lists: enough to choose from, few enough to read on a phone.
SESSIONS_LISTED = 3


def key(booking_id: int) -> str:
    """The one outbox key a booking's invitation back can ever have."""
    return f"booking:{booking_id}:{MessageKind.INVITE_BACK}"


def queue(booking: Booking, session: WorkshopSession, now: datetime) -> None:
    """Queue the invitation for a booking just marked absent, in the caller's transaction."""
    family = db.session.get_one(User, booking.family_id)
    if not session.workshop.invite_back_absent or not family.invite_back:
        return
    # One withdrawn before it went out (the mark changed, then changed back) makes way
    # for this one; one already sent stays, and its key keeps a second from being queued.
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.key == key(booking.id),
            OutboxMessage.status == OutboxStatus.CANCELLED,
            OutboxMessage.sent_at.is_(None),
        )
    )
    due = max(now, session.ends_at)
    notify.insert_rows(
        [
            notify.message_row(
                MessageKind.INVITE_BACK,
                key(booking.id),
                booking.family_id,
                due,
                now,
                version=booking.sequence,
                booking_id=booking.id,
                session_id=booking.session_id,
            )
        ]
    )


def withdraw(booking_id: int) -> None:
    """Withdraw a booking's invitation that has not gone out (it came after all)."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.key == key(booking_id),
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )


def still_wanted(booking: Booking) -> bool:
    """Whether an invitation queued for ``booking`` should still go out, as things are now:
    still absent, still booked, and neither the workshop (still published) nor the family
    turned them off."""
    return (
        booking.is_confirmed
        and booking.attendance == Attendance.ABSENT
        and booking.session.workshop.is_published
        and booking.session.workshop.invite_back_absent
        and booking.family.invite_back
    )


@dataclass(frozen=True)
class NextSession:
    """A session an invitation offers: when, and whether the household is in it already."""

    session: WorkshopSession
    seats: SeatCount
    #: The household holds a seat in it, or waits for one.
    booked: bool


def next_sessions(booking: Booking, now: datetime) -> list[NextSession]:
    """The workshop's next sessions open for booking, after the one missed, soonest first."""
    missed = booking.session
    sessions = list(
        db.session.scalars(
            select(WorkshopSession)
            .where(
                WorkshopSession.workshop_id == missed.workshop_id,
                WorkshopSession.status == SessionStatus.SCHEDULED,
                WorkshopSession.starts_at > max(now, missed.starts_at),
            )
            .order_by(WorkshopSession.starts_at, WorkshopSession.id)
            .limit(SESSIONS_LISTED)
        )
    )
    held = set(
        db.session.scalars(
            select(Booking.session_id).where(
                Booking.family_id == booking.family_id,
                Booking.session_id.in_([s.id for s in sessions]),
                Booking.is_active,
            )
        )
    )
    counts = seat_counts(sessions)
    return [NextSession(s, counts[s.id], s.id in held) for s in sessions]
