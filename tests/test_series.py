"""Publishing and changing workshops: weekly series across DST, reschedule, seats, cancel."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine

from scheduler.models import Booking, BookingStatus, WorkshopSession
from scheduler.services import series
from scheduler.services.errors import DomainError
from scheduler.services.seats import seat_count
from scheduler.services.series import CapacityConflict, Scope, WorkshopDetails
from scheduler.timeutil import to_utc, utcnow, wall_time

NY = "America/New_York"


def details(**overrides) -> WorkshopDetails:
    values = dict(
        title="Family education", description="", location="Room 1", online_url="", publish=True
    )
    values.update(overrides)
    return WorkshopDetails(**values)


def reload(db, session_id: int) -> WorkshopSession:
    db.session.rollback()
    return db.session.get_one(WorkshopSession, session_id)


@time_machine.travel(datetime(2027, 2, 1, 12, tzinfo=UTC), tick=False)
def test_weekly_series_keeps_local_time_across_march_dst_change(make_workshop):
    # Clocks in New York go forward on Sunday 14 March 2027.
    workshop = make_workshop(weeks=4, start=datetime(2027, 3, 2, 18, 30), timezone=NY)

    assert [s.starts_at for s in workshop.sessions] == [
        datetime(2027, 3, 2, 23, 30, tzinfo=UTC),  # EST, UTC-5
        datetime(2027, 3, 9, 23, 30, tzinfo=UTC),  # EST
        datetime(2027, 3, 16, 22, 30, tzinfo=UTC),  # EDT, UTC-4: same 6:30 PM locally
        datetime(2027, 3, 23, 22, 30, tzinfo=UTC),
    ]
    assert {wall_time(s.starts_at, NY).time() for s in workshop.sessions} == {time(18, 30)}


@time_machine.travel(datetime(2026, 10, 1, 12, tzinfo=UTC), tick=False)
def test_weekly_series_keeps_local_time_across_november_dst_change(make_workshop):
    # Clocks in New York go back on Sunday 1 November 2026.
    workshop = make_workshop(
        weeks=3, start=datetime(2026, 10, 27, 18, 0), timezone=NY, duration_minutes=90
    )

    assert [(s.starts_at, s.ends_at) for s in workshop.sessions] == [
        (datetime(2026, 10, 27, 22, 0, tzinfo=UTC), datetime(2026, 10, 27, 23, 30, tzinfo=UTC)),
        (datetime(2026, 11, 3, 23, 0, tzinfo=UTC), datetime(2026, 11, 4, 0, 30, tzinfo=UTC)),
        (datetime(2026, 11, 10, 23, 0, tzinfo=UTC), datetime(2026, 11, 11, 0, 30, tzinfo=UTC)),
    ]


@time_machine.travel(datetime(2027, 2, 1, 12, tzinfo=UTC), tick=False)
def test_series_refuses_a_time_the_clocks_skip(make_workshop):
    with pytest.raises(DomainError, match="does not exist"):
        make_workshop(weeks=3, start=datetime(2027, 2, 28, 2, 30), timezone=NY)


def test_workshop_in_the_past_is_refused(make_workshop):
    with pytest.raises(DomainError) as refused:
        make_workshop(start=wall_time(utcnow(), NY) - timedelta(hours=1))
    assert refused.value.code == "start_in_past"


def test_draft_is_saved_but_not_published(make_workshop):
    workshop = make_workshop(publish=False)
    assert workshop.status == "draft"
    assert not workshop.is_published


@time_machine.travel(datetime(2027, 2, 1, 12, tzinfo=UTC), tick=False)
def test_rescheduling_rest_of_series_shifts_wall_time_across_dst(make_workshop, db):
    workshop = make_workshop(weeks=4, start=datetime(2027, 3, 2, 18, 0), timezone=NY)
    second = workshop.sessions[1]

    moved = series.reschedule(
        second.id,
        new_start=datetime(2027, 3, 10, 19, 0),
        duration_minutes=60,
        scope=Scope.FOLLOWING,
        now=utcnow(),
    )

    assert len(moved) == 3
    sessions = [reload(db, s.id) for s in workshop.sessions]
    assert wall_time(sessions[0].starts_at, NY) == datetime(2027, 3, 2, 18, 0)  # untouched
    assert [wall_time(s.starts_at, NY) for s in sessions[1:]] == [
        datetime(2027, 3, 10, 19, 0),
        datetime(2027, 3, 17, 19, 0),
        datetime(2027, 3, 24, 19, 0),
    ]
    assert all(s.duration_minutes == 60 for s in sessions[1:])
    assert [s.sequence for s in sessions] == [0, 1, 1, 1]


def test_rescheduling_one_session_leaves_the_others(make_workshop, db):
    workshop = make_workshop(weeks=3)
    first, second, third = workshop.sessions
    new_start = wall_time(first.starts_at, NY) + timedelta(days=1)
    series.reschedule(
        first.id, new_start=new_start, duration_minutes=90, scope=Scope.ONE, now=utcnow()
    )
    assert reload(db, first.id).starts_at == to_utc(new_start, NY)
    assert reload(db, second.id).starts_at == second.starts_at
    assert reload(db, third.id).sequence == 0


def test_rescheduling_into_the_past_is_refused(make_workshop):
    session = make_workshop().sessions[0]
    with pytest.raises(DomainError, match="future"):
        series.reschedule(
            session.id,
            new_start=wall_time(utcnow(), NY) - timedelta(days=1),
            duration_minutes=60,
            scope=Scope.ONE,
            now=utcnow(),
        )


def test_lowering_capacity_below_booked_names_who_is_affected(
    make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=6).sessions[0]
    early = make_booking(session.id, seats=3, family=make_user(name="Early family"))
    late = make_booking(session.id, seats=2, family=make_user(name="Late family"))

    with pytest.raises(CapacityConflict) as conflict:
        series.change_capacity(
            session.id, capacity=4, scope=Scope.ONE, move_to_waitlist=False, now=utcnow()
        )
    assert [a.family_name for a in conflict.value.affected] == ["Late family"]
    assert reload(db, session.id).capacity == 6  # nothing changed without confirmation

    series.change_capacity(
        session.id, capacity=4, scope=Scope.ONE, move_to_waitlist=True, now=utcnow()
    )
    db.session.rollback()
    assert db.session.get_one(Booking, late.id).status == BookingStatus.WAITLISTED
    assert db.session.get_one(Booking, early.id).status == BookingStatus.CONFIRMED
    assert seat_count(reload(db, session.id)).confirmed == 3


def test_moved_household_is_first_in_line_when_seats_return(
    make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=3).sessions[0]
    make_booking(session.id, seats=1)
    moved = make_booking(session.id, seats=2)
    waiting = make_booking(session.id, seats=2, join_waitlist=True)
    series.change_capacity(
        session.id, capacity=1, scope=Scope.ONE, move_to_waitlist=True, now=utcnow()
    )

    series.change_capacity(
        session.id, capacity=3, scope=Scope.ONE, move_to_waitlist=False, now=utcnow()
    )
    db.session.rollback()
    assert db.session.get_one(Booking, moved.id).status == BookingStatus.CONFIRMED
    assert db.session.get_one(Booking, waiting.id).status == BookingStatus.WAITLISTED


def test_raising_capacity_seats_the_waitlist(make_workshop, make_booking, db):
    session = make_workshop(capacity=2).sessions[0]
    make_booking(session.id)
    waiting = make_booking(session.id, seats=2, join_waitlist=True)
    series.change_capacity(
        session.id, capacity=3, scope=Scope.ONE, move_to_waitlist=False, now=utcnow()
    )
    db.session.rollback()
    assert db.session.get_one(Booking, waiting.id).status == BookingStatus.CONFIRMED


def test_capacity_for_rest_of_series(make_workshop, db):
    workshop = make_workshop(capacity=5, weeks=3)
    series.change_capacity(
        workshop.sessions[1].id,
        capacity=9,
        scope=Scope.FOLLOWING,
        move_to_waitlist=False,
        now=utcnow(),
    )
    assert [reload(db, s.id).capacity for s in workshop.sessions] == [5, 9, 9]


def test_cancelling_rest_of_series_keeps_bookings_visible_as_cancelled(
    make_workshop, make_booking, db
):
    workshop = make_workshop(weeks=3)
    booking = make_booking(workshop.sessions[2].id)
    cancelled = series.cancel_sessions(workshop.sessions[1].id, scope=Scope.FOLLOWING, now=utcnow())

    assert len(cancelled) == 2
    statuses = [reload(db, s.id).status for s in workshop.sessions]
    assert statuses == ["scheduled", "cancelled", "cancelled"]
    assert reload(db, workshop.sessions[2].id).sequence == 1
    assert db.session.get_one(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_cancelled_session_cannot_be_changed_again(make_workshop):
    session = make_workshop().sessions[0]
    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())
    with pytest.raises(DomainError, match="cancelled"):
        series.reschedule(
            session.id,
            new_start=wall_time(session.starts_at, NY),
            duration_minutes=30,
            scope=Scope.ONE,
            now=utcnow(),
        )


def test_new_place_or_title_bumps_sequence_of_upcoming_sessions(make_workshop, db):
    workshop = make_workshop(weeks=2)
    series.update_details(workshop.id, details(location="Room 2"), now=utcnow())
    assert [reload(db, s.id).sequence for s in workshop.sessions] == [1, 1]
    series.update_details(workshop.id, details(location="Room 2", title="New title"), now=utcnow())
    assert [reload(db, s.id).sequence for s in workshop.sessions] == [2, 2]
    changed = details(location="Room 2", title="New title", description="Now with more words")
    series.update_details(workshop.id, changed, now=utcnow())
    assert [reload(db, s.id).sequence for s in workshop.sessions] == [2, 2]


def test_booked_workshop_cannot_go_back_to_draft(make_workshop, make_booking):
    workshop = make_workshop()
    make_booking(workshop.sessions[0].id)
    with pytest.raises(DomainError) as refused:
        series.update_details(workshop.id, details(publish=False), now=utcnow())
    assert refused.value.code == "unpublish_with_bookings"


def test_dates_at_the_edge_of_the_calendar_are_a_clear_error_not_a_crash(make_workshop):
    with pytest.raises(DomainError):
        make_workshop(start=datetime(9999, 12, 30, 18, 0), weeks=2)
