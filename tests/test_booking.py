"""Booking rules: seats, the waitlist, series enrollment, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from scheduler.models import Booking, BookingStatus
from scheduler.services import booking as booking_service
from scheduler.services import waitlist
from scheduler.services.booking import Needs, cancel_booking, enroll_series
from scheduler.services.errors import DomainError
from scheduler.services.seats import SeatCount, seat_count
from scheduler.timeutil import utcnow


def status_of(db, booking_id: int) -> str:
    db.session.rollback()
    return db.session.get_one(Booking, booking_id).status


def test_booking_takes_seats_and_keeps_needs(make_workshop, make_booking, make_user):
    session = make_workshop(capacity=5).sessions[0]
    family = make_user()
    needs = Needs(
        accessibility_needs="Step-free",
        childcare_needed=True,
        interpreter_language="Spanish",
        notes="First time",
    )
    booking = make_booking(session.id, family=family, seats=3, needs=needs)

    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.childcare_needed, booking.interpreter_language) == (True, "Spanish")
    assert seat_count(session) == SeatCount(capacity=5, confirmed=3)


def test_full_session_offers_waitlist_instead_of_booking(make_workshop, make_booking, make_user):
    session = make_workshop(capacity=2).sessions[0]
    make_booking(session.id, seats=2)
    family = make_user()

    with pytest.raises(DomainError) as refused:
        make_booking(session.id, family=family, seats=1)
    assert refused.value.code == "full"

    waiting = make_booking(session.id, family=family, seats=1, join_waitlist=True)
    assert waiting.status == BookingStatus.WAITLISTED


def test_joining_waitlist_when_seats_are_free_books_them(make_workshop, make_booking):
    session = make_workshop(capacity=3).sessions[0]
    booking = make_booking(session.id, seats=2, join_waitlist=True)
    assert booking.status == BookingStatus.CONFIRMED


def test_household_cannot_hold_two_active_bookings(make_workshop, make_booking, make_user):
    session = make_workshop(capacity=10).sessions[0]
    family = make_user()
    make_booking(session.id, family=family)
    with pytest.raises(DomainError) as refused:
        make_booking(session.id, family=family)
    assert refused.value.code == "already_booked"


def test_household_can_book_again_after_cancelling(make_workshop, make_booking, make_user, db):
    session = make_workshop(capacity=10).sessions[0]
    family = make_user()
    first = make_booking(session.id, family=family)
    cancel_booking(first.id, family.id, now=utcnow())
    again = make_booking(session.id, family=family, seats=2)
    assert again.status == BookingStatus.CONFIRMED


def test_database_refuses_second_active_booking_even_past_the_service(
    make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=10).sessions[0]
    family = make_user()
    make_booking(session.id, family=family)
    db.session.add(
        Booking(
            session_id=session.id, family_id=family.id, seats=1, status=BookingStatus.WAITLISTED
        )
    )
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(("seats", "code"), [(0, "too_few_seats"), (7, "too_many_seats")])
def test_seats_outside_limits_are_refused(make_workshop, make_booking, seats, code):
    session = make_workshop(capacity=20).sessions[0]
    with pytest.raises(DomainError) as refused:
        make_booking(session.id, seats=seats)
    assert refused.value.code == code


def test_household_larger_than_room_is_told_to_call(make_workshop, make_booking):
    session = make_workshop(capacity=3).sessions[0]
    with pytest.raises(DomainError) as refused:
        make_booking(session.id, seats=4, join_waitlist=True)
    assert refused.value.code == "larger_than_session"


def test_draft_cancelled_and_past_sessions_cannot_be_booked(make_workshop, make_booking, db):
    draft = make_workshop(publish=False).sessions[0]
    with pytest.raises(DomainError, match="isn't open"):
        make_booking(draft.id)

    session = make_workshop().sessions[0]
    with pytest.raises(DomainError) as refused:
        make_booking(session.id, now=session.starts_at + timedelta(minutes=1))
    assert refused.value.code == "session_started"


def test_cancel_promotes_oldest_waitlisted_household_that_fits(
    make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=4).sessions[0]
    leaving = make_user()
    booked = make_booking(session.id, family=leaving, seats=2)
    make_booking(session.id, seats=2)
    too_big = make_booking(session.id, seats=3, join_waitlist=True)
    fits_first = make_booking(session.id, seats=1, join_waitlist=True)
    fits_second = make_booking(session.id, seats=1, join_waitlist=True)

    promoted = cancel_booking(booked.id, leaving.id, now=utcnow())

    assert [b.id for b in promoted] == [fits_first.id, fits_second.id]
    assert status_of(db, too_big.id) == BookingStatus.WAITLISTED  # keeps its place
    assert status_of(db, fits_first.id) == BookingStatus.CONFIRMED
    assert seat_count(session).confirmed == 4


def test_waitlisted_household_keeps_first_place_when_it_finally_fits(
    make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=3).sessions[0]
    a, b = make_user(), make_user()
    first = make_booking(session.id, family=a, seats=1)
    second = make_booking(session.id, family=b, seats=2)
    big = make_booking(session.id, seats=2, join_waitlist=True)
    small = make_booking(session.id, seats=1, join_waitlist=True)

    cancel_booking(first.id, a.id, now=utcnow())  # 1 free: only the small household fits
    assert status_of(db, small.id) == BookingStatus.CONFIRMED
    cancel_booking(second.id, b.id, now=utcnow())  # 2 free: the big household, first in line
    assert status_of(db, big.id) == BookingStatus.CONFIRMED


def test_no_automatic_promotion_inside_cutoff(app, make_workshop, make_booking, make_user, db):
    session = make_workshop(capacity=1).sessions[0]
    leaving = make_user()
    booked = make_booking(session.id, family=leaving)
    waiting = make_booking(session.id, join_waitlist=True)
    inside_cutoff = (
        session.starts_at
        - timedelta(hours=app.config["WAITLIST_PROMOTION_CUTOFF_HOURS"])
        + timedelta(minutes=1)
    )

    assert cancel_booking(booked.id, leaving.id, now=inside_cutoff) == []
    assert status_of(db, waiting.id) == BookingStatus.WAITLISTED


def test_seats_freed_inside_cutoff_are_held_for_the_waitlist(
    app, make_workshop, make_booking, make_user, db
):
    session = make_workshop(capacity=2).sessions[0]
    leaving = make_user()
    booked = make_booking(session.id, family=leaving, seats=1)
    make_booking(session.id, seats=1)
    make_booking(session.id, seats=1, join_waitlist=True)
    late = session.starts_at - timedelta(hours=2)
    cancel_booking(booked.id, leaving.id, now=late)

    count = seat_count(session)
    assert (count.free, count.held_for_waitlist, count.open) == (1, 1, 0)
    with pytest.raises(DomainError, match="have 1 seat free"):
        make_booking(session.id, now=late)  # a newcomer does not jump the queue


def test_facilitator_promotes_by_hand_within_capacity(make_workshop, make_booking, make_user, db):
    session = make_workshop(capacity=2).sessions[0]
    leaving = make_user()
    booked = make_booking(session.id, family=leaving, seats=1)
    make_booking(session.id, seats=1)
    big = make_booking(session.id, seats=2, join_waitlist=True)
    small = make_booking(session.id, seats=1, join_waitlist=True)
    late = session.starts_at - timedelta(hours=1)
    cancel_booking(booked.id, leaving.id, now=late)

    with pytest.raises(DomainError) as refused:
        booking_service.promote_by_hand(big.id, now=late)
    assert refused.value.code == "no_room_to_promote"
    booking_service.promote_by_hand(small.id, now=late)
    assert status_of(db, small.id) == BookingStatus.CONFIRMED
    assert seat_count(session).confirmed == 2


def test_cancelling_twice_or_someone_elses_booking_is_refused(
    make_workshop, make_booking, make_user
):
    session = make_workshop().sessions[0]
    owner, stranger = make_user(), make_user()
    booking = make_booking(session.id, family=owner)
    with pytest.raises(DomainError, match="couldn't find"):
        cancel_booking(booking.id, stranger.id, now=utcnow())
    cancel_booking(booking.id, owner.id, now=utcnow())
    with pytest.raises(DomainError, match="already cancelled"):
        cancel_booking(booking.id, owner.id, now=utcnow())


def test_enroll_books_every_upcoming_session_of_a_series(make_workshop, make_user, db):
    workshop = make_workshop(capacity=5, weeks=4)
    family = make_user()
    bookings = enroll_series(workshop.id, family.id, 2, Needs(childcare_needed=True), now=utcnow())
    assert sorted(b.session_id for b in bookings) == sorted(s.id for s in workshop.sessions)
    assert all(b.status == BookingStatus.CONFIRMED and b.seats == 2 for b in bookings)


def test_enroll_is_all_or_nothing_when_one_session_is_full(
    make_workshop, make_booking, make_user, db
):
    workshop = make_workshop(capacity=2, weeks=3)
    make_booking(workshop.sessions[1].id, seats=2)
    family = make_user()
    with pytest.raises(DomainError) as refused:
        enroll_series(workshop.id, family.id, 1, Needs(), now=utcnow())
    assert refused.value.code == "series_full"
    db.session.rollback()
    assert db.session.query(Booking).filter_by(family_id=family.id).count() == 0


def test_enroll_skips_sessions_the_household_already_booked(make_workshop, make_booking, make_user):
    workshop = make_workshop(capacity=5, weeks=3)
    family = make_user()
    make_booking(workshop.sessions[0].id, family=family)
    bookings = enroll_series(workshop.id, family.id, 1, Needs(), now=utcnow())
    assert {b.session_id for b in bookings} == {s.id for s in workshop.sessions[1:]}
    with pytest.raises(DomainError, match="already booked into every"):
        enroll_series(workshop.id, family.id, 1, Needs(), now=utcnow())


# --- the workshop page's one form: sessions ticked one by one -----------------------------


def test_ticked_sessions_are_booked_one_by_one_and_a_full_one_is_refused_alone(
    make_workshop, make_booking, make_user, db
):
    workshop = make_workshop(capacity=2, weeks=3)
    first, second, third = workshop.sessions
    make_booking(second.id, seats=2)
    family = make_user()

    outcomes = booking_service.book_sessions(
        workshop.id, [third.id, first.id, second.id], family.id, 1, Needs(), now=utcnow()
    )

    assert [o.session_id for o in outcomes] == [first.id, second.id, third.id]  # by date
    assert [o.booking is not None for o in outcomes] == [True, False, True]
    assert outcomes[1].error is not None and outcomes[1].error.code == "full"
    db.session.rollback()
    held = db.session.query(Booking).filter_by(family_id=family.id).all()
    assert sorted(b.session_id for b in held) == [first.id, third.id]


def test_ticking_a_full_session_the_page_showed_as_full_joins_its_waitlist(
    make_workshop, make_booking, make_user
):
    workshop = make_workshop(capacity=2, weeks=2)
    first, second = workshop.sessions
    make_booking(second.id, seats=2)
    family = make_user()

    outcomes = booking_service.book_sessions(
        workshop.id,
        [first.id, second.id],
        family.id,
        2,
        Needs(),
        now=utcnow(),
        waitlist={second.id},
    )

    assert [o.booking.status for o in outcomes if o.booking] == [
        BookingStatus.CONFIRMED,
        BookingStatus.WAITLISTED,
    ]


def test_sessions_of_another_workshop_cannot_be_booked_through_this_one(make_workshop, make_user):
    mine, other = make_workshop(), make_workshop()
    family = make_user()
    with pytest.raises(DomainError) as refused:
        booking_service.book_sessions(
            mine.id, [other.sessions[0].id], family.id, 1, Needs(), now=utcnow()
        )
    assert refused.value.code == "session_not_found"


def test_waitlisted_households_know_their_place_in_line(make_workshop, make_booking, make_user):
    session = make_workshop(capacity=2).sessions[0]
    make_booking(session.id, seats=2)
    first, second, third = (make_booking(session.id, seats=1, join_waitlist=True) for _ in range(3))
    other_session = make_workshop(capacity=1).sessions[0]
    make_booking(other_session.id, seats=1)
    elsewhere = make_booking(other_session.id, seats=1, join_waitlist=True)

    places = waitlist.places_in_line([third, first, elsewhere, second])

    assert places == {first.id: 1, second.id: 2, third.id: 3, elsewhere.id: 1}
    cancel_booking(first.id, first.family_id, now=utcnow())
    assert waitlist.places_in_line([second, third]) == {second.id: 1, third.id: 2}
