"""Who came: staff mark a booking came, late or absent (and how many of its seats came),
and a counselor marks an appointment came or no-show, while marks are open.

A mark is a fact about the reservation, kept on it; it never changes the reservation's
status or seats. Marks open an hour before the start (:data:`OPENS_BEFORE`) and close
``ATTENDANCE_CLOSE_DAYS`` after the end; between, a mark may be changed as often as
needed, each change audited with who made it. Sending the same mark again changes
nothing (no audit entry, the same ``marked_at``): a check-in page that retries a mark
over a bad network may send it twice. A booking marked absent queues one invitation
back (``invite_back``); changed to came before it goes out, the invitation is withdrawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Appointment, Booking, BookingStatus, User, WorkshopSession
from scheduler.models.bookings import CAME, Attendance
from scheduler.models.counseling import AppointmentAttendance
from scheduler.services import audit, counseling, invite_back, permissions
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock, lock_session
from scheduler.timetext import moment_text
from scheduler.timeutil import to_local

#: Marks open this long before the start: the facilitator opens the page while setting
#: up the room, and the first families arrive early. Earlier, nobody could have come.
OPENS_BEFORE = timedelta(hours=1)

#: The audit action of each mark (the admin audit page words each one).
BOOKING_ACTIONS = {
    Attendance.ATTENDED: "attendance.attended",
    Attendance.LATE: "attendance.late",
    Attendance.ABSENT: "attendance.absent",
}
APPOINTMENT_ACTIONS = {
    AppointmentAttendance.ATTENDED: "attendance.appointment_attended",
    AppointmentAttendance.NO_SHOW: "attendance.no_show",
}
#: The actions of a household added at the door, and of one let in over capacity.
WALK_IN_ACTION = "attendance.walk_in"
OVER_CAPACITY_ACTION = "attendance.over_capacity"


@dataclass(frozen=True)
class MarkWindow:
    """When marks of one session or appointment may be made and changed."""

    opens_at: datetime
    closes_at: datetime
    #: The zone its times are said in, and its days counted in.
    zone: str

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at

    def has_closed(self, now: datetime) -> bool:
        return now >= self.closes_at

    def state(self, now: datetime) -> str:
        """ "not_yet", "open" or "closed", as a page says it."""
        if now < self.opens_at:
            return "not_yet"
        return "closed" if self.has_closed(now) else "open"

    def check(self, now: datetime) -> None:
        """Refuse a mark before the window opens or after it closes, saying when."""
        if now < self.opens_at:
            raise DomainError("marks_not_open", opens=moment_text(self.opens_at, self.zone))
        if self.has_closed(now):
            raise DomainError("marks_closed", closed=moment_text(self.closes_at, self.zone))


def window(starts_at: datetime, ends_at: datetime, zone: str) -> MarkWindow:
    """The mark window of something that runs from ``starts_at`` to ``ends_at`` in ``zone``.

    It closes the days after the end by the local calendar: a group ending at 7:30 PM
    closes at 7:30 PM a week later, whether or not the clocks changed in between.
    """
    days = settings.current().attendance_close
    closes = (to_local(ends_at, zone) + days).astimezone(UTC)
    return MarkWindow(starts_at - OPENS_BEFORE, closes, zone)


def session_window(session: WorkshopSession) -> MarkWindow:
    """A session's marks window, in its workshop's zone."""
    return window(session.starts_at, session.ends_at, session.workshop.timezone)


def appointment_window(appointment: Appointment) -> MarkWindow:
    """An appointment's marks window, in its counselor's zone."""
    counselor = counseling.settings_for(appointment.facilitator_id)
    zone = counselor.timezone if counselor else appointment.facilitator.timezone
    return window(appointment.slot.starts_at, appointment.slot.ends_at, zone)


@dataclass(frozen=True)
class Marked:
    """A mark as saved; ``changed`` is False when it was already so (nothing was written)."""

    mark: str
    seats: int | None
    changed: bool


def _seats_came(mark: Attendance, seats: int | None, booked: int) -> int | None:
    """How many seats a mark says came: all by default, none when absent."""
    if mark not in CAME:
        return None
    if seats is None:
        return booked
    if not 1 <= seats <= booked:
        raise DomainError("seats_came_range", most=booked)
    return seats


def mark_booking(
    booking_id: int, mark: str, *, seats: int | None = None, acting: User, now: datetime
) -> Marked:
    """Mark a confirmed booking came, late or absent; ``seats``: how many of it came.

    Staff who run the booking's workshop (its lead, a co-facilitator) and admins may
    mark; the session's lock is held, as for booking, so a mark never crosses a walk-in
    or a cancellation half-way.
    """
    try:
        chosen = Attendance(mark)
    except ValueError:
        raise DomainError("unknown_mark") from None
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_manage_booking(acting, booking):
        raise DomainError("booking_not_found")
    with write_transaction():
        session = lock_session(booking.session_id)
        booking = db.session.get_one(Booking, booking_id, populate_existing=True)
        if booking.is_waitlisted:
            raise DomainError("mark_waitlisted")
        if booking.is_cancelled:
            raise DomainError("mark_cancelled")
        if session.is_cancelled:
            raise DomainError("session_cancelled")
        session_window(session).check(now)
        came = _seats_came(chosen, seats, booking.seats)
        if (booking.attendance, booking.attended_seats) == (chosen, came):
            return Marked(chosen, came, changed=False)
        _write(booking, chosen, acting, now)
        booking.attended_seats = came
        audit.add(
            acting,
            BOOKING_ACTIONS[chosen],
            f"booking:{booking.id}",
            now=now,
            households=[booking.family_id],
        )
        if chosen is Attendance.ABSENT:
            invite_back.queue(booking, session, now)
        else:
            invite_back.withdraw(booking.id)
    return Marked(chosen, came, changed=True)


def mark_walk_in(booking: Booking, acting: User, now: datetime) -> None:
    """Mark a booking made at the door as came, all its seats, inside the caller's
    transaction (the one that booked it, under the session's lock); audited as a walk-in,
    and as an override when it was let in beyond the session's capacity."""
    _write(booking, Attendance.ATTENDED, acting, now)
    booking.attended_seats = booking.seats
    audit.add(
        acting, WALK_IN_ACTION, f"booking:{booking.id}", now=now, households=[booking.family_id]
    )
    if booking.over_capacity:
        audit.add(
            acting,
            OVER_CAPACITY_ACTION,
            f"booking:{booking.id}",
            now=now,
            households=[booking.family_id],
        )


def _write(reservation: Booking | Appointment, mark: str, acting: User, now: datetime) -> None:
    reservation.attendance = mark
    reservation.attendance_marked_at = now
    reservation.attendance_marked_by_id = acting.id
    reservation.updated_at = now


def mark_appointment(appointment_id: int, mark: str, *, acting: User, now: datetime) -> Marked:
    """Mark a confirmed appointment came or no-show: its counselor, or an admin."""
    try:
        chosen = AppointmentAttendance(mark)
    except ValueError:
        raise DomainError("unknown_appointment_mark") from None
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not permissions.can_manage_appointment(acting, appointment):
        raise DomainError("appointment_not_found")
    with write_transaction():
        (appointment,) = lock(Appointment, [appointment_id])
        if not appointment.is_confirmed:
            raise DomainError("appointment_not_markable")
        appointment_window(appointment).check(now)
        if appointment.attendance == chosen:
            return Marked(chosen, None, changed=False)
        _write(appointment, chosen, acting, now)
        audit.add(
            acting,
            APPOINTMENT_ACTIONS[chosen],
            f"appointment:{appointment.id}",
            now=now,
            households=[appointment.family_id],
        )
    return Marked(chosen, None, changed=True)


@dataclass(frozen=True)
class Tally:
    """A session's marks added up, for the top of its check-in page."""

    came: int = 0
    late: int = 0
    absent: int = 0
    unmarked: int = 0
    #: Seats that came, late ones included.
    seats_came: int = 0


def tally(bookings: Iterable[Booking]) -> Tally:
    """Count the marks of a session's confirmed bookings."""
    counts = dict.fromkeys(("came", "late", "absent", "unmarked", "seats_came"), 0)
    names: dict[str, str] = {Attendance.ATTENDED: "came", Attendance.LATE: "late"}
    names[Attendance.ABSENT] = "absent"
    for booking in bookings:
        counts[names.get(booking.attendance or "", "unmarked")] += 1
        counts["seats_came"] += booking.attended_seats or 0
    return Tally(**counts)


def session_tally(session_id: int) -> Tally:
    """The tally of a session's confirmed bookings, as its check-in page shows it."""
    return tally(
        db.session.scalars(
            select(Booking).where(
                Booking.session_id == session_id, Booking.status == BookingStatus.CONFIRMED
            )
        )
    )


def appointments_to_mark(manager: User, now: datetime) -> list[Appointment]:
    """Confirmed appointments with ``manager`` (admins: everyone's) whose marks are open,
    soonest first: the ones started or about to, and those ended in the last days."""
    since = now - settings.current().attendance_close - timedelta(days=1)  # a clock change
    found = counseling.counselor_appointments(manager, start=since, end=now + OPENS_BEFORE)
    return [a for a in found if a.is_confirmed and appointment_window(a).is_open(now)]
