"""Counseling on a real database: slots made from a counselor's rules, and appointments.

The pure slot generator has its own tests (test_availability.py); these cover what the
database-backed layer adds: slots kept as rows across rule changes, booked slots that
never move or vanish, workshops that take the counselor's time, approval, moving and
cancelling with a cutoff, who may do what, and the database's own guard.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityWindow,
    CounselingSettings,
    CounselingSlot,
    MeetingMode,
    Role,
    User,
)
from scheduler.services import counseling
from scheduler.services.availability import overlaps
from scheduler.services.counseling import Rules
from scheduler.services.errors import DomainError
from scheduler.timeutil import to_utc, utcnow, wall_time

NEW_YORK = "America/New_York"
MONDAY, TUESDAY, SUNDAY = 0, 1, 6
CONTACT = "Call Dana on 555-0100"


def rules(**changes: Any) -> Rules:
    """Open New York rules: 50-minute slots, 10-minute breaks, a day's notice, two weeks."""
    fields: dict[str, Any] = {
        "open": True,
        "timezone": NEW_YORK,
        "slot_minutes": 50,
        "buffer_minutes": 10,
        "min_notice_hours": 24,
        "horizon_days": 14,
        "change_cutoff_hours": 24,
        "contact": CONTACT,
    }
    fields.update(changes)
    return Rules(**fields)


def sunday_noon() -> datetime:
    """A Sunday 12:00 UTC at least two days ahead of the real clock.

    Services take ``now``; workshops are checked against the real clock, so the tests'
    ``now`` stays a little in the real future to let both agree.
    """
    day = utcnow().date() + timedelta(days=2)
    day += timedelta(days=(SUNDAY - day.weekday()) % 7)
    return datetime.combine(day, time(12), tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return sunday_noon()


@pytest.fixture
def sunday(now: datetime) -> date:
    """The counselor's local date of ``now`` (a Sunday morning in New York)."""
    return wall_time(now, NEW_YORK).date()


@pytest.fixture
def counselor(make_user: Callable[..., User], now: datetime) -> User:
    """A counselor open on Tuesdays 14:00-17:00 New York time: 14:00, 15:00 and 16:00."""
    user = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(user.id, rules(), now=now)
    counseling.add_window(user.id, weekday=TUESDAY, starts=time(14), ends=time(17), now=now)
    return user


@pytest.fixture
def family(make_user: Callable[..., User]) -> User:
    return make_user(Role.FAMILY)


def offered(now: datetime, counselor_id: int) -> list[datetime]:
    """The local wall starts a family is offered right now, soonest first."""
    return [
        wall_time(found.slot.starts_at, NEW_YORK)
        for found in counseling.open_slots(now, facilitator_id=counselor_id)
    ]


def offered_on(now: datetime, counselor_id: int, day: date) -> list[time]:
    return [start.time() for start in offered(now, counselor_id) if start.date() == day]


def slot_at(counselor_id: int, day: date, hour: int, minute: int = 0) -> CounselingSlot:
    """The slot row starting at a local wall time."""
    starts_at = to_utc(datetime.combine(day, time(hour, minute)), NEW_YORK)
    slot = db.session.scalar(
        select(CounselingSlot).where(
            CounselingSlot.facilitator_id == counselor_id, CounselingSlot.starts_at == starts_at
        )
    )
    assert slot is not None, f"no slot at {day} {hour:02}:{minute:02}"
    return slot


def holders(slot_id: int) -> list[Appointment]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Appointment).where(
                Appointment.slot_id == slot_id,
                Appointment.status.in_([AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED]),
            )
        )
    )


def refused(code: str, action: Callable[[], object]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        action()
    assert caught.value.code == code, caught.value.message
    return caught.value


def at(hour: int, minute: int = 0) -> time:
    return time(hour, minute)


THREE = [at(14), at(15), at(16)]


# --- slots from rules ------------------------------------------------------------------


def test_weekly_hours_become_slots_for_the_horizon(make_user, now, sunday):
    counselor = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(counselor.id, rules(), now=now)
    for weekday in (TUESDAY, SUNDAY):
        counseling.add_window(counselor.id, weekday=weekday, starts=at(14), ends=at(17), now=now)

    starts = offered(now, counselor.id)

    # Today's Sunday hours are within a day's notice; the Sunday two weeks on is past
    # the horizon (14:00 New York is after 12:00 UTC).
    expected = [
        datetime.combine(day, hour)
        for day in (sunday + timedelta(days=2), sunday + timedelta(days=7))
        for hour in THREE
    ] + [datetime.combine(sunday + timedelta(days=9), hour) for hour in THREE]
    assert starts == sorted(expected)
    for found in counseling.open_slots(now, facilitator_id=counselor.id):
        assert now + timedelta(hours=24) <= found.slot.starts_at <= now + timedelta(days=14)
        assert found.slot.ends_at - found.slot.starts_at == timedelta(minutes=50)


def test_slots_are_stored_once_however_often_they_are_remade(counselor, now):
    before = db.session.scalars(select(CounselingSlot.id)).all()
    counseling.sync_slots(counselor.id, now=now)
    counseling.sync_slots(counselor.id, now=now + timedelta(minutes=5))
    after = db.session.scalars(select(CounselingSlot.id)).all()
    assert sorted(after) == sorted(before)
    assert len(before) == 6


def test_one_off_hours_add_slots_on_that_date(counselor, now, sunday):
    thursday = sunday + timedelta(days=4)
    counseling.add_window(counselor.id, day=thursday, starts=at(9), ends=at(11), now=now)

    assert offered_on(now, counselor.id, thursday) == [at(9), at(10)]
    assert offered_on(now, counselor.id, thursday + timedelta(days=7)) == []


def test_weekly_slots_keep_local_time_across_dst(make_user, family):
    # Tuesday 20 October 2026; New York leaves daylight time on Sunday 1 November.
    now = datetime(2026, 10, 20, 12, tzinfo=UTC)
    counselor = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(counselor.id, rules(horizon_days=28), now=now)
    counseling.add_window(counselor.id, weekday=TUESDAY, starts=at(14), ends=at(17), now=now)

    slots = [found.slot for found in counseling.open_slots(now, facilitator_id=counselor.id)]

    by_day: dict[date, list[tuple[time, int]]] = {}
    for slot in slots:
        local = wall_time(slot.starts_at, NEW_YORK)
        by_day.setdefault(local.date(), []).append((local.time(), slot.starts_at.hour))
    assert by_day == {
        date(2026, 10, 27): [(at(14), 18), (at(15), 19), (at(16), 20)],  # EDT, UTC-4
        date(2026, 11, 3): [(at(14), 19), (at(15), 20), (at(16), 21)],  # EST, UTC-5
        date(2026, 11, 10): [(at(14), 19), (at(15), 20), (at(16), 21)],
    }
    booked = counseling.book_slot(
        slot_at(counselor.id, date(2026, 11, 3), 14).id, family.id, now=now
    )
    assert counseling.when(booked, NEW_YORK) == "Tue, Nov 3, 2026, 2:00\xa0PM Eastern Time"


def test_closed_availability_offers_nothing(counselor, family, now, sunday):
    slot = slot_at(counselor.id, sunday + timedelta(days=2), 15)
    counseling.save_rules(counselor.id, rules(open=False), now=now)

    assert counseling.open_slots(now) == []
    refused("slot_unavailable", lambda: counseling.book_slot(slot.id, family.id, now=now))
    assert counseling.refresh_stale(now + timedelta(days=1)) == 0

    counseling.save_rules(counselor.id, rules(open=True), now=now)
    assert len(offered(now, counselor.id)) == 6


def test_a_counselor_who_never_set_up_offers_nothing(make_user, now):
    counselor = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.add_window(counselor.id, weekday=TUESDAY, starts=at(14), ends=at(17), now=now)
    # The window made settings with their defaults: closed, in the counselor's zone.
    settings = counseling.settings_for(counselor.id)
    assert settings is not None
    assert not settings.open
    assert settings.timezone == NEW_YORK
    assert counseling.open_slots(now) == []


def test_minimum_notice_and_horizon_limit_what_can_be_booked(counselor, family, now, sunday):
    tuesday = sunday + timedelta(days=2)
    first = slot_at(counselor.id, tuesday, 14)

    # Two days on (Tuesday noon UTC), that afternoon is within a day's notice.
    later = now + timedelta(days=2)
    assert offered_on(later, counselor.id, tuesday) == []
    refused("slot_unavailable", lambda: counseling.book_slot(first.id, family.id, now=later))

    # Slots are never made past the horizon...
    counseling.save_rules(counselor.id, rules(horizon_days=7), now=now)
    assert {start.date() for start in offered(now, counselor.id)} == {tuesday}
    # ...and a slot made for a longer horizon can't be booked once it's shortened.
    far = slot_at(counselor.id, sunday + timedelta(days=9), 14)
    refused("slot_unavailable", lambda: counseling.book_slot(far.id, family.id, now=now))

    booked = counseling.book_slot(first.id, family.id, now=now)
    assert booked.status == AppointmentStatus.CONFIRMED


# --- booked slots survive rule changes -------------------------------------------------


def test_blackout_date_removes_that_days_slots_but_keeps_an_appointment_already_made(
    counselor, family, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    slot = slot_at(counselor.id, tuesday, 15)
    appointment = counseling.book_slot(slot.id, family.id, now=now)

    counseling.add_blackout(counselor.id, tuesday, now=now)

    assert offered_on(now, counselor.id, tuesday) == []
    assert offered_on(now, counselor.id, tuesday + timedelta(days=7)) == THREE
    kept = db.session.get_one(Appointment, appointment.id)
    assert kept.status == AppointmentStatus.CONFIRMED
    assert kept.slot_id == slot.id
    assert [a.id for a in holders(slot.id)] == [appointment.id]


def _remove_the_window(counselor_id: int, day: date, now: datetime) -> None:
    window = counseling.windows_for(counselor_id)[0]
    counseling.remove_window(counselor_id, window.id, now=now)


def _lengthen_the_slots(counselor_id: int, day: date, now: datetime) -> None:
    counseling.save_rules(counselor_id, rules(slot_minutes=80), now=now)


def _black_out_the_day(counselor_id: int, day: date, now: datetime) -> None:
    counseling.add_blackout(counselor_id, day, now=now)


@pytest.mark.parametrize(
    "edit", [_remove_the_window, _lengthen_the_slots, _black_out_the_day], ids=lambda e: e.__name__
)
def test_editing_rules_never_removes_a_booked_slot(counselor, family, now, sunday, edit):
    tuesday = sunday + timedelta(days=2)
    slot = slot_at(counselor.id, tuesday, 15)
    starts_at, ends_at = slot.starts_at, slot.ends_at
    appointment = counseling.book_slot(slot.id, family.id, now=now)
    before = (appointment.id, appointment.status, appointment.slot_id, appointment.sequence)

    edit(counselor.id, tuesday, now)

    db.session.expire_all()
    kept_slot = db.session.get_one(CounselingSlot, slot.id)
    assert (kept_slot.starts_at, kept_slot.ends_at) == (starts_at, ends_at)
    kept = db.session.get_one(Appointment, appointment.id)
    assert (kept.id, kept.status, kept.slot_id, kept.sequence) == before
    assert [a.id for a in holders(slot.id)] == [appointment.id]
    # Nothing else is offered that day: the rules no longer give it, or it would touch
    # the appointment (80-minute slots at 14:00 and 15:30 both overlap 15:00-15:50).
    assert offered_on(now, counselor.id, tuesday) == []
    # The family still sees it.
    assert [a.id for a in counseling.family_appointments(family.id, now)] == [appointment.id]


def test_no_new_slot_overlaps_a_booked_one_after_slot_length_changes(
    counselor, make_user, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    counseling.add_window(counselor.id, weekday=TUESDAY, starts=at(9), ends=at(12), now=now)
    booked = [
        counseling.book_slot(slot_at(counselor.id, tuesday, hour).id, make_user().id, now=now)
        for hour in (10, 15)
    ]
    held = [
        (a.slot.starts_at, a.slot.ends_at)
        for a in (db.session.get_one(Appointment, b.id) for b in booked)
    ]
    buffer = timedelta(minutes=10)

    for minutes in (30, 80, 20, 45, 50, 120):
        counseling.save_rules(counselor.id, rules(slot_minutes=minutes), now=now)

        slots = [f.slot for f in counseling.open_slots(now, facilitator_id=counselor.id)]
        assert slots, f"{minutes}-minute slots: nothing offered at all"
        for slot in slots:
            assert slot.ends_at - slot.starts_at == timedelta(minutes=minutes)
            for start, end in held:
                assert not overlaps(slot.starts_at - buffer, slot.ends_at + buffer, start, end), (
                    f"{minutes}-minute slot at {wall_time(slot.starts_at, NEW_YORK)} "
                    f"touches a booked one"
                )
        for a, b in pairwise(slots):
            assert a.ends_at <= b.starts_at
        for appointment, (start, end) in zip(booked, held, strict=True):
            row = db.session.get_one(Appointment, appointment.id)
            assert (row.slot.starts_at, row.slot.ends_at) == (start, end)
            assert row.is_active


def test_workshop_sessions_of_the_counselor_remove_overlapping_slots_including_buffers(
    counselor, family, make_user, make_workshop, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    next_tuesday = tuesday + timedelta(days=7)
    assert offered_on(now, counselor.id, tuesday) == THREE
    early, middle = slot_at(counselor.id, tuesday, 14), slot_at(counselor.id, tuesday, 15)

    # Added after the slots were made: 14:55-15:25 hits the 15:00 slot, and the 14:00
    # slot by its 10-minute break (it would end 14:50, then rest until 15:00).
    make_workshop(
        facilitator=counselor,
        start=datetime.combine(tuesday, at(14, 55)),
        duration_minutes=30,
        timezone=NEW_YORK,
    )
    # Somebody else's workshop takes nothing from this counselor.
    make_workshop(
        facilitator=make_user(Role.FACILITATOR),
        start=datetime.combine(next_tuesday, at(14)),
        duration_minutes=180,
        timezone=NEW_YORK,
    )

    assert offered_on(now, counselor.id, tuesday) == [at(16)]
    assert offered_on(now, counselor.id, next_tuesday) == THREE
    for slot in (early, middle):
        refused("slot_unavailable", lambda s=slot: counseling.book_slot(s.id, family.id, now=now))
    # Re-making the slots agrees.
    counseling.sync_slots(counselor.id, now=now)
    assert offered_on(now, counselor.id, tuesday) == [at(16)]
    assert counseling.book_slot(slot_at(counselor.id, tuesday, 16).id, family.id, now=now)


def test_a_draft_workshop_takes_the_counselors_time_too(
    counselor, family, make_workshop, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    make_workshop(
        facilitator=counselor,
        start=datetime.combine(tuesday, at(16)),
        duration_minutes=60,
        timezone=NEW_YORK,
        publish=False,
    )
    assert offered_on(now, counselor.id, tuesday) == [at(14), at(15)]


def test_a_workshop_session_blocks_moving_into_its_time(
    counselor, family, make_workshop, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    appointment = counseling.book_slot(slot_at(counselor.id, tuesday, 14).id, family.id, now=now)
    target = slot_at(counselor.id, tuesday, 16)
    make_workshop(
        facilitator=counselor,
        start=datetime.combine(tuesday, at(16, 30)),
        duration_minutes=60,
        timezone=NEW_YORK,
    )
    refused(
        "slot_unavailable", lambda: counseling.move(appointment.id, family.id, target.id, now=now)
    )


def test_open_times_of_several_counselors_each_lose_only_their_own_workshops(
    counselor, make_user, make_workshop, now, sunday
):
    other = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(other.id, rules(), now=now)
    counseling.add_window(other.id, weekday=TUESDAY, starts=time(14), ends=time(17), now=now)
    tuesday = sunday + timedelta(days=2)
    make_workshop(
        facilitator=counselor,
        start=datetime.combine(tuesday, at(16)),
        duration_minutes=60,
        timezone=NEW_YORK,
    )

    everyone = counseling.open_slots(now, end=now + timedelta(days=3))

    starts = {
        who.id: [
            wall_time(f.slot.starts_at, NEW_YORK).time()
            for f in everyone
            if f.slot.facilitator_id == who.id
        ]
        for who in (counselor, other)
    }
    assert starts == {counselor.id: [at(14), at(15)], other.id: THREE}


@pytest.fixture
def online_counselor(make_user: Callable[..., User], now: datetime) -> User:
    """An online counselor for one person at a time, open on Tuesdays 10:00-12:00."""
    user = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    online = rules(
        kind="individual", mode=MeetingMode.ONLINE, online_url="https://meet.example.org/a"
    )
    counseling.save_rules(user.id, online, now=now)
    counseling.add_window(user.id, weekday=TUESDAY, starts=time(10), ends=time(12), now=now)
    return user


@pytest.mark.parametrize(
    ("only", "whose"),
    [
        (counseling.SlotFilter(), {"in person", "online"}),
        (counseling.SlotFilter(kind="family"), {"in person"}),
        (counseling.SlotFilter(kind="individual"), {"online"}),
        (counseling.SlotFilter(mode=MeetingMode.IN_PERSON), {"in person"}),
        (counseling.SlotFilter(mode=MeetingMode.ONLINE), {"online"}),
        (counseling.SlotFilter(kind="individual", mode=MeetingMode.IN_PERSON), set()),
    ],
)
def test_open_times_can_be_narrowed_to_a_kind_of_session_or_a_way_of_meeting(
    counselor, online_counselor, now, only, whose
):
    names = {counselor.id: "in person", online_counselor.id: "online"}

    found = counseling.open_slots(now, only=only)

    assert {names[f.slot.facilitator_id] for f in found} == whose
    assert counseling.open_slots(now, only=counseling.SlotFilter(facilitator_id=counselor.id)) == (
        counseling.open_slots(now, facilitator_id=counselor.id)
    )


def test_the_next_open_time_is_the_next_one_the_filter_lets_through(
    counselor, online_counselor, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    soonest = counseling.next_open(now)
    online = counseling.next_open(now, only=counseling.SlotFilter(mode=MeetingMode.ONLINE))
    in_person = counseling.next_open(now, only=counseling.SlotFilter(facilitator_id=counselor.id))
    nobody = counseling.next_open(
        now, only=counseling.SlotFilter(kind="individual", mode="in_person")
    )

    assert soonest and online and in_person and nobody is None
    assert wall_time(soonest.slot.starts_at, NEW_YORK) == datetime.combine(tuesday, at(10))
    assert online.slot.id == soonest.slot.id
    assert wall_time(in_person.slot.starts_at, NEW_YORK) == datetime.combine(tuesday, at(14))


def test_open_counselors_are_listed_by_name_with_what_they_offer(
    counselor, online_counselor, make_user, now
):
    closed = make_user(Role.FACILITATOR, name="Aaron Closed")
    counseling.save_rules(closed.id, rules(open=False), now=now)

    listed = counseling.open_counselors()

    assert sorted(listed, key=lambda c: (c.name, c.id)) == listed
    assert {(c.id, c.kind, c.mode) for c in listed} == {
        (counselor.id, "family", "in_person"),
        (online_counselor.id, "individual", "online"),
    }


# --- booking -----------------------------------------------------------------------


def test_booked_slot_is_no_longer_offered_and_a_second_family_is_refused(
    counselor, family, make_user, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    slot = slot_at(counselor.id, tuesday, 15)

    appointment = counseling.book_slot(slot.id, family.id, note="  first visit  ", now=now)

    assert appointment.status == AppointmentStatus.CONFIRMED
    assert appointment.note == "first visit"
    assert appointment.facilitator_id == counselor.id
    assert offered_on(now, counselor.id, tuesday) == [at(14), at(16)]
    other = make_user()
    error = refused("slot_taken", lambda: counseling.book_slot(slot.id, other.id, now=now))
    assert "Someone else just booked this time" in error.message
    refused("slot_taken", lambda: counseling.book_slot(slot.id, family.id, now=now))
    assert [a.id for a in holders(slot.id)] == [appointment.id]


def test_an_unknown_slot_is_refused(family, now):
    refused("slot_not_found", lambda: counseling.book_slot(987_654, family.id, now=now))


def test_first_appointment_waits_for_approval_when_the_counselor_asks(
    counselor, family, make_user, now, sunday
):
    counseling.save_rules(counselor.id, rules(approve_first=True), now=now)
    tuesday = sunday + timedelta(days=2)
    first = slot_at(counselor.id, tuesday, 14)

    asked = counseling.book_slot(first.id, family.id, now=now)
    sequence = asked.sequence

    assert asked.status == AppointmentStatus.PENDING
    assert at(14) not in offered_on(now, counselor.id, tuesday)  # held while waiting
    refused("slot_taken", lambda: counseling.book_slot(first.id, make_user().id, now=now))

    approved = counseling.approve(asked.id, counselor, now=now)
    assert approved.status == AppointmentStatus.CONFIRMED
    assert approved.sequence == sequence + 1
    refused("not_pending", lambda: counseling.approve(asked.id, counselor, now=now))

    second = counseling.book_slot(slot_at(counselor.id, tuesday, 15).id, family.id, now=now)
    assert second.status == AppointmentStatus.CONFIRMED  # known to the counselor now

    newcomer = make_user()
    last = slot_at(counselor.id, tuesday, 16)
    waiting = counseling.book_slot(last.id, newcomer.id, now=now)
    assert waiting.status == AppointmentStatus.PENDING
    declined = counseling.decline(waiting.id, counselor, now=now)
    assert declined.status == AppointmentStatus.DECLINED
    assert declined.cancelled_at == now
    assert offered_on(now, counselor.id, tuesday) == [at(16)]  # free again
    third = counseling.book_slot(last.id, make_user().id, now=now)
    assert third.status == AppointmentStatus.PENDING


def test_first_appointment_still_needs_approval_after_a_withdrawn_request(
    counselor, family, now, sunday
):
    """A request the family withdrew before the counselor said yes was never confirmed."""
    counseling.save_rules(counselor.id, rules(approve_first=True), now=now)
    tuesday = sunday + timedelta(days=2)
    asked = counseling.book_slot(slot_at(counselor.id, tuesday, 14).id, family.id, now=now)
    assert asked.status == AppointmentStatus.PENDING
    counseling.cancel_by_family(asked.id, family.id, now=now)

    again = counseling.book_slot(slot_at(counselor.id, tuesday, 15).id, family.id, now=now)

    assert again.status == AppointmentStatus.PENDING


def test_a_cancelled_confirmed_appointment_still_counts_as_known(counselor, family, now, sunday):
    counseling.save_rules(counselor.id, rules(approve_first=True), now=now)
    tuesday = sunday + timedelta(days=2)
    asked = counseling.book_slot(slot_at(counselor.id, tuesday, 14).id, family.id, now=now)
    counseling.approve(asked.id, counselor, now=now)
    counseling.cancel_by_family(asked.id, family.id, now=now)

    again = counseling.book_slot(slot_at(counselor.id, tuesday, 15).id, family.id, now=now)

    assert again.status == AppointmentStatus.CONFIRMED


# --- moving and cancelling ----------------------------------------------------------


def test_family_moves_an_appointment_in_one_step(counselor, family, now, sunday):
    tuesday = sunday + timedelta(days=2)
    old, new = slot_at(counselor.id, tuesday, 14), slot_at(counselor.id, tuesday, 16)
    booked = counseling.book_slot(old.id, family.id, now=now)
    booked_id, sequence = booked.id, booked.sequence

    moved = counseling.move(booked_id, family.id, new.id, now=now + timedelta(hours=1))

    assert moved.id == booked_id
    assert moved.slot_id == new.id
    assert moved.slot.starts_at == new.starts_at
    assert moved.sequence == sequence + 1
    assert moved.status == AppointmentStatus.CONFIRMED
    assert offered_on(now, counselor.id, tuesday) == [at(14), at(15)]
    assert holders(old.id) == []
    assert [a.id for a in holders(new.id)] == [booked_id]
    refused("same_slot", lambda: counseling.move(booked_id, family.id, new.id, now=now))


def test_an_appointment_cannot_move_to_another_counselors_slot(
    counselor, family, make_user, now, sunday
):
    other = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(other.id, rules(), now=now)
    counseling.add_window(other.id, weekday=TUESDAY, starts=at(14), ends=at(17), now=now)
    tuesday = sunday + timedelta(days=2)
    booked = counseling.book_slot(slot_at(counselor.id, tuesday, 14).id, family.id, now=now)

    theirs = slot_at(other.id, tuesday, 15)
    refused("slot_unavailable", lambda: counseling.move(booked.id, family.id, theirs.id, now=now))


def test_moving_into_a_taken_slot_is_refused_and_keeps_the_old_one(
    counselor, family, make_user, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    mine, theirs = slot_at(counselor.id, tuesday, 14), slot_at(counselor.id, tuesday, 15)
    booked = counseling.book_slot(mine.id, family.id, now=now)
    counseling.book_slot(theirs.id, make_user().id, now=now)

    refused("slot_taken", lambda: counseling.move(booked.id, family.id, theirs.id, now=now))

    assert [a.id for a in holders(mine.id)] == [booked.id]


def test_family_cannot_change_after_the_cutoff_and_is_told_how_to_reach_the_counselor(
    counselor, family, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    slot, other = slot_at(counselor.id, tuesday, 14), slot_at(counselor.id, tuesday, 16)
    booked = counseling.book_slot(slot.id, family.id, now=now)
    late = slot.starts_at - timedelta(hours=23)
    assert counseling.can_change(booked, slot.starts_at - timedelta(hours=25))
    assert not counseling.can_change(booked, late)

    for action in (
        lambda: counseling.cancel_by_family(booked.id, family.id, now=late),
        lambda: counseling.move(booked.id, family.id, other.id, now=late),
    ):
        error = refused("past_change_cutoff", action)
        assert CONTACT in error.message
        assert counselor.name in error.message

    kept = holders(slot.id)
    assert [(a.id, a.status) for a in kept] == [(booked.id, AppointmentStatus.CONFIRMED)]


def test_without_contact_text_the_counselors_email_is_given(counselor, family, now, sunday):
    counseling.save_rules(counselor.id, rules(contact=""), now=now)
    slot = slot_at(counselor.id, sunday + timedelta(days=2), 14)
    booked = counseling.book_slot(slot.id, family.id, now=now)

    error = refused(
        "past_change_cutoff",
        lambda: counseling.cancel_by_family(booked.id, family.id, now=slot.starts_at),
    )
    assert counselor.email in error.message


def test_family_cancels_before_the_cutoff_and_the_slot_opens_again(counselor, family, now, sunday):
    tuesday = sunday + timedelta(days=2)
    slot = slot_at(counselor.id, tuesday, 14)
    booked = counseling.book_slot(slot.id, family.id, now=now)

    cancelled = counseling.cancel_by_family(booked.id, family.id, now=now)

    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancelled_at == now
    assert offered_on(now, counselor.id, tuesday) == THREE
    refused("appointment_over", lambda: counseling.cancel_by_family(booked.id, family.id, now=now))


def test_counselor_can_cancel_after_the_cutoff(counselor, family, now, sunday):
    slot = slot_at(counselor.id, sunday + timedelta(days=2), 14)
    booked = counseling.book_slot(slot.id, family.id, now=now)
    late = slot.starts_at - timedelta(hours=1)

    cancelled = counseling.cancel_by_facilitator(booked.id, counselor, now=late)

    assert cancelled.status == AppointmentStatus.CANCELLED
    assert cancelled.cancelled_at == late
    assert holders(slot.id) == []
    refused(
        "appointment_over", lambda: counseling.cancel_by_facilitator(booked.id, counselor, now=late)
    )


def test_other_family_cannot_move_or_cancel_an_appointment(
    counselor, family, make_user, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    slot, other_slot = slot_at(counselor.id, tuesday, 14), slot_at(counselor.id, tuesday, 16)
    booked = counseling.book_slot(slot.id, family.id, now=now)
    stranger = make_user()

    refused(
        "appointment_not_found",
        lambda: counseling.move(booked.id, stranger.id, other_slot.id, now=now),
    )
    refused(
        "appointment_not_found",
        lambda: counseling.cancel_by_family(booked.id, stranger.id, now=now),
    )
    refused(
        "appointment_not_found", lambda: counseling.cancel_by_family(987_654, family.id, now=now)
    )
    assert counseling.get_for_family(booked.id, stranger.id) is None
    assert [a.id for a in holders(slot.id)] == [booked.id]
    assert counseling.family_appointments(stranger.id, now) == []


def test_other_counselor_cannot_approve_or_cancel(counselor, family, make_user, now, sunday):
    counseling.save_rules(counselor.id, rules(approve_first=True), now=now)
    tuesday = sunday + timedelta(days=2)
    asked = counseling.book_slot(slot_at(counselor.id, tuesday, 14).id, family.id, now=now)
    other = make_user(Role.FACILITATOR)
    admin = make_user(Role.ADMIN)

    for action in (counseling.approve, counseling.decline, counseling.cancel_by_facilitator):
        refused("appointment_not_found", lambda a=action: a(asked.id, other, now=now))
    # A family can't act as a counselor either.
    refused("appointment_not_found", lambda: counseling.approve(asked.id, family, now=now))
    assert counseling.get_for_manager(asked.id, other) is None
    window = (now, now + timedelta(days=30))
    assert counseling.counselor_appointments(other, start=window[0], end=window[1]) == []
    assert holders(asked.slot_id)[0].status == AppointmentStatus.PENDING

    assert counseling.approve(asked.id, admin, now=now).status == AppointmentStatus.CONFIRMED
    cancelled = counseling.cancel_by_facilitator(asked.id, admin, now=now)
    assert cancelled.status == AppointmentStatus.CANCELLED


# --- invalid input -----------------------------------------------------------------


def _save(**changes: Any) -> Callable[[int, datetime], object]:
    return lambda counselor_id, now: counseling.save_rules(counselor_id, rules(**changes), now=now)


def _window(starts: time, ends: time) -> Callable[[int, datetime], object]:
    return lambda counselor_id, now: counseling.add_window(
        counselor_id, weekday=MONDAY, starts=starts, ends=ends, now=now
    )


@pytest.mark.parametrize(
    ("action", "code", "words"),
    [
        pytest.param(_save(timezone="Mars/Olympus_Mons"), "invalid_zone", "time zone", id="zone"),
        pytest.param(_save(slot_minutes=5), "bad_counseling_rules", "between 10", id="short-slot"),
        pytest.param(
            _save(mode=MeetingMode.ONLINE, online_url=""),
            "bad_counseling_rules",
            "meeting link",
            id="online-without-link",
        ),
        pytest.param(
            _save(min_notice_hours=24 * 20, horizon_days=14),
            "bad_counseling_rules",
            "minimum notice",
            id="notice-past-horizon",
        ),
        pytest.param(
            _window(at(17), at(14)), "bad_window", "end must be after the start", id="backwards"
        ),
        pytest.param(
            _window(at(14), at(14, 30)), "bad_window", "fit one 50-minute slot", id="too-short"
        ),
    ],
)
def test_invalid_rules_are_refused_with_a_message(counselor, now, action, code, words):
    before = counseling.settings_for(counselor.id)
    assert before is not None
    saved = {c.name: getattr(before, c.name) for c in CounselingSettings.__table__.columns}
    slots = db.session.scalars(select(CounselingSlot.id)).all()

    error = refused(code, lambda: action(counselor.id, now))

    assert words in error.message
    assert error.message.endswith(".")
    db.session.expire_all()
    after = counseling.settings_for(counselor.id)
    assert after is not None
    assert {c.name: getattr(after, c.name) for c in CounselingSettings.__table__.columns} == saved
    assert len(counseling.windows_for(counselor.id)) == 1
    assert db.session.scalars(select(CounselingSlot.id)).all() == slots


def test_lengthening_slots_past_a_window_is_refused_with_a_message(counselor, now):
    """The Tuesday 14:00-17:00 window can't hold a 4-hour slot: say so, don't crash."""
    error = refused(
        "bad_counseling_rules",
        lambda: counseling.save_rules(counselor.id, rules(slot_minutes=240), now=now),
    )
    assert "240-minute" in error.message


def test_someone_elses_hours_cannot_be_removed(counselor, make_user, now):
    window = counseling.windows_for(counselor.id)[0]
    other = make_user(Role.FACILITATOR)
    refused("window_not_found", lambda: counseling.remove_window(other.id, window.id, now=now))
    assert db.session.get(AvailabilityWindow, window.id) is not None


# --- the horizon moves on -----------------------------------------------------------


def test_refresh_stale_extends_the_horizon_as_days_pass(counselor, make_user, now, sunday):
    closed = make_user(Role.FACILITATOR, timezone=NEW_YORK)
    counseling.save_rules(closed.id, rules(open=False), now=now)
    counseling.save_rules(counselor.id, rules(horizon_days=7), now=now)
    tuesday, next_tuesday = sunday + timedelta(days=2), sunday + timedelta(days=9)
    assert {start.date() for start in offered(now, counselor.id)} == {tuesday}

    assert counseling.refresh_stale(now + timedelta(minutes=30)) == 0  # fresh enough

    later = now + timedelta(days=3)  # Wednesday: this Tuesday has gone by
    assert counseling.refresh_stale(later) == 1  # only the open counselor
    assert {start.date() for start in offered(later, counselor.id)} == {next_tuesday}
    settings = counseling.settings_for(counselor.id)
    assert settings is not None
    assert settings.synced_at == later
    assert counseling.refresh_stale(later + timedelta(minutes=59)) == 0


# --- the database's own guard -------------------------------------------------------


def _appointment(slot: CounselingSlot, family: User, status: str) -> Appointment:
    return Appointment(
        slot_id=slot.id,
        family_id=family.id,
        facilitator_id=slot.facilitator_id,
        status=status,
        kind="family",
    )


@pytest.mark.parametrize(
    ("first", "second", "allowed"),
    [
        (AppointmentStatus.CONFIRMED, AppointmentStatus.CONFIRMED, False),
        (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED, False),
        (AppointmentStatus.PENDING, AppointmentStatus.PENDING, False),
        (AppointmentStatus.CANCELLED, AppointmentStatus.CONFIRMED, True),
        (AppointmentStatus.DECLINED, AppointmentStatus.PENDING, True),
        (AppointmentStatus.CANCELLED, AppointmentStatus.CANCELLED, True),
    ],
)
def test_the_database_refuses_two_held_appointments_in_one_slot(
    counselor, make_user, now, sunday, first, second, allowed
):
    slot = slot_at(counselor.id, sunday + timedelta(days=2), 14)
    one, two = make_user(), make_user()
    db.session.add(_appointment(slot, one, first))
    db.session.flush()
    db.session.add(_appointment(slot, two, second))

    if allowed:
        db.session.flush()
        db.session.commit()
        assert (
            db.session.scalar(
                select(db.func.count(Appointment.id)).where(Appointment.slot_id == slot.id)
            )
            == 2
        )
    else:
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()


# --- a freed slot obeys the rules of today ----------------------------------------------


def test_a_cancelled_appointment_on_a_day_off_does_not_reopen_its_slot(
    counselor, family, make_user, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    slot = slot_at(counselor.id, tuesday, 15)
    booked = counseling.book_slot(slot.id, family.id, now=now)
    counseling.add_blackout(counselor.id, tuesday, now=now)

    counseling.cancel_by_family(booked.id, family.id, now=now)

    assert offered_on(now, counselor.id, tuesday) == []
    refused("slot_unavailable", lambda: counseling.book_slot(slot.id, make_user().id, now=now))


def test_moving_away_from_removed_hours_does_not_reopen_the_old_slot(
    counselor, family, now, sunday
):
    tuesday = sunday + timedelta(days=2)
    old = slot_at(counselor.id, tuesday, 15)
    booked = counseling.book_slot(old.id, family.id, now=now)
    counseling.add_window(counselor.id, weekday=MONDAY, starts=at(9), ends=at(10), now=now)
    tuesday_hours = next(w for w in counseling.windows_for(counselor.id) if w.weekday == TUESDAY)
    counseling.remove_window(counselor.id, tuesday_hours.id, now=now)
    monday = slot_at(counselor.id, sunday + timedelta(days=8), 9)

    counseling.move(booked.id, family.id, monday.id, now=now)

    assert offered_on(now, counselor.id, tuesday) == []


def test_the_meeting_link_is_for_a_confirmed_online_appointment_only(counselor, family, now):
    link = "https://meet.example.org/room-7"
    counseling.save_rules(
        counselor.id, rules(mode="online", online_url=link, approve_first=True), now=now
    )
    slot_ids = [s.slot.id for s in counseling.open_slots(now, facilitator_id=counselor.id)]
    appointment = counseling.book_slot(slot_ids[0], family.id, now=now)
    settings = counseling.settings_for(counselor.id)

    assert appointment.is_pending and counseling.meeting_link(appointment, settings) == ""
    counseling.approve(appointment.id, counselor, now=now)
    assert counseling.meeting_link(appointment, settings) == link
    counseling.cancel_by_facilitator(appointment.id, counselor, now=now)
    assert counseling.meeting_link(appointment, settings) == ""

    counseling.save_rules(counselor.id, rules(location="Room 2"), now=now)
    in_person = counseling.book_slot(slot_ids[1], family.id, now=now)
    assert in_person.is_confirmed
    assert counseling.meeting_link(in_person, counseling.settings_for(counselor.id)) == ""
