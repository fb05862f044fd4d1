"""Walk-ins: a household added at the door takes seats by the same rule and code as any
booking, is marked came at once, and gets past a full room only by the facilitator's
override, which is recorded on the booking and in the audit log."""

# ruff: noqa: F811  (the fixtures imported from tests.support.checkin are used by name)
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Booking, BookingStatus, OutboxMessage, Role, User
from scheduler.services.booking import Needs, take_seats
from scheduler.services.errors import DomainError
from scheduler.services.households import Contact
from scheduler.services.seats import seat_count
from scheduler.services.walk_ins import walk_in
from tests.support import races
from tests.support.checkin import (  # noqa: F401  (fixtures)
    CLOSES,
    DOOR,
    MONDAY,
    STARTS,
    audit_trail,
    clock,
    evening,
    group,
    lead,
    reload,
)

ROSA = Contact(name="Rosa Alvarez", phone="555-0142")


@pytest.fixture
def full_but_one(make_booking, make_user, evening):
    """Four of the evening's five seats taken."""
    make_booking(evening.id, family=make_user(), seats=4, now=MONDAY)
    return evening


def outbox_rows() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_new_household_at_the_door_takes_seats_and_is_marked_came_at_once(lead, evening):
    before = outbox_rows()

    booking = walk_in(evening.id, 2, contact=ROSA, acting=lead, now=DOOR)

    found = reload(Booking, booking.id)
    household = reload(User, found.family_id)
    assert (household.name, household.phone, household.email) == ("Rosa Alvarez", "555-0142", None)
    assert (found.status, found.seats, found.walk_in, found.over_capacity) == (
        BookingStatus.CONFIRMED,
        2,
        True,
        False,
    )
    assert (found.attendance, found.attended_seats, found.attendance_marked_by_id) == (
        "attended",
        2,
        lead.id,
    )
    assert found.booked_by_id == lead.id
    assert [action for _, action, _ in audit_trail()] == [
        "household.create",
        "act_for.book",
        "attendance.walk_in",
    ]
    assert seat_count(found.session).confirmed == 2
    assert outbox_rows() == before, "nothing is emailed to a household standing at the door"


def test_a_household_found_by_search_walks_in_with_its_own_account(lead, evening, make_user):
    family = make_user(name="The Novak family", email="novak@example.org")

    booking = walk_in(evening.id, 1, household_id=family.id, acting=lead, now=DOOR)

    found = reload(Booking, booking.id)
    assert (found.family_id, found.walk_in, found.attendance) == (family.id, True, "attended")
    assert outbox_rows() == 0, "no confirmation, no reminders: they are here"


def test_a_walk_in_the_room_has_no_seats_for_is_refused_and_nothing_is_kept(lead, full_but_one):
    with pytest.raises(DomainError) as error:
        walk_in(full_but_one.id, 2, contact=ROSA, acting=lead, now=DOOR)

    assert error.value.code == "full"
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.name == "Rosa Alvarez")) is None
    assert seat_count(reload(type(full_but_one), full_but_one.id)).confirmed == 4
    assert audit_trail() == []


def test_the_facilitators_override_lets_a_walk_in_past_capacity_and_is_audited(lead, full_but_one):
    booking = walk_in(full_but_one.id, 2, contact=ROSA, acting=lead, now=DOOR, override=True)

    found = reload(Booking, booking.id)
    assert (found.status, found.over_capacity, found.attendance) == (
        BookingStatus.CONFIRMED,
        True,
        "attended",
    )
    assert seat_count(found.session).confirmed == 6  # of 5: the room was let over
    assert audit_trail()[-2:] == [
        (lead.id, "attendance.walk_in", f"booking:{found.id}"),
        (lead.id, "attendance.over_capacity", f"booking:{found.id}"),
    ]


def test_an_override_not_needed_records_no_override(lead, evening):
    booking = walk_in(evening.id, 1, contact=ROSA, acting=lead, now=DOOR, override=True)

    assert reload(Booking, booking.id).over_capacity is False
    assert "attendance.over_capacity" not in [a for _, a, _ in audit_trail()]


def test_a_group_bigger_than_the_room_needs_the_override_too(lead, make_workshop, clock):
    tiny = make_workshop(facilitator=lead, capacity=2, start=datetime(2026, 3, 5, 18, 0))
    session = tiny.sessions[0]
    with pytest.raises(DomainError) as error:
        walk_in(session.id, 3, contact=ROSA, acting=lead, now=DOOR)
    assert error.value.code == "larger_than_session"

    booking = walk_in(session.id, 3, contact=ROSA, acting=lead, now=DOOR, override=True)
    assert reload(Booking, booking.id).over_capacity is True


def test_only_a_walk_in_can_be_let_past_capacity(lead, full_but_one, make_user):
    family = make_user()
    with pytest.raises(DomainError) as error, write_transaction():
        take_seats(
            full_but_one.id,
            family.id,
            2,
            Needs(),
            now=MONDAY,
            acting=lead,
            override=True,
        )
    assert error.value.code == "full"


def test_walk_ins_are_added_only_while_marks_are_open(lead, evening):
    for when, code in (
        (STARTS - timedelta(hours=2), "marks_not_open"),
        (CLOSES, "marks_closed"),
    ):
        with pytest.raises(DomainError) as error:
            walk_in(evening.id, 1, contact=ROSA, acting=lead, now=when)
        assert error.value.code == code
    late = walk_in(evening.id, 1, contact=ROSA, acting=lead, now=CLOSES - timedelta(hours=1))
    assert reload(Booking, late.id).walk_in


def test_only_those_who_run_the_workshop_add_walk_ins(evening, make_user):
    other = make_user(Role.FACILITATOR)

    with pytest.raises(DomainError) as error:
        walk_in(evening.id, 1, contact=ROSA, acting=other, now=DOOR)

    assert error.value.code == "session_not_found"


def test_a_household_already_booked_is_marked_rather_than_added_again(
    lead, evening, make_booking, make_user
):
    family = make_user()
    make_booking(evening.id, family=family, now=MONDAY)

    with pytest.raises(DomainError) as error:
        walk_in(evening.id, 1, household_id=family.id, acting=lead, now=DOOR)

    assert error.value.code == "household_already_booked"


def test_a_new_household_needs_a_name(lead, evening):
    with pytest.raises(DomainError) as error:
        walk_in(evening.id, 1, contact=Contact(name="  "), acting=lead, now=DOOR)
    assert error.value.code == "household_name_missing"


def test_walk_ins_racing_for_the_last_seats_never_pass_the_capacity(app, lead, full_but_one):
    """Eight households added at once by two facilitators' phones, one seat left: one
    gets it, the others are told the room is full; none is let over without an override."""
    session_id = full_but_one.id

    def job(n: int):
        def run() -> str:
            try:
                walk_in(session_id, 1, contact=Contact(f"Walk-in {n}"), acting=lead, now=DOOR)
            except DomainError as error:
                return error.code
            return "added"

        return run

    outcomes = races.race(app, [job(n) for n in range(8)], lambda told: told)

    assert sorted(outcomes) == ["added"] + ["full"] * 7
    db.session.rollback()
    confirmed = db.session.scalars(
        select(Booking).where(Booking.session_id == session_id, Booking.is_active)
    ).all()
    assert sum(b.seats for b in confirmed) == 5
    assert not any(b.over_capacity for b in confirmed)
