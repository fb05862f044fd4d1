"""What each feed shows: the one selection its version and its events both read.

A version must change whenever the events would, so both halves of a feed build on
the same queries here rather than on two copies that could drift apart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CounselingSlot,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
    WorkshopStatus,
)
from scheduler.services.permissions import runs_workshop_clause

#: How far back a feed keeps sessions that took place.
KEEP_PAST = timedelta(days=30)


def day_start(now: datetime) -> datetime:
    """Feeds move their window once a day, so a day's polls share one version."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def in_window(day: datetime) -> Any:
    """Sessions a feed shows: recent past ones, and cancelled ones until their day ends."""
    return or_(
        WorkshopSession.ends_at > day,
        (WorkshopSession.status == SessionStatus.SCHEDULED)
        & (WorkshopSession.ends_at > day - KEEP_PAST),
    )


def public_sessions(day: datetime, facilitator_id: int | None) -> Select[Any]:
    """Published sessions in the window, maybe of one facilitator (lead or co-facilitator)."""
    query = (
        select(WorkshopSession)
        .join(WorkshopSession.workshop)
        .where(Workshop.status == WorkshopStatus.PUBLISHED, in_window(day))
    )
    if facilitator_id is not None:
        query = query.where(runs_workshop_clause(facilitator_id))
    return query


def family_bookings(user_id: int, day: datetime) -> Select[Any]:
    """A family's bookings in the window; a cancelled one shows until its day ends."""
    return (
        select(Booking)
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .where(
            Booking.family_id == user_id,
            or_(
                Booking.status != BookingStatus.CANCELLED,
                WorkshopSession.ends_at > day,  # a cancelled booking shows until its day
            ),
            in_window(day),
        )
    )


def facilitator_sessions(user_id: int, day: datetime) -> Select[Any]:
    """The sessions a facilitator runs (lead or co-facilitator) in the window, published or not."""
    return (
        select(WorkshopSession)
        .join(WorkshopSession.workshop)
        .where(runs_workshop_clause(user_id), in_window(day))
    )


def appointment_window(day: datetime) -> ColumnElement[bool]:
    """Appointments a feed shows: confirmed ones a while after, the rest until their day ends."""
    return or_(
        CounselingSlot.ends_at > day,
        (Appointment.status == AppointmentStatus.CONFIRMED)
        & (CounselingSlot.ends_at > day - KEEP_PAST),
    )


def owner(user: User) -> ColumnElement[bool]:
    """A family's own appointments, or the appointments with a counselor."""
    if user.is_family:
        return Appointment.family_id == user.id
    return Appointment.facilitator_id == user.id
