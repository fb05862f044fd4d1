"""Moving a booking to another session of the same workshop: make-up sessions.

A move is one transaction: both sessions locked in id order, the target's room checked
by the booking rules (seats held for its waitlist are not free), the new booking made
the normal way with the same seats and needs, the old one cancelled through the
lifecycle (its seat goes to that session's waitlist), and one email queued for both.
A target without room refuses the move and the old booking stays as it was; the family
may then join the target's waitlist as well, keeping its seat (:func:`wait_for_seat`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, SessionStatus, User, WorkshopSession
from scheduler.services import audit, notices, permissions
from scheduler.services.booking import Needs, book_seats, check_bookable, new_booking
from scheduler.services.catalog import session_rows
from scheduler.services.errors import DomainError
from scheduler.services.lifecycle import transition
from scheduler.services.locks import lock_sessions
from scheduler.services.seats import SeatCount, seat_count
from scheduler.services.waitlist import promote_waitlisted
from scheduler.timetext import moment_text


@dataclass(frozen=True)
class MoveChoice:
    """A session a booking could move to, as the move pages list it."""

    session: WorkshopSession
    seats: SeatCount
    #: All the booking's seats fit in the seats a newcomer can book there now.
    has_room: bool


def move_cutoff() -> timedelta:
    """How long before its session a family can no longer move a booking itself."""
    return settings.current().booking_move_cutoff


def family_can_move(booking: Booking, now: datetime) -> bool:
    """Whether the family may still move this booking itself: until the cutoff."""
    return booking.is_active and now < booking.session.starts_at - move_cutoff()


def movable(bookings: Iterable[Booking], now: datetime) -> frozenset[int]:
    """Of a family's bookings, those it may move itself and that have somewhere to go
    (another open session of their workshop), in one query for them all."""
    candidates = [b for b in bookings if family_can_move(b, now)]
    workshops = {b.session.workshop_id for b in candidates}
    if not workshops:
        return frozenset()
    open_sessions: dict[int, set[int]] = {}
    for workshop_id, session_id in db.session.execute(
        select(WorkshopSession.workshop_id, WorkshopSession.id).where(
            WorkshopSession.workshop_id.in_(workshops),
            WorkshopSession.status == SessionStatus.SCHEDULED,
            WorkshopSession.starts_at > now,
        )
    ):
        open_sessions.setdefault(workshop_id, set()).add(session_id)
    return frozenset(
        b.id for b in candidates if open_sessions.get(b.session.workshop_id, set()) - {b.session_id}
    )


def choices(booking: Booking, now: datetime) -> list[MoveChoice]:
    """The workshop's other open sessions the household isn't in, with their seats."""
    sessions = [
        s
        for s in booking.session.workshop.sessions
        if s.id != booking.session_id and s.is_open(now)
    ]
    return [
        MoveChoice(row.session, row.seats, booking.seats <= row.seats.open)
        for row in session_rows(sessions, booking.family_id, now)
        if row.my_booking is None
    ]


def _needs_of(booking: Booking) -> Needs:
    return Needs(
        accessibility_needs=booking.accessibility_needs,
        childcare_needed=booking.childcare_needed,
        interpreter_language=booking.interpreter_language,
        notes=booking.notes,
    )


def _mover(booking: Booking, actor: User) -> bool:
    """Whether the actor moves the booking as staff (else as its family); anyone else's
    booking is not found."""
    staff = permissions.can_manage_booking(actor, booking)
    if not staff and not permissions.owns(actor.id, booking):
        raise DomainError("booking_not_found")
    return staff


def _check_move(
    booking: Booking,
    source: WorkshopSession,
    target: WorkshopSession,
    *,
    staff: bool,
    now: datetime,
) -> None:
    if booking.is_cancelled:
        raise DomainError("booking_cancelled")
    if target.id == source.id:
        raise DomainError("move_same_session")
    if target.workshop_id != source.workshop_id:
        raise DomainError("move_other_workshop")
    check_bookable(target, now)
    if not staff and not family_can_move(booking, now):
        hours = int(move_cutoff().total_seconds() // 3600)
        raise DomainError("move_past_cutoff", hours=hours)
    held = db.session.scalar(
        select(Booking.id).where(
            Booking.session_id == target.id,
            Booking.family_id == booking.family_id,
            Booking.is_active,
        )
    )
    if held is not None:
        raise DomainError("already_booked")


def move_booking(booking_id: int, target_session_id: int, *, actor: User, now: datetime) -> Booking:
    """Move a booking to another open session of its workshop; return the new booking.

    The family moves its own until BOOKING_MOVE_CUTOFF_HOURS before its session; staff
    (the workshop's facilitator, an admin) at any time, out of a session that is over or
    cancelled too (a make-up), and the move is written to the audit log. A waitlisted
    booking moves as well. The new booking is confirmed: a target without room for all
    its seats refuses with ``move_target_full`` and nothing changes.
    """
    found = db.session.get(Booking, booking_id)
    if found is None:
        raise DomainError("booking_not_found")
    _mover(found, actor)  # before any lock: a stranger learns nothing, waits for nothing
    with write_transaction():
        locked = {s.id: s for s in lock_sessions([found.session_id, target_session_id])}
        booking = db.session.get_one(Booking, booking_id, populate_existing=True)
        staff = _mover(booking, actor)
        source = locked[booking.session_id]
        target = locked.get(target_session_id)
        if target is None:
            raise DomainError("session_not_found")
        _check_move(booking, source, target, staff=staff, now=now)
        if booking.seats > seat_count(target).open:
            when = moment_text(target.starts_at, actor.timezone)
            raise DomainError("move_target_full", seats=booking.seats, when=when)
        moved = new_booking(
            target,
            booking.family_id,
            booking.seats,
            _needs_of(booking),
            BookingStatus.CONFIRMED,
            now,
            tell=False,
        )
        moved.booked_by_id = booking.booked_by_id  # made by staff for them, it still is
        transition(booking, BookingStatus.CANCELLED, now, moved=True)
        promote_waitlisted(source, now)
        notices.booking_moved(booking, moved, now)
        if staff:
            audit.add(
                actor,
                "act_for.move",
                f"booking:{booking.id}",
                now=now,
                households=[booking.family_id],
            )
    return moved


def wait_for_seat(
    booking_id: int, target_session_id: int, *, family_id: int, now: datetime
) -> Booking:
    """Join a full target's waitlist with the booking's seats and needs, keeping the booking.

    What a family may choose when a move finds no room: an ordinary booking of the target
    (on its waitlist, or seated should room have opened since), made by the booking rules.
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.owns(family_id, booking):
        raise DomainError("booking_not_found")
    target = db.session.get(WorkshopSession, target_session_id)
    if target is None:
        raise DomainError("session_not_found")
    if target.workshop_id != booking.session.workshop_id:
        raise DomainError("move_other_workshop")
    return book_seats(
        target.id, family_id, booking.seats, _needs_of(booking), now=now, join_waitlist=True
    )
