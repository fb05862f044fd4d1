"""The pages staff act for a household with, and the one a family changes its needs on:
search, book by phone, cancel, needs, the household's record and its claim link."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.models import AuditEvent, Booking, BookingStatus, Role, User
from scheduler.services import email_links, households, series
from scheduler.services.booking import Needs, book_seats
from scheduler.services.households import Contact
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from tests.support.app import PASSWORD
from tests.support.mail import outbox

START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def staff(make_user) -> User:
    return make_user(Role.FACILITATOR, name="Rosa, front desk")


@pytest.fixture
def session(make_workshop, staff):
    return make_workshop(facilitator=staff, capacity=3, weeks=2).sessions[0]


def logged_in(auth, user: User) -> None:
    assert auth.login(user).status_code == 303


def reload(db, model, record_id: int):
    db.session.rollback()
    return db.session.get_one(model, record_id)


def audit_actions(db) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def page(response) -> str:
    return response.get_data(as_text=True)


def by_phone(session_id: int, staff: User, name: str = "Garcia household", **kwargs):
    contact = Contact(name=name, phone=kwargs.pop("phone", "555 0100"), email="")
    return households.book_for_new_household(
        session_id, contact, 1, Needs(), acting=staff, now=utcnow(), **kwargs
    )


# --- finding a household -------------------------------------------------------------


def test_staff_find_households_by_name_email_or_phone_and_the_search_is_audited(
    client, auth, make_user, staff, session, db
):
    make_user(name="Okafor household", email="okafor@example.org")
    by_phone(session.id, staff, phone="(555) 010-0427")
    logged_in(auth, staff)

    by_name = page(client.get(f"/manage/sessions/{session.id}/book-for?q=okaf"))
    by_email = page(client.get(f"/manage/sessions/{session.id}/book-for?q=okafor@example"))
    by_number = page(client.get(f"/manage/sessions/{session.id}/book-for?q=555-010-0427"))
    nobody = page(client.get(f"/manage/sessions/{session.id}/book-for?q=zzz"))

    assert "Okafor household" in by_name and "Okafor household" in by_email
    assert "Garcia household" in by_number and "Okafor" not in by_number
    assert "No household found" in nobody
    assert audit_actions(db).count("household.search") == 4


def test_a_search_of_one_letter_shows_nobody_and_is_not_audited(
    client, auth, make_user, staff, session, db
):
    make_user(name="Ann household")
    logged_in(auth, staff)

    response = client.get(f"/manage/sessions/{session.id}/book-for?q=a")

    assert response.status_code == 200 and "Ann household" not in page(response)
    assert "household.search" not in audit_actions(db)


def test_a_search_too_long_is_refused_in_words(client, auth, staff, session):
    logged_in(auth, staff)

    response = client.get(f"/manage/sessions/{session.id}/book-for?q=" + "x" * 500)

    assert response.status_code == 200
    assert "Keep this under 100 characters." in page(response)


def test_searching_households_is_rate_limited_per_staff_account(make_app, staff, session):
    app = make_app(RATELIMIT_ENABLED=True, RATELIMIT_ACT_FOR="3 per minute")
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        client.post("/login", data={"email": staff.email, "password": PASSWORD})
        answers = [
            client.get(f"/manage/sessions/{session.id}/book-for?q=ga{n}").status_code
            for n in range(4)
        ]
    assert answers == [200, 200, 200, 429]


# --- booking and cancelling for a household -------------------------------------------


def test_staff_book_a_household_with_no_email_by_phone_and_the_roster_shows_its_phone(
    client, auth, staff, session, db
):
    logged_in(auth, staff)
    form = client.get(f"/manage/sessions/{session.id}/book-for")
    assert form.status_code == 200 and 'name="phone"' in page(form)

    response = client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"name": "Garcia household", "phone": "555 0100", "seats": "2", "notes": "Walk-in"},
    )

    assert response.status_code == 303
    assert response.location.endswith(f"/manage/sessions/{session.id}/roster")
    roster = page(client.get(response.location))
    assert "Booked 2 seats for Garcia household." in roster
    assert "nothing was sent: please tell them yourself" in roster
    assert "Phone: 555 0100" in roster and "Booked for them by our team" in roster
    export = client.get(f"/manage/sessions/{session.id}/roster.csv").get_data().decode("utf-8-sig")
    (row,) = list(csv.DictReader(io.StringIO(export)))
    assert (row["household"], row["email"], row["phone"], row["seats"]) == (
        "Garcia household",
        "",
        "555 0100",
        "2",
    )


def test_staff_book_for_a_household_chosen_from_the_search(
    client, auth, make_user, staff, session, db
):
    family = make_user(name="Okafor household")
    logged_in(auth, staff)
    chosen = client.get(f"/manage/sessions/{session.id}/book-for?household={family.id}")
    assert "Booking for Okafor household" in page(chosen)

    response = client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"household_id": str(family.id), "seats": "1", "childcare_needed": "y"},
    )

    assert response.status_code == 303
    booking = db.session.scalar(select(Booking).where(Booking.family_id == family.id))
    assert booking.childcare_needed and booking.booked_by_id == staff.id
    assert "household.view" in audit_actions(db) and "act_for.book" in audit_actions(db)


def test_a_full_session_offers_staff_the_waitlist(client, auth, make_booking, staff, session, db):
    make_booking(session.id, seats=3)
    logged_in(auth, staff)
    shown = page(client.get(f"/manage/sessions/{session.id}/book-for"))
    assert "Book, or put them on the waitlist where full" in shown  # a series: sessions vary

    response = client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"name": "Garcia household", "seats": "1", "join_waitlist": "1"},
    )

    assert response.status_code == 303
    assert "Garcia household is on the waitlist for 1 seat." in page(client.get(response.location))


def test_a_session_that_filled_up_meanwhile_is_refused_and_offers_the_waitlist(
    client, auth, make_booking, staff, session
):
    logged_in(auth, staff)
    client.get(f"/manage/sessions/{session.id}/book-for")
    make_booking(session.id, seats=3)  # someone booked while the phone call went on

    response = client.post(
        f"/manage/sessions/{session.id}/book-for", data={"name": "Garcia household", "seats": "1"}
    )

    assert response.status_code == 409
    assert "Book, or put them on the waitlist where full" in page(response)
    assert 'name="join_waitlist" type="hidden" value="1"' in page(response)


# --- a whole series at once -----------------------------------------------------------


def test_staff_book_a_new_household_without_email_into_every_session_of_the_series(
    client, auth, make_workshop, staff, db
):
    sessions = make_workshop(facilitator=staff, weeks=3, capacity=3).sessions
    logged_in(auth, staff)
    shown = page(client.get(f"/manage/sessions/{sessions[1].id}/book-for"))
    assert "<legend>Sessions to book</legend>" in shown
    assert '<input checked id="sessions-1" name="sessions" type="radio" value="this">' in shown
    assert "This session only" in shown
    assert "All 3 upcoming sessions of the series" in shown

    response = client.post(
        f"/manage/sessions/{sessions[1].id}/book-for",
        data={"name": "Garcia household", "phone": "555 0100", "seats": "2", "sessions": "all"},
    )

    assert response.status_code == 303
    assert response.location.endswith(f"/manage/sessions/{sessions[1].id}/roster")
    told = page(client.get(response.location))
    assert "Booked 2 seats for Garcia household in each of 3 sessions of the series." in told
    assert "nothing was sent: please tell them yourself" in told
    booked = db.session.scalars(select(Booking).order_by(Booking.session_id)).all()
    assert [b.session_id for b in booked] == [s.id for s in sessions]
    assert len({b.family_id for b in booked}) == 1
    assert audit_actions(db).count("household.create") == 1
    assert audit_actions(db).count("act_for.book") == 3
    assert outbox(db, recipient_id=booked[0].family_id) == []


def test_a_full_session_of_the_series_is_named_and_its_waitlist_offered(
    client, auth, make_workshop, make_booking, staff, db
):
    sessions = make_workshop(facilitator=staff, weeks=3, capacity=2).sessions
    make_booking(sessions[2].id, seats=2)
    logged_in(auth, staff)
    form = {"name": "Garcia household", "seats": "1", "sessions": "all"}
    full_on = moment_text(sessions[2].starts_at, "America/New_York")

    refused = client.post(f"/manage/sessions/{sessions[0].id}/book-for", data=form)

    assert refused.status_code == 409
    shown = page(refused)
    assert f"Not every session has 1 seat free ({full_on}), so nothing was booked." in shown
    assert "put them on the waitlist of the full ones, send the form again" in shown
    assert 'name="join_waitlist" type="hidden" value="1"' in shown
    assert '<input checked id="sessions-2" name="sessions" type="radio" value="all">' in shown
    assert db.session.scalar(select(Booking.id).where(Booking.booked_by_id == staff.id)) is None

    sent_again = client.post(
        f"/manage/sessions/{sessions[0].id}/book-for", data={**form, "join_waitlist": "1"}
    )

    assert sent_again.status_code == 303
    told = page(client.get(sent_again.location))
    assert "Booked 1 seat for Garcia household in each of 2 sessions of the series." in told
    assert f"Garcia household is on the waitlist for 1 seat in 1 full session: {full_on}." in told
    statuses = db.session.scalars(
        select(Booking.status).where(Booking.booked_by_id == staff.id).order_by(Booking.session_id)
    ).all()
    assert statuses == [BookingStatus.CONFIRMED, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]
    assert audit_actions(db).count("act_for.book") == 3


def test_a_household_chosen_from_the_search_is_booked_into_the_series_and_emailed(
    client, auth, make_workshop, make_user, staff, db
):
    sessions = make_workshop(facilitator=staff, weeks=2, capacity=3).sessions
    family = make_user(name="Okafor household")
    book_seats(sessions[0].id, family.id, 1, Needs(), now=utcnow())  # booked itself already
    logged_in(auth, staff)

    response = client.post(
        f"/manage/sessions/{sessions[0].id}/book-for",
        data={"household_id": str(family.id), "seats": "1", "sessions": "all"},
    )

    assert response.status_code == 303
    told = page(client.get(response.location))
    assert "Booked 1 seat for Okafor household in 1 session of the series." in told
    assert f"We emailed them at {family.email}." in told
    (added,) = db.session.scalars(select(Booking).where(Booking.booked_by_id == staff.id))
    assert added.session_id == sessions[1].id
    assert [r.kind for r in outbox(db, booking_id=added.id)].count("confirmed") == 1


def test_the_series_choice_counts_only_the_sessions_still_to_come(
    client, auth, make_workshop, staff
):
    sessions = make_workshop(facilitator=staff, weeks=3).sessions
    series.cancel_sessions(sessions[2].id, scope=series.Scope.ONE, now=utcnow())
    logged_in(auth, staff)

    shown = page(client.get(f"/manage/sessions/{sessions[0].id}/book-for"))

    assert "All 2 upcoming sessions of the series" in shown


def test_a_single_session_workshop_offers_no_choice_of_sessions(
    client, auth, make_workshop, make_booking, staff
):
    single = make_workshop(facilitator=staff, capacity=1).sessions[0]
    make_booking(single.id)
    logged_in(auth, staff)

    shown = page(client.get(f"/manage/sessions/{single.id}/book-for"))

    assert 'name="sessions"' not in shown and "of the series" not in shown
    assert "Put them on the waitlist" in shown


def test_a_choice_of_sessions_that_isnt_offered_is_a_clear_422(client, auth, staff, session, db):
    logged_in(auth, staff)

    response = client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"name": "Garcia household", "seats": "1", "sessions": "every-other-week"},
    )

    assert response.status_code == 422
    assert "Choose this session only, or all upcoming sessions of the series." in page(response)
    assert db.session.scalar(select(Booking.id)) is None


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"seats": "1"}, "Write the name of the person or family to book for."),
        ({"name": "Garcia", "seats": "0"}, "Choose from 1 to"),
        ({"name": "Garcia", "seats": "abc"}, "Seats for the household"),
        ({"name": "Garcia", "seats": "1", "email": "not-an-address"}, "like name@example.com"),
        ({"name": "Garcia", "seats": "1", "phone": "call me maybe"}, "Write only the number"),
        ({"name": "G\x00arcia", "seats": "1"}, "hidden characters"),
        ({"name": "x" * 500, "seats": "1"}, "Contact name"),
    ],
)
def test_bad_input_when_booking_for_a_household_is_a_clear_422(
    client, auth, staff, session, form, message, db
):
    logged_in(auth, staff)

    response = client.post(f"/manage/sessions/{session.id}/book-for", data=form)

    assert response.status_code == 422
    assert message in page(response)
    assert db.session.scalar(select(Booking.id)) is None


@pytest.mark.parametrize("household_id", ["999999", "99999999999999999999999", "-1"])
def test_a_household_that_isnt_there_is_said_so(client, auth, staff, session, household_id):
    logged_in(auth, staff)

    response = client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"household_id": household_id, "seats": "1"},
    )

    assert response.status_code == 422


def test_staff_cannot_book_a_colleague_as_a_household(client, auth, make_user, staff, session):
    colleague = make_user(Role.FACILITATOR)
    logged_in(auth, staff)

    response = client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"household_id": str(colleague.id), "seats": "1"},
    )

    assert response.status_code == 422


def test_staff_cancel_for_a_household_from_the_roster(client, auth, make_user, staff, session, db):
    family = make_user(name="Okafor household")
    booking = book_seats(session.id, family.id, 1, Needs(), now=utcnow())
    logged_in(auth, staff)
    roster = page(client.get(f"/manage/sessions/{session.id}/roster"))
    assert '>Cancel<span class="visually-hidden"> for Okafor household</span>' in roster

    response = client.post(f"/manage/bookings/{booking.id}/cancel")

    assert response.status_code == 303
    assert reload(db, Booking, booking.id).status == BookingStatus.CANCELLED
    shown = page(client.get(response.location))
    assert "Okafor household&#39;s booking is cancelled." in shown
    assert f"We emailed them at {family.email}." in shown
    again = client.post(f"/manage/bookings/{booking.id}/cancel")
    assert "already cancelled" in page(client.get(again.location))


# --- needs after booking --------------------------------------------------------------


def test_a_family_changes_its_needs_from_my_bookings_without_losing_its_seat(
    client, auth, make_user, session, db
):
    family = make_user()
    series = [
        book_seats(s.id, family.id, 1, Needs(), now=utcnow()) for s in session.workshop.sessions
    ]
    logged_in(auth, family)
    bookings_page = page(client.get("/bookings"))
    assert f"/bookings/{series[0].id}/needs" in bookings_page

    form = page(client.get(f"/bookings/{series[0].id}/needs"))
    assert "This applies to all your 2 upcoming sessions" in form
    response = client.post(
        f"/bookings/{series[0].id}/needs",
        data={"interpreter_language": "Tagalog", "accessibility_needs": "Step-free"},
    )

    assert response.status_code == 303
    for booking in series:
        after = reload(db, Booking, booking.id)
        assert (after.status, after.interpreter_language) == (BookingStatus.CONFIRMED, "Tagalog")
    assert "Your seats stay as they are" in page(client.get(response.location))


def test_a_family_cannot_open_another_familys_needs(client, auth, make_user, session):
    booking = book_seats(session.id, make_user().id, 1, Needs(), now=utcnow())
    logged_in(auth, make_user())

    assert client.get(f"/bookings/{booking.id}/needs").status_code == 404
    assert client.post(f"/bookings/{booking.id}/needs", data={"notes": "x"}).status_code == 404


def test_needs_too_long_are_refused_in_words(client, auth, make_user, session):
    family = make_user()
    booking = book_seats(session.id, family.id, 1, Needs(), now=utcnow())
    logged_in(auth, family)

    response = client.post(f"/bookings/{booking.id}/needs", data={"notes": "x" * 3000})

    assert response.status_code == 422 and "Keep this under 2,000 characters." in page(response)


def test_needs_after_the_session_started_are_refused_without_a_500(
    client, auth, make_user, session
):
    family = make_user()
    booking = book_seats(session.id, family.id, 1, Needs(), now=utcnow())
    logged_in(auth, family)

    with time_machine.travel(session.starts_at + timedelta(minutes=1), tick=False):
        shown = client.get(f"/bookings/{booking.id}/needs")
        refused = client.post(f"/bookings/{booking.id}/needs", data={"notes": "late"})

    assert shown.status_code == 200 and "can no longer be changed" in page(shown)
    assert refused.status_code == 409 and "already started" in page(refused)


def test_staff_change_a_households_needs_and_the_roster_shows_them(
    client, auth, make_user, staff, session, db
):
    booking = book_seats(
        session.id, make_user(name="Okafor household").id, 1, Needs(), now=utcnow()
    )
    logged_in(auth, staff)
    assert "What Okafor household needs" in page(client.get(f"/manage/bookings/{booking.id}/needs"))

    response = client.post(
        f"/manage/bookings/{booking.id}/needs", data={"interpreter_language": "Somali"}
    )

    assert response.status_code == 303
    roster = page(client.get(response.location))
    assert "Interpreter: Somali" in roster and "Their seats stay as they are" in roster
    assert audit_actions(db)[-2:] == ["act_for.needs", "roster.view"]
    assert "needs.view" in audit_actions(db)


# --- the household's record and its claim link ------------------------------------------


def test_staff_send_a_claim_link_from_the_households_page(client, auth, staff, session, db):
    household = by_phone(session.id, staff).household
    logged_in(auth, staff)
    shown = page(client.get(f"/manage/households/{household.id}"))
    assert "Not claimed yet" in shown and "555 0100" in shown

    response = client.post(
        f"/manage/households/{household.id}/claim-link", data={"email": "garcia@example.org"}
    )

    assert response.status_code == 303
    assert "We sent a link to garcia@example.org" in page(client.get(response.location))
    assert reload(db, User, household.id).email == "garcia@example.org"


def test_staff_move_a_household_with_no_email_out_of_a_cancelled_session_and_phone_it(
    client, auth, staff, session, db
):
    """The office's make-up: the record marks the cancelled session and offers the move;
    the move page and its answer say nothing is emailed and give the phone to call."""
    booked = by_phone(session.id, staff, phone="555 0142")
    household, booking = booked.household, booked.booking
    make_up = session.workshop.sessions[1]
    series.cancel_sessions(session.id, scope=series.Scope.ONE, now=utcnow())
    logged_in(auth, staff)

    record = page(client.get(f"/manage/households/{household.id}"))
    assert "Cancelled" in record
    assert f'href="/manage/bookings/{booking.id}/move"' in record
    form = page(client.get(f"/manage/bookings/{booking.id}/move"))
    assert "please phone them at 555 0142 with the new time" in form
    assert "gets one email" not in form

    moved = client.post(f"/manage/bookings/{booking.id}/move", data={"session_id": make_up.id})

    assert moved.status_code == 303
    told = page(client.get(moved.location))
    assert "Garcia household is moved to" in told
    assert "nothing was sent: please tell them yourself" in told
    assert reload(db, Booking, booking.id).status == BookingStatus.CANCELLED
    assert outbox(db, recipient_id=household.id) == []
    assert "act_for.move" in audit_actions(db)


@pytest.mark.parametrize(
    ("email", "status", "message"),
    [
        ("", 422, "Write the email address to send the link to."),
        ("nope", 422, "like name@example.com"),
        ("taken@example.org", 409, "already belongs to another Hearth account"),
    ],
)
def test_a_bad_claim_address_is_refused_in_words(
    client, auth, make_user, staff, session, email, status, message
):
    make_user(email="taken@example.org")
    household = by_phone(session.id, staff).household
    logged_in(auth, staff)

    response = client.post(f"/manage/households/{household.id}/claim-link", data={"email": email})

    assert response.status_code == status and message in page(response)


def test_a_claim_link_that_doesnt_work_says_whom_to_ask(client):
    response = client.get("/claim/" + "ab12" * 11)

    assert response.status_code == 404
    assert "ask the person who booked for you" in page(response)


def test_a_claim_with_passwords_that_dont_match_is_a_422(client, staff, session):
    household = by_phone(session.id, staff).household
    link = households.send_claim_link(household.id, "g@example.org", acting=staff, now=utcnow())
    path = f"/claim/{email_links.link_token(link)}"

    response = client.post(path, data={"password": "kettle river orange", "password_confirm": "x"})

    assert response.status_code == 422 and "The two passwords don" in page(response)
