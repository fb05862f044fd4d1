"""Attendance marks written straight onto bookings and appointments, for tests that read them.

The marking service (``services/attendance.py``, built alongside the pages that read
marks) is not on this branch yet; until it is, these helpers write the columns it
writes, so the tests of what marks add up to (the dashboard, the roster CSV) can run.
Once it is merged they should call it instead (:func:`mark_booking`, :func:`mark_appointment`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import insert

from scheduler.database import write_transaction
from scheduler.models import Appointment, Booking, User
from scheduler.models.bookings import CAME, Attendance
from scheduler.models.counseling import AppointmentAttendance
from scheduler.timeutil import utcnow


def mark_booking(
    booking_id: int,
    mark: str = Attendance.ATTENDED,
    *,
    seats: int | None = None,
    by: User | None = None,
    walk_in: bool = False,
    over_capacity: bool = False,
    now: datetime | None = None,
) -> None:
    """Mark a booking attended, late or absent; ``seats`` that came default to all of them.

    ``walk_in`` and ``over_capacity`` record a booking made at the door (let in beyond
    the session's capacity), as check-in does.
    """
    with write_transaction() as session:
        booking = session.get_one(Booking, booking_id)
        booking.attendance = Attendance(mark)
        booking.attended_seats = (seats or booking.seats) if mark in CAME else None
        booking.attendance_marked_at = now or utcnow()
        booking.attendance_marked_by_id = by.id if by else None
        booking.walk_in = booking.walk_in or walk_in
        booking.over_capacity = booking.over_capacity or over_capacity


def mark_appointment(
    appointment_id: int,
    mark: str = AppointmentAttendance.ATTENDED,
    *,
    by: User | None = None,
    now: datetime | None = None,
) -> None:
    """Mark a counseling appointment attended or no-show."""
    with write_transaction() as session:
        appointment = session.get_one(Appointment, appointment_id)
        appointment.attendance = mark
        appointment.attendance_marked_at = now or utcnow()
        appointment.attendance_marked_by_id = by.id if by else None


def add_marked_bookings(
    session_ids: Iterable[int], family_ids: Sequence[int], marks: Sequence[str | None]
) -> None:
    """Book every family into every session in bulk, one seat each, with a mark each.

    The marks go round the families in turn (``None``: not marked), so each session is
    checked in the same way; for data at a county network's size (``tests/support/bulk.py``).
    """
    now = utcnow()
    rows = [
        {
            "session_id": session_id,
            "family_id": family_id,
            "seats": 1,
            "status": "confirmed",
            "created_at": now,
            "confirmed_at": now,
            "updated_at": now,
            "attendance": marks[n % len(marks)],
            "attended_seats": 1 if marks[n % len(marks)] in CAME else None,
            "attendance_marked_at": now if marks[n % len(marks)] else None,
        }
        for session_id in session_ids
        for n, family_id in enumerate(family_ids)
    ]
    with write_transaction() as session:
        session.execute(insert(Booking), rows)
