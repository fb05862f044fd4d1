"""Fair, automatic waitlist promotion."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from scheduler import settings
from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, WorkshopSession
from scheduler.services.lifecycle import transition
from scheduler.services.seats import seat_count


def promotion_cutoff() -> timedelta:
    """Return how long before a session freed seats stop going to the waitlist by themselves."""
    return settings.current().waitlist_promotion_cutoff


def promotes_automatically(session: WorkshopSession, now: datetime) -> bool:
    """Tell whether freed seats in this session go to the waitlist without a person deciding."""
    return not session.is_cancelled and now < session.starts_at - promotion_cutoff()


def waitlist(session_id: int) -> list[Booking]:
    """Return the session's waitlisted bookings, first in line first."""
    return list(
        db.session.scalars(
            select(Booking)
            .where(Booking.session_id == session_id, Booking.status == BookingStatus.WAITLISTED)
            .order_by(Booking.id)
        )
    )


def places_in_line(bookings: list[Booking]) -> dict[int, int]:
    """Each waitlisted booking's place in its session's line (1 is next), in one query.

    The line is the order ``waitlist`` gives: households are seated first come, first
    served, so a family can tell how likely a seat is.
    """
    waiting = [b.id for b in bookings if b.is_waitlisted]
    if not waiting:
        return {}
    ahead = aliased(Booking)
    rows = db.session.execute(
        select(Booking.id, func.count(ahead.id))
        .join(
            ahead,
            and_(
                ahead.session_id == Booking.session_id,
                ahead.status == BookingStatus.WAITLISTED,
                ahead.id <= Booking.id,
            ),
        )
        .where(Booking.id.in_(waiting))
        .group_by(Booking.id)
    )
    return {booking_id: place for booking_id, place in rows.tuples()}


def promote_waitlisted(session: WorkshopSession, now: datetime) -> list[Booking]:
    """Seat waitlisted households in order, each only when all its seats fit.

    Call inside a write transaction holding the session's lock. A household too large
    for the free seats keeps its place; the next one that fits is seated.
    """
    if not promotes_automatically(session, now):
        return []
    free = seat_count(session).free
    promoted = []
    for booking in waitlist(session.id):
        if booking.seats <= free:
            transition(booking, BookingStatus.CONFIRMED, now)
            free -= booking.seats
            promoted.append(booking)
    db.session.flush()
    return promoted
