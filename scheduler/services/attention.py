"""What a facilitator should act on first: requests to answer, waitlists, needs to prepare.

The dashboard leads with it. Each kind is one query (seats add one), so it costs the
same statements however many sessions a network runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import contains_eager

from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    Booking,
    BookingStatus,
    SessionStatus,
    User,
    WorkshopSession,
)
from scheduler.services import counseling, permissions
from scheduler.services.digest import day_bounds
from scheduler.services.rosters import NeedsSummary, summarise_needs
from scheduler.services.seats import SeatCount, seat_counts
from scheduler.timeutil import to_local


@dataclass(frozen=True)
class Waiting:
    """A session still to come with households on its waitlist."""

    session: WorkshopSession
    seats: SeatCount


@dataclass(frozen=True)
class Prepare:
    """A session starting before the end of tomorrow whose households asked for something."""

    session: WorkshopSession
    needs: NeedsSummary


@dataclass(frozen=True)
class Attention:
    """Everything the dashboard leads with, each kind soonest first."""

    #: Counseling requests waiting for an answer, soonest first.
    requests: list[Appointment]
    #: Sessions with people waiting (full, or with seats held for the waitlist).
    waiting: list[Waiting]
    #: Sessions from now to the end of tomorrow with childcare, interpreters or access needs.
    prepare: list[Prepare]

    @property
    def is_empty(self) -> bool:
        """Nothing needs doing."""
        return not (self.requests or self.waiting or self.prepare)


def needs_attention(manager: User, *, now: datetime) -> Attention:
    """Collect what needs this person's attention (admins: everyone's), soonest first."""
    return Attention(
        requests=counseling.requests_waiting(manager, now=now),
        waiting=sessions_with_waitlists(manager, now=now),
        prepare=needs_to_prepare(manager, now=now),
    )


def _coming(manager: User, now: datetime) -> list[ColumnElement[bool]]:
    """Conditions shared by every session here: the manager's, scheduled, not started."""
    return [
        permissions.managed_workshops_clause(manager),
        WorkshopSession.status == SessionStatus.SCHEDULED,
        WorkshopSession.starts_at > now,
    ]


def sessions_with_waitlists(manager: User, *, now: datetime) -> list[Waiting]:
    """Sessions still to come that households are waiting for seats in, with their seats."""
    waitlisted = (
        select(Booking.id)
        .where(Booking.session_id == WorkshopSession.id, Booking.status == BookingStatus.WAITLISTED)
        .exists()
    )
    sessions = db.session.scalars(
        select(WorkshopSession)
        .join(WorkshopSession.workshop)
        .options(contains_eager(WorkshopSession.workshop))
        .where(*_coming(manager, now), waitlisted)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    ).all()
    counts = seat_counts(sessions)
    return [Waiting(session, counts[session.id]) for session in sessions]


def needs_to_prepare(manager: User, *, now: datetime) -> list[Prepare]:
    """Sessions from now to the end of tomorrow (the manager's own day) with needs, added up.

    Only confirmed households count: the waitlist may not come. Tonight's sessions are
    in too, because a need nobody prepared for yet is as urgent tonight as tomorrow.
    """
    tomorrow = to_local(now, manager.timezone).date() + timedelta(days=1)
    _, until = day_bounds(tomorrow, manager.timezone)
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .options(contains_eager(Booking.session).contains_eager(WorkshopSession.workshop))
        .where(
            *_coming(manager, now),
            WorkshopSession.starts_at < until,
            Booking.status == BookingStatus.CONFIRMED,
            or_(
                Booking.childcare_needed,
                Booking.interpreter_language != "",
                Booking.accessibility_needs != "",
            ),
        )
        .order_by(WorkshopSession.starts_at, WorkshopSession.id, Booking.id)
    ).all()
    by_session: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_session.setdefault(booking.session_id, []).append(booking)
    found = [Prepare(group[0].session, summarise_needs(group)) for group in by_session.values()]
    return [item for item in found if not item.needs.is_empty]
