"""Fair, automatic waitlist promotion."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, WorkshopSession
from scheduler.services import notify
from scheduler.services.seats import seat_count


def promotion_cutoff() -> timedelta:
    """Return how long before a session freed seats stop going to the waitlist by themselves."""
    return timedelta(hours=current_app.config["WAITLIST_PROMOTION_CUTOFF_HOURS"])


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


def set_status(booking: Booking, status: BookingStatus, now: datetime) -> None:
    """Change a booking's status the one way that keeps calendars and mail right.

    SEQUENCE rises for calendar clients, and the family's email is queued in the same
    transaction (notify writes outbox rows; nothing is sent before commit).
    """
    old = booking.status
    booking.status = status
    booking.sequence += 1
    booking.updated_at = now
    booking.confirmed_at = now if status == BookingStatus.CONFIRMED else None
    if status == BookingStatus.CANCELLED:
        booking.cancelled_at = now
    notify.status_changed(booking, old, now)


def confirm(booking: Booking, now: datetime) -> None:
    """Give a booking its seats (the caller has checked they are free)."""
    set_status(booking, BookingStatus.CONFIRMED, now)


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
            confirm(booking, now)
            free -= booking.seats
            promoted.append(booking)
    db.session.flush()
    return promoted
