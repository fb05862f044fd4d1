"""Moving a booking to another session of its workshop: make-ups, without losing a seat."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.jobs import sweep_once
from scheduler.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    MessageKind,
    Role,
    User,
    WorkshopSession,
)
from scheduler.services import moves, series
from scheduler.services.booking import Needs, book_seats, cancel_booking
from scheduler.services.errors import DomainError
from scheduler.services.seats import seat_count
from scheduler.services.series import Scope
from scheduler.timeutil import utcnow
from tests.support import races
from tests.support.feeds import private_feed, vevents
from tests.support.ics_checks import cross_check, read_updates_alike
from tests.support.mail import SERVICE_WORDS, calendar_part, outbox, received

#: The first evening of a weekly group, a week after the fixed day these tests run on.
FIRST = datetime(2027, 2, 8, 18, 0)
NEEDS = Needs(
    accessibility_needs="Step-free entrance",
    childcare_needed=True,
    interpreter_language="Spanish",
    notes="We may be five minutes late",
)


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, a week before FIRST, whatever day they run."""
    with time_machine.travel(datetime(2027, 2, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def group(make_user, make_workshop):
    """A facilitator's three-week group with four seats a week."""
    facilitator = make_user(Role.FACILITATOR)
    return make_workshop(facilitator=facilitator, capacity=4, start=FIRST, weeks=3)


def reload(db, model, record_id):
    db.session.rollback()
    return db.session.get_one(model, record_id)


@contextmanager
def refused(code: str) -> Iterator[pytest.ExceptionInfo[DomainError]]:
    """Expect a rule to say no with ``code``."""
    with pytest.raises(DomainError) as refusal:
        yield refusal
    assert refusal.value.code == code, refusal.value.code


def test_a_family_moves_its_booking_keeping_seats_and_needs(db, group, make_user, make_booking):
    first, second, _ = group.sessions
    family = make_user()
    old = make_booking(first.id, family=family, seats=2, needs=NEEDS)

    new = moves.move_booking(old.id, second.id, actor=family, now=utcnow())

    new = reload(db, Booking, new.id)
    assert (new.session_id, new.status, new.seats) == (second.id, BookingStatus.CONFIRMED, 2)
    kept = (new.accessibility_needs, new.childcare_needed, new.interpreter_language, new.notes)
    assert kept == (
        NEEDS.accessibility_needs,
        True,
        NEEDS.interpreter_language,
        NEEDS.notes,
    )
    assert reload(db, Booking, old.id).status == BookingStatus.CANCELLED
    assert db.session.scalars(select(AuditEvent)).all() == []  # a family's own move


def test_a_family_can_move_until_the_cutoff_and_not_after(db, group, make_user, make_booking):
    first, second, third = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family)
    cutoff = first.starts_at - timedelta(hours=2)  # BOOKING_MOVE_CUTOFF_HOURS

    with time_machine.travel(cutoff, tick=False), refused("move_past_cutoff") as refusal:
        moves.move_booking(booking.id, second.id, actor=family, now=utcnow())
    assert "2 hours before it starts" in refusal.value.message
    assert reload(db, Booking, booking.id).is_confirmed

    with time_machine.travel(cutoff - timedelta(minutes=1), tick=False):
        moved = moves.move_booking(booking.id, third.id, actor=family, now=utcnow())
    assert reload(db, Booking, moved.id).session_id == third.id


def test_the_cutoff_is_a_setting(app, db, group, make_user, make_booking):
    app.config["BOOKING_MOVE_CUTOFF_HOURS"] = 24
    first, second, _ = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family)
    with time_machine.travel(first.starts_at - timedelta(hours=5), tick=False):
        assert not moves.family_can_move(reload(db, Booking, booking.id), utcnow())
        with refused("move_past_cutoff"):
            moves.move_booking(booking.id, second.id, actor=family, now=utcnow())


def test_staff_move_a_booking_after_its_session_and_the_move_is_audited(
    db, group, make_user, make_booking
):
    first, second, third = group.sessions
    missed, cancelled_for = make_user(), make_user()
    from_past = make_booking(first.id, family=missed)
    from_cancelled = make_booking(second.id, family=cancelled_for)
    admin = make_user(Role.ADMIN)
    series.cancel_sessions(second.id, scope=Scope.ONE, now=utcnow())

    with time_machine.travel(first.ends_at + timedelta(days=1), tick=False):
        facilitator = reload(db, User, group.facilitator_id)
        made_up = moves.move_booking(from_past.id, third.id, actor=facilitator, now=utcnow())
        also = moves.move_booking(from_cancelled.id, third.id, actor=admin, now=utcnow())

    assert reload(db, Booking, made_up.id).session_id == third.id
    assert reload(db, Booking, also.id).session_id == third.id
    trail = [(e.actor_id, e.action, e.subject) for e in db.session.scalars(select(AuditEvent))]
    assert sorted(trail) == sorted(
        [
            (group.facilitator_id, "act_for.move", f"booking:{from_past.id}"),
            (admin.id, "act_for.move", f"booking:{from_cancelled.id}"),
        ]
    )


def test_a_full_target_refuses_the_move_and_keeps_the_old_seat(db, group, make_user, make_booking):
    first, second, _ = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family, seats=2)
    make_booking(second.id, seats=3)
    before = (reload(db, Booking, booking.id).sequence, len(outbox(db)))

    with refused("move_target_full") as refusal:
        moves.move_booking(booking.id, second.id, actor=family, now=utcnow())

    assert "doesn't have 2 seats free" in refusal.value.message
    kept = reload(db, Booking, booking.id)
    assert (kept.status, kept.session_id, kept.sequence) == ("confirmed", first.id, before[0])
    assert len(outbox(db)) == before[1]
    family_there = select(Booking).where(
        Booking.session_id == second.id, Booking.family_id == family.id
    )
    assert db.session.scalars(family_there).all() == []


def test_seats_held_for_the_waitlist_are_not_free_for_a_move(db, group, make_user, make_booking):
    _, second, third = group.sessions
    mover = make_user()
    booking = make_booking(third.id, family=mover)
    seated = [make_booking(second.id, family=make_user()) for _ in range(4)]
    waiting = make_booking(second.id, join_waitlist=True)
    # Inside the promotion cutoff a freed seat waits for the facilitator to promote.
    with time_machine.travel(second.starts_at - timedelta(hours=10), tick=False):
        cancel_booking(seated[0].id, seated[0].family_id, now=utcnow())
        assert seat_count(reload(db, WorkshopSession, second.id)).held_for_waitlist == 1
        with refused("move_target_full"):
            moves.move_booking(booking.id, second.id, actor=mover, now=utcnow())
    assert reload(db, Booking, waiting.id).is_waitlisted


def test_a_waitlisted_booking_moves_to_a_session_with_room_and_is_seated(
    db, make_user, make_workshop, make_booking
):
    first, second = make_workshop(capacity=1, start=FIRST, weeks=2).sessions
    make_booking(first.id)
    family = make_user()
    waiting = make_booking(first.id, family=family, join_waitlist=True)

    moved = moves.move_booking(waiting.id, second.id, actor=family, now=utcnow())

    assert reload(db, Booking, moved.id).status == BookingStatus.CONFIRMED
    assert reload(db, Booking, waiting.id).status == BookingStatus.CANCELLED


def test_the_seat_left_goes_to_that_sessions_waitlist(db, make_user, make_workshop, make_booking):
    first, second = make_workshop(capacity=1, start=FIRST, weeks=2).sessions
    family = make_user()
    leaving = make_booking(first.id, family=family)
    waiting = make_booking(first.id, join_waitlist=True)

    moves.move_booking(leaving.id, second.id, actor=family, now=utcnow())

    assert reload(db, Booking, waiting.id).is_confirmed
    assert [r.kind for r in outbox(db, booking_id=waiting.id)][-3:] == [
        MessageKind.PROMOTED,
        MessageKind.REMINDER,
        MessageKind.REMINDER,
    ]


def test_a_move_sends_one_email_with_the_new_time_and_the_old_one_cancelled(
    client, db, mail_to, group, make_user, make_booking
):
    first, second, _ = group.sessions
    family = make_user()
    old = make_booking(first.id, family=family)
    sweep_once()  # the confirmation
    mail_to.clear()
    before = {
        uid: int(e["sequence"]) for uid, e in vevents(private_feed(client, db, family).data).items()
    }
    etag = private_feed(client, db, family).headers["ETag"]

    new = moves.move_booking(old.id, second.id, actor=family, now=utcnow())

    told = [(r.kind, r.status) for r in outbox(db, recipient_id=family.id) if r.status != "sent"]
    assert sorted(told) == [
        (MessageKind.MOVED, "pending"),
        (MessageKind.REMINDER, "cancelled"),
        (MessageKind.REMINDER, "cancelled"),
        (MessageKind.REMINDER, "pending"),
        (MessageKind.REMINDER, "pending"),
    ]
    assert {r.booking_id for r in outbox(db, kind=MessageKind.REMINDER, status="pending")} == {
        new.id
    }
    assert sweep_once().sent == 1
    (email,) = received(mail_to)
    assert email["Subject"].startswith("Hearth: your appointment moved to ")
    assert not SERVICE_WORDS.search(email["Subject"])
    body, method = calendar_part(email)
    assert method == "PUBLISH"
    cross_check(body)
    read_updates_alike(body)
    events = vevents(body)
    old_uid, new_uid = f"booking-{old.id}@localhost", f"booking-{new.id}@localhost"
    assert str(events[new_uid]["status"]) == "CONFIRMED"
    assert str(events[old_uid]["status"]) == "CANCELLED"
    assert int(events[old_uid]["sequence"]) > before[old_uid]
    feed = private_feed(client, db, family)
    assert feed.headers["ETag"] != etag
    assert set(vevents(feed.data)) == {old_uid, new_uid}


def test_a_move_must_stay_in_the_workshop_and_go_somewhere_open(
    db, group, make_user, make_workshop, make_booking
):
    first, second, third = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family)
    elsewhere = make_workshop(start=FIRST).sessions[0]
    make_booking(third.id, family=family)
    series.cancel_sessions(second.id, scope=Scope.ONE, now=utcnow())

    for target, code in [
        (elsewhere.id, "move_other_workshop"),
        (first.id, "move_same_session"),
        (second.id, "session_cancelled"),
        (third.id, "already_booked"),
        (999_999, "session_not_found"),
    ]:
        with refused(code):
            moves.move_booking(booking.id, target, actor=family, now=utcnow())
    assert reload(db, Booking, booking.id).is_confirmed


def test_a_session_that_started_is_no_target(db, group, make_user, make_booking):
    first, second, _ = group.sessions
    booking = make_booking(second.id)
    facilitator = reload(db, User, group.facilitator_id)
    with (
        time_machine.travel(first.starts_at + timedelta(minutes=5), tick=False),
        refused("session_started"),
    ):
        moves.move_booking(booking.id, first.id, actor=facilitator, now=utcnow())


def test_nobody_moves_anyone_elses_booking(db, group, make_user, make_booking):
    first, second, _ = group.sessions
    booking = make_booking(first.id)
    for stranger in (make_user(), make_user(Role.FACILITATOR)):
        with refused("booking_not_found"):
            moves.move_booking(booking.id, second.id, actor=stranger, now=utcnow())
    with refused("booking_not_found"):
        moves.move_booking(999_999, second.id, actor=make_user(), now=utcnow())


def test_a_family_joins_a_full_sessions_waitlist_and_keeps_its_seat(
    db, group, make_user, make_booking
):
    first, second, _ = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family, seats=2, needs=NEEDS)
    make_booking(second.id, seats=4)

    waiting = moves.wait_for_seat(booking.id, second.id, family_id=family.id, now=utcnow())

    waiting = reload(db, Booking, waiting.id)
    assert (waiting.session_id, waiting.status, waiting.seats) == (second.id, "waitlisted", 2)
    assert waiting.accessibility_needs == NEEDS.accessibility_needs
    assert reload(db, Booking, booking.id).is_confirmed


def test_the_pages_offer_only_sessions_a_booking_can_move_to(db, group, make_user, make_booking):
    first, second, third = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family, seats=2)
    make_booking(second.id, seats=3)
    single = make_booking(first.id)  # another household in the first session
    choices = moves.choices(reload(db, Booking, booking.id), utcnow())
    assert [(c.session.id, c.has_room) for c in choices] == [(second.id, False), (third.id, True)]
    assert moves.movable([reload(db, Booking, booking.id), single], utcnow()) == {
        booking.id,
        single.id,
    }
    with time_machine.travel(first.starts_at - timedelta(hours=1), tick=False):
        assert moves.movable([reload(db, Booking, booking.id)], utcnow()) == set()


# --- a move racing bookings of the target ---------------------------------------------


@dataclass(frozen=True)
class Outcome:
    family_id: int
    told: str


@pytest.mark.slow
def test_moves_racing_bookings_for_the_last_seats_never_overfill_or_lose_a_booking(
    app, db, make_user, make_workshop, make_booking
):
    capacity = 6
    first, second = make_workshop(capacity=capacity, start=FIRST, weeks=2).sessions
    for _ in range(3):
        make_booking(second.id)
    movers = [make_user() for _ in range(8)]
    moving = {f.id: make_booking(first.id, family=f).id for f in movers[:4]}
    moving |= {f.id: make_booking(first.id, family=f, join_waitlist=True).id for f in movers[4:]}
    bookers = [make_user() for _ in range(8)]

    def move_job(family_id: int):
        def job() -> Outcome:
            actor = db.session.get_one(User, family_id)
            try:
                moves.move_booking(moving[family_id], second.id, actor=actor, now=utcnow())
            except DomainError as error:
                return Outcome(family_id, error.code)
            return Outcome(family_id, "moved")

        return job

    def book_job(family_id: int):
        def job() -> Outcome:
            try:
                book_seats(second.id, family_id, 1, Needs(), now=utcnow())
            except DomainError as error:
                return Outcome(family_id, error.code)
            return Outcome(family_id, "booked")

        return job

    jobs = [move_job(f.id) for f in movers] + [book_job(f.id) for f in bookers]
    outcomes = races.race(app, jobs, lambda told: Outcome(-1, told))

    assert [
        o for o in outcomes if o.told not in ("moved", "booked", "move_target_full", "full")
    ] == []
    db.session.rollback()
    confirmed = db.session.scalars(
        select(Booking).where(Booking.session_id == second.id, Booking.status == "confirmed")
    ).all()
    assert sum(b.seats for b in confirmed) <= capacity
    assert len(confirmed) == 3 + sum(o.told in ("moved", "booked") for o in outcomes)
    for outcome in outcomes:
        if outcome.family_id not in moving:
            continue
        old = db.session.get_one(Booking, moving[outcome.family_id])
        held_here = outcome.family_id in {b.family_id for b in confirmed}
        # Moved: the old booking gave way to a seat in the target. Refused: it stays.
        assert (old.is_cancelled, held_here) == (outcome.told == "moved",) * 2


# --- the pages --------------------------------------------------------------------------


def test_my_bookings_offers_the_move_and_its_page_shows_each_session_with_room_or_not(
    client, auth, group, make_user, make_booking
):
    first, second, third = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family, seats=2)
    make_booking(second.id, seats=3)
    auth.login(family)

    assert f'href="/bookings/{booking.id}/move"' in client.get("/bookings").text
    page = client.get(f"/bookings/{booking.id}/move")

    assert page.status_code == 200
    html = page.text
    assert f'id="session-{second.id}"' in html and f'id="session-{third.id}"' in html
    assert f'id="session-{first.id}"' not in html  # where it is now
    assert html.count("Eastern") >= 3  # each time says its zone
    assert "4 seats free" in html and "no room for 2 seats" in html


def test_a_family_moves_from_its_page_or_joins_a_full_sessions_waitlist(
    client, auth, db, group, make_user, make_booking
):
    first, second, third = group.sessions
    family = make_user()
    booking = make_booking(first.id, family=family, seats=2)
    make_booking(second.id, seats=3)
    auth.login(family)
    url = f"/bookings/{booking.id}/move"

    full = client.post(url, data={"session_id": str(second.id)})
    assert full.status_code == 409
    assert "have 2 seats free right now" in full.text
    assert "Join the waitlist and keep my seat" in full.text

    joined = client.post(url, data={"session_id": str(second.id), "join_waitlist": "1"})
    assert joined.status_code == 303
    assert reload(db, Booking, booking.id).is_confirmed
    waiting = select(Booking).where(Booking.session_id == second.id, Booking.family_id == family.id)
    assert db.session.scalars(waiting).one().is_waitlisted

    moved = client.post(url, data={"session_id": str(third.id)}, follow_redirects=True)
    assert moved.status_code == 200
    assert "Your booking is moved to" in moved.text
    assert reload(db, Booking, booking.id).is_cancelled


@pytest.mark.parametrize("chosen", ["", "abc", "0", "-4", "9" * 30])
def test_a_move_form_that_makes_no_sense_is_a_clear_4xx_and_changes_nothing(
    client, auth, db, group, make_user, make_booking, chosen
):
    family = make_user()
    booking = make_booking(group.sessions[0].id, family=family)
    auth.login(family)

    response = client.post(f"/bookings/{booking.id}/move", data={"session_id": chosen})

    assert response.status_code in (409, 422)
    assert 'class="error-summary"' in response.text or "error-text" in response.text
    assert reload(db, Booking, booking.id).is_confirmed


def test_past_the_cutoff_the_page_says_to_contact_the_facilitator(
    client, auth, group, make_user, make_booking
):
    first = group.sessions[0]
    family = make_user()
    booking = make_booking(first.id, family=family)
    auth.login(family)
    with time_machine.travel(first.starts_at - timedelta(hours=1), tick=False):
        assert f"/bookings/{booking.id}/move" not in client.get("/bookings").text
        page = client.get(f"/bookings/{booking.id}/move").text
    assert "Please contact the facilitator" in page and "Move my booking" not in page


def test_staff_move_a_household_from_the_roster_and_it_is_audited(
    client, auth, db, group, make_user, make_booking
):
    first, _, third = group.sessions
    family = make_user(name="Okafor household")
    booking = make_booking(first.id, family=family)
    facilitator = reload(db, User, group.facilitator_id)
    auth.login(facilitator)

    roster = client.get(f"/manage/sessions/{first.id}/roster").text
    assert f'href="/manage/bookings/{booking.id}/move"' in roster
    page = client.get(f"/manage/bookings/{booking.id}/move")
    assert page.status_code == 200 and "Okafor household" in page.text

    with time_machine.travel(first.ends_at + timedelta(hours=1), tick=False):
        moved = client.post(
            f"/manage/bookings/{booking.id}/move", data={"session_id": str(third.id)}
        )
    assert moved.status_code == 303
    assert moved.location.endswith(f"/manage/sessions/{first.id}/roster")
    assert reload(db, Booking, booking.id).is_cancelled
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "act_for.move"))
    assert (event.actor_id, event.subject) == (facilitator.id, f"booking:{booking.id}")
