"""The pages end to end: browsing, booking through forms, publishing, changing sessions."""

from __future__ import annotations

import re
from datetime import timedelta

from scheduler.models import (
    Appointment,
    Booking,
    BookingStatus,
    Role,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import counseling
from scheduler.timeutil import utcnow, wall_time
from tests.support.app import local_start


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_home_lists_published_workshops_with_seats_left_and_zone(
    client, make_workshop, make_booking
):
    session = make_workshop(title="Understanding addiction", capacity=5).sessions[0]
    make_workshop(title="Secret draft", publish=False)
    make_booking(session.id, seats=2)

    page = text_of(client.get("/"))

    assert "Understanding addiction" in page and "3 seats left" in page
    assert "Secret draft" not in page
    # Every time names its zone, in words: a visitor reads the workshop's own.
    assert re.search(
        r"\d{1,2}:\d\d\xa0(AM|PM)</strong> <span class=\"when-zone\">Eastern Time", page
    )


def test_home_explains_what_to_do_when_nothing_is_on(client):
    assert "No workshops are open for booking right now" in text_of(client.get("/"))


def test_workshop_page_shows_sessions_in_its_zone_and_the_viewers(
    client, auth, make_user, make_workshop
):
    workshop = make_workshop(timezone="America/Los_Angeles", weeks=2)
    auth.login(make_user(timezone="Europe/London"))
    page = text_of(client.get(f"/workshops/{workshop.id}"))
    # The reader's own time first, the facilitator's after it.
    assert re.search(
        r"British Time</span></time> <span class=\"when-other\">"
        r"\(.+ Pacific Time for the facilitator\)",
        page,
    )
    assert page.count('method="post"') == 4  # one booking form, log out (twice), languages
    assert page.count(f'action="/workshops/{workshop.id}/book"') == 1
    assert "All 2 sessions" in page


def test_anonymous_visitor_is_asked_to_log_in_to_book(client, make_workshop):
    workshop = make_workshop()
    page = text_of(client.get(f"/workshops/{workshop.id}"))
    assert "Log in to book" in page and "/book" not in page


def test_family_books_seats_with_needs_through_the_form(client, auth, make_user, make_workshop, db):
    family = make_user()
    session = make_workshop(capacity=5).sessions[0]
    auth.login(family)

    response = client.post(
        f"/sessions/{session.id}/book",
        data={
            "seats": "2",
            "childcare_needed": "y",
            "interpreter_language": "Spanish",
            "accessibility_needs": "Step-free access",
            "notes": "First time",
        },
    )

    booking = db.session.scalar(db.select(Booking).filter_by(family_id=family.id))
    assert response.status_code == 303
    assert response.headers["Location"] == f"/bookings?booked={booking.session.workshop_id}"
    assert (booking.seats, booking.childcare_needed, booking.status) == (2, True, "confirmed")
    bookings_page = text_of(client.get(response.headers["Location"]))
    assert f"You&#39;re booked: 2 seats in {booking.session.workshop.title}." in bookings_page
    assert "Just booked" in bookings_page
    assert "Booked: 2 seats" in bookings_page and "Cancel my booking" in bookings_page


def test_full_session_offers_waitlist_and_keeps_what_was_typed(
    client, auth, make_user, make_workshop, make_booking, db
):
    session = make_workshop(capacity=2).sessions[0]
    make_booking(session.id, seats=1)
    family = make_user()
    auth.login(family)

    offered = client.post(f"/sessions/{session.id}/book", data={"seats": "2", "notes": "Two of us"})

    assert offered.status_code == 409
    page = text_of(offered)
    assert "doesn&#39;t have 2 seats free" in page
    assert "Join the waitlist" in page and "Two of us" in page
    assert db.session.scalar(db.select(Booking).filter_by(family_id=family.id)) is None

    joined = client.post(
        f"/sessions/{session.id}/book",
        data={"seats": "2", "notes": "Two of us", "join_waitlist": "1"},
    )
    assert joined.status_code == 303
    assert "On the waitlist for 2 seats" in text_of(client.get("/bookings"))


def test_stale_form_cannot_double_book(client, auth, make_user, make_workshop, db):
    family = make_user()
    session = make_workshop(capacity=5).sessions[0]
    auth.login(family)
    client.post(f"/sessions/{session.id}/book", data={"seats": "1"})
    again = client.post(f"/sessions/{session.id}/book", data={"seats": "1"})
    assert again.status_code == 409
    assert "already have a booking" in text_of(again)
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(Booking).filter_by(family_id=family.id)
        )
        == 1
    )


def test_seat_field_errors_are_shown_next_to_the_field(client, auth, make_user, make_workshop):
    session = make_workshop().sessions[0]
    auth.login(make_user())
    response = client.post(f"/sessions/{session.id}/book", data={"seats": "99"})
    assert response.status_code == 422
    page = text_of(response)
    assert 'id="seats-error"' in page and "Choose from 1 to 6 seats" in page
    assert 'aria-describedby="seats-error"' in page


def test_family_enrolls_in_whole_series_from_the_workshop_page(
    client, auth, make_user, make_workshop, db
):
    family = make_user()
    workshop = make_workshop(weeks=4)
    auth.login(family)
    response = client.post(f"/workshops/{workshop.id}/enroll", data={"seats": "1"})
    assert response.status_code == 303
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(Booking).filter_by(family_id=family.id)
        )
        == 4
    )


def test_family_cancels_and_the_waitlist_moves_up(
    client, auth, make_user, make_workshop, make_booking, db
):
    family = make_user()
    session = make_workshop(capacity=1).sessions[0]
    booking = make_booking(session.id, family=family)
    waiting = make_booking(session.id, join_waitlist=True)
    auth.login(family)

    assert client.post(f"/bookings/{booking.id}/cancel").status_code == 303
    assert db.session.get_one(Booking, booking.id).status == BookingStatus.CANCELLED
    assert db.session.get_one(Booking, waiting.id).status == BookingStatus.CONFIRMED
    page = text_of(client.get("/bookings"))
    assert "Your booking is cancelled" in page and "you cancelled" in page


def test_facilitator_publishes_a_weekly_series_through_the_form(client, auth, make_user, db):
    facilitator = make_user(Role.FACILITATOR)
    auth.login(facilitator)
    start = local_start(days=12)
    response = client.post(
        "/manage/workshops/new",
        data={
            "title": "Family education series",
            "description": "Six evenings",
            "location": "Room 2",
            "online_url": "",
            "timezone": "America/New_York",
            "capacity": "12",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "90",
            "weeks": "6",
            "publish": "y",
        },
    )
    assert response.status_code == 303
    workshop = db.session.scalar(db.select(Workshop))
    assert workshop.is_published and len(workshop.sessions) == 6
    assert all(s.capacity == 12 for s in workshop.sessions)
    assert wall_time(workshop.sessions[5].starts_at, "America/New_York") == start + timedelta(
        weeks=5
    )
    assert "Family education series" in text_of(client.get("/"))


def test_workshop_form_needs_a_place_and_a_future_start(client, auth, make_user, db):
    auth.login(make_user(Role.FACILITATOR))
    past = wall_time(utcnow(), "America/New_York") - timedelta(hours=2)
    response = client.post(
        "/manage/workshops/new",
        data={
            "title": "X",
            "timezone": "America/New_York",
            "capacity": "5",
            "starts_at": past.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "weeks": "1",
        },
    )
    assert response.status_code == 422
    assert "Give a location, an online link, or both" in text_of(response)
    with_place = client.post(
        "/manage/workshops/new",
        data={
            "title": "X",
            "location": "Room",
            "timezone": "America/New_York",
            "capacity": "5",
            "starts_at": past.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "weeks": "1",
        },
    )
    assert with_place.status_code == 422
    assert "Choose a start time in the future" in text_of(with_place)
    assert db.session.scalar(db.select(db.func.count()).select_from(Workshop)) == 0


def test_facilitator_reschedules_rest_of_series_through_the_form(
    client, auth, make_user, make_workshop, db
):
    owner = make_user(Role.FACILITATOR)
    workshop = make_workshop(facilitator=owner, weeks=3)
    second = workshop.sessions[1]
    new_start = wall_time(second.starts_at, "America/New_York") + timedelta(hours=1)
    auth.login(owner)

    response = client.post(
        f"/manage/sessions/{second.id}/reschedule",
        data={
            "starts_at": new_start.strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": "60",
            "scope": "following",
        },
    )

    assert response.status_code == 303
    moved = [db.session.get_one(WorkshopSession, s.id) for s in workshop.sessions]
    assert [wall_time(s.starts_at, "America/New_York").hour for s in moved] == [18, 19, 19]


def test_lowering_capacity_lists_affected_households_before_anything_changes(
    client, auth, make_user, make_workshop, make_booking, db
):
    owner = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=owner, capacity=4).sessions[0]
    make_booking(session.id, seats=2, family=make_user(name="Early family"))
    late = make_booking(session.id, seats=2, family=make_user(name="Late family"))
    auth.login(owner)

    asked = client.post(
        f"/manage/sessions/{session.id}/capacity", data={"capacity": "3", "scope": "one"}
    )
    assert asked.status_code == 409
    page = text_of(asked)
    assert "Late family, 2 seats" in page and "Early family" not in page
    assert db.session.get_one(WorkshopSession, session.id).capacity == 4

    confirmed = client.post(
        f"/manage/sessions/{session.id}/capacity",
        data={"capacity": "3", "scope": "one", "move_to_waitlist": "y"},
    )
    assert confirmed.status_code == 303
    assert db.session.get_one(WorkshopSession, session.id).capacity == 3
    assert db.session.get_one(Booking, late.id).status == BookingStatus.WAITLISTED


def test_cancelled_session_stays_visible_to_its_booked_family(
    client, auth, make_user, make_workshop, make_booking
):
    owner, family = make_user(Role.FACILITATOR), make_user()
    session = make_workshop(facilitator=owner).sessions[0]
    make_booking(session.id, family=family)
    auth.login(owner)
    assert (
        client.post(f"/manage/sessions/{session.id}/cancel", data={"scope": "one"}).status_code
        == 303
    )
    client.post("/logout")

    auth.login(family)
    page = text_of(client.get("/bookings"))
    assert "Cancelled by the facilitator" in page and "Cancel my booking" not in page


def test_unknown_pages_get_a_friendly_404(client):
    response = client.get("/workshops/999999")
    assert response.status_code == 404
    assert "We couldn&#39;t find that page" in text_of(response)


def test_demo_load_creates_logins_workshops_bookings_a_waitlist_and_appointments(app, db):
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "hearth-demo-2026" in result.output and "facilitator" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) >= 10
    series = db.session.scalars(db.select(Workshop)).all()
    assert any(len(w.sessions) >= 4 for w in series)
    assert (
        db.session.scalar(
            db.select(db.func.count())
            .select_from(Booking)
            .filter_by(status=BookingStatus.WAITLISTED)
        )
        >= 2
    )

    # Counseling: both counselors open, with some slots booked and one waiting for approval.
    assert counseling.open_slots(utcnow())
    statuses = sorted(db.session.scalars(db.select(Appointment.status)).all())
    assert statuses == ["confirmed", "confirmed", "pending"]

    again = app.test_cli_runner().invoke(args=["demo", "load", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output


def test_signed_in_pages_are_never_cached_and_carry_security_headers(client, auth, make_user):
    auth.login(make_user())
    response = client.get("/bookings")
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_unexpected_errors_get_a_friendly_500_page(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("bug")

    with app.app_context():
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = text_of(response)
    assert "Something went wrong on our side" in page and "RuntimeError" not in page


def test_wrong_role_gets_a_friendly_403_page(client, auth, make_user):
    auth.login(make_user())
    response = client.get("/manage")
    assert response.status_code == 403
    assert "This page isn&#39;t yours to see" in text_of(response)


def test_workshop_page_shows_a_seat_bar_with_the_numbers_in_words(
    client, make_workshop, make_booking
):
    session = make_workshop(capacity=12).sessions[0]
    make_booking(session.id, seats=3)
    make_booking(session.id, seats=6)

    page = text_of(client.get(f"/workshops/{session.workshop_id}"))

    assert "<strong>3 seats left</strong> (9 of 12 seats taken)" in page
    assert re.search(r'<svg class="seat-bar"[^>]*aria-hidden="true"[^>]*><rect width="75"', page)


def test_booking_buttons_say_how_many_seats_they_book(
    client, auth, make_user, make_workshop, make_booking
):
    workshop = make_workshop(capacity=3, weeks=2)
    auth.login(make_user())

    page = text_of(client.get(f"/workshops/{workshop.id}"))
    assert page.count("data-booking-button") == 1
    assert ">Book 1 seat in 2 sessions</button>" in page
    assert "&#34;book_many&#34;: &#34;Book {seats} in {sessions} sessions&#34;" in page

    session = workshop.sessions[0]
    too_many = text_of(client.post(f"/sessions/{session.id}/book", data={"seats": "9"}))
    assert ">Book seats</button>" in too_many  # no number the form takes: plain words
    make_booking(session.id, seats=2)
    offered = text_of(client.post(f"/sessions/{session.id}/book", data={"seats": "2"}))
    assert ">Join the waitlist for 2 seats</button>" in offered


# --- one booking form per workshop ---------------------------------------------------------


def _booking_form(page: str) -> str:
    start = page.index('<form method="post" action="/workshops/')
    return page[start : page.index("</form>", start)]


def test_a_series_offers_all_its_sessions_first_and_ticked(client, auth, make_user, make_workshop):
    workshop = make_workshop(weeks=4)
    auth.login(make_user())

    form = _booking_form(text_of(client.get(f"/workshops/{workshop.id}")))

    boxes = re.findall(
        r'<input type="checkbox" name="sessions" value="(\w+)"[^>]*?( checked)?>', form
    )
    assert boxes[0] == ("all", " checked"), "All 4 sessions comes first, ticked"
    assert [value for value, _ in boxes[1:]] == [str(s.id) for s in workshop.sessions]
    assert "All 4 sessions" in form and ">Book 1 seat in 4 sessions</button>" in form
    assert form.index('name="seats"') < form.index('value="all"') < form.index("Needs and notes")
    assert form.count('name="seats"') == 1 and form.count('name="notes"') == 1


def test_the_whole_series_is_booked_from_the_one_form(client, auth, make_user, make_workshop, db):
    family = make_user()
    workshop = make_workshop(weeks=4)
    auth.login(family)
    ids = [str(s.id) for s in workshop.sessions]

    response = client.post(
        f"/workshops/{workshop.id}/book",
        data={"seats": "2", "sessions": ["all", *ids], "childcare_needed": "y"},
    )

    assert response.status_code == 303
    assert "booked: 2 seats in each of 4 sessions of " in text_of(client.get("/bookings"))
    held = db.session.query(Booking).filter_by(family_id=family.id).all()
    assert len(held) == 4 and all(b.seats == 2 and b.childcare_needed for b in held)


def test_unticking_all_books_only_the_sessions_ticked(client, auth, make_user, make_workshop, db):
    family = make_user()
    workshop = make_workshop(weeks=4)
    auth.login(family)
    chosen = [workshop.sessions[0].id, workshop.sessions[2].id]

    # Without JavaScript "All" may stay ticked: the boxes say more exactly what was meant.
    for sessions in ([str(i) for i in chosen], ["all", *[str(i) for i in chosen]]):
        db.session.query(Booking).delete()
        db.session.commit()
        assert (
            client.post(
                f"/workshops/{workshop.id}/book", data={"seats": "1", "sessions": sessions}
            ).status_code
            == 303
        )
        held = db.session.query(Booking).filter_by(family_id=family.id).all()
        assert sorted(b.session_id for b in held) == chosen


def test_nothing_ticked_asks_for_a_session_and_books_nothing(
    client, auth, make_user, make_workshop, db
):
    workshop = make_workshop(weeks=2)
    auth.login(make_user())

    response = client.post(f"/workshops/{workshop.id}/book", data={"seats": "1"})

    assert response.status_code == 422
    page = text_of(response)
    assert 'href="#sessions">Sessions: Tick at least one session.' in page
    assert 'aria-describedby="sessions-error"' in page
    assert db.session.query(Booking).count() == 0


def test_a_full_session_is_a_waitlist_box_in_the_same_form(
    client, auth, make_user, make_workshop, make_booking, db
):
    workshop = make_workshop(capacity=2, weeks=3)
    full = workshop.sessions[1]
    make_booking(full.id, seats=2)
    family = make_user()
    auth.login(family)

    form = _booking_form(text_of(client.get(f"/workshops/{workshop.id}")))

    assert 'value="all"' not in form, "all-or-nothing can't succeed: not offered"
    assert f'<input type="hidden" name="waitlist" value="{full.id}">' in form
    assert f'value="{full.id}" id="session-box-{full.id}" data-waitlist>' in form  # not ticked
    assert ">Book 1 seat in 2 sessions</button>" in form
    response = client.post(
        f"/workshops/{workshop.id}/book",
        data={
            "seats": "1",
            "sessions": [str(s.id) for s in workshop.sessions],
            "waitlist": str(full.id),
        },
    )
    assert response.status_code == 303
    statuses = {
        b.session_id: b.status for b in db.session.query(Booking).filter_by(family_id=family.id)
    }
    assert statuses[full.id] == BookingStatus.WAITLISTED
    assert "and on the waitlist in 1 session" in text_of(client.get("/bookings"))


def test_a_session_filled_since_the_page_was_shown_is_refused_and_the_others_are_booked(
    client, auth, make_user, make_workshop, make_booking, db
):
    workshop = make_workshop(capacity=2, weeks=3)
    family = make_user()
    auth.login(family)
    client.get(f"/workshops/{workshop.id}")
    make_booking(workshop.sessions[1].id, seats=2)  # someone else, meanwhile

    response = client.post(
        f"/workshops/{workshop.id}/book",
        data={"seats": "1", "sessions": [str(s.id) for s in workshop.sessions]},
    )

    assert response.status_code == 409
    page = text_of(response)
    assert "booked: 1 seat in each of 2 sessions of " in page
    assert "Session 2: This session doesn&#39;t have 1 seat free right now." in page
    # The session is now offered as a waitlist box, ticked, so sending again joins it.
    assert f'<input type="hidden" name="waitlist" value="{workshop.sessions[1].id}">' in page
    assert ">Join the waitlist for 1 seat</button>" in page


def test_my_bookings_shows_a_series_as_one_card_saying_shared_needs_once(
    client, auth, make_user, make_workshop
):
    family = make_user()
    workshop = make_workshop(weeks=3)
    auth.login(family)
    client.post(
        f"/workshops/{workshop.id}/book",
        data={"seats": "1", "sessions": "all", "interpreter_language": "Spanish"},
    )

    page = text_of(client.get("/bookings"))

    assert page.count(f'id="workshop-{workshop.id}"') == 1
    assert page.count('<li class="booking-session') == 3
    assert page.count("interpreter: Spanish") == 1
    assert page.count('Cancel my booking<span class="visually-hidden">: ') == 3


def test_the_menu_marks_where_the_reader_is_and_folds_on_phones_without_javascript(
    client, make_workshop
):
    workshop = make_workshop()

    home = text_of(client.get("/"))
    inside = text_of(client.get(f"/workshops/{workshop.id}"))

    assert home.count('aria-current="page">Workshops</a>') == 2  # the row and the folded menu
    assert inside.count('aria-current="true">Workshops</a>') == 2  # a workshop is under it
    assert 'aria-current="page"' not in inside
    assert '<details class="nav-menu">' in home and "<summary>Menu</summary>" in home
    assert "<script" not in home.split("</head>")[1], "the menu needs no script"


def test_after_booking_that_workshops_card_comes_first_under_the_confirmation(
    client, auth, make_user, make_workshop, make_booking
):
    family = make_user()
    sooner = make_workshop(title="Sooner circle", start=local_start(days=2))
    later = make_workshop(title="Later evening", start=local_start(days=20))
    make_booking(sooner.sessions[0].id, family=family)
    auth.login(family)

    done = client.post(f"/workshops/{later.id}/book", data={"seats": "1", "sessions": "all"})
    page = text_of(client.get(done.headers["Location"]))

    card = 'id="workshop-{}"'.format
    assert page.index(card(later.id)) < page.index(card(sooner.id))
    assert page.count("Just booked") == 1
    plain = text_of(client.get("/bookings"))  # later on, the soonest comes first again
    assert plain.index(card(sooner.id)) < plain.index(card(later.id))


def test_my_bookings_tells_a_waitlisted_family_its_place_in_line(
    client, auth, make_user, make_workshop, make_booking
):
    session = make_workshop(capacity=1).sessions[0]
    make_booking(session.id, seats=1)
    make_booking(session.id, seats=1, join_waitlist=True)
    family = make_user()
    make_booking(session.id, family=family, seats=1, join_waitlist=True)
    auth.login(family)

    page = text_of(client.get("/bookings"))

    assert "You are number 2 in line." in page
