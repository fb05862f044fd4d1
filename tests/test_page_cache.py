"""Public pages kept rendered for signed-out visitors, and never out of date.

The home page, the calendar and workshop pages are served from memory to anyone not
signed in, for as long as nothing they show has changed. These tests say what counts
as a change (each one shows at once), and who never gets a kept page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scheduler.models import Role
from scheduler.services import profile, series
from scheduler.services.booking import cancel_booking
from scheduler.services.series import Scope, WorkshopDetails
from scheduler.timeutil import utcnow
from tests.support.feeds import counting_queries

PAGES = ["/", "/calendar", "/calendar?view=week", "/workshops/{id}"]


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=True):
        yield


@pytest.mark.parametrize("page", PAGES)
def test_a_page_is_rendered_once_and_then_served_in_one_statement(client, db, make_workshop, page):
    path = page.format(id=make_workshop(weeks=3).id)
    first = client.get(path)
    db.session.rollback()
    with counting_queries(db) as statements:
        again = client.get(path)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert len(statements) == 1 and "feed_states" in statements[0]


def test_a_booking_shows_in_the_seats_left_at_once(client, make_workshop, make_booking):
    workshop = make_workshop(capacity=5)
    assert "5 seats left" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    booking = make_booking(workshop.sessions[0].id, seats=2)
    assert "3 seats left" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    cancel_booking(booking.id, booking.family_id, now=utcnow())
    assert "5 seats left" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)


def test_an_edited_workshop_shows_at_once_on_every_page(client, make_workshop):
    workshop = make_workshop(weeks=2)
    for path in ("/", f"/workshops/{workshop.id}"):
        assert "Family education" in client.get(path).get_data(as_text=True)
    series.update_details(
        workshop.id,
        WorkshopDetails(
            title="Evenings for parents",
            description="About recovery",
            location="Room 1",
            online_url="",
            publish=True,
        ),
        now=utcnow(),
    )
    for path in ("/", f"/workshops/{workshop.id}"):
        assert "Evenings for parents" in client.get(path).get_data(as_text=True)


def test_a_cancelled_session_shows_as_cancelled_at_once(client, make_workshop):
    workshop = make_workshop(weeks=2)
    path = f"/workshops/{workshop.id}"
    assert "will not take place" not in client.get(path).get_data(as_text=True)
    series.cancel_sessions(workshop.sessions[0].id, scope=Scope.ONE, now=utcnow())
    assert "will not take place" in client.get(path).get_data(as_text=True)


def test_a_renamed_facilitator_shows_at_once(client, make_user, make_workshop):
    facilitator = make_user(Role.FACILITATOR, name="Ana Ruiz")
    workshop = make_workshop(facilitator=facilitator)
    assert "Ana Ruiz" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)
    profile.change_name(facilitator.id, "Dr Ana Ruiz", now=utcnow())
    assert "Dr Ana Ruiz" in client.get(f"/workshops/{workshop.id}").get_data(as_text=True)


def test_a_session_that_starts_leaves_the_list_within_the_minute(client, make_workshop):
    workshop = make_workshop(weeks=1, title="Starting soon")
    assert "Starting soon" in client.get("/").get_data(as_text=True)
    starts = workshop.sessions[0].starts_at
    with time_machine.travel(starts + timedelta(seconds=1), tick=False):
        assert "Starting soon" not in client.get("/").get_data(as_text=True)


def test_a_signed_in_family_always_sees_its_own_bookings(
    client, auth, make_user, make_workshop, make_booking
):
    family = make_user()
    workshop = make_workshop()
    path = f"/workshops/{workshop.id}"
    client.get(path)  # kept for signed-out visitors
    make_booking(workshop.sessions[0].id, family=family)
    auth.login(family)
    assert "You're booked" in client.get(path).get_data(as_text=True)
    auth.logout()
    assert "You're booked" not in client.get(path).get_data(as_text=True)


def test_a_message_to_show_is_shown_and_never_kept(client, auth, make_user, make_workshop):
    make_workshop()
    auth.login(make_user())
    auth.logout()  # "You're logged out." waits for the next page
    assert "logged out" in client.get("/").get_data(as_text=True)
    assert "logged out" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("page", PAGES)
def test_a_signed_out_visitor_is_given_no_cookie(csrf_app, make_workshop, page):
    path = page.format(id=make_workshop().id)
    response = csrf_app.test_client().get(path)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
