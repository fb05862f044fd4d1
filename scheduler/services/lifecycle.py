"""One lifecycle for every reservation: which status may follow which, and what a change does.

A booking (seats in a workshop session) and an appointment (a counseling slot) change
status the same way: the move must be in its kind's table, the calendar SEQUENCE rises,
the timestamps record it, and the family's email is queued in the same transaction
(notify writes outbox rows; nothing is sent before commit). Status changes write no
audit entry: the audit log records who saw or exported a family's data.

A move that is not in the table raises :class:`TransitionRefused`, a programming error
and not a :class:`~scheduler.services.errors.DomainError`: every service checks the
request under its locks first and refuses it in words ("already cancelled", "not
waiting for approval"), so a refused move means a service skipped its check. It must
fail loudly and roll back, not show a message that hides the bug.

docs/architecture.md draws it with the rest of the house.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from scheduler.extensions import db
from scheduler.models import Appointment, AppointmentStatus, Booking, BookingStatus
from scheduler.services import notify

Reservation = Booking | Appointment

_B, _A = BookingStatus, AppointmentStatus

#: A waitlisted household is seated or leaves; a seated one leaves, or goes back to the
#: waitlist when the facilitator lowers the capacity. Cancelled is final.
BOOKING_MOVES: Mapping[str, frozenset[str]] = {
    _B.WAITLISTED: frozenset({_B.CONFIRMED, _B.CANCELLED}),
    _B.CONFIRMED: frozenset({_B.WAITLISTED, _B.CANCELLED}),
    _B.CANCELLED: frozenset(),
}

#: A request is approved, declined (or expires, which is a decline), or withdrawn; a
#: confirmed appointment can only be cancelled. Cancelled and declined are final.
APPOINTMENT_MOVES: Mapping[str, frozenset[str]] = {
    _A.PENDING: frozenset({_A.CONFIRMED, _A.DECLINED, _A.CANCELLED}),
    _A.CONFIRMED: frozenset({_A.CANCELLED}),
    _A.CANCELLED: frozenset(),
    _A.DECLINED: frozenset(),
}


@dataclass(frozen=True)
class Lifecycle:
    """One kind's table of moves, and how that kind records a change."""

    moves: Mapping[str, frozenset[str]]
    #: Reaching this one stamps ``confirmed_at``.
    confirmed: str
    #: Reaching one of these ends the reservation: ``cancelled_at`` says when.
    ends: frozenset[str]
    #: Appointments keep the first confirmation (a family known to the counselor skips
    #: approval); a booking's is its current seat, cleared when it loses it.
    keeps_first_confirmation: bool


BOOKINGS = Lifecycle(
    BOOKING_MOVES, _B.CONFIRMED, frozenset({_B.CANCELLED}), keeps_first_confirmation=False
)
APPOINTMENTS = Lifecycle(
    APPOINTMENT_MOVES,
    _A.CONFIRMED,
    frozenset({_A.CANCELLED, _A.DECLINED}),
    keeps_first_confirmation=True,
)


class TransitionRefused(RuntimeError):
    """A service asked for a status change its kind's table doesn't allow (a bug)."""


def lifecycle_of(reservation: Reservation) -> Lifecycle:
    return BOOKINGS if isinstance(reservation, Booking) else APPOINTMENTS


def allows(reservation: Reservation, to: str) -> bool:
    """Tell whether ``reservation`` may move from its status to ``to``."""
    return to in lifecycle_of(reservation).moves.get(reservation.status, frozenset())


def transition(
    reservation: Reservation,
    to: str,
    now: datetime,
    *,
    by_family: bool = False,
    expired: bool = False,
    moved: bool = False,
) -> None:
    """Change a reservation's status the one way that keeps calendars and mail right.

    Call inside a write transaction, holding the lock the service's checks were made
    under. ``by_family`` (the family cancelled: the counselor is told too) and
    ``expired`` (a decline nobody made: the family hears the request ran out) choose
    an appointment's email; ``moved`` (a booking cancelled because it moved to another
    session) leaves the telling to the move's one email.
    """
    lifecycle = lifecycle_of(reservation)
    old = reservation.status
    if not allows(reservation, to):
        kind = type(reservation).__name__
        raise TransitionRefused(f"{kind} {reservation.id} may not go from {old} to {to}")
    reservation.status = to
    reservation.sequence += 1
    reservation.updated_at = now
    if to == lifecycle.confirmed:
        first = reservation.confirmed_at if lifecycle.keeps_first_confirmation else None
        reservation.confirmed_at = first or now
    elif not lifecycle.keeps_first_confirmation:
        reservation.confirmed_at = None
    if to in lifecycle.ends:
        reservation.cancelled_at = now
    db.session.flush()
    if isinstance(reservation, Booking):
        notify.status_changed(reservation, old, now, moved=moved)
    else:
        notify.appointment_status_changed(
            reservation, old, now, by_family=by_family, expired=expired
        )
