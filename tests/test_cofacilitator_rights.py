"""A co-facilitator may do for a shared workshop all its lead may: book, cancel, move and
change needs for a household, look after a household's record, see past sessions, copy
the workshop, add a session, delete a draft. Each service asks ``permissions`` (the
same answer for the lead and a co-facilitator); taken off the workshop, it all stops.
Feeds of everyone who runs it change with every move and every change of place.

Services and pages, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.models import AuditEvent, Booking, BookingStatus, Role, Workshop
from scheduler.services import cofacilitators, households, moves, needs, program, series
from scheduler.services.booking import Needs, book_seats, cancel_booking
from scheduler.services.errors import DomainError
from scheduler.services.households import Contact
from scheduler.services.series import Scope, WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.support.app import local_start
from tests.support.feeds import private_feed

ZONE = "America/New_York"


@pytest.fixture
def shared(make_user, make_workshop):
    """Ana leads a three-week group of four seats; Ben runs it with her."""
    ana = make_user(Role.FACILITATOR, name="Ana Ruiz")
    ben = make_user(Role.FACILITATOR, name="Ben Cole")
    workshop = make_workshop(facilitator=ana, weeks=3, capacity=4)
    cofacilitators.add_cofacilitator(workshop.id, ben.email, actor_id=ana.id, now=utcnow())
    return ana, ben, workshop


def actions_by(db, user_id: int) -> list[str]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.actor_id == user_id).order_by(AuditEvent.id)
        )
    )


def reload(db, model, record_id: int):
    db.session.rollback()
    return db.session.get_one(model, record_id)


# --- acting for a household --------------------------------------------------------------


def test_a_cofacilitator_books_cancels_and_changes_needs_for_a_household(shared, make_user, db):
    _ana, ben, workshop = shared
    family = make_user(name="Okafor household")
    first = workshop.sessions[0]

    booking = book_seats(first.id, family.id, 2, Needs(), now=utcnow(), acting=ben)
    changed = needs.change_needs(
        booking.id, family.id, Needs(childcare_needed=True), now=utcnow(), acting=ben
    )
    cancel_booking(booking.id, family.id, now=utcnow(), acting=ben)

    assert [b.id for b in changed] == [booking.id]
    assert reload(db, Booking, booking.id).status == BookingStatus.CANCELLED
    assert actions_by(db, ben.id)[-3:] == ["act_for.book", "act_for.needs", "act_for.cancel"]


def test_a_cofacilitator_records_a_household_by_phone_and_looks_after_it(shared, db):
    _ana, ben, workshop = shared

    done = households.book_for_new_household(
        workshop.sessions[0].id,
        Contact(name="Garcia household"),
        1,
        Needs(),
        acting=ben,
        now=utcnow(),
    )

    assert households.may_look_after(ben, done.household)


def test_a_cofacilitator_moves_a_booking_as_staff_out_of_a_cancelled_session(
    shared, make_booking, db
):
    _ana, ben, workshop = shared
    first, second, _ = workshop.sessions
    booking = make_booking(first.id)
    series.cancel_sessions(first.id, scope=Scope.ONE, now=utcnow())

    moved = moves.move_booking(booking.id, second.id, actor=ben, now=utcnow())

    assert moved.session_id == second.id
    assert "act_for.move" in actions_by(db, ben.id)


def test_a_household_booked_into_a_shared_workshop_is_looked_after_by_both(
    shared, make_user, make_booking
):
    ana, ben, workshop = shared
    family = make_user(name="Okafor household")
    make_booking(workshop.sessions[0].id, family=family)

    assert households.may_look_after(ana, family) and households.may_look_after(ben, family)


def test_taken_off_the_workshop_a_cofacilitator_acts_for_nobody_there(
    shared, make_user, make_booking, db
):
    ana, ben, workshop = shared
    family = make_user(name="Okafor household")
    booking = make_booking(workshop.sessions[0].id, family=family)
    cofacilitators.remove_cofacilitator(workshop.id, ben.id, actor_id=ana.id, now=utcnow())
    ben = reload(db, type(ben), ben.id)

    attempts = [
        lambda: book_seats(
            workshop.sessions[1].id, family.id, 1, Needs(), now=utcnow(), acting=ben
        ),
        lambda: cancel_booking(booking.id, family.id, now=utcnow(), acting=ben),
        lambda: needs.change_needs(booking.id, family.id, Needs(), now=utcnow(), acting=ben),
        lambda: moves.move_booking(booking.id, workshop.sessions[1].id, actor=ben, now=utcnow()),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError) as refused:
            attempt()
        assert refused.value.code in {"session_not_found", "booking_not_found"}
    assert not households.may_look_after(ben, family)


# --- the program ------------------------------------------------------------------------------


def test_a_cofacilitator_sees_the_shared_workshops_past_sessions(shared, db):
    _ana, ben, workshop = shared
    later = workshop.sessions[0].ends_at + timedelta(hours=1)

    listed = program.past_sessions(ben, now=later)

    assert [w.id for w in program.history_workshops(ben, now=later)] == [workshop.id]
    assert [row.session.id for row in listed.rows] == [workshop.sessions[0].id]


def test_a_cofacilitator_copies_adds_a_session_and_deletes_a_draft(shared, db):
    _ana, ben, workshop = shared
    first = wall_time(workshop.sessions[0].starts_at, ZONE).date()

    copy = program.duplicate_workshop(
        workshop.id, by=ben.id, first_day=first + timedelta(weeks=5), now=utcnow()
    )
    added = program.add_session(
        workshop.id,
        by=ben.id,
        starts_at=local_start(days=40),
        duration_minutes=60,
        capacity=4,
        now=utcnow(),
    )
    title = program.delete_draft(copy.id, by=ben.id)

    assert added.workshop_id == workshop.id and title == workshop.title
    db.session.rollback()
    assert db.session.get(Workshop, copy.id) is None


# --- the pages ------------------------------------------------------------------------------


def test_the_cofacilitators_pages_for_the_shared_workshop_open(
    shared, make_booking, client, auth, db
):
    ana, ben, workshop = shared
    booking = make_booking(workshop.sessions[0].id)
    draft = program.duplicate_workshop(
        workshop.id,
        by=ana.id,
        first_day=wall_time(workshop.sessions[0].starts_at, ZONE).date() + timedelta(weeks=5),
        now=utcnow(),
    )
    assert auth.login(ben).status_code == 303
    session_id = workshop.sessions[0].id

    for path in [
        f"/manage/sessions/{session_id}/book-for",
        f"/manage/bookings/{booking.id}/needs",
        f"/manage/bookings/{booking.id}/move",
        f"/manage/workshops/{workshop.id}/duplicate",
        f"/manage/workshops/{workshop.id}/sessions/new",
        f"/manage/workshops/{draft.id}/delete",
        f"/manage/households/{booking.family_id}",
        "/manage/history",
    ]:
        assert client.get(path).status_code == 200, path

    moved = client.post(
        f"/manage/bookings/{booking.id}/move", data={"session_id": workshop.sessions[1].id}
    )
    assert moved.status_code == 303
    assert reload(db, Booking, booking.id).status == BookingStatus.CANCELLED


# --- every runner's private feed follows moves and changes --------------------------------


def test_moves_and_a_place_change_change_every_runners_feed(shared, make_booking, client, db):
    ana, ben, workshop = shared
    booking = make_booking(workshop.sessions[0].id)

    def etags() -> dict[str, str]:
        return {p.name: private_feed(client, db, p).headers["ETag"] for p in (ana, ben)}

    before = etags()
    moves.move_booking(booking.id, workshop.sessions[1].id, actor=ben, now=utcnow())
    after_move = etags()
    series.update_details(
        workshop.id,
        WorkshopDetails(
            title=workshop.title,
            description=workshop.description,
            location="Room 7, upstairs",
            online_url="",
            publish=True,
        ),
        now=utcnow(),
    )
    after_change = etags()

    for name in before:
        assert before[name] != after_move[name] != after_change[name], name
    seen = private_feed(client, db, ben).get_data(as_text=True)
    assert "Room 7" in seen
