"""Every page, CSV and email staff read names a household as it chose: here one chose an
alias and one its first name only, and no staff page ever shows more of their names.

Maya runs four Tuesday evenings from 6 October 2026; the two households booked the last
three and missed the second and the third; the Chens came to all three held. Dr Rivera
has a request to approve from each. Staff read everything on Wednesday 21 October.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import Booking, Role, User, Workshop
from scheduler.models.bookings import Attendance
from scheduler.services import digest, household_names
from scheduler.services.booking import Needs
from scheduler.timeutil import utcnow
from tests.support.attendance import mark_booking
from tests.support.counseling import book
from tests.support.feeds import private_feed, vevents
from tests.support.mail import received, text_of

BOOKED_ON = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
READ_ON = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
#: 7:00 in New York on the last Tuesday: Maya's digest of that evening.
DIGEST_MORNING = datetime(2026, 10, 27, 11, 0, tzinfo=UTC)
FIRST = datetime(2026, 10, 6, 18, 0)

ALIAS = "Blue door household"
FIRST_NAME = "Octavia"
#: Words of the two real names no staff page may show.
HIDDEN = ("Zephyrine", "Quillfeather", "Brackenridge")


@dataclass(frozen=True)
class Term:
    workshop: Workshop
    maya: User
    counselor: User
    admin: User
    aliased: User
    first: User
    #: Each household's booking in the last Tuesday, still to come.
    next_booking: dict[str, Booking]
    #: The requests to Dr Rivera, by household.
    appointments: dict[str, int]

    @property
    def held(self) -> list[int]:
        return [s.id for s in sorted(self.workshop.sessions, key=lambda s: s.starts_at)]


@pytest.fixture
def term(make_user, make_workshop, make_booking, make_counselor) -> Iterator[Term]:
    with time_machine.travel(BOOKED_ON, tick=False):
        maya = make_user(Role.FACILITATOR, name="Maya Okafor")
        workshop = make_workshop(facilitator=maya, capacity=10, weeks=4, start=FIRST)
        sessions = sorted(workshop.sessions, key=lambda s: s.starts_at)
        aliased = make_user(name="Zephyrine Quillfeather", email="zq@example.org")
        first = make_user(name="Octavia Brackenridge", email="ob@example.org")
        chens = make_user(name="The Chen family")
        upcoming = {}
        for key, household in (("aliased", aliased), ("first", first)):
            for session in sessions[1:3]:
                booked = make_booking(session.id, family=household, seats=2)
                mark_booking(booked.id, Attendance.ABSENT, now=session.starts_at)
            upcoming[key] = make_booking(
                sessions[3].id, family=household, needs=Needs(childcare_needed=True)
            )
        for session in sessions:
            booked = make_booking(session.id, family=chens)
            if session.id != sessions[3].id:
                mark_booking(booked.id, now=session.starts_at)
    with time_machine.travel(READ_ON, tick=False):
        household_names.choose(aliased.id, "alias", ALIAS, now=utcnow())
        household_names.choose(first.id, "first", None, now=utcnow())
        counselor = make_counselor(approve_first=True)
        appointments = {"aliased": book(counselor, aliased), "first": book(counselor, first)}
        admin = make_user(Role.ADMIN, name="Ada Admin")
        yield Term(workshop, maya, counselor, admin, aliased, first, upcoming, appointments)


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.get_data(as_text=True))


def names_them_as_chosen(shown: str, *names: str) -> None:
    """The page names these households (both, unless told) as they chose, and shows no
    word of their real names."""
    for name in names or (ALIAS, FIRST_NAME):
        assert name in shown
    for word in HIDDEN:
        assert word not in shown


def test_the_roster_and_its_csv(client, auth, term):
    auth.login(term.maya)
    last = term.held[3]

    names_them_as_chosen(page(client, f"/manage/sessions/{last}/roster"))
    names_them_as_chosen(page(client, f"/manage/sessions/{last}/roster.csv"))


def test_check_in_and_the_walk_in_search_finds_a_household_by_the_name_staff_see_only(
    client, auth, term
):
    auth.login(term.maya)
    door = f"/manage/sessions/{term.held[2]}/attendance"

    names_them_as_chosen(page(client, door))
    # A guessed real name finds nobody: it must not tell which alias answers to it.
    assert "Add as a walk-in" not in page(client, f"{door}?q=quillfeath")
    found = page(client, f"{door}?q=blue+door")
    names_them_as_chosen(found, ALIAS)
    assert "Add as a walk-in" in found
    names_them_as_chosen(page(client, f"{door}?q=zq%40example"), ALIAS)  # by its email
    chosen = page(client, f"{door}?household={term.aliased.id}")
    names_them_as_chosen(chosen, ALIAS)


def test_a_mark_saved_at_the_door_names_the_household_as_it_chose(client, auth, db, term):
    auth.login(term.maya)
    db.session.rollback()
    booking = db.session.scalars(
        select(Booking).where(
            Booking.session_id == term.held[2], Booking.family_id == term.aliased.id
        )
    ).one()

    saved = client.post(f"/manage/bookings/{booking.id}/attendance", data={"status": "attended"})

    assert saved.status_code == 303
    names_them_as_chosen(page(client, saved.location), ALIAS)


def test_acting_for_a_household(client, auth, term):
    auth.login(term.maya)
    last = term.held[3]
    mine = term.next_booking["aliased"].id

    assert "Book for them" not in page(client, f"/manage/sessions/{last}/book-for?q=quillfeath")
    found = page(client, f"/manage/sessions/{last}/book-for?q=blue+door")
    names_them_as_chosen(found, ALIAS)
    assert "Book for them" in found
    names_them_as_chosen(
        page(client, f"/manage/sessions/{last}/book-for?household={term.aliased.id}"),
        ALIAS,
    )
    names_them_as_chosen(page(client, f"/manage/bookings/{mine}/needs"), ALIAS)
    names_them_as_chosen(page(client, f"/manage/bookings/{mine}/move"), ALIAS)
    names_them_as_chosen(page(client, f"/manage/households/{term.aliased.id}"), ALIAS)
    names_them_as_chosen(page(client, f"/manage/households/{term.first.id}"), FIRST_NAME)

    cancelled = client.post(f"/manage/bookings/{mine}/cancel")
    assert cancelled.status_code == 303
    assert f"{ALIAS}'s booking is cancelled." in page(client, cancelled.location)


def test_the_dashboards_attendance_insights_and_counseling_requests(client, auth, term):
    auth.login(term.maya)
    insights = page(client, "/manage")
    assert "2 households missed their last two sessions:" in insights
    names_them_as_chosen(insights)

    auth.login(term.counselor)
    requests = page(client, "/manage")
    assert f"{ALIAS} asks to meet on" in requests.replace("<strong>", "").replace("</strong>", "")
    names_them_as_chosen(requests)


def test_the_counselors_list_and_appointment_pages(client, auth, term):
    auth.login(term.counselor)

    names_them_as_chosen(page(client, "/manage/counseling"))
    for key, name in (("aliased", ALIAS), ("first", FIRST_NAME)):
        shown = page(client, f"/manage/counseling/appointments/{term.appointments[key]}")
        assert f"Appointment: {name}" in shown
        names_them_as_chosen(shown, name)


def test_the_group_message_preview_greets_the_household_as_staff_see_it(client, auth, term):
    auth.login(term.maya)
    path = f"/manage/workshops/{term.workshop.id}/messages/new"
    draft = {"session": str(term.held[3]), "body": "Bring the workbook.", "step": "preview"}

    shown = page_of(client.post(path, data=draft))
    assert f"What {ALIAS} gets" in shown and f"Hello {ALIAS}," in shown
    for word in HIDDEN:
        assert word not in shown

    household_names.choose(term.aliased.id, "full", None, now=utcnow())
    shown = page_of(client.post(path, data=draft))  # now the first by name is Octavia
    assert f"What {FIRST_NAME} gets" in shown and f"Hello {FIRST_NAME}," in shown
    assert "Brackenridge" not in shown


def page_of(response) -> str:
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_the_admins_account_pages_and_audit_log(client, auth, term):
    auth.login(term.admin)

    names_them_as_chosen(page(client, "/admin/accounts"))
    assert "zq@example.org" not in page(client, "/admin/accounts?q=quillfeath")
    found = page(client, "/admin/accounts?q=blue")
    names_them_as_chosen(found, ALIAS)
    assert "zq@example.org" in found  # admins see the chosen name and the address
    account = page(client, f"/admin/accounts/{term.aliased.id}")
    names_them_as_chosen(account, ALIAS)
    assert "zq@example.org" in account and "A name they chose" in account
    first = page(client, f"/admin/accounts/{term.first.id}")
    names_them_as_chosen(first, FIRST_NAME)
    assert "Their first name only" in first
    trail = page(client, "/admin/audit")
    assert "Chose how staff see their name" in trail
    names_them_as_chosen(trail)


def test_emails_to_staff_name_the_household_as_it_chose_and_its_own_keep_its_name(mail_to, term):
    with time_machine.travel(READ_ON, tick=False):
        sweep_once()

    to_counselor = [m for m in received(mail_to) if m["To"] == term.counselor.email]
    assert len(to_counselor) == 2
    told = "\n".join(text_of(m) for m in to_counselor)
    assert f"{ALIAS} asked for a first appointment" in told
    assert f"{FIRST_NAME} asked for a first appointment" in told
    for word in HIDDEN:
        assert word not in told
    own = [m for m in received(mail_to) if m["To"] == term.aliased.email]
    assert own and all("Hello Zephyrine Quillfeather," in text_of(m) for m in own)


def test_the_facilitators_digest_names_nobody(mail_to, term):
    mail_to.clear()
    digest.queue_due(DIGEST_MORNING)
    with time_machine.travel(DIGEST_MORNING, tick=False):
        sweep_once()

    (email,) = [m for m in received(mail_to) if m["To"] == term.maya.email]
    text = text_of(email)
    assert "You have 1 session today." in text
    for word in (*HIDDEN, ALIAS, FIRST_NAME):
        assert word not in text


def test_the_family_still_sees_its_own_name_on_its_account_page(client, auth, term):
    auth.login(term.aliased)

    shown = page(client, "/account")

    assert 'value="Zephyrine Quillfeather"' in shown
    assert "Staff see you as <strong" in shown and ALIAS in shown


def test_the_counselors_calendar_names_households_as_they_chose_and_follows_a_new_choice(
    client, db, term
):
    with write_transaction() as session:  # the counselor asked for names in their calendar
        session.get_one(User, term.counselor.id).descriptive_titles = True

    before = private_feed(client, db, term.counselor)
    events = vevents(before.get_data()).values()
    words = " ".join(f"{e['summary']} {e.get('description', '')}" for e in events)

    names_them_as_chosen(words)
    household_names.choose(term.aliased.id, "alias", "Green gate", now=utcnow())
    after = private_feed(client, db, term.counselor)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert b"Green gate" in after.get_data()
