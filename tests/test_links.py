"""Absolute links in emails and calendars: each one opens the route it names."""

from __future__ import annotations

import pytest
from flask import url_for

from scheduler import links
from scheduler.models import LinkPurpose

TOKEN = "0123456789abcdef0123456789abcdef0123456789a"

#: Every builder with the route (endpoint and arguments) its link must open.
BUILDERS = [
    (lambda: links.private_feed(TOKEN), "feeds.private_feed", {"token": TOKEN}),
    (lambda: links.public_feed(), "feeds.public_feed", {}),
    (lambda: links.public_feed(7), "feeds.public_feed", {"facilitator": 7}),
    (lambda: links.workshop_page(3), "public.workshop", {"workshop_id": 3}),
    (links.bookings, "family.bookings", {}),
    (lambda: links.family_appointment(8), "family.bookings", {"_anchor": "appointment-8"}),
    (links.reminder_settings, "family.account", {"_anchor": "reminders"}),
    (lambda: links.roster(5), "manage.roster", {"session_id": 5}),
    (
        lambda: links.counselor_appointment(9),
        "manage_counseling.appointment",
        {"appointment_id": 9},
    ),
    (links.login, "auth.login", {}),
    (links.forgot_password, "auth.forgot_password", {}),
    (
        lambda: links.email_link(LinkPurpose.PASSWORD_RESET, TOKEN),
        "auth.reset_password",
        {"token": TOKEN},
    ),
    (
        lambda: links.email_link(LinkPurpose.VERIFY_EMAIL, TOKEN),
        "auth.confirm_email",
        {"token": TOKEN},
    ),
    (lambda: links.unsubscribe(4, TOKEN), "family.stop_reminders", {"user_id": 4, "token": TOKEN}),
]


@pytest.mark.parametrize(("build", "endpoint", "values"), BUILDERS)
def test_each_link_opens_its_route_at_base_url(app, build, endpoint, values):
    with app.test_request_context(base_url="http://localhost"):
        expected_path = url_for(endpoint, **values)
    assert build() == "http://localhost" + expected_path


def test_every_emailed_link_purpose_has_a_page():
    assert set(links.EMAIL_LINK_PATHS) == set(LinkPurpose)


def test_base_url_with_a_path_and_trailing_slash(app):
    app.config["BASE_URL"] = "https://Hearth.example.org:8443/hearth/"
    assert links.bookings() == "https://Hearth.example.org:8443/hearth/bookings"
    assert links.host() == "hearth.example.org"
    assert links.webcal(links.public_feed()) == (
        "webcal://Hearth.example.org:8443/hearth/calendar/workshops.ics"
    )


def test_host_falls_back_when_base_url_names_none(app):
    app.config["BASE_URL"] = "/"
    assert links.host() == "hearth"
