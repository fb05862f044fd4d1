"""The facilitator's program over the terms: copying a workshop for a new term, adding a
session, deleting a draft, and the history of past sessions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine

from scheduler.models import Booking, Role, Workshop, WorkshopSession
from scheduler.services import program, series
from scheduler.services.booking import cancel_booking
from scheduler.services.errors import DomainError
from scheduler.services.program import HistoryFilter
from scheduler.services.series import Scope, WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.support import races
from tests.support.feeds import vevents

NY = "America/New_York"
MADRID = "Europe/Madrid"


def walls(workshop: Workshop) -> list[datetime]:
    return [wall_time(s.starts_at, workshop.timezone) for s in workshop.sessions]


def reloaded(db, workshop_id: int) -> Workshop:
    db.session.rollback()
    return db.session.get_one(Workshop, workshop_id)


def copy(workshop: Workshop, first_day: date, **kwargs) -> Workshop:
    return program.duplicate_workshop(
        workshop.id, by=workshop.facilitator_id, first_day=first_day, now=utcnow(), **kwargs
    )


# Copying for a new term


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_keeps_new_york_wall_times_across_both_dst_changes(make_workshop, db):
    # Autumn term crosses 1 November 2026 (clocks back); spring crosses 14 March 2027.
    autumn = make_workshop(weeks=4, start=datetime(2026, 10, 20, 18, 0), timezone=NY)

    spring = reloaded(db, copy(autumn, date(2027, 3, 2)).id)

    assert walls(spring) == [datetime(2027, 3, d, 18, 0) for d in (2, 9, 16, 23)]
    assert [s.starts_at.hour for s in spring.sessions] == [23, 23, 22, 22]  # EST, then EDT
    assert {s.duration_minutes for s in spring.sessions} == {90}


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_keeps_madrid_wall_times_across_both_dst_changes(make_workshop, db):
    # Clocks in Madrid go forward on 29 March 2026 and back on 25 October 2026.
    spring = make_workshop(weeks=3, start=datetime(2026, 3, 19, 19, 0), timezone=MADRID)

    autumn = reloaded(db, copy(spring, date(2026, 10, 15)).id)

    assert walls(autumn) == [datetime(2026, 10, d, 19, 0) for d in (15, 22, 29)]
    assert [s.starts_at.hour for s in autumn.sessions] == [17, 17, 18]  # CEST, then CET


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_is_a_draft_with_the_same_details_and_pattern_and_no_bookings(
    make_user, make_workshop, make_booking, db
):
    owner = make_user(Role.FACILITATOR)
    original = make_workshop(
        facilitator=owner, weeks=3, capacity=8, start=datetime(2026, 10, 6, 18, 0), timezone=NY
    )
    first, second, third = (s.id for s in original.sessions)
    # An irregular term: a longer last evening with more seats, a make-up Saturday.
    series.change_capacity(
        third, capacity=10, scope=Scope.ONE, move_to_waitlist=False, now=utcnow()
    )
    series.reschedule(
        third,
        new_start=datetime(2026, 10, 20, 17, 30),
        duration_minutes=120,
        scope=Scope.ONE,
        now=utcnow(),
    )
    program.add_session(
        original.id,
        by=owner.id,
        starts_at=datetime(2026, 10, 24, 10, 0),
        duration_minutes=60,
        capacity=5,
        now=utcnow(),
    )
    make_booking(first)
    make_booking(second, seats=2)

    made = reloaded(db, copy(original, date(2027, 1, 12), title="Family education, spring").id)

    assert made.status == "draft" and made.facilitator_id == owner.id
    assert (made.title, made.description, made.location, made.timezone) == (
        "Family education, spring",
        "About recovery",
        "Room 1",
        NY,
    )
    assert walls(made) == [
        datetime(2027, 1, 12, 18, 0),
        datetime(2027, 1, 19, 18, 0),
        datetime(2027, 1, 26, 17, 30),
        datetime(2027, 1, 30, 10, 0),
    ]
    assert [(s.duration_minutes, s.capacity) for s in made.sessions] == [
        (90, 8),
        (90, 8),
        (120, 10),
        (60, 5),
    ]
    copied = [s.id for s in made.sessions]
    assert db.session.scalars(db.select(Booking).where(Booking.session_id.in_(copied))).all() == []


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_cancelled_sessions_are_not_copied_and_the_rest_keep_their_gaps(make_workshop, db):
    original = make_workshop(weeks=4, start=datetime(2026, 10, 6, 18, 0), timezone=NY)
    first, _, third, _ = (s.id for s in original.sessions)
    series.cancel_sessions(first, scope=Scope.ONE, now=utcnow())
    series.cancel_sessions(third, scope=Scope.ONE, now=utcnow())

    made = reloaded(db, copy(original, date(2027, 1, 12)).id)

    # Left: the 2nd and 4th, two weeks apart; the first of them lands on the new date.
    assert walls(made) == [datetime(2027, 1, 12, 18, 0), datetime(2027, 1, 26, 18, 0)]
    assert not any(s.is_cancelled for s in made.sessions)


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_on_another_day_of_the_week_is_refused_in_words(make_workshop):
    original = make_workshop(weeks=2, start=datetime(2026, 10, 6, 18, 0), timezone=NY)  # Tue

    with pytest.raises(DomainError) as refused:
        copy(original, date(2027, 1, 13))  # a Wednesday

    assert refused.value.code == "copy_other_weekday"
    assert "The first session was on a Tuesday. Choose a Tuesday" in refused.value.message


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_starting_in_the_past_is_refused(make_workshop):
    original = make_workshop(weeks=2, start=datetime(2026, 10, 6, 18, 0), timezone=NY)

    with pytest.raises(DomainError) as refused:
        copy(original, date(2026, 8, 25))

    assert refused.value.code == "start_in_past"


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_a_copy_landing_on_a_time_the_clocks_skip_is_refused(make_workshop, db):
    # 2:30 AM on Sundays; 14 March 2027 has no 2:30 AM in New York.
    original = make_workshop(weeks=1, start=datetime(2026, 10, 4, 2, 30), timezone=NY)

    with pytest.raises(DomainError, match="clocks change"):
        copy(original, date(2027, 3, 14))
    assert db.session.scalar(db.select(db.func.count()).select_from(Workshop)) == 1


@time_machine.travel(datetime(2026, 9, 1, 12, tzinfo=UTC), tick=False)
def test_a_workshop_whose_sessions_were_all_cancelled_has_nothing_to_copy(make_workshop):
    original = make_workshop(weeks=2, start=datetime(2026, 10, 6, 18, 0), timezone=NY)
    series.cancel_sessions(original.sessions[0].id, scope=Scope.FOLLOWING, now=utcnow())

    with pytest.raises(DomainError) as refused:
        copy(original, date(2027, 1, 12))

    assert refused.value.code == "nothing_to_copy"


@pytest.mark.parametrize("who", ["other facilitator", "admin"])
def test_only_whoever_runs_the_workshop_or_an_admin_may_copy_it(make_user, make_workshop, who):
    original = make_workshop(weeks=1)
    first_day = wall_time(original.sessions[0].starts_at, NY).date() + timedelta(weeks=20)
    someone = make_user(Role.ADMIN if who == "admin" else Role.FACILITATOR)

    if who == "admin":
        made = program.duplicate_workshop(
            original.id, by=someone.id, first_day=first_day, now=utcnow()
        )
        assert made.facilitator_id == original.facilitator_id  # still theirs to run
    else:
        with pytest.raises(DomainError) as refused:
            program.duplicate_workshop(
                original.id, by=someone.id, first_day=first_day, now=utcnow()
            )
        assert refused.value.code == "workshop_not_found"


@time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False)
def test_the_copy_page_suggests_the_first_matching_day_after_the_term(make_workshop, db):
    original = make_workshop(weeks=3, start=datetime(2026, 12, 1, 18, 0), timezone=NY)

    plan = program.copy_plan(reloaded(db, original.id), now=utcnow())

    assert plan.weekday == 1  # Tuesday
    assert plan.suggested_day == date(2026, 12, 22)  # the Tuesday after 15 December


# Adding a session


def _add(workshop: Workshop, starts_at: datetime, by: int | None = None) -> WorkshopSession:
    return program.add_session(
        workshop.id,
        by=by or workshop.facilitator_id,
        starts_at=starts_at,
        duration_minutes=60,
        capacity=6,
        now=utcnow(),
    )


def test_a_session_added_to_a_published_workshop_is_in_the_public_feed_at_once(
    client, make_workshop
):
    workshop = make_workshop(weeks=2)
    before = client.get("/calendar/workshops.ics")
    page_before = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    last = wall_time(workshop.sessions[-1].starts_at, NY)

    added = _add(workshop, datetime.combine(last.date() + timedelta(days=9), time(10, 15)))

    after = client.get("/calendar/workshops.ics")
    assert after.headers["ETag"] != before.headers["ETag"]
    uids = vevents(after.get_data())
    assert any(uid.startswith(f"session-{added.id}@") for uid in uids)
    event = next(e for uid, e in uids.items() if uid.startswith(f"session-{added.id}@"))
    assert event.decoded("dtstart") == added.starts_at.astimezone(event.decoded("dtstart").tzinfo)
    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    assert "10:15" not in page_before and "10:15" in page  # the kept page moved on too


def test_a_session_added_to_a_draft_stays_out_of_the_public_feed(client, make_workshop):
    draft = make_workshop(weeks=1, publish=False)
    last = wall_time(draft.sessions[-1].starts_at, NY)

    added = _add(draft, last + timedelta(weeks=1))

    uids = vevents(client.get("/calendar/workshops.ics").get_data())
    assert not any(uid.startswith(f"session-{added.id}@") for uid in uids)


def test_a_session_in_the_past_is_refused(make_workshop):
    workshop = make_workshop()

    with pytest.raises(DomainError) as refused:
        _add(workshop, wall_time(utcnow(), NY) - timedelta(hours=2))

    assert refused.value.code == "start_in_past"


@time_machine.travel(datetime(2027, 2, 1, 12, tzinfo=UTC), tick=False)
def test_a_session_at_a_time_the_clocks_skip_is_refused_in_words(make_workshop):
    workshop = make_workshop()

    with pytest.raises(DomainError) as refused:
        _add(workshop, datetime(2027, 3, 14, 2, 30))

    assert refused.value.message == (
        "That time does not exist on that day where the workshop is: the clocks change. "
        "Choose another time."
    )


def test_only_whoever_runs_the_workshop_may_add_a_session(make_user, make_workshop):
    workshop = make_workshop()
    stranger = make_user(Role.FACILITATOR)

    with pytest.raises(DomainError) as refused:
        _add(
            workshop,
            wall_time(workshop.sessions[0].starts_at, NY) + timedelta(weeks=1),
            stranger.id,
        )

    assert refused.value.code == "workshop_not_found"


# Deleting a draft


def test_a_draft_nobody_booked_is_deleted_with_its_sessions(make_workshop, db):
    draft = make_workshop(weeks=3, publish=False, title="Not yet announced")
    sessions = [s.id for s in draft.sessions]

    assert program.delete_draft(draft.id, by=draft.facilitator_id) == "Not yet announced"

    db.session.rollback()
    assert db.session.get(Workshop, draft.id) is None
    assert all(db.session.get(WorkshopSession, s) is None for s in sessions)


def test_a_published_workshop_is_not_deleted(make_workshop, db):
    workshop = make_workshop()

    with pytest.raises(DomainError) as refused:
        program.delete_draft(workshop.id, by=workshop.facilitator_id)

    assert refused.value.code == "delete_published"
    assert "Only a draft can be deleted" in refused.value.message
    assert reloaded(db, workshop.id) is not None


def test_a_draft_that_had_a_booking_since_cancelled_is_not_deleted(
    make_user, make_workshop, make_booking, db
):
    workshop = make_workshop(weeks=2)
    family = make_user()
    booking = make_booking(workshop.sessions[1].id, family=family)
    cancel_booking(booking.id, family.id, now=utcnow())
    series.update_details(
        workshop.id,
        WorkshopDetails("Family education", "", "Room 1", "", publish=False),
        now=utcnow(),
    )

    with pytest.raises(DomainError) as refused:
        program.delete_draft(workshop.id, by=workshop.facilitator_id)

    assert refused.value.code == "delete_with_bookings"
    assert "Cancel its sessions instead" in refused.value.message
    assert db.session.get_one(Booking, booking.id).status == "cancelled"


def test_only_whoever_runs_the_draft_may_delete_it(make_user, make_workshop, db):
    draft = make_workshop(publish=False)

    with pytest.raises(DomainError) as refused:
        program.delete_draft(draft.id, by=make_user(Role.FACILITATOR).id)

    assert refused.value.code == "workshop_not_found"
    assert reloaded(db, draft.id) is not None


# Past sessions


@pytest.fixture
def past_term(make_user, make_workshop, make_booking):
    """Two of Olsen's workshops and one of Reyes's, all held in January 2026."""
    olsen = make_user(Role.FACILITATOR, name="Olsen")
    reyes = make_user(Role.FACILITATOR, name="Reyes")
    with time_machine.travel(datetime(2026, 1, 5, 12, tzinfo=UTC), tick=False):
        tuesdays = make_workshop(
            facilitator=olsen, weeks=3, start=datetime(2026, 1, 6, 18, 0), title="Tuesdays"
        )
        # Late on Thursdays in New York: already Friday in UTC and in Madrid.
        thursdays = make_workshop(
            facilitator=olsen, weeks=2, start=datetime(2026, 1, 8, 23, 30), title="Thursdays"
        )
        make_workshop(facilitator=reyes, start=datetime(2026, 1, 7, 18, 0), title="Reyes group")
        make_booking(tuesdays.sessions[0].id, seats=2)
        series.cancel_sessions(tuesdays.sessions[1].id, scope=Scope.ONE, now=utcnow())
    with time_machine.travel(datetime(2026, 2, 1, 12, tzinfo=UTC), tick=False):
        _add(tuesdays, datetime(2026, 2, 10, 18, 0))  # still to come: not history
        yield olsen, tuesdays, thursdays


def _listed(page: program.HistoryPage) -> list[tuple[str, int]]:
    return [(r.session.workshop.title, wall_time(r.session.starts_at, NY).day) for r in page.rows]


def test_history_lists_the_sessions_that_ended_newest_first_with_seats(past_term):
    olsen, _, _ = past_term

    page = program.past_sessions(olsen, now=utcnow())

    assert _listed(page) == [
        ("Tuesdays", 20),
        ("Thursdays", 15),
        ("Tuesdays", 13),
        ("Thursdays", 8),
        ("Tuesdays", 6),
    ]
    assert [r.session.is_cancelled for r in page.rows] == [False, False, True, False, False]
    assert page.rows[-1].seats.confirmed == 2 and page.total == 5


def test_an_admin_sees_everyones_past_sessions(past_term, make_user):
    admin = make_user(Role.ADMIN)

    titles = {title for title, _ in _listed(program.past_sessions(admin, now=utcnow()))}

    assert titles == {"Tuesdays", "Thursdays", "Reyes group"}


def test_history_filters_by_workshop(past_term):
    olsen, tuesdays, _ = past_term

    page = program.past_sessions(olsen, now=utcnow(), only=HistoryFilter(workshop_id=tuesdays.id))

    assert _listed(page) == [("Tuesdays", 20), ("Tuesdays", 13), ("Tuesdays", 6)]


def test_history_filters_by_days_in_the_readers_own_zone(past_term, make_user):
    olsen, _, _ = past_term
    in_madrid = make_user(Role.ADMIN, timezone=MADRID)
    thursday = date(2026, 1, 8)
    friday = date(2026, 1, 9)

    in_new_york = program.past_sessions(
        olsen, now=utcnow(), only=HistoryFilter(first_day=thursday, last_day=thursday)
    )
    madrid_friday = program.past_sessions(
        in_madrid, now=utcnow(), only=HistoryFilter(first_day=friday, last_day=friday)
    )
    from_the_13th = program.past_sessions(
        olsen, now=utcnow(), only=HistoryFilter(first_day=date(2026, 1, 13))
    )

    assert _listed(in_new_york) == [("Thursdays", 8)]  # 11:30 PM, Thursday in New York
    assert _listed(madrid_friday) == [("Thursdays", 8)]  # 5:30 AM, Friday in Madrid
    assert _listed(from_the_13th) == [("Tuesdays", 20), ("Thursdays", 15), ("Tuesdays", 13)]


def test_history_comes_in_pages_and_a_page_past_the_end_is_the_last(past_term):
    olsen, _, _ = past_term

    second = program.past_sessions(olsen, now=utcnow(), page=2, per_page=2)
    beyond = program.past_sessions(olsen, now=utcnow(), page=9, per_page=2)

    assert (second.page, second.pages, second.previous, second.next) == (2, 3, 1, 3)
    assert _listed(second) == [("Tuesdays", 13), ("Thursdays", 8)]
    assert beyond.page == 3 and _listed(beyond) == [("Tuesdays", 6)]


def test_the_history_filter_offers_the_workshops_with_past_sessions(past_term, make_workshop):
    olsen, tuesdays, thursdays = past_term
    make_workshop(facilitator=olsen, title="Next term")  # nothing has ended yet

    choices = program.history_workshops(olsen, now=utcnow())

    assert [(c.id, c.title) for c in choices] == [
        (thursdays.id, "Thursdays"),
        (tuesdays.id, "Tuesdays"),
    ]


@pytest.mark.slow
def test_sessions_added_while_a_draft_is_deleted_are_refused_or_deleted_with_it(
    app, make_workshop, db
):
    draft = make_workshop(weeks=2, publish=False)
    day = wall_time(draft.sessions[-1].starts_at, NY)
    owner = draft.facilitator_id

    def adding(weeks: int):
        def job() -> str:
            try:
                _add_for(draft.id, owner, day + timedelta(weeks=weeks))
            except DomainError as error:
                return error.code
            return "added"

        return job

    def deleting() -> str:
        try:
            program.delete_draft(draft.id, by=owner)
        except DomainError as error:
            return error.code
        return "deleted"

    outcomes = races.race(app, [deleting] + [adding(n) for n in range(1, 8)], str)

    assert outcomes[0] == "deleted"
    assert set(outcomes[1:]) <= {"added", "workshop_not_found"}
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(WorkshopSession)) == 0


def _add_for(workshop_id: int, by: int, starts_at: datetime) -> None:
    program.add_session(
        workshop_id, by=by, starts_at=starts_at, duration_minutes=60, capacity=6, now=utcnow()
    )
