"""Attendance added up for facilitators: seats booked, seats attended, show rate, and the
households that missed two sessions in a row.

The sessions are booked as of Thursday 1 October 2026 and read as of later days; the
marks are written onto the bookings (tests/support/attendance.py) as check-in writes them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scheduler.models import Role, User, Workshop
from scheduler.services import attendance_stats, cofacilitators, series
from scheduler.services.attendance_stats import RECENT_SESSIONS, MissedHousehold
from tests.support.attendance import mark_appointment, mark_booking
from tests.support.counseling import book
from tests.support.feeds import counting_queries

BOOKED_ON = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
#: Tuesdays at 6 p.m. in New York, from 6 October: 6, 13, 20, 27 October, 3 November...
FIRST = datetime(2026, 10, 6, 18, 0)
#: After the third session, before the fourth.
AFTER_THREE = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _booked_before_the_term():
    with time_machine.travel(BOOKED_ON, tick=False):
        yield


@pytest.fixture
def maya(make_user) -> User:
    return make_user(Role.FACILITATOR, name="Maya Okafor")


@pytest.fixture
def term(make_workshop, maya) -> Workshop:
    return make_workshop(facilitator=maya, capacity=10, weeks=4, start=FIRST)


def stats_of(viewer: User, workshop: Workshop, now: datetime = AFTER_THREE):
    return attendance_stats.by_workshop(viewer, [workshop.id], now=now)[workshop.id]


def test_three_sessions_with_known_marks_add_up_to_a_79_percent_show_rate(
    maya, term, make_user, make_booking
):
    first, second, third, fourth = (s.id for s in term.sessions)
    a, b, c, d = (make_user(name=f"Household {n}") for n in "ABCD")
    mark_booking(make_booking(first, family=a, seats=3).id, "attended")
    mark_booking(make_booking(first, family=b, seats=2).id, "late")  # late still came
    mark_booking(make_booking(second, family=a, seats=3).id, "attended", seats=2)
    mark_booking(make_booking(second, family=c, seats=2).id, "attended")
    mark_booking(make_booking(third, family=b, seats=2).id, "attended")
    mark_booking(make_booking(third, family=d, seats=2).id, "absent")
    make_booking(fourth, family=a, seats=3)  # not held yet: not counted

    stats = stats_of(maya, term)

    assert (stats.held, stats.marked, stats.unmarked) == (3, 3, 0)
    assert (stats.booked, stats.attended) == (14, 11)
    assert stats.show_rate == pytest.approx(11 / 14)
    assert f"{stats.show_rate:.0%}" == "79%"
    assert [(s.session_id, s.booked, s.attended) for s in stats.recent] == [
        (first, 5, 5),
        (second, 5, 4),
        (third, 4, 2),
    ]
    assert [s.show_rate for s in stats.recent] == [1.0, 0.8, 0.5]


def test_a_session_not_checked_in_yet_is_not_counted_as_nobody_coming(maya, term, make_booking):
    first, second, third, _ = (s.id for s in term.sessions)
    mark_booking(make_booking(first, seats=4).id, "attended", seats=3)
    mark_booking(make_booking(second, seats=2).id, "attended")
    make_booking(third, seats=5)  # held, booked, nobody marked

    stats = stats_of(maya, term)

    assert (stats.held, stats.marked, stats.unmarked) == (3, 2, 1)
    assert (stats.booked, stats.booked_in_marked, stats.attended) == (11, 6, 5)
    assert stats.show_rate == pytest.approx(5 / 6)  # over the sessions checked in only
    unmarked = stats.recent[-1]
    assert (unmarked.booked, unmarked.attended, unmarked.marked) == (5, 0, False)
    assert unmarked.show_rate is None


def test_in_a_session_checked_in_a_household_left_unmarked_counts_as_booked_not_attended(
    maya, term, make_booking
):
    first = term.sessions[0].id
    mark_booking(make_booking(first, seats=2).id, "attended")
    make_booking(first, seats=2)  # the facilitator ticked who came; this one wasn't ticked

    (session,) = stats_of(maya, term, now=FIRST_ENDED).recent

    assert (session.booked, session.attended, session.marked) == (4, 2, True)


FIRST_ENDED = datetime(2026, 10, 7, 12, 0, tzinfo=UTC)


def test_before_any_check_in_there_is_no_show_rate(maya, term, make_booking):
    make_booking(term.sessions[0].id, seats=3)

    stats = stats_of(maya, term)

    assert (stats.held, stats.marked, stats.unmarked, stats.booked, stats.attended) == (
        3, 0, 1, 3, 0
    )  # fmt: skip
    assert stats.show_rate is None


def test_a_session_nobody_booked_has_nobody_to_check_in(maya, term, make_booking):
    first, _nobody, third, _ = term.sessions
    mark_booking(make_booking(first.id, seats=2).id, "attended")
    make_booking(third.id)

    stats = stats_of(maya, term)

    assert (stats.held, stats.marked, stats.unmarked) == (3, 1, 1)
    assert [s.to_check_in for s in stats.recent] == [False, False, True]
    assert stats.recent[1].booked == stats.recent[1].attended == 0


def test_only_confirmed_seats_of_sessions_held_count(maya, term, make_booking):
    first, second, third, fourth = term.sessions
    for _ in range(3):
        make_booking(first.id, seats=3)
    waiting = make_booking(first.id, seats=2, join_waitlist=True)  # 10 seats: it waits
    assert waiting.is_waitlisted
    make_booking(third.id, seats=2)
    series.cancel_sessions(third.id, scope=series.Scope.ONE, now=BOOKED_ON)

    stats = stats_of(maya, term, now=datetime(2026, 10, 28, 12, 0, tzinfo=UTC))

    assert [s.session_id for s in stats.recent] == [first.id, second.id, fourth.id]
    assert (stats.held, stats.booked) == (3, 9)


def test_a_workshop_with_no_session_held_yet_has_no_numbers(maya, term):
    early = datetime(2026, 10, 5, 12, 0, tzinfo=UTC)

    assert attendance_stats.by_workshop(maya, [term.id], now=early) == {}
    assert attendance_stats.by_workshop(maya, [], now=early) == {}


def test_a_mark_without_a_seat_count_counts_every_seat_of_the_booking(maya, term, make_booking, db):
    booking = make_booking(term.sessions[0].id, seats=3)
    mark_booking(booking.id, "attended")
    db.session.execute(db.text("UPDATE bookings SET attended_seats = NULL"))
    db.session.commit()

    assert stats_of(maya, term).attended == 3


def test_the_chart_shows_the_most_recent_sessions_and_the_totals_count_them_all(
    maya, make_workshop, make_booking
):
    weeks = RECENT_SESSIONS + 2
    long = make_workshop(facilitator=maya, weeks=weeks, start=FIRST)
    for session in long.sessions:
        mark_booking(make_booking(session.id, seats=2).id, "attended", seats=1)
    later = datetime(2026, 10, 6, 23, 0, tzinfo=UTC) + timedelta(weeks=weeks)

    stats = stats_of(maya, long, now=later)

    assert (stats.held, stats.booked, stats.attended) == (weeks, 2 * weeks, weeks)
    assert [s.session_id for s in stats.recent] == [s.id for s in long.sessions[2:]]


# --- households that missed two in a row --------------------------------------------------


def test_households_whose_last_two_marks_both_say_absent_are_named(
    maya, make_user, make_workshop, make_booking
):
    term = make_workshop(facilitator=maya, capacity=10, weeks=5, start=FIRST)
    s1, s2, s3, s4, s5 = (s.id for s in term.sessions)
    twice = make_user(name="The Lee family")
    back_again = make_user(name="The Chen family")
    skipped_one = make_user(name="The Diaz family")  # booked the first and third only
    unmarked_between = make_user(name="The Novak family")
    late = make_user(name="The Okoro family")
    once = make_user(name="The Park family")
    plan = {
        twice: {s2: "absent", s3: "absent"},
        back_again: {s1: "absent", s2: "absent", s3: "attended"},
        skipped_one: {s1: "absent", s3: "absent"},
        unmarked_between: {s1: "absent", s2: None, s3: "absent"},
        late: {s2: "absent", s3: "late"},
        once: {s3: "absent"},
    }
    for family, marks in plan.items():
        for session_id, mark in marks.items():
            booking = make_booking(session_id, family=family)
            if mark:
                mark_booking(booking.id, mark)
    mark_booking(make_booking(s4, family=make_user()).id, "attended")  # s2 is checked in
    make_booking(s5, family=back_again)  # not held yet

    stats = stats_of(maya, term, now=datetime(2026, 10, 28, 12, 0, tzinfo=UTC))

    assert stats.missed_twice == [
        MissedHousehold(skipped_one.id, "The Diaz family"),
        MissedHousehold(twice.id, "The Lee family"),
        MissedHousehold(unmarked_between.id, "The Novak family"),
    ]


def test_missing_once_in_each_of_two_workshops_is_not_twice_in_a_row(
    maya, make_user, make_workshop, make_booking
):
    family = make_user()
    evenings = make_workshop(facilitator=maya, start=FIRST)
    mornings = make_workshop(facilitator=maya, start=datetime(2026, 10, 7, 9, 0))
    for workshop in (evenings, mornings):
        mark_booking(make_booking(workshop.sessions[0].id, family=family).id, "absent")

    found = attendance_stats.by_workshop(maya, [evenings.id, mornings.id], now=AFTER_THREE)

    assert found[evenings.id].missed_twice == found[mornings.id].missed_twice == []


# --- who sees what --------------------------------------------------------------------------


def test_a_facilitator_gets_numbers_for_their_own_and_shared_workshops_and_an_admin_for_any(
    maya, make_user, make_workshop, make_booking
):
    mine = make_workshop(facilitator=maya, start=FIRST)
    ben = make_user(Role.FACILITATOR, name="Ben")
    shared = make_workshop(facilitator=ben, start=FIRST)
    cofacilitators.add_cofacilitator(shared.id, maya.email, actor_id=ben.id, now=BOOKED_ON)
    others = make_workshop(facilitator=make_user(Role.FACILITATOR), start=FIRST)
    for workshop in (mine, shared, others):
        make_booking(workshop.sessions[0].id)
    ids = [mine.id, shared.id, others.id]

    assert set(attendance_stats.by_workshop(maya, ids, now=AFTER_THREE)) == {mine.id, shared.id}
    assert set(attendance_stats.by_workshop(ben, ids, now=AFTER_THREE)) == {shared.id}
    admin = make_user(Role.ADMIN)
    assert set(attendance_stats.by_workshop(admin, ids, now=AFTER_THREE)) == set(ids)


def test_the_numbers_take_two_statements_however_many_workshops_sessions_and_marks(
    maya, db, make_user, make_workshop, make_booking
):
    def statements(workshops: list[Workshop]) -> int:
        ids = [w.id for w in workshops]
        db.session.rollback()
        viewer = db.session.get_one(User, maya.id)
        with counting_queries(db) as seen:
            attendance_stats.by_workshop(viewer, ids, now=AFTER_THREE)
        return len(seen)

    small = [make_workshop(facilitator=maya, start=FIRST)]
    mark_booking(make_booking(small[0].sessions[0].id).id, "absent")
    once = statements(small)
    large = [make_workshop(facilitator=maya, capacity=9, weeks=3, start=FIRST) for _ in range(4)]
    for workshop in large:
        for session in workshop.sessions:
            for _ in range(3):
                mark_booking(make_booking(session.id, family=make_user()).id, "absent")

    assert once == statements(small + large) == 2


# --- counseling -------------------------------------------------------------------------------


def test_a_counselors_past_appointments_are_counted_by_their_mark(make_counselor, make_user):
    counselor = make_counselor()
    came, missed, _not_marked = (book(counselor, make_user(), days=1) for _ in range(3))
    book(counselor, make_user(), days=5)  # still to come
    mark_appointment(came, "attended", by=counselor)
    mark_appointment(missed, "no_show", by=counselor)
    other = make_counselor(name="Dr Other")
    mark_appointment(book(other, make_user(), days=1), "attended", by=other)
    three_days_on = BOOKED_ON + timedelta(days=3)

    counts = attendance_stats.counselor_counts(counselor.id, now=three_days_on)

    assert (counts.attended, counts.no_show, counts.unmarked, counts.held) == (1, 1, 1, 3)
    assert attendance_stats.counselor_counts(counselor.id, now=BOOKED_ON).held == 0
