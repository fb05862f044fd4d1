"""What needs a facilitator's attention: requests to answer, people waiting, needs to plan for.

Every test reads as of one fixed day: Monday 30 November 2026, 10 a.m. in New York.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scheduler.models import Role
from scheduler.services import series
from scheduler.services.attention import needs_attention
from scheduler.services.booking import Needs, cancel_booking
from scheduler.timeutil import utcnow
from tests.support.counseling import book

#: Monday 30 November 2026, 10 a.m. in New York, 7 a.m. in Los Angeles.
NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
LOS_ANGELES = "America/Los_Angeles"


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(NOW, tick=False):
        yield


def on(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A local wall time in 2026 (December unless told), as the publishing form sends it."""
    return datetime(2026, month, day, hour, minute)


@pytest.fixture
def facilitator(make_user):
    return make_user(Role.FACILITATOR, name="Maya Okafor")


@pytest.fixture
def tomorrow_evening(make_workshop, facilitator):
    """Maya's session tomorrow, Tuesday 1 December, at 6 p.m. in New York: 5 seats."""
    return make_workshop(
        facilitator=facilitator, capacity=5, start=on(1, 18), title="Tuesday circle"
    ).sessions[0]


def test_nothing_needs_attention_says_so(facilitator, tomorrow_evening, make_booking):
    make_booking(tomorrow_evening.id, seats=2)  # room left, nobody waiting, no needs

    attention = needs_attention(facilitator, now=NOW)

    assert attention.is_empty
    assert (attention.requests, attention.waiting, attention.prepare) == ([], [], [])


def test_a_full_session_with_people_waiting_needs_attention(
    facilitator, make_workshop, make_booking
):
    session = make_workshop(facilitator=facilitator, capacity=4, start=on(10, 18)).sessions[0]
    make_booking(session.id, seats=4)
    make_booking(session.id, seats=2, join_waitlist=True)
    make_booking(session.id, seats=1, join_waitlist=True)

    (waiting,) = needs_attention(facilitator, now=NOW).waiting

    assert waiting.session.id == session.id
    assert waiting.seats.is_full
    assert waiting.seats.waitlisted_households == 2
    assert waiting.seats.held_for_waitlist == 0


def test_people_waiting_for_a_session_with_seats_too_few_for_them_need_attention(
    facilitator, make_workshop, make_booking
):
    """Two seats free, a household of three waiting: not full, but someone waits."""
    session = make_workshop(facilitator=facilitator, capacity=5, start=on(10, 18)).sessions[0]
    make_booking(session.id, seats=3)
    make_booking(session.id, seats=3, join_waitlist=True)

    (waiting,) = needs_attention(facilitator, now=NOW).waiting

    assert not waiting.seats.is_full
    assert (waiting.seats.free, waiting.seats.waitlisted_households) == (2, 1)


def test_seats_held_for_the_waitlist_are_told_until_someone_gives_them_out(
    facilitator, tomorrow_evening, make_user, make_booking
):
    """Inside the last day seats are not given out by themselves: they wait for a person."""
    leaving = make_user()
    booked = make_booking(tomorrow_evening.id, seats=2, family=leaving)
    make_booking(tomorrow_evening.id, seats=3)
    make_booking(tomorrow_evening.id, seats=1, join_waitlist=True)
    three_hours_before = tomorrow_evening.starts_at - timedelta(hours=3)

    with time_machine.travel(three_hours_before, tick=False):
        cancel_booking(booked.id, leaving.id, now=utcnow())
        (waiting,) = needs_attention(facilitator, now=utcnow()).waiting

    assert waiting.seats.held_for_waitlist == 1
    assert waiting.seats.waitlisted_households == 1


def test_a_waitlist_stops_needing_attention_once_the_session_starts(
    facilitator, tomorrow_evening, make_booking
):
    make_booking(tomorrow_evening.id, seats=5)
    make_booking(tomorrow_evening.id, seats=1, join_waitlist=True)

    later = needs_attention(facilitator, now=tomorrow_evening.starts_at + timedelta(minutes=1))

    assert needs_attention(facilitator, now=NOW).waiting
    assert later.waiting == []


def test_a_cancelled_session_needs_nothing(facilitator, tomorrow_evening, make_booking):
    make_booking(tomorrow_evening.id, seats=5, needs=Needs(childcare_needed=True))
    make_booking(tomorrow_evening.id, seats=1, join_waitlist=True)

    series.cancel_sessions(tomorrow_evening.id, scope=series.Scope.ONE, now=NOW)

    assert needs_attention(facilitator, now=NOW).is_empty


def test_a_counseling_request_waiting_for_approval_needs_an_answer(make_counselor, make_user):
    counselor = make_counselor(approve_first=True)
    asking = book(counselor, make_user(name="The Lee family"))

    (request,) = needs_attention(counselor, now=NOW).requests

    assert request.id == asking
    assert request.family.name == "The Lee family"


def test_a_confirmed_appointment_needs_no_answer(make_counselor, make_user):
    counselor = make_counselor(approve_first=False)
    book(counselor, make_user())

    assert needs_attention(counselor, now=NOW).is_empty


def test_a_session_tomorrow_with_needs_adds_them_up(facilitator, tomorrow_evening, make_booking):
    make_booking(tomorrow_evening.id, needs=Needs(childcare_needed=True))
    make_booking(
        tomorrow_evening.id, needs=Needs(childcare_needed=True, interpreter_language="Spanish")
    )
    make_booking(tomorrow_evening.id, needs=Needs(interpreter_language=" spanish "))
    make_booking(tomorrow_evening.id, needs=Needs(accessibility_needs="Step-free access"))
    make_booking(tomorrow_evening.id)  # no needs
    # The waitlist may not come: its needs are not counted.
    make_booking(tomorrow_evening.id, join_waitlist=True, needs=Needs(childcare_needed=True))

    (prepare,) = needs_attention(facilitator, now=NOW).prepare

    assert prepare.session.id == tomorrow_evening.id
    assert prepare.session.workshop.title == "Tuesday circle"
    assert prepare.needs.childcare_households == 2
    assert prepare.needs.interpreter_languages == {"Spanish": 2}
    assert len(prepare.needs.accessibility_notes) == 1


def test_a_session_tomorrow_nobody_asked_anything_for_needs_nothing(
    facilitator, tomorrow_evening, make_booking
):
    make_booking(tomorrow_evening.id, seats=2, needs=Needs(notes="We may be late"))

    assert needs_attention(facilitator, now=NOW).is_empty


def test_a_session_later_today_with_needs_is_in_too(facilitator, make_workshop, make_booking):
    tonight = make_workshop(facilitator=facilitator, start=on(30, 19, month=11)).sessions[0]
    make_booking(tonight.id, needs=Needs(childcare_needed=True))

    (prepare,) = needs_attention(facilitator, now=NOW).prepare

    assert prepare.session.id == tonight.id


def test_needs_for_the_day_after_tomorrow_can_wait(facilitator, make_workshop, make_booking):
    wednesday = make_workshop(facilitator=facilitator, start=on(2, 9)).sessions[0]
    make_booking(wednesday.id, needs=Needs(childcare_needed=True))

    assert needs_attention(facilitator, now=NOW).prepare == []
    tuesday_morning = NOW + timedelta(days=1)
    assert needs_attention(facilitator, now=tuesday_morning).prepare != []


def test_tomorrow_ends_at_midnight_where_the_facilitator_lives(
    make_user, make_workshop, make_booking
):
    """Tuesday 10:30 p.m. in Los Angeles is already Wednesday in New York."""
    west = make_user(Role.FACILITATOR, timezone=LOS_ANGELES)
    east = make_user(Role.FACILITATOR, timezone="America/New_York")
    for facilitator in (west, east):
        late = make_workshop(facilitator=facilitator, timezone=LOS_ANGELES, start=on(1, 22, 30))
        make_booking(late.sessions[0].id, needs=Needs(interpreter_language="ASL"))

    assert len(needs_attention(west, now=NOW).prepare) == 1
    assert needs_attention(east, now=NOW).prepare == []


def test_a_facilitator_sees_only_their_own_and_an_admin_sees_everyones(
    make_user, make_workshop, make_booking, make_counselor
):
    maya, sam = make_user(Role.FACILITATOR), make_user(Role.FACILITATOR)
    admin = make_user(Role.ADMIN)
    counselor = make_counselor(approve_first=True)
    book(counselor, make_user())
    for facilitator in (maya, sam):
        session = make_workshop(facilitator=facilitator, capacity=1, start=on(1, 18)).sessions[0]
        make_booking(session.id, needs=Needs(childcare_needed=True))
        make_booking(session.id, join_waitlist=True)

    mine = needs_attention(maya, now=NOW)
    everyone = needs_attention(admin, now=NOW)

    assert [w.session.workshop.facilitator_id for w in mine.waiting] == [maya.id]
    assert [p.session.workshop.facilitator_id for p in mine.prepare] == [maya.id]
    assert mine.requests == []
    assert len(everyone.waiting) == len(everyone.prepare) == 2
    assert [r.facilitator_id for r in everyone.requests] == [counselor.id]
