"""Marks at the door: came (with how many seats), late or absent for a booking, came or
no-show for an appointment; the same mark twice is one; marks open an hour before and
close ATTENDANCE_CLOSE_DAYS after the end; only those who run it (or admins) mark."""

# ruff: noqa: F811  (the fixtures imported from tests.support.checkin are used by name)
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from scheduler.config import from_environment
from scheduler.database import write_transaction
from scheduler.models import AuditEvent, Booking, Role, User, WorkshopFacilitator
from scheduler.services import attendance, counseling, series
from scheduler.services.attendance import Tally, mark_appointment, mark_booking
from scheduler.services.booking import cancel_booking
from scheduler.services.errors import DomainError
from scheduler.web.admin.routes import ACTIONS
from tests.support import counseling as counseling_support
from tests.support.checkin import (  # noqa: F401  (fixtures)
    CLOSES,
    DOOR,
    ENDS,
    MONDAY,
    STARTS,
    audit_trail,
    clock,
    evening,
    group,
    lead,
    reload,
)


@pytest.fixture
def chens(make_user, make_booking, evening):
    """The Chen family, three seats in the first evening."""
    family = make_user(name="The Chen family")
    return make_booking(evening.id, family=family, seats=3, now=MONDAY)


def refused(call) -> str:
    with pytest.raises(DomainError) as error:
        call()
    return error.value.code


# --- marks -----------------------------------------------------------------------------


def test_a_household_marked_came_counts_all_its_seats_unless_told(lead, chens):
    marked = mark_booking(chens.id, "attended", acting=lead, now=DOOR)

    booking = reload(Booking, chens.id)
    assert (marked.mark, marked.seats, marked.changed) == ("attended", 3, True)
    assert (booking.attendance, booking.attended_seats) == ("attended", 3)
    assert (booking.attendance_marked_at, booking.attendance_marked_by_id) == (DOOR, lead.id)
    assert audit_trail() == [(lead.id, "attendance.attended", f"booking:{chens.id}")]


def test_how_many_seats_came_is_kept_from_one_to_the_seats_booked(lead, chens):
    mark_booking(chens.id, "attended", seats=2, acting=lead, now=DOOR)
    assert reload(Booking, chens.id).attended_seats == 2

    for wrong in (0, 4, -1):
        assert (
            refused(
                lambda w=wrong: mark_booking(chens.id, "attended", seats=w, acting=lead, now=DOOR)
            )
            == "seats_came_range"
        )
    assert reload(Booking, chens.id).attended_seats == 2


def test_the_same_mark_sent_twice_is_saved_once(lead, chens):
    mark_booking(chens.id, "attended", seats=2, acting=lead, now=DOOR)

    again = mark_booking(
        chens.id, "attended", seats=2, acting=lead, now=DOOR + timedelta(seconds=30)
    )

    assert not again.changed
    assert reload(Booking, chens.id).attendance_marked_at == DOOR
    assert [action for _, action, _ in audit_trail()] == ["attendance.attended"]


def test_a_mark_can_be_changed_while_marks_are_open_and_each_change_is_audited(lead, chens):
    mark_booking(chens.id, "absent", acting=lead, now=DOOR)
    mark_booking(chens.id, "late", seats=1, acting=lead, now=DOOR + timedelta(minutes=20))
    later = ENDS + timedelta(days=3)
    mark_booking(chens.id, "late", seats=3, acting=lead, now=later)

    booking = reload(Booking, chens.id)
    assert (booking.attendance, booking.attended_seats) == ("late", 3)
    assert booking.attendance_marked_at == later
    assert [a for _, a, _ in audit_trail()] == [
        "attendance.absent",
        "attendance.late",
        "attendance.late",
    ]


def test_absent_says_no_seats_came_whatever_was_sent(lead, chens):
    mark_booking(chens.id, "attended", acting=lead, now=DOOR)
    mark_booking(chens.id, "absent", seats=2, acting=lead, now=DOOR)

    booking = reload(Booking, chens.id)
    assert (booking.attendance, booking.attended_seats) == ("absent", None)


def test_late_counts_as_came_with_its_seats(lead, chens, make_booking, make_user, evening):
    absent = make_booking(evening.id, family=make_user(), seats=1, now=MONDAY)
    unmarked = make_booking(evening.id, family=make_user(), seats=1, now=MONDAY)
    mark_booking(chens.id, "late", seats=2, acting=lead, now=DOOR)
    mark_booking(absent.id, "absent", acting=lead, now=DOOR)

    tally = attendance.session_tally(evening.id)

    assert tally == Tally(came=0, late=1, absent=1, unmarked=1, seats_came=2)
    assert unmarked.attendance is None


def test_only_came_late_or_absent_are_marks(lead, chens):
    assert refused(lambda: mark_booking(chens.id, "no_show", acting=lead, now=DOOR)) == (
        "unknown_mark"
    )
    assert refused(lambda: mark_booking(chens.id, "", acting=lead, now=DOOR)) == "unknown_mark"


def test_waitlisted_and_cancelled_bookings_cant_be_marked(
    lead, make_booking, make_user, make_workshop, clock
):
    small = make_workshop(facilitator=lead, capacity=1, start=datetime(2026, 3, 5, 18, 0))
    session = small.sessions[0]
    holder = make_user()
    seated = make_booking(session.id, family=holder, now=MONDAY)
    waiting = make_booking(session.id, family=make_user(), join_waitlist=True, now=MONDAY)
    leaving = make_booking(make_workshop(facilitator=lead).sessions[0].id, now=MONDAY)
    cancel_booking(leaving.id, leaving.family_id, now=MONDAY)

    assert refused(lambda: mark_booking(waiting.id, "attended", acting=lead, now=DOOR)) == (
        "mark_waitlisted"
    )
    assert refused(lambda: mark_booking(leaving.id, "absent", acting=lead, now=DOOR)) == (
        "mark_cancelled"
    )
    assert reload(Booking, waiting.id).attendance is None
    assert seated.status == "confirmed"


# --- when marks are open ---------------------------------------------------------------


def test_marks_open_an_hour_before_the_session_starts(lead, chens):
    too_soon = STARTS - timedelta(hours=1, minutes=1)
    with pytest.raises(DomainError) as error:
        mark_booking(chens.id, "attended", acting=lead, now=too_soon)
    assert error.value.code == "marks_not_open"
    assert "5:00" in error.value.message and "Eastern" in error.value.message

    mark_booking(chens.id, "attended", acting=lead, now=STARTS - timedelta(hours=1))
    assert reload(Booking, chens.id).attendance == "attended"


def test_marks_close_seven_days_after_the_session_ends_by_the_local_clock(lead, chens, clock):
    mark_booking(chens.id, "absent", acting=lead, now=DOOR)
    last_minute = CLOSES - timedelta(minutes=1)
    clock.move_to(last_minute)
    mark_booking(chens.id, "attended", acting=lead, now=last_minute)

    clock.move_to(CLOSES)
    with pytest.raises(DomainError) as error:
        mark_booking(chens.id, "absent", acting=lead, now=CLOSES)

    assert error.value.code == "marks_closed"
    assert "Mar 12, 2026" in error.value.message and "7:30" in error.value.message
    booking = reload(Booking, chens.id)
    assert (booking.attendance, booking.attendance_marked_at) == ("attended", last_minute)


def test_how_long_marks_stay_open_is_a_setting(app, lead, chens):
    app.config["ATTENDANCE_CLOSE_DAYS"] = 2
    assert from_environment({"ATTENDANCE_CLOSE_DAYS": "2"})["ATTENDANCE_CLOSE_DAYS"] == 2

    mark_booking(chens.id, "late", acting=lead, now=ENDS + timedelta(days=1))
    assert refused(
        lambda: mark_booking(chens.id, "absent", acting=lead, now=ENDS + timedelta(days=2))
    ) == ("marks_closed")


def test_a_cancelled_session_has_nobody_to_mark(lead, chens, evening):
    series.cancel_sessions(evening.id, scope=series.Scope.ONE, now=MONDAY)

    assert refused(lambda: mark_booking(chens.id, "absent", acting=lead, now=DOOR)) == (
        "session_cancelled"
    )


# --- who may mark ----------------------------------------------------------------------


def test_the_lead_a_co_facilitator_and_an_admin_may_mark_nobody_else(
    db, lead, chens, evening, make_user
):
    sharing = make_user(Role.FACILITATOR, name="Ben, co-facilitator")
    with write_transaction() as transaction:
        transaction.add(WorkshopFacilitator(workshop_id=evening.workshop_id, user_id=sharing.id))
    admin = make_user(Role.ADMIN)
    other = make_user(Role.FACILITATOR)
    family = reload(User, chens.family_id)

    mark_booking(chens.id, "attended", acting=lead, now=DOOR)
    mark_booking(chens.id, "late", acting=sharing, now=DOOR)
    mark_booking(chens.id, "absent", acting=admin, now=DOOR)
    for outsider in (other, family):
        assert refused(
            lambda o=outsider: mark_booking(chens.id, "attended", acting=o, now=DOOR)
        ) == ("booking_not_found")

    assert [(who, action) for who, action, _ in audit_trail()] == [
        (lead.id, "attendance.attended"),
        (sharing.id, "attendance.late"),
        (admin.id, "attendance.absent"),
    ]
    assert reload(Booking, chens.id).attendance == "absent"


# --- counseling ------------------------------------------------------------------------


@pytest.fixture
def visit(clock, make_counselor, make_user):
    """A confirmed appointment three days on with Dr Rivera: (its id, its slot's times)."""
    counselor = make_counselor()
    family = make_user(name="Lee family")
    appointment_id = counseling_support.book(counselor, family, days=3)
    found = counseling.get_for_manager(appointment_id, counselor)
    assert found is not None and found.is_confirmed
    return counselor, found.id, found.slot.starts_at, found.slot.ends_at


def test_a_counselor_marks_an_appointment_came_or_no_show_once_each(db, visit):
    counselor, appointment_id, starts, ends = visit
    first = mark_appointment(appointment_id, "no_show", acting=counselor, now=starts)
    twice = mark_appointment(appointment_id, "no_show", acting=counselor, now=starts)
    mark_appointment(appointment_id, "attended", acting=counselor, now=ends + timedelta(days=1))

    found = counseling_support.appointment(db, appointment_id)
    assert (first.changed, twice.changed) == (True, False)
    assert (found.attendance, found.attendance_marked_by_id) == ("attended", counselor.id)
    assert found.attendance_marked_at == ends + timedelta(days=1)
    assert audit_trail() == [
        (counselor.id, "attendance.no_show", f"appointment:{appointment_id}"),
        (counselor.id, "attendance.appointment_attended", f"appointment:{appointment_id}"),
    ]


def test_appointment_marks_keep_the_same_window(visit):
    counselor, appointment_id, starts, ends = visit

    early = starts - timedelta(hours=2)
    assert (
        refused(lambda: mark_appointment(appointment_id, "attended", acting=counselor, now=early))
        == "marks_not_open"
    )
    late = ends + timedelta(days=7)
    assert (
        refused(lambda: mark_appointment(appointment_id, "attended", acting=counselor, now=late))
        == "marks_closed"
    )
    assert (
        refused(lambda: mark_appointment(appointment_id, "late", acting=counselor, now=starts))
        == "unknown_appointment_mark"
    )


def test_only_its_counselor_or_an_admin_marks_an_appointment(visit, make_user):
    _, appointment_id, starts, _ = visit
    other = make_user(Role.FACILITATOR)

    assert refused(
        lambda: mark_appointment(appointment_id, "attended", acting=other, now=starts)
    ) == ("appointment_not_found")
    mark_appointment(appointment_id, "attended", acting=make_user(Role.ADMIN), now=starts)


def test_a_request_waiting_for_approval_cant_be_marked(clock, make_counselor, make_user):
    counselor = make_counselor(approve_first=True)
    appointment_id = counseling_support.book(counselor, make_user(), days=3)
    starts = counseling.get_for_manager(appointment_id, counselor).slot.starts_at

    assert refused(
        lambda: mark_appointment(appointment_id, "attended", acting=counselor, now=starts)
    ) == ("appointment_not_markable")


def test_the_counselors_list_of_appointments_to_mark_follows_the_window(visit, make_user):
    counselor, appointment_id, starts, ends = visit

    def listed(now):
        return [a.id for a in attendance.appointments_to_mark(counselor, now)]

    assert listed(starts - timedelta(hours=2)) == []
    assert listed(starts - timedelta(minutes=30)) == [appointment_id]
    assert listed(ends + timedelta(days=6)) == [appointment_id]
    assert listed(ends + timedelta(days=7)) == []


# --- the audit page --------------------------------------------------------------------


def test_every_attendance_action_is_worded_on_the_admin_audit_page():
    written = {
        *attendance.BOOKING_ACTIONS.values(),
        *attendance.APPOINTMENT_ACTIONS.values(),
        attendance.WALK_IN_ACTION,
        attendance.OVER_CAPACITY_ACTION,
    }

    assert sorted(written - set(ACTIONS)) == []


def test_a_mark_writes_nothing_but_the_booking_and_its_audit_entry(db, lead, chens):
    mark_booking(chens.id, "attended", acting=lead, now=DOOR)

    db.session.rollback()
    assert db.session.scalar(select(AuditEvent.action)) == "attendance.attended"
    booking = db.session.get_one(Booking, chens.id)
    assert (booking.status, booking.seats, booking.sequence) == ("confirmed", 3, 0)
