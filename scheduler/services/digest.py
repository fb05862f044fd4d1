"""The facilitator's morning digest: today's sessions and appointments, and the bookings
cancelled since yesterday's digest in sessions still to come, in numbers.

It names no family: email is read on shared screens and forwarded, and the roster
page (audited) is one click away for the names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    Booking,
    BookingStatus,
    Role,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
    WorkshopStatus,
)
from scheduler.services import counseling, notify, permissions
from scheduler.services.rosters import NeedsSummary, summarise_needs
from scheduler.services.seats import SeatCount, seat_counts
from scheduler.timeutil import to_local, to_utc

#: Digests go out from this local hour; until the last hour a late dispatcher catches up.
FIRST_HOUR, LAST_HOUR = 7, 12
#: What one digest covers of cancellations: the day since the one before.
CANCELLATIONS_SINCE = timedelta(days=1)


@dataclass(frozen=True)
class DigestLine:
    session: WorkshopSession
    seats: SeatCount
    needs: NeedsSummary


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """Return the UTC instants where a local day starts and ends."""
    start = datetime.combine(day, time(0, 0))
    return to_utc(start, zone), to_utc(start + timedelta(days=1), zone)


def sessions_on(facilitator_id: int, day: date, zone: str) -> list[WorkshopSession]:
    """Return the published, not cancelled sessions on a local day of the workshops the
    facilitator runs, as lead or co-facilitator."""
    start, end = day_bounds(day, zone)
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .join(WorkshopSession.workshop)
            .options(contains_eager(WorkshopSession.workshop))
            .where(
                permissions.runs_workshop_clause(facilitator_id),
                Workshop.status == WorkshopStatus.PUBLISHED,
                WorkshopSession.status == SessionStatus.SCHEDULED,
                WorkshopSession.starts_at >= start,
                WorkshopSession.starts_at < end,
            )
            .order_by(WorkshopSession.starts_at)
        )
    )


def day_summary(facilitator: User, day: date) -> list[DigestLine]:
    """Add up seats and needs for each of the facilitator's sessions on ``day``."""
    sessions = sessions_on(facilitator.id, day, facilitator.timezone)
    counts = seat_counts(sessions)
    confirmed: dict[int, list[Booking]] = {s.id: [] for s in sessions}
    for booking in db.session.scalars(
        select(Booking).where(
            Booking.session_id.in_(confirmed), Booking.status == BookingStatus.CONFIRMED
        )
    ):
        confirmed[booking.session_id].append(booking)
    return [DigestLine(s, counts[s.id], summarise_needs(confirmed[s.id])) for s in sessions]


@dataclass(frozen=True)
class CancelledLine:
    """Bookings given up in one session still to come (by the household, or by closing
    its account): seats it can fill again."""

    session: WorkshopSession
    bookings: int
    seats: int


def cancelled_since(facilitator_id: int, until: datetime) -> list[CancelledLine]:
    """The bookings cancelled in the day before ``until``, in the scheduled sessions
    after it of the workshops the facilitator runs, by session in time order."""
    rows = db.session.execute(
        select(WorkshopSession, func.count(Booking.id), func.sum(Booking.seats))
        .join(Booking, Booking.session_id == WorkshopSession.id)
        .join(WorkshopSession.workshop)
        .where(
            permissions.runs_workshop_clause(facilitator_id),
            WorkshopSession.status == SessionStatus.SCHEDULED,
            WorkshopSession.starts_at > until,
            Booking.status == BookingStatus.CANCELLED,
            Booking.cancelled_at >= until - CANCELLATIONS_SINCE,
            Booking.cancelled_at < until,
        )
        .group_by(WorkshopSession.id)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    )
    return [CancelledLine(s, count, int(seats or 0)) for s, count, seats in rows.tuples()]


def appointments_on(facilitator: User, day: date) -> list[Appointment]:
    """The counselor's own held appointments (confirmed or awaiting approval) on a local
    day (an admin's too: not everyone's, which an admin may manage)."""
    start, end = day_bounds(day, facilitator.timezone)
    return [
        a
        for a in counseling.counselor_appointments(facilitator, start=start, end=end)
        if start <= a.slot.starts_at < end and a.facilitator_id == facilitator.id
    ]


def digest_day(facilitator: User, due_at: datetime) -> date:
    """The local day a digest queued at ``due_at`` is about."""
    return to_local(due_at, facilitator.timezone).date()


def queue_due(now: datetime) -> int:
    """Queue today's digest for everyone on the staff whose morning it is and who has
    sessions (an admin who runs a workshop too) or appointments of their own.

    Runs every hour (and after a restart); the outbox key makes repeats harmless, so
    each facilitator gets one digest a day however often this runs.
    """
    queued = 0
    with write_transaction() as session:
        facilitators = session.scalars(
            select(User).where(User.role.in_((Role.FACILITATOR, Role.ADMIN)), User.active.is_(True))
        ).all()
        for facilitator in facilitators:
            local = to_local(now, facilitator.timezone)
            if not FIRST_HOUR <= local.hour < LAST_HOUR:
                continue
            day = local.date()
            if (
                sessions_on(facilitator.id, day, facilitator.timezone)
                or appointments_on(facilitator, day)
                or cancelled_since(facilitator.id, now)
            ):
                notify.digest_due(facilitator.id, day, now)
                queued += 1
    return queued
