"""The access trail (issue 18): every staff page that shows a family's data writes an audit
entry linked to that family, and the family reads on its account page who looked.

The walk goes over tests/test_access.py's table, in its world: each staff page is either
in ``SHOWS_FAMILIES`` (with the household this world's page shows) or in
``SHOWS_NO_FAMILY`` (with why), and a new staff page in the table that is in neither
fails ``test_every_staff_page_of_the_access_table_says_whether_it_shows_a_family``.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from scheduler.database import write_transaction
from scheduler.extensions import db as _db
from scheduler.models import AuditEvent, AuditEventHousehold, Role, User
from scheduler.models.bookings import Attendance
from scheduler.services import audit, group_messages, households, profile, series
from scheduler.services.group_messages import Draft
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow
from tests import test_access
from tests.support.app import PASSWORD, AuthActions, local_start
from tests.support.attendance import mark_booking
from tests.test_access import ACCESS_TABLE, ROLES, World

#: The world of tests/test_access.py: its people, workshops, bookings and appointments.
world = test_access.world

STAFF = ("owner", "other_facilitator", "admin")
#: How the account page names each of this world's staff: their name, and their role.
STAFF_SEEN_AS = {
    "owner": ("Olsen, facilitator", "Facilitator"),
    "admin": ("Site admin", "Admin"),
}
#: Every household of the world, by name: a page that shows no family names none of them.
ALL_HOUSEHOLDS = (
    "Alvarez household",
    "Brennan household",
    "Chen household",
    "Walsh household",
    "Garcia household",
    "Dunn household",
    "Kim household",
    "Ortiz household",
    "Former household",
)

# Staff pages that show a family's data, with the household this world's page shows.
# fmt: off
SHOWS_FAMILIES = {
    "/manage":                                            "Alvarez household",  # its request
    "/manage/sessions/{session}/roster":                  "Alvarez household",
    "/manage/sessions/{session}/roster.csv":              "Alvarez household",
    "/manage/sessions/{past_session}/roster":             "Dunn household",
    "/manage/sessions/{past_session}/roster.csv":         "Dunn household",
    "/manage/sessions/{session}/book-for?q=Alvarez":      "Alvarez household",
    "/manage/bookings/{booking}/needs":                   "Alvarez household",
    "/manage/households/{household}":                     "Garcia household",
    "/manage/bookings/{booking}/move":                    "Alvarez household",
    "/manage/counseling":                                 "Ortiz household",  # to mark
    "/manage/counseling/appointments/{appointment}":      "Alvarez household",
    "/manage/counseling/appointments/{appointment}/move": "Alvarez household",
    "/manage/sessions/{checkin_session}/attendance":      "Kim household",
    "/manage/sessions/{session}/attendance":              "Alvarez household",
    "/manage/sessions/{past_session}/attendance":         "Dunn household",
    # The trail itself, here with the owner's move of family A's appointment in it.
    "/admin/audit":                                       "Alvarez household",
    "/admin/audit.csv":                                   "Alvarez household",
    "/admin/accounts":                                    "Alvarez household",
    "/admin/accounts/{family}":                           "Alvarez household",
}

# Staff pages that show no family's data here, and why (or where the case that does is tested).
SHOWS_NO_FAMILY = {
    "/manage/workshops/new":                     "a form",
    "/manage/workshops/{workshop}":              "names households only when they missed two "
                                                 "sessions in a row: tested below",
    "/manage/workshops/{draft}":                 "a draft nobody booked",
    "/manage/workshops/{workshop}/edit":         "a form",
    "/manage/sessions/{session}":                "seat counts only",
    "/manage/history":                           "sessions and seat counts only",
    "/admin/retention":                          "counts of what the purge cleared",
    "/manage/workshops/{workshop}/duplicate":    "a form",
    "/manage/workshops/{past_workshop}/duplicate": "a form",
    "/manage/workshops/{workshop}/sessions/new": "a form",
    "/manage/workshops/{draft}/delete":          "a question",
    "/manage/workshops/{workshop}/delete":       "a question, with counts",
    "/manage/sessions/{session}/book-for":       "the search before anything is searched",
    "/manage/workshops/{workshop}/messages/new": "the form; its preview is a POST, tested below",
    "/workshops/{draft}":                        "a draft's public page, for who may see it",
    "/admin/accounts/{account}":                 "a facilitator's account (audited with it)",
    "/admin/outbox":                             "counts of messages",
}
# fmt: on


def _staff_pages() -> dict[str, dict[str, int]]:
    """The table's GET pages only staff open, with each role's status."""
    pages = {}
    for method, route, *statuses in ACCESS_TABLE:
        status = dict(zip(ROLES, statuses, strict=True))
        only_staff = status["family_a"] != 200 and status["family_b"] != 200
        if method == "GET" and only_staff and any(status[r] == 200 for r in STAFF):
            pages[route] = status
    return pages


def _cases(routes: dict[str, Any], roles: tuple[str, ...]) -> list[Any]:
    pages = _staff_pages()
    return [
        pytest.param(route, role, id=f"{role} {route}")
        for route in routes
        for role in roles
        if pages.get(route, {}).get(role) == 200
    ]


def test_every_staff_page_of_the_access_table_says_whether_it_shows_a_family():
    pages = set(_staff_pages())

    assert set(SHOWS_FAMILIES).isdisjoint(SHOWS_NO_FAMILY)
    assert sorted(pages - set(SHOWS_FAMILIES) - set(SHOWS_NO_FAMILY)) == []
    assert sorted((set(SHOWS_FAMILIES) | set(SHOWS_NO_FAMILY)) - pages) == []


def _last_event_id() -> int:
    _db.session.rollback()
    return _db.session.scalar(sa.select(sa.func.max(AuditEvent.id))) or 0


def _events_since(event_id: int) -> list[tuple[int | None, str, set[int]]]:
    """The events written after ``event_id``: who, what, and the households linked."""
    _db.session.rollback()
    events = _db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.id > event_id).order_by(AuditEvent.id)
    ).all()
    links = _db.session.execute(
        sa.select(AuditEventHousehold.event_id, AuditEventHousehold.household_id).where(
            AuditEventHousehold.event_id > event_id
        )
    ).all()
    return [
        (e.actor_id, e.action, {h for event_id, h in links if event_id == e.id}) for e in events
    ]


def _household(name: str) -> User:
    _db.session.rollback()
    return _db.session.scalars(sa.select(User).where(User.name == name)).one()


def _log_in_as_household(client: FlaskClient, world: World, name: str) -> None:
    """Sign in as one of the world's households; the one staff recorded by phone first
    claims its record with the link it was sent."""
    household = _household(name)
    if household.is_household_record:
        households.claim(str(world.ids["claim"]), PASSWORD, now=utcnow())
        household = _household(name)
    client.post("/logout")
    assert AuthActions(client).login(household.email).status_code == 303


def _trail_section(client: FlaskClient) -> str:
    """The account page's access trail, as its reader sees it."""
    page = html.unescape(client.get("/account").get_data(as_text=True))
    found = re.search(r'<section class="panel" id="access".*?</section>', page, re.S)
    assert found, "no access trail on the account page"
    return found.group(0)


@pytest.mark.parametrize(("route", "role"), _cases(SHOWS_FAMILIES, ("owner", "admin")))
def test_each_staff_page_showing_a_family_is_audited_with_it_and_the_family_sees_who(
    client, world, route, role
):
    household = _household(SHOWS_FAMILIES[route])
    world.log_in_as(role)
    before = _last_event_id()

    response = client.get(world.path(route))

    assert response.status_code == 200
    assert household.name in html.unescape(response.get_data(as_text=True))
    staff_id = world.people[role].id
    linked = [action for actor, action, ids in _events_since(before) if household.id in ids]
    assert linked, "no audit entry links the household shown"
    assert all(actor == staff_id for actor, _, ids in _events_since(before) if ids)

    _log_in_as_household(client, world, household.name)
    trail = _trail_section(client)

    name, role_words = STAFF_SEEN_AS[role]
    assert f'{name}</strong> <span class="meta">({role_words})</span>' in trail
    assert str(audit.FAMILY_WORDS[linked[0]]) in trail


@pytest.mark.parametrize(("route", "role"), _cases(SHOWS_NO_FAMILY, STAFF))
def test_a_staff_page_said_to_show_no_family_names_none_and_links_none(client, world, route, role):
    world.log_in_as(role)
    before = _last_event_id()

    response = client.get(world.path(route))

    assert response.status_code == 200
    shown = html.unescape(response.get_data(as_text=True))
    assert [name for name in ALL_HOUSEHOLDS if name in shown] == []
    families = {u.id for u in _db.session.scalars(sa.select(User).where(User.role == Role.FAMILY))}
    assert [ids & families for _, _, ids in _events_since(before) if ids & families] == []


@pytest.mark.parametrize("role", ["other_facilitator"])
def test_a_facilitator_who_does_not_run_it_sees_nothing_and_nothing_is_linked(client, world, role):
    """The dashboard and the counseling list of someone else: no family, no entry."""
    world.log_in_as(role)
    before = _last_event_id()

    for route in ("/manage", "/manage/counseling"):
        assert client.get(route).status_code == 200

    assert _events_since(before) == []


def test_a_workshop_page_naming_households_who_missed_twice_is_audited_with_them(
    client, auth, make_user, make_booking
):
    facilitator = make_user(Role.FACILITATOR, name="Noor, facilitator")
    family = make_user(name="Quinn household")
    then = utcnow() - timedelta(days=30)
    workshop = series.create_workshop(
        facilitator.id,
        WorkshopDetails("Spring group", "About recovery", "Room 4", "", publish=True),
        timezone="America/New_York",
        capacity=4,
        first_start=local_start(days=-21),
        duration_minutes=90,
        weeks=4,  # three held, one still to come (the dashboard lists it)
        now=then,
    )
    for session in workshop.sessions[:2]:
        booking = make_booking(session.id, family=family, now=then)
        mark_booking(booking.id, Attendance.ABSENT, now=session.starts_at)
    auth.login(facilitator)
    before = _last_event_id()

    pages = [client.get(f"/manage/workshops/{workshop.id}"), client.get("/manage")]

    assert ["Quinn household" in page.get_data(as_text=True) for page in pages] == [True, True]
    assert _events_since(before) == [
        (facilitator.id, "workshop.view", {family.id}),
        (facilitator.id, "dashboard.view", {family.id}),
    ]


def test_a_group_message_preview_is_audited_with_the_household_whose_copy_it_shows(
    make_user, make_workshop, make_booking
):
    facilitator = make_user(Role.FACILITATOR)
    workshop = make_workshop(facilitator=facilitator)
    family = make_user(name="Reyes household")
    make_booking(workshop.sessions[0].id, family=family)
    before = _last_event_id()

    shown = group_messages.preview(
        workshop.id, Draft(session_id=None, subject="", body="Hello"), facilitator.id, now=utcnow()
    )

    assert shown.shown_to is not None and shown.shown_to.id == family.id
    assert _events_since(before) == [(facilitator.id, "group_message.preview", {family.id})]


def test_a_roster_view_links_every_household_on_the_roster_in_one_entry(
    client, auth, make_user, make_workshop, make_booking
):
    facilitator = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=facilitator, capacity=3).sessions[0]
    booked = [make_booking(session.id, family=make_user()).family_id for _ in range(3)]
    waiting = make_booking(session.id, family=make_user(), join_waitlist=True).family_id
    auth.login(facilitator)
    before = _last_event_id()

    client.get(f"/manage/sessions/{session.id}/roster")

    assert _events_since(before) == [(facilitator.id, "roster.view", {*booked, waiting})]


def test_a_familys_own_changes_are_not_shown_as_staff_looking(make_user, client, auth):
    family = make_user(name="Sato household")
    profile.change_name(family.id, "Sato family", now=utcnow())
    auth.login(family)

    trail = _trail_section(client)

    assert "Nobody on staff has seen your details yet." in trail
    assert audit.seen_by_staff(family.id).looks == []


def test_the_family_trail_is_plain_facts_newest_first(make_user):
    family = make_user(name="Tan household")
    staff = make_user(Role.FACILITATOR, name="Uma, facilitator")
    first = utcnow() - timedelta(days=2)
    audit.record(staff, "roster.view", "session:1", now=first, households=[family.id])
    audit.record(
        staff, "needs.view", "booking:1", now=first + timedelta(hours=1), households=[family.id]
    )

    trail = audit.seen_by_staff(family.id)

    assert trail.total == 2
    assert [(look.actor_name, look.actor_role, look.action) for look in trail.looks] == [
        ("Uma, facilitator", "facilitator", "needs.view"),
        ("Uma, facilitator", "facilitator", "roster.view"),
    ]
    assert trail.looks[1].when == first
    assert trail.looks[0].words == "Saw your household's needs"
    assert audit.seen_by_staff(family.id, per_page=None).looks == trail.looks  # an export
    assert audit.seen_by_staff(staff.id).looks == []  # linked to the family only


def test_a_family_pages_through_its_whole_trail(make_user, client, auth):
    family = make_user(name="Vega household", timezone="Europe/Madrid")
    staff = make_user(Role.ADMIN, name="Wren Admin")
    start = utcnow() - timedelta(days=30)
    with write_transaction():
        for n in range(45):
            audit.add(
                staff,
                "account.view",
                f"user:{family.id}",
                [family.id],
                now=start + timedelta(hours=n),
            )
    auth.login(family)

    account = _trail_section(client)
    pages = [
        client.get("/account/access"),
        client.get("/account/access?page=2"),
        client.get("/account/access?page=3"),
    ]

    assert account.count("<li>") == 5 and "See all 45 entries" in account
    texts = [html.unescape(p.get_data(as_text=True)) for p in pages]
    assert [t.count("Wren Admin</strong>") for t in texts] == [20, 20, 5]
    assert "Page 1 of 3" in texts[0] and 'href="/account/access?page=2"' in texts[0]
    assert "CET" in texts[0] or "Central European" in texts[0]  # times in the family's zone


def test_staff_accounts_have_no_trail_section_and_cannot_open_a_familys(make_user, client, auth):
    staff = make_user(Role.FACILITATOR)
    auth.login(staff)

    page = client.get("/account").get_data(as_text=True)

    assert 'id="access"' not in page
    assert client.get("/account/access").status_code == 403


def test_the_households_fewer_seats_would_move_are_named_and_audited_with_them(
    client, auth, make_user, make_workshop, make_booking
):
    facilitator = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=facilitator, capacity=3).sessions[0]
    make_booking(session.id, family=make_user(name="Xu household"))
    later = make_user(name="Yilmaz household")
    make_booking(session.id, family=later, seats=2)
    auth.login(facilitator)
    before = _last_event_id()

    refused = client.post(
        f"/manage/sessions/{session.id}/capacity", data={"capacity": "1", "scope": "one"}
    )

    assert refused.status_code == 409
    shown = refused.get_data(as_text=True)
    assert "Yilmaz household" in shown and "Xu household" not in shown
    assert _events_since(before) == [(facilitator.id, "session.capacity_conflict", {later.id})]
