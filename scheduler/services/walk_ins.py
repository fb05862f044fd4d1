"""Walk-ins: a household that comes to the door without a booking, added by staff.

It is booked by the same code as every booking (``booking.take_seats`` with ``acting``,
under the session's lock, against the same seats) and marked came at once, all in one
transaction. A session without the room refuses it with ``full`` (or
``larger_than_session``), which the check-in page turns into an offer: staff may let the
household in anyway with ``override``; the booking then records that it is beyond the
capacity, and the override has an audit entry of its own.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Booking, User, WorkshopSession
from scheduler.services import attendance, households
from scheduler.services.booking import Needs, take_seats
from scheduler.services.errors import DomainError
from scheduler.services.households import Contact
from scheduler.services.seats import check_seats

#: Refusals a walk-in can be let in past with the facilitator's override.
OVERRIDABLE = frozenset({"full", "larger_than_session"})


def walk_in(
    session_id: int,
    seats: int,
    *,
    acting: User,
    now: datetime,
    household_id: int | None = None,
    contact: Contact | None = None,
    override: bool = False,
) -> Booking:
    """Book ``seats`` at the door for a household and mark it came.

    ``household_id``: one found by the household search; else ``contact`` records a new
    household (or finds the account its email has), as booking by phone does.
    ``override``: the facilitator chose to let it in beyond the session's capacity.
    """
    check_seats(seats)
    if household_id is None:
        if contact is None:
            raise DomainError("household_name_missing")
        households.check_contact(contact)
    session = db.session.get(WorkshopSession, session_id)
    if session is None:
        raise DomainError("session_not_found")
    zone = session.workshop.timezone
    try:
        with write_transaction():
            if household_id is None:
                assert contact is not None
                household, _ = households.record(contact, acting=acting, zone=zone, now=now)
                household_id = household.id
            booking = take_seats(
                session_id,
                household_id,
                seats,
                Needs(),
                now=now,
                acting=acting,
                walk_in=True,
                override=override,
            )
            attendance.mark_walk_in(booking, acting, now)
    except IntegrityError as error:  # the same household added twice at once
        raise DomainError("try_again") from error
    return booking
