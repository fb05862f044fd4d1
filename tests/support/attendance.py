"""Attendance marks for tests of what builds on them (letters of attendance).

STAND-IN: the marks are written to the rows directly, as the check-in service
(``services/attendance.py``, built on another branch) records them: the mark, the seats
that came, when. Once that service is merged, point these helpers at it; the tests
that use them stay as they are.
"""

from __future__ import annotations

from datetime import datetime

from scheduler.database import write_transaction
from scheduler.models import Appointment, Booking
from scheduler.models.bookings import Attendance
from scheduler.models.counseling import AppointmentAttendance


def mark_booking(
    booking_id: int, status: str = Attendance.ATTENDED, *, now: datetime, seats: int | None = None
) -> None:
    """Mark a booking attended, late or absent at the door (``seats``: how many came)."""
    with write_transaction() as session:
        booking = session.get_one(Booking, booking_id)
        booking.attendance = status
        came = status in (Attendance.ATTENDED, Attendance.LATE)
        booking.attended_seats = (seats or booking.seats) if came else None
        booking.attendance_marked_at = now


def mark_appointment(
    appointment_id: int, status: str = AppointmentAttendance.ATTENDED, *, now: datetime
) -> None:
    """Mark a counseling appointment attended or no-show."""
    with write_transaction() as session:
        appointment = session.get_one(Appointment, appointment_id)
        appointment.attendance = status
        appointment.attendance_marked_at = now
