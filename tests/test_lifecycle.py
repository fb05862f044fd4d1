"""The reservation lifecycle, as a spec: which status may follow which, and what a move does.

Every allowed move of a booking or an appointment changes its status, raises its
calendar SEQUENCE, records when, and queues the family's email; every other pair of
statuses is refused and leaves the reservation, and the outbox, as they were.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import product
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    MessageKind,
    OutboxMessage,
    User,
)
from scheduler.services import counseling, lifecycle
from scheduler.services.lifecycle import TransitionRefused, transition
from scheduler.timeutil import utcnow
from tests.support.counseling import slot_after

B, A = BookingStatus, AppointmentStatus
R = TypeVar("R", Booking, Appointment)

#: The spec: each allowed move, and the email it queues for the family.
BOOKING_MOVES = {
    (B.WAITLISTED, B.CONFIRMED): MessageKind.PROMOTED,
    (B.WAITLISTED, B.CANCELLED): MessageKind.CANCELLED,
    (B.CONFIRMED, B.CANCELLED): MessageKind.CANCELLED,
    (B.CONFIRMED, B.WAITLISTED): MessageKind.WAITLISTED,
}
APPOINTMENT_MOVES = {
    (A.PENDING, A.CONFIRMED): MessageKind.CONFIRMED,
    (A.PENDING, A.DECLINED): MessageKind.DECLINED,
    (A.PENDING, A.CANCELLED): MessageKind.CANCELLED,
    (A.CONFIRMED, A.CANCELLED): MessageKind.CANCELLED,
}
BOOKING_REFUSED = sorted(set(product(B, B)) - set(BOOKING_MOVES))
APPOINTMENT_REFUSED = sorted(set(product(A, A)) - set(APPOINTMENT_MOVES))


def pairs(table: lifecycle.Lifecycle) -> set[tuple[str, str]]:
    return {(old, new) for old, targets in table.moves.items() for new in targets}


def _place(model: type[Booking] | type[Appointment], record_id: int, status: str) -> datetime:
    """Put a reservation in ``status`` behind the lifecycle's back, as if it got there."""
    earlier = utcnow() - timedelta(hours=1)
    with write_transaction() as session:
        record = session.get_one(model, record_id)
        record.status = status
        confirmed = status == "confirmed"
        record.confirmed_at = earlier if confirmed else None
        record.cancelled_at = earlier if status in ("cancelled", "declined") else None
    return earlier


@pytest.fixture
def booking_in(make_workshop, make_booking) -> Callable[[str], Booking]:
    """A booking in a session ten days ahead, in the status asked for."""

    def make(status: str) -> Booking:
        booking = make_booking(make_workshop(capacity=5).sessions[0].id)
        _place(Booking, booking.id, status)
        return reload(Booking, booking.id)

    return make


@pytest.fixture
def appointment_in(make_counselor, make_user) -> Callable[[str], Appointment]:
    """An appointment with a counselor three days ahead, in the status asked for."""

    def make(status: str) -> Appointment:
        counselor: User = make_counselor()
        booked = counseling.book_slot(slot_after(counselor), make_user().id, now=utcnow())
        _place(Appointment, booked.id, status)
        return reload(Appointment, booked.id)

    return make


def reload(model: type[R], record_id: int) -> R:
    db.session.rollback()
    return db.session.get_one(model, record_id)


def queued(column, record_id: int) -> list[str]:
    """Kinds of email queued for a reservation (reminders aside), oldest first."""
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage.kind)
            .where(column == record_id, OutboxMessage.kind != MessageKind.REMINDER)
            .order_by(OutboxMessage.id)
        )
    )


def outbox_size() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def test_the_tables_are_the_spec():
    assert pairs(lifecycle.BOOKINGS) == set(BOOKING_MOVES)
    assert pairs(lifecycle.APPOINTMENTS) == set(APPOINTMENT_MOVES)
    assert set(lifecycle.BOOKINGS.moves) == set(B)
    assert set(lifecycle.APPOINTMENTS.moves) == set(A)


# --- bookings ------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), list(BOOKING_MOVES))
def test_a_booking_moves_as_the_table_allows(booking_in, old, new):
    booking = booking_in(old)
    before, told = booking.sequence, queued(OutboxMessage.booking_id, booking.id)
    now = utcnow()

    with write_transaction():
        transition(db.session.get_one(Booking, booking.id), new, now)

    after = reload(Booking, booking.id)
    assert after.status == new
    assert after.sequence == before + 1
    assert after.updated_at == now
    assert after.confirmed_at == (now if new == B.CONFIRMED else None)
    if new == B.CANCELLED:
        assert after.cancelled_at == now
    assert queued(OutboxMessage.booking_id, booking.id) == [*told, BOOKING_MOVES[old, new]]


@pytest.mark.parametrize(("old", "new"), BOOKING_REFUSED)
def test_any_other_booking_move_is_refused_and_changes_nothing(booking_in, old, new):
    booking = booking_in(old)
    size = outbox_size()
    record = reload(Booking, booking.id)
    seen = (record.status, record.sequence, record.updated_at, record.confirmed_at)

    with pytest.raises(TransitionRefused, match=f"from {old} to {new}"):
        transition(record, new, utcnow())

    assert not db.session.dirty
    after = reload(Booking, booking.id)
    assert (after.status, after.sequence, after.updated_at, after.confirmed_at) == seen
    assert outbox_size() == size


# --- appointments --------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new"), list(APPOINTMENT_MOVES))
def test_an_appointment_moves_as_the_table_allows(appointment_in, old, new):
    appointment = appointment_in(old)
    before, first = appointment.sequence, appointment.confirmed_at
    told = queued(OutboxMessage.appointment_id, appointment.id)
    now = utcnow()

    with write_transaction():
        transition(db.session.get_one(Appointment, appointment.id), new, now)

    after = reload(Appointment, appointment.id)
    assert after.status == new
    assert after.sequence == before + 1
    assert after.updated_at == now
    # The first confirmation is kept: it is how a counselor knows a family.
    assert after.confirmed_at == (first or now if new == A.CONFIRMED else first)
    if new in (A.CANCELLED, A.DECLINED):
        assert after.cancelled_at == now
    assert queued(OutboxMessage.appointment_id, appointment.id) == [
        *told,
        APPOINTMENT_MOVES[old, new],
    ]


@pytest.mark.parametrize(("old", "new"), APPOINTMENT_REFUSED)
def test_any_other_appointment_move_is_refused_and_changes_nothing(appointment_in, old, new):
    appointment = appointment_in(old)
    size = outbox_size()
    record = reload(Appointment, appointment.id)
    seen = (record.status, record.sequence, record.updated_at, record.cancelled_at)

    with pytest.raises(TransitionRefused, match=f"from {old} to {new}"):
        transition(record, new, utcnow())

    assert not db.session.dirty
    after = reload(Appointment, appointment.id)
    assert (after.status, after.sequence, after.updated_at, after.cancelled_at) == seen
    assert outbox_size() == size


def test_a_family_cancelling_tells_the_counselor_too(appointment_in):
    appointment = appointment_in(A.CONFIRMED)

    with write_transaction():
        record = db.session.get_one(Appointment, appointment.id)
        transition(record, A.CANCELLED, utcnow(), by_family=True)

    db.session.rollback()
    rows = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.recipient_id)
        .where(OutboxMessage.appointment_id == appointment.id)
        .order_by(OutboxMessage.id)
    ).all()
    assert rows[-2:] == [
        (MessageKind.CANCELLED, appointment.family_id),
        (MessageKind.FAMILY_CHANGED, appointment.facilitator_id),
    ]


def test_a_request_left_too_long_is_declined_as_expired(appointment_in):
    appointment = appointment_in(A.PENDING)

    with write_transaction():
        record = db.session.get_one(Appointment, appointment.id)
        transition(record, A.DECLINED, utcnow(), expired=True)

    assert reload(Appointment, appointment.id).status == A.DECLINED
    assert queued(OutboxMessage.appointment_id, appointment.id)[-1] == (MessageKind.REQUEST_EXPIRED)
