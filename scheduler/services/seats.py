"""Seat arithmetic: what is booked, what is free, what the waitlist holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from scheduler import settings
from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, WorkshopSession
from scheduler.services.errors import DomainError


def max_seats() -> int:
    """Return the most seats one household may book at once (MAX_SEATS_PER_BOOKING)."""
    return settings.current().max_seats_per_booking


def check_seats(seats: int) -> None:
    """Refuse seat numbers outside 1..MAX_SEATS_PER_BOOKING.

    The one range check: the services call it, and the forms turn its refusal into
    their own field message.
    """
    maximum = max_seats()
    if seats < 1:
        raise DomainError("too_few_seats")
    if seats > maximum:
        raise DomainError("too_many_seats", maximum=maximum)


@dataclass(frozen=True)
class SeatCount:
    """Seats of one session, as the pages and the rules need them."""

    capacity: int
    confirmed: int = 0
    #: Seats each waitlisted household needs, in waitlist order.
    waitlist: tuple[int, ...] = field(default_factory=tuple)

    @property
    def free(self) -> int:
        return max(self.capacity - self.confirmed, 0)

    @property
    def is_full(self) -> bool:
        """Every seat is taken by a confirmed household."""
        return self.free == 0

    @property
    def held_for_waitlist(self) -> int:
        """Free seats the waitlist could use, kept for it before anyone new books.

        Outside the promotion cutoff these are given out at once, so this is zero; inside
        it they wait for the facilitator to promote by hand, and a newcomer must not
        jump the queue.
        """
        return self.free - _fill(self.free, self.waitlist)

    @property
    def open(self) -> int:
        """Seats a new household can book right now."""
        return self.free - self.held_for_waitlist

    @property
    def waitlisted_households(self) -> int:
        return len(self.waitlist)

    @property
    def unavailable(self) -> int:
        """Seats a new household cannot have: confirmed, or held for the waitlist."""
        return self.capacity - self.open

    @property
    def confirmed_percent(self) -> int:
        """How full the room is, for the facilitator's seat bar."""
        return fill_percent(self.confirmed, self.capacity)

    @property
    def unavailable_percent(self) -> int:
        """How full the session looks to a family, for the public seat bar."""
        return fill_percent(self.unavailable, self.capacity)


def fill_percent(part: int, whole: int) -> int:
    """Return ``part`` of ``whole`` as a whole percentage for a bar, 0 to 100.

    A bar must not look empty while a seat is taken, nor full while one is free, so
    rounding stops at 1 and 99 in those cases.
    """
    if whole <= 0 or part <= 0:
        return 0
    if part >= whole:
        return 100
    return min(max(round(100 * part / whole), 1), 99)


def _fill(free: int, waitlist: Sequence[int]) -> int:
    """Return the seats left after seating, in order, every household that fits."""
    for seats in waitlist:
        if seats <= free:
            free -= seats
    return free


def seat_counts(sessions: Iterable[WorkshopSession]) -> dict[int, SeatCount]:
    """Count seats for many sessions in one query (list pages must not query per row)."""
    sessions = list(sessions)
    confirmed: dict[int, int] = {s.id: 0 for s in sessions}
    waitlists: dict[int, list[int]] = {s.id: [] for s in sessions}
    if sessions:
        rows = db.session.execute(
            select(Booking.session_id, Booking.status, Booking.seats)
            .where(
                Booking.session_id.in_(confirmed),
                Booking.is_active,
            )
            .order_by(Booking.id)
        )
        for session_id, status, seats in rows:
            if status == BookingStatus.CONFIRMED:
                confirmed[session_id] += seats
            else:
                waitlists[session_id].append(seats)
    return {s.id: SeatCount(s.capacity, confirmed[s.id], tuple(waitlists[s.id])) for s in sessions}


def seat_count(session: WorkshopSession) -> SeatCount:
    """Count seats for one session."""
    return seat_counts([session])[session.id]
