"""The check-in pages: a phone-first list of the booked households with a button for each
mark that works as a plain form and answers JSON to the page's script; walk-ins with the
override offered in words; the roster showing the marks; the counselor's buttons; and the
settings that turn the invitation back off."""

# ruff: noqa: F811  (the fixtures imported from tests.support.checkin are used by name)
from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from scheduler.models import AuditEvent, Booking, User, Workshop
from scheduler.services import counseling
from scheduler.services.attendance import mark_booking
from tests.support import counseling as counseling_support
from tests.support.app import AuthActions
from tests.support.checkin import (  # noqa: F401  (fixtures)
    CLOSES,
    DOOR,
    MONDAY,
    STARTS,
    clock,
    evening,
    group,
    lead,
    reload,
)

JSON = {"Accept": "application/json"}


@pytest.fixture
def chens(make_user, make_booking, evening):
    family = make_user(name="The Chen family", email="chen@example.org")
    return make_booking(evening.id, family=family, seats=3, now=MONDAY)


@pytest.fixture
def at_the_door(clock, auth, lead, chens):
    """Maya, logged in on her phone ten minutes into the evening."""
    clock.move_to(DOOR)
    assert auth.login(lead).status_code == 303
    return clock


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def actions(db) -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def check_in(evening) -> str:
    return f"/manage/sessions/{evening.id}/attendance"


# --- the page --------------------------------------------------------------------------


def test_the_roster_leads_to_check_in_which_lists_each_household_with_its_buttons(
    client, db, at_the_door, evening, chens
):
    roster = page(client.get(f"/manage/sessions/{evening.id}/roster"))
    assert f'href="{check_in(evening)}"' in roster and "Check in at the door" in roster

    response = client.get(check_in(evening))
    shown = page(response)

    assert response.status_code == 200
    assert "The Chen family" in shown and "3 seats" in shown
    assert f'action="/manage/bookings/{chens.id}/attendance"' in shown
    assert shown.count('aria-pressed="false"') == 3
    assert re.search(r'<select id="seats-\d+" name="seats_present">', shown)
    assert "Came: 0 · Late: 0 · Absent: 0 · Not marked yet: 1" in shown
    assert "You can change a mark until Thu, Mar 12, 2026, 7:30" in shown
    assert 'role="status" aria-live="polite"' in shown
    # The script is a file of our own: the page's policy allows no inline script.
    assert '<script src="/static/checkin.js" defer></script>' in shown
    assert not re.search(r"<script(?![^>]*\bsrc=)", shown)
    assert actions(db)[-1] == "roster.view"


def test_before_marks_open_the_page_says_when_and_has_no_buttons(
    client, auth, clock, lead, chens, evening
):
    assert auth.login(lead).status_code == 303

    shown = page(client.get(check_in(evening)))

    assert "Check-in opens at Thu, Mar 5, 2026, 5:00" in shown
    assert "mark-form" not in shown and "Not marked yet" in shown


def test_a_mark_without_javascript_posts_the_form_and_comes_back_to_the_row(
    client, db, at_the_door, chens, evening
):
    response = client.post(
        f"/manage/bookings/{chens.id}/attendance", data={"status": "late", "seats_present": "2"}
    )

    assert response.status_code == 303
    assert response.location.endswith(f"{check_in(evening)}#booking-{chens.id}")
    shown = page(client.get(response.location))
    assert "Saved: The Chen family came late, 2 of 3 seats." in shown
    assert re.search(r'value="late" class="mark mark-late" aria-pressed="true"', shown)
    assert '<option value="2" selected>' in shown
    assert "Came late: 2 of 3 seats" in shown
    booking = reload(Booking, chens.id)
    assert (booking.attendance, booking.attended_seats) == ("late", 2)


def test_the_page_script_gets_json_and_the_same_mark_twice_is_saved_once(
    client, db, at_the_door, chens
):
    url = f"/manage/bookings/{chens.id}/attendance"

    first = client.post(url, data={"status": "attended"}, headers=JSON)
    again = client.post(url, data={"status": "attended"}, headers=JSON)

    assert first.status_code == again.status_code == 200
    assert first.json == again.json
    assert first.json["ok"] is True and first.json["seats"] == 3
    assert first.json["message"] == "Saved: The Chen family came, 3 of 3 seats."
    assert first.json["summary"].startswith("Came: 1 · Late: 0 · Absent: 0")
    assert actions(db).count("attendance.attended") == 1


def test_marks_are_closed_a_week_on_refused_in_words_and_shown_read_only(
    client, auth, clock, lead, chens, evening
):
    mark_booking(chens.id, "absent", acting=lead, now=DOOR)
    clock.move_to(CLOSES)
    assert auth.login(lead).status_code == 303
    url = f"/manage/bookings/{chens.id}/attendance"

    refused = client.post(url, data={"status": "attended"})
    as_json = client.post(url, data={"status": "attended"}, headers=JSON)
    shown = page(client.get(check_in(evening)))

    assert refused.status_code == as_json.status_code == 409
    assert "Marks closed on Thu, Mar 12, 2026, 7:30" in page(refused)
    assert as_json.json["ok"] is False and "Marks closed" in as_json.json["message"]
    assert "mark-form" not in shown and "Absent" in shown
    assert "Who came" in page(client.get(f"/manage/sessions/{evening.id}/roster"))
    assert reload(Booking, chens.id).attendance == "absent"


@pytest.mark.parametrize(
    ("sent", "said"),
    [
        ({"status": "maybe"}, "Choose came, late or absent."),
        ({"status": ""}, "Choose came, late or absent."),
        ({"status": "attended", "seats_present": "lots"}, "Choose how many seats came."),
        ({"status": "attended", "seats_present": "4"}, "a number from 1 to 3"),
    ],
)
def test_a_mark_that_cant_be_read_is_refused_with_400_and_words(
    client, at_the_door, chens, sent, said
):
    url = f"/manage/bookings/{chens.id}/attendance"

    response = client.post(url, data=sent)
    as_json = client.post(url, data=sent, headers=JSON)

    assert response.status_code == as_json.status_code == 400
    assert said in page(response) and said in as_json.json["message"]
    assert reload(Booking, chens.id).attendance is None


def test_the_roster_shows_each_mark_and_walk_in_in_the_households_cell(
    client, at_the_door, chens, evening, lead
):
    mark_booking(chens.id, "attended", seats=2, acting=lead, now=DOOR)
    client.post(
        f"/manage/sessions/{evening.id}/walk-in",
        data={"name": "Rosa Alvarez", "phone": "555-0142", "seats": "1"},
    )

    shown = page(client.get(f"/manage/sessions/{evening.id}/roster"))

    assert '<span class="roster-mark">Came: 2 of 3 seats</span>' in shown
    assert "Walk-in" in shown and '<span class="roster-mark">Came</span>' in shown


# --- walk-ins --------------------------------------------------------------------------


def test_a_walk_in_is_added_from_the_check_in_page(client, db, at_the_door, evening):
    response = client.post(
        f"/manage/sessions/{evening.id}/walk-in",
        data={"name": "Rosa Alvarez", "phone": "555-0142", "seats": "2"},
    )

    assert response.status_code == 303
    db.session.rollback()
    rosa = db.session.scalars(select(User).where(User.name == "Rosa Alvarez")).one()
    booking = db.session.scalars(select(Booking).where(Booking.family_id == rosa.id)).one()
    assert response.location.endswith(f"#booking-{booking.id}")
    shown = page(client.get(response.location))
    assert "Added Rosa Alvarez at the door: 2 seats, marked as came." in shown
    assert (booking.walk_in, booking.attendance) == (True, "attended")


def test_a_walk_in_over_capacity_is_offered_the_override_and_let_in_with_it(
    client, db, at_the_door, evening, make_booking, make_user
):
    make_booking(evening.id, family=make_user(), seats=2, now=MONDAY)  # 5 of 5 taken
    form = {"name": "Rosa Alvarez", "phone": "555-0142", "seats": "1"}
    url = f"/manage/sessions/{evening.id}/walk-in"

    refused = client.post(url, data=form)
    shown = page(refused)
    assert refused.status_code == 409
    assert "This session doesn't have 1 seat free right now." in shown
    assert "You can still let them in." in shown
    assert '<button type="submit" name="override" value="1" class="button">' in shown
    assert shown.index("Try again with these seats") < shown.index("Let them in over capacity")
    db.session.rollback()
    assert db.session.scalar(select(User).where(User.name == "Rosa Alvarez")) is None

    let_in = client.post(url, data={**form, "override": "1"})

    assert let_in.status_code == 303
    assert "over the session's capacity, as you chose" in page(client.get(let_in.location))
    assert [a for a in actions(db) if a.startswith("attendance.")] == [
        "attendance.walk_in",
        "attendance.over_capacity",
    ]


def test_a_walk_in_household_is_found_by_the_household_search(
    client, db, at_the_door, evening, make_user
):
    novak = make_user(name="The Novak family", email="novak@example.org")

    found = page(client.get(f"{check_in(evening)}?q=novak"))
    assert "Add as a walk-in" in found and f"household={novak.id}#walk-in" in found
    chosen = page(client.get(f"{check_in(evening)}?household={novak.id}"))
    assert f'name="household_id" type="hidden" value="{novak.id}"' in chosen

    response = client.post(
        f"/manage/sessions/{evening.id}/walk-in",
        data={"household_id": str(novak.id), "seats": "1"},
    )
    assert response.status_code == 303
    assert actions(db).count("household.search") == 1


def test_a_walk_in_form_without_a_name_is_returned_with_its_error(client, at_the_door, evening):
    response = client.post(f"/manage/sessions/{evening.id}/walk-in", data={"seats": "1"})

    assert response.status_code == 422
    assert "Write the name of the person or family to book for." in page(response)


# --- counseling ------------------------------------------------------------------------


def test_a_counselor_marks_an_appointment_from_its_page(
    client, db, auth, clock, make_counselor, make_user
):
    counselor = make_counselor()
    appointment_id = counseling_support.book(counselor, make_user(name="Lee family"), days=3)
    starts = counseling.get_for_manager(appointment_id, counselor).slot.starts_at
    clock.move_to(starts + timedelta(minutes=5))
    assert auth.login(counselor).status_code == 303
    url = f"/manage/counseling/appointments/{appointment_id}"

    shown = page(client.get(url))
    assert "Did the family come?" in shown and f'action="{url}/attendance"' in shown
    assert "Lee family" in page(client.get("/manage/counseling"))  # listed to mark

    response = client.post(f"{url}/attendance", data={"status": "no_show"})
    as_json = client.post(f"{url}/attendance", data={"status": "attended"}, headers=JSON)
    wrong = client.post(f"{url}/attendance", data={"status": "late"}, headers=JSON)

    assert response.status_code == 303 and response.location.endswith(url)
    assert as_json.json == {"ok": True, "mark": "attended", "message": "Saved: Lee family came."}
    assert wrong.status_code == 400
    assert counseling_support.appointment(db, appointment_id).attendance == "attended"


# --- turning the invitation back off ---------------------------------------------------


def test_a_family_turns_the_invitation_back_off_on_its_account_page(client, auth, make_user, db):
    family = make_user()
    assert auth.login(family).status_code == 303
    shown = page(client.get("/account"))
    assert 'id="invite-back"' in shown
    assert re.search(r'<input [^>]*checked[^>]* name="invite_back" type="checkbox"', shown)

    client.post("/account", data={"timezone": "America/New_York", "reminders_enabled": "y"})

    assert reload(User, family.id).invite_back is False


def test_the_facilitator_turns_it_off_on_the_workshop_edit_form(client, auth, lead, evening):
    assert auth.login(lead).status_code == 303
    url = f"/manage/workshops/{evening.workshop_id}/edit"
    assert "Invite households that miss a session back by email" in page(client.get(url))

    client.post(url, data={"title": "Family education", "location": "Room 1", "publish": "y"})

    assert reload(Workshop, evening.workshop_id).invite_back_absent is False


# --- abuse -----------------------------------------------------------------------------


def test_marks_from_one_account_are_rate_limited(make_app, at_the_door, chens, lead):
    limited = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_ATTENDANCE="3 per minute",
    )
    client = limited.test_client()
    assert AuthActions(client).login(lead).status_code == 303
    url = f"/manage/bookings/{chens.id}/attendance"

    answers = [client.post(url, data={"status": "late"}, headers=JSON) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]


def test_household_searches_for_walk_ins_count_against_the_act_for_limit(
    make_app, at_the_door, evening, lead
):
    limited = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_ACT_FOR="2 per minute"
    )
    client = limited.test_client()
    assert AuthActions(client).login(lead).status_code == 303

    plain = [client.get(check_in(evening)).status_code for _ in range(3)]
    searches = [client.get(f"{check_in(evening)}?q=chen").status_code for _ in range(3)]

    assert plain == [200, 200, 200], "opening the page again and again is not searching"
    assert searches == [200, 200, 429]
