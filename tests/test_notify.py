"""The outbox: every change queues its email in the same transaction, once."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.models import Booking, OutboxMessage, User
from scheduler.services import accounts, notify, reminder_times, series
from scheduler.services.booking import cancel_booking
from scheduler.services.series import Scope
from scheduler.timeutil import to_utc, utcnow, wall_time
from tests.support.app import local_start
from tests.support.counseling import book

NY = "America/New_York"


def outbox(db, **filters) -> list[OutboxMessage]:
    db.session.rollback()
    query = select(OutboxMessage).filter_by(**filters).order_by(OutboxMessage.id)
    return list(db.session.scalars(query))


def kinds(db, booking_id: int) -> list[tuple[str, str]]:
    return [(m.kind, m.status) for m in outbox(db, booking_id=booking_id)]


def test_confirmed_booking_queues_confirmation_and_both_reminders(make_workshop, make_booking, db):
    session = make_workshop(start=local_start(days=10, at=time(18, 0))).sessions[0]
    booking = make_booking(session.id)

    rows = outbox(db, booking_id=booking.id)

    assert [(r.kind, r.status) for r in rows] == [
        ("confirmed", "pending"),
        ("reminder", "pending"),
        ("reminder", "pending"),
    ]
    reminders = sorted(r.due_at for r in rows if r.kind == "reminder")
    assert reminders == [
        session.starts_at - timedelta(hours=48),
        session.starts_at - timedelta(hours=2),
    ]
    assert rows[0].recipient_id == booking.family_id and rows[0].due_at <= utcnow()


def test_waitlisted_household_is_told_and_gets_reminders_only_once_seated(
    make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=1).sessions[0]
    holder = make_user()
    held = make_booking(session.id, family=holder)
    waiting = make_booking(session.id, join_waitlist=True)
    assert kinds(db, waiting.id) == [("waitlisted", "pending")]

    cancel_booking(held.id, holder.id, now=utcnow())

    assert kinds(db, waiting.id) == [
        ("waitlisted", "pending"),
        ("promoted", "pending"),
        ("reminder", "pending"),
        ("reminder", "pending"),
    ]
    assert kinds(db, held.id)[-3:] == [
        ("reminder", "cancelled"),
        ("reminder", "cancelled"),
        ("cancelled", "pending"),
    ]


def test_booking_made_inside_an_offset_skips_that_reminder(make_workshop, make_booking, db):
    session = make_workshop(start=local_start(days=10)).sessions[0]
    with time_machine.travel(session.starts_at - timedelta(hours=30), tick=False):
        booking = make_booking(session.id, now=utcnow())
    reminders = [r.due_at for r in outbox(db, booking_id=booking.id, kind="reminder")]
    assert reminders == [session.starts_at - timedelta(hours=2)]


def test_rescheduling_tells_families_and_moves_pending_reminders(make_workshop, make_booking, db):
    session = make_workshop(start=local_start(days=10)).sessions[0]
    booking = make_booking(session.id)
    new_start = wall_time(session.starts_at, NY) + timedelta(days=2)

    series.reschedule(
        session.id, new_start=new_start, duration_minutes=90, scope=Scope.ONE, now=utcnow()
    )

    rows = outbox(db, booking_id=booking.id)
    live = sorted(r.due_at for r in rows if r.kind == "reminder" and r.status == "pending")
    moved_to = to_utc(new_start, NY)
    assert live == [moved_to - timedelta(hours=48), moved_to - timedelta(hours=2)]
    assert sum(r.kind == "reminder" and r.status == "cancelled" for r in rows) == 2
    assert ("workshop_changed", "pending") in [(r.kind, r.status) for r in rows]


def test_cancelled_session_tells_every_booked_family_and_withdraws_reminders(
    make_workshop, make_booking, db
):
    session = make_workshop(capacity=3).sessions[0]
    booked = make_booking(session.id)
    waiting = make_booking(session.id, seats=3, join_waitlist=True)

    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())

    for booking in (booked, waiting):
        assert ("session_cancelled", "pending") in kinds(db, booking.id)
    assert not outbox(db, booking_id=booked.id, kind="reminder", status="pending")


def test_the_same_change_never_queues_the_same_email_twice(make_workshop, make_booking, db):
    booking = make_booking(make_workshop().sessions[0].id)
    before = len(outbox(db))
    with write_transaction():
        again = db.session.get_one(Booking, booking.id)
        notify.booking_created(again, utcnow())
    assert len(outbox(db)) == before


def test_family_can_turn_reminders_off_or_choose_its_own(
    make_workshop, make_user, make_booking, db
):
    session = make_workshop(start=local_start(days=10, at=time(18, 0))).sessions[0]
    quiet, custom = make_user(), make_user()
    with write_transaction():
        db.session.get_one(User, quiet.id).reminders_enabled = False
        db.session.get_one(User, custom.id).reminder_offsets = "3d, 30m"
    off = make_booking(session.id, family=quiet)
    own = make_booking(session.id, family=custom)

    assert outbox(db, booking_id=off.id, kind="reminder") == []
    assert sorted(
        session.starts_at - r.due_at for r in outbox(db, booking_id=own.id, kind="reminder")
    ) == [timedelta(minutes=30), timedelta(days=3)]


@time_machine.travel(datetime(2027, 3, 1, 12, tzinfo=UTC), tick=False)
def test_reminders_fire_at_exact_instants_across_a_dst_change(make_workshop, make_booking, db):
    # Monday 15 March 2027, 18:00 EDT; the clocks went forward on Sunday the 14th.
    session = make_workshop(start=datetime(2027, 3, 15, 18, 0), timezone=NY).sessions[0]
    booking = make_booking(session.id, now=utcnow())
    due = sorted(r.due_at for r in outbox(db, booking_id=booking.id, kind="reminder"))
    assert due == [
        datetime(2027, 3, 13, 22, 0, tzinfo=UTC),  # 48 h before: Sat 17:00 EST
        datetime(2027, 3, 15, 20, 0, tzinfo=UTC),
    ]  # 2 h before: Mon 16:00 EDT


@pytest.mark.parametrize(
    ("starts", "expected_local"),
    [
        (time(7, 0), time(9, 0)),  # 48 h before 7 a.m. would be 7 a.m.: moved to 9
        (time(22, 30), time(20, 0)),  # 48 h before 10:30 p.m.: moved to 8 p.m.
        (time(18, 0), time(18, 0)),  # already a sensible hour
    ],
)
def test_day_ahead_reminders_avoid_the_night(starts, expected_local):
    start = to_utc(datetime(2027, 5, 20, starts.hour, starts.minute), NY)
    due = reminder_times.reminder_time(start, timedelta(hours=48), NY)
    assert wall_time(due, NY) == datetime.combine(datetime(2027, 5, 18).date(), expected_local)
    short = reminder_times.reminder_time(start, timedelta(hours=2), NY)
    assert short == start - timedelta(hours=2)  # short offsets are exact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h,2h", [timedelta(hours=48), timedelta(hours=2)]),
        ("30m, 1d ,2h", [timedelta(days=1), timedelta(hours=2), timedelta(minutes=30)]),
        ("2h,2h", [timedelta(hours=2)]),
    ],
)
def test_reminder_offsets_are_read_in_minutes_hours_and_days(text, expected):
    assert reminder_times.parse_offsets(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2x", "-1h", "0m", "31d", "2h;1h"])
def test_unreadable_reminder_offsets_are_refused(text):
    with pytest.raises(ValueError):
        reminder_times.parse_offsets(text)


def test_family_sets_reminders_on_the_account_page(
    client, auth, make_user, make_workshop, make_booking, db
):
    family = make_user()
    auth.login(family)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="reminders"' in page and "When to remind me" in page

    bad = client.post(
        "/account",
        data={
            "name": family.name,
            "timezone": NY,
            "reminders_enabled": "y",
            "reminder_offsets": "soon",
        },
    )
    assert bad.status_code == 422 and "is not like 48h" in bad.get_data(as_text=True)
    too_far = client.post(
        "/account",
        data={"name": family.name, "timezone": NY, "reminder_offsets": "2h, 45d"},
    )
    assert too_far.status_code == 422
    assert "&#39;45d&#39; must be between 1 minute and 30 days." in too_far.get_data(as_text=True)

    saved = client.post(
        "/account",
        data={
            "name": family.name,
            "timezone": NY,
            "reminders_enabled": "y",
            "reminder_offsets": "2 d, 90m,1h",
        },
    )
    assert saved.status_code == 303
    assert db.session.get_one(User, family.id).reminder_offsets == "2d, 90m, 1h"
    booking = make_booking(make_workshop(start=local_start(days=10)).sessions[0].id, family=family)
    assert len(outbox(db, booking_id=booking.id, kind="reminder")) == 3

    client.post("/account", data={"name": family.name, "timezone": NY})  # box unticked
    assert db.session.get_one(User, family.id).reminders_enabled is False
    later = make_booking(make_workshop(start=local_start(days=12)).sessions[0].id, family=family)
    assert outbox(db, booking_id=later.id, kind="reminder") == []


def test_reminders_turned_back_on_are_queued_again_for_what_the_family_still_holds(
    make_workshop, make_booking, make_user, db
):
    family = make_user(timezone="America/New_York")
    kept = make_booking(make_workshop().sessions[0].id, family=family)
    dropped = make_booking(make_workshop().sessions[0].id, family=family)
    cancel_booking(dropped.id, family.id, now=utcnow())

    def pending() -> list[int | None]:
        return sorted(
            m.booking_id
            for m in outbox(db, recipient_id=family.id, kind="reminder", status="pending")
        )

    held = pending()
    assert held == [kept.id, kept.id]  # 48 h and 2 h before
    settings = {"timezone": family.timezone}

    accounts.update_settings(family.id, **settings, reminders_enabled=False)
    assert pending() == []
    accounts.update_settings(family.id, **settings, reminders_enabled=True)
    assert pending() == held, "the booking still held gets its reminders back, no other"
    accounts.update_settings(family.id, **settings, reminders_enabled=True)
    assert pending() == held, "saving again while on queues nothing twice"

    accounts.update_settings(family.id, **settings, reminders_enabled=False)
    accounts.update_settings(family.id, **settings, reminders_enabled=True, reminder_offsets="1d")
    assert pending() == [kept.id], "back on with the times chosen now"


def test_an_appointments_reminders_come_back_when_reminders_are_turned_back_on(
    make_counselor, make_user, db
):
    family = make_user(timezone="America/New_York")
    appointment_id = book(make_counselor(), family, days=4)
    settings = {"timezone": family.timezone}

    def pending() -> int:
        return len(outbox(db, appointment_id=appointment_id, kind="reminder", status="pending"))

    assert pending() == 2
    accounts.update_settings(family.id, **settings, reminders_enabled=False)
    assert pending() == 0
    accounts.update_settings(family.id, **settings, reminders_enabled=True)
    assert pending() == 2
