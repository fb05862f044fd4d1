"""What families can browse: published workshops and their upcoming sessions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from scheduler.extensions import db
from scheduler.models import Booking, Workshop, WorkshopSession, WorkshopStatus
from scheduler.services.seats import SeatCount, seat_counts


@dataclass(frozen=True)
class SessionRow:
    session: WorkshopSession
    seats: SeatCount
    #: The viewer's own active booking in this session, if any.
    my_booking: Booking | None
    bookable: bool


@dataclass(frozen=True)
class WorkshopListing:
    workshop: Workshop
    sessions: list[SessionRow]


def session_rows(
    sessions: list[WorkshopSession], family_id: int | None, now: datetime
) -> list[SessionRow]:
    """Pair sessions with their seats and the viewer's booking, in two queries."""
    counts = seat_counts(sessions)
    mine: dict[int, Booking] = {}
    if family_id is not None and sessions:
        mine = {
            b.session_id: b
            for b in db.session.scalars(
                select(Booking).where(
                    Booking.family_id == family_id,
                    Booking.session_id.in_([s.id for s in sessions]),
                    Booking.is_active,
                )
            )
        }
    return [
        SessionRow(
            session=s,
            seats=counts[s.id],
            my_booking=mine.get(s.id),
            bookable=s.is_open(now) and s.workshop.is_published,
        )
        for s in sessions
    ]


def upcoming_workshops(*, now: datetime, family_id: int | None = None) -> list[WorkshopListing]:
    """List published workshops with sessions still to come, soonest first."""
    sessions = list(
        db.session.scalars(
            select(WorkshopSession)
            .join(Workshop)
            .options(joinedload(WorkshopSession.workshop).joinedload(Workshop.facilitator))
            .where(Workshop.status == WorkshopStatus.PUBLISHED, WorkshopSession.starts_at > now)
            .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        )
    )
    listings: dict[int, list[SessionRow]] = {}
    for row in session_rows(sessions, family_id, now):
        listings.setdefault(row.session.workshop_id, []).append(row)
    return [WorkshopListing(rows[0].session.workshop, rows) for rows in listings.values()]


def workshop_sessions(
    workshop: Workshop, *, now: datetime, family_id: int | None = None
) -> list[SessionRow]:
    """Return a workshop's sessions that have not ended, with seats and the viewer's booking."""
    sessions = [s for s in workshop.sessions if s.ends_at > now]
    return session_rows(sessions, family_id, now)


@dataclass(frozen=True)
class MyBookings:
    #: Bookings still to come, including those in sessions the facilitator cancelled.
    upcoming: list[Booking]
    #: Past sessions and bookings the household cancelled, newest first.
    past: list[Booking]
    #: Booking ids the household may still cancel (before the session starts).
    cancellable: frozenset[int]


def bookings_of(family_id: int, *, now: datetime) -> MyBookings:
    """Return a household's bookings, split the way its My bookings page shows them."""
    mine = db.session.scalars(
        select(Booking)
        .join(WorkshopSession)
        .options(joinedload(Booking.session).joinedload(WorkshopSession.workshop))
        .where(Booking.family_id == family_id)
        .order_by(WorkshopSession.starts_at, Booking.id)
    ).all()
    upcoming = [b for b in mine if b.session.ends_at > now and not b.is_cancelled]
    past = [b for b in reversed(mine) if b not in upcoming]
    cancellable = frozenset(b.id for b in upcoming if b.session.is_open(now))
    return MyBookings(upcoming, past, cancellable)
