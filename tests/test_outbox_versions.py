"""The outbox keeps the version a message was queued at in a column, and reads it there."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.models import Booking, MessageKind, OutboxMessage, WorkshopSession
from scheduler.services import accounts, counseling, notify, series
from scheduler.services.messages import compose
from scheduler.services.series import Scope
from scheduler.timeutil import utcnow, wall_time
from tests.support.app import local_start
from tests.support.counseling import appointment, book, slot_after

NY = "America/New_York"


def rows(db, **filters) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def test_booking_messages_store_the_version_they_were_queued_at(make_workshop, make_booking, db):
    session = make_workshop(start=local_start(days=10)).sessions[0]
    booking = make_booking(session.id)
    new_start = wall_time(session.starts_at, NY) + timedelta(days=2)
    series.reschedule(
        session.id, new_start=new_start, duration_minutes=90, scope=Scope.ONE, now=utcnow()
    )
    moved = db.session.get_one(WorkshopSession, session.id)
    assert moved.sequence > 0

    stored = [(r.kind, r.status, r.version) for r in rows(db, booking_id=booking.id)]

    first = db.session.get_one(Booking, booking.id).sequence
    assert stored == [
        (MessageKind.CONFIRMED, "pending", first),
        (MessageKind.REMINDER, "cancelled", 0),
        (MessageKind.REMINDER, "cancelled", 0),
        (MessageKind.WORKSHOP_CHANGED, "pending", moved.sequence),
        (MessageKind.REMINDER, "pending", moved.sequence),
        (MessageKind.REMINDER, "pending", moved.sequence),
    ]


def test_messages_about_no_versioned_record_have_no_version(make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    with write_transaction():
        notify.digest_due(family.id, utcnow().date(), utcnow())
    assert [r.version for r in rows(db, recipient_id=family.id)] == [None, None]


def test_the_counselors_notice_is_stale_by_its_stored_version_not_its_key(
    make_counselor,
    make_user,
    db,
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    counseling.move(appointment_id, family.id, slot_after(counselor, 5), now=utcnow())
    counseling.cancel_by_family(appointment_id, family.id, now=utcnow())
    current = appointment(db, appointment_id).sequence

    moved, cancelled = rows(db, kind=MessageKind.FAMILY_CHANGED)
    assert moved.version is not None and moved.version < cancelled.version == current
    assert compose(moved) is None  # overtaken by the cancellation
    assert compose(cancelled) is not None

    # The key still names the current version; the column is what counts.
    cancelled.version = current - 1
    assert f":{current}:" in cancelled.key and compose(cancelled) is None
    db.session.rollback()
