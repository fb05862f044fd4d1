"""Booking seats, enrolling in a series, cancelling, and promoting by hand."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, User, Workshop, WorkshopSession
from scheduler.services import attendance, audit, notify, permissions
from scheduler.services.errors import DomainError
from scheduler.services.lifecycle import transition
from scheduler.services.locks import lock, lock_family, lock_session, lock_sessions
from scheduler.services.seats import check_seats, seat_count
from scheduler.services.waitlist import promote_waitlisted
from scheduler.timetext import moment_text


@dataclass(frozen=True)
class Needs:
    """What a household tells the facilitator so they can prepare."""

    accessibility_needs: str = ""
    childcare_needed: bool = False
    interpreter_language: str = ""
    notes: str = ""


def check_bookable(session: WorkshopSession, now: datetime, *, walk_in: bool = False) -> None:
    """Refuse a draft's session, a cancelled one, or one started (a walk-in: marks closed)."""
    if not session.workshop.is_published:
        raise DomainError("not_published")
    if session.is_cancelled:
        raise DomainError("session_cancelled")
    if walk_in:
        attendance.session_window(session).check(now)
    elif session.starts_at <= now:
        raise DomainError("session_started")


def _active_booking(session_id: int, family_id: int) -> Booking | None:
    return db.session.scalar(
        select(Booking).where(
            Booking.session_id == session_id,
            Booking.family_id == family_id,
            Booking.is_active,
        )
    )


def new_booking(
    session: WorkshopSession,
    family_id: int,
    seats: int,
    needs: Needs,
    status: str,
    now: datetime,
    booked_by: User | None = None,
    *,
    tell: bool = True,
) -> Booking:
    """Record a booking (checked by the caller under the session's lock) and queue its email.

    ``tell=False``: the caller queues the family's one email itself (a move).
    """
    booking = Booking(
        session_id=session.id,
        family_id=family_id,
        seats=seats,
        status=status,
        accessibility_needs=needs.accessibility_needs.strip(),
        childcare_needed=needs.childcare_needed,
        interpreter_language=needs.interpreter_language.strip(),
        notes=needs.notes.strip(),
        booked_by_id=booked_by.id if booked_by is not None else None,
        created_at=now,
        confirmed_at=now if status == BookingStatus.CONFIRMED else None,
        updated_at=now,
    )
    db.session.add(booking)
    if tell:
        notify.booking_created(booking, now)
    else:
        db.session.flush()
    if booked_by is not None:
        audit.add(booked_by, "act_for.book", f"booking:{booking.id}", [family_id], now=now)
    return booking


def book_seats(
    session_id: int,
    family_id: int,
    seats: int,
    needs: Needs,
    *,
    now: datetime,
    join_waitlist: bool = False,
    acting: User | None = None,
) -> Booking:
    """Book seats for a household, or put it on the waitlist when it asked to be.

    The seat check and the insert run under the session's lock, so two households can
    never both take the last seat. Without ``join_waitlist`` a full session raises
    ``full`` so the page can offer the waitlist. ``acting``: the staff member booking
    for the household (by phone or at the door), who must run the session's workshop.
    """
    check_seats(seats)
    try:
        with write_transaction():
            booking = take_seats(
                session_id,
                family_id,
                seats,
                needs,
                now=now,
                join_waitlist=join_waitlist,
                acting=acting,
            )
    except IntegrityError as error:  # the unique index caught a double submission
        raise DomainError(_already_booked(acting)) from error
    return booking


def take_seats(
    session_id: int,
    family_id: int,
    seats: int,
    needs: Needs,
    *,
    now: datetime,
    join_waitlist: bool = False,
    acting: User | None = None,
    walk_in: bool = False,
    override: bool = False,
) -> Booking:
    """:func:`book_seats`' rules, inside the caller's write transaction.

    For a service that records something with the booking, all or nothing (a household
    staff recorded, a walk-in marked came). ``walk_in``: at the door while marks are open,
    nothing emailed (they are there); only then may ``override`` pass the capacity.
    """
    check_seats(seats)
    if acting is None:
        _check_unverified_limit(family_id, seats, now)
    else:
        _check_household(family_id)  # staff vouch for it: no per-household seat limit
    session = lock_session(session_id)
    if acting is not None and not permissions.can_manage_workshop(acting, session.workshop):
        raise DomainError("session_not_found")  # another's session doesn't exist for staff
    check_bookable(session, now, walk_in=walk_in)
    let_in = walk_in and override
    if seats > session.capacity and not let_in:
        raise DomainError("larger_than_session", capacity=session.capacity)
    if _active_booking(session.id, family_id) is not None:
        raise DomainError(_already_booked(acting))
    room = seat_count(session).open
    if seats <= room or let_in:
        status = BookingStatus.CONFIRMED
    elif join_waitlist:
        status = BookingStatus.WAITLISTED
    else:
        raise DomainError("full", seats=seats)
    booking = new_booking(session, family_id, seats, needs, status, now, acting, tell=not walk_in)
    booking.walk_in, booking.over_capacity = walk_in, seats > room and let_in
    return booking


def _already_booked(acting: User | None) -> str:
    """The words for a second booking: "you" to a household, "this household" to staff."""
    return "household_already_booked" if acting is not None else "already_booked"


def _check_household(family_id: int) -> None:
    """Staff book only for an active household (a family account), locked as it would be."""
    found = lock(User, [family_id])
    if not found or not found[0].is_family or not found[0].is_active:
        raise DomainError("household_not_found")


def _check_unverified_limit(family_id: int, seats: int, now: datetime) -> None:
    """Until a household confirms its address, it may hold only so many seats.

    A new account costs nothing, so unconfirmed ones can't take a whole program's seats.
    Counts seats held (confirmed or waiting) in sessions still to come, under the
    household's row lock, so bookings sent at once count each other.
    """
    lock_family(family_id)
    family = db.session.get_one(User, family_id)
    if family.email_verified:
        return
    limit = settings.current().unverified_seat_limit
    held = db.session.scalar(
        select(func.coalesce(func.sum(Booking.seats), 0))
        .join(Booking.session)
        .where(
            Booking.family_id == family_id,
            Booking.is_open(now),
        )
    )
    if (held or 0) + seats > limit:
        raise DomainError("unverified_seat_limit", limit=limit, held=held or 0)


def upcoming_sessions(workshop: Workshop, now: datetime) -> list[WorkshopSession]:
    """The sessions of a workshop a whole-series booking is for: scheduled, not started."""
    return [s for s in workshop.sessions if s.is_open(now)]


def enroll_series(
    workshop_id: int,
    family_id: int,
    seats: int,
    needs: Needs,
    *,
    now: datetime,
    join_waitlist: bool = False,
    acting: User | None = None,
) -> list[Booking]:
    """Book every upcoming session of a series the household isn't in yet, or none of them.

    Sessions without the seats refuse the whole series with ``series_full``, naming
    them, unless ``join_waitlist``: then the household joins their waitlists and is
    booked into the others. ``acting``: staff booking for the household, as in
    :func:`book_seats` (no per-household seat limit; only a workshop they run).
    """
    check_seats(seats)
    try:
        with write_transaction():
            bookings = take_series(
                workshop_id,
                family_id,
                seats,
                needs,
                now=now,
                join_waitlist=join_waitlist,
                acting=acting,
            )
    except IntegrityError as error:
        raise DomainError(_already_booked(acting)) from error
    return bookings


def take_series(
    workshop_id: int,
    family_id: int,
    seats: int,
    needs: Needs,
    *,
    now: datetime,
    join_waitlist: bool = False,
    acting: User | None = None,
) -> list[Booking]:
    """:func:`enroll_series`' rules, inside the caller's write transaction (as
    :func:`take_seats`: a household staff record commits with its bookings or not at all)."""
    check_seats(seats)
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None:
        raise DomainError("workshop_not_found")
    if acting is None:
        lock_family(family_id)
    else:
        _check_household(family_id)  # staff vouch for it: no per-household seat limit
        if not permissions.can_manage_workshop(acting, workshop):
            raise DomainError("workshop_not_found")
    sessions = lock_sessions(s.id for s in upcoming_sessions(workshop, now))
    wanted = [s for s in sessions if _active_booking(s.id, family_id) is None]
    if not wanted:
        raise DomainError("nothing_to_enroll" if acting is None else "household_all_booked")
    if acting is None:
        _check_unverified_limit(family_id, seats * len(wanted), now)
    for session in wanted:
        check_bookable(session, now)
    short = {s.id for s in wanted if seats > seat_count(s).open}
    if short and not join_waitlist:
        dates = ", ".join(
            moment_text(s.starts_at, workshop.timezone) for s in wanted if s.id in short
        )
        code = "series_full" if acting is None else "household_series_full"
        raise DomainError(code, seats=seats, dates=dates)
    if short and (smallest := min(s.capacity for s in wanted)) < seats:
        raise DomainError("larger_than_session", capacity=smallest)
    return [
        new_booking(
            s,
            family_id,
            seats,
            needs,
            BookingStatus.WAITLISTED if s.id in short else BookingStatus.CONFIRMED,
            now,
            booked_by=acting,
        )
        for s in wanted
    ]


@dataclass(frozen=True)
class Outcome:
    """What became of one session a household chose: its booking, or why not."""

    session_id: int
    booking: Booking | None = None
    error: DomainError | None = None


def book_sessions(
    workshop_id: int,
    session_ids: list[int],
    family_id: int,
    seats: int,
    needs: Needs,
    *,
    now: datetime,
    waitlist: Collection[int] = (),
    acting: User | None = None,
) -> list[Outcome]:
    """Book the chosen sessions of a workshop one by one, in order of their start.

    Each session stands on its own (unlike a whole series, which is all or nothing): a
    session that filled up since the page was shown is refused while the others are
    booked. ``waitlist`` names the sessions the household saw were full and chose the
    waitlist for; any other full session is refused with ``full``. ``acting``: staff
    booking for the household, as in :func:`book_seats`.
    """
    check_seats(seats)
    sessions = db.session.scalars(
        select(WorkshopSession)
        .where(WorkshopSession.workshop_id == workshop_id, WorkshopSession.id.in_(session_ids))
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    ).all()
    if not sessions or len(sessions) != len(set(session_ids)):
        raise DomainError("session_not_found")
    outcomes = []
    for session in sessions:
        try:
            booking = book_seats(
                session.id,
                family_id,
                seats,
                needs,
                now=now,
                join_waitlist=session.id in waitlist,
                acting=acting,
            )
        except DomainError as error:
            outcomes.append(Outcome(session.id, error=error))
        else:
            outcomes.append(Outcome(session.id, booking=booking))
    return outcomes


def cancel_booking(
    booking_id: int, family_id: int, *, now: datetime, acting: User | None = None
) -> list[Booking]:
    """Cancel a household's booking and seat the waitlist; return who was promoted.

    ``acting``: the staff member cancelling for the household (it phoned), who must
    run the booking's workshop; the household's email then says the team cancelled it.
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_change_booking(family_id, booking, acting):
        raise DomainError("booking_not_found")
    with write_transaction():
        session = lock_session(booking.session_id)
        booking = db.session.get_one(Booking, booking_id, populate_existing=True)
        if booking.is_cancelled:
            raise DomainError("booking_cancelled")
        if session.starts_at <= now:
            raise DomainError("session_started")
        if acting is not None:
            booking.cancelled_by_id = acting.id
            audit.add(acting, "act_for.cancel", f"booking:{booking.id}", [family_id], now=now)
        transition(booking, BookingStatus.CANCELLED, now)
        promoted = promote_waitlisted(session, now)
    return promoted


def promote_by_hand(booking_id: int, *, now: datetime) -> Booking:
    """Seat one waitlisted household chosen by the facilitator, if its seats are free."""
    booking = db.session.get(Booking, booking_id)
    if booking is None:
        raise DomainError("booking_not_found")
    with write_transaction():
        session = lock_session(booking.session_id)
        booking = db.session.get_one(Booking, booking_id, populate_existing=True)
        if not booking.is_waitlisted:
            raise DomainError("not_waitlisted")
        if session.is_cancelled:
            raise DomainError("session_cancelled")
        free = seat_count(session).free
        if booking.seats > free:
            raise DomainError("no_room_to_promote", free=free, seats=booking.seats)
        transition(booking, BookingStatus.CONFIRMED, now)
    return booking
