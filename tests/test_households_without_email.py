"""A household staff recorded without an email address, everywhere an address is shown or
used: no page says "None", no search or address matches the missing one, nothing is
queued for it and nothing breaks when its workshop changes or its booking moves.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from scheduler.jobs import sweep_once
from scheduler.models import Booking, EmailLink, Role, User
from scheduler.services import (
    account_admin,
    accounts,
    cofacilitators,
    households,
    invitations,
    moves,
    profile,
    series,
)
from scheduler.services.booking import Needs
from scheduler.services.errors import DomainError
from scheduler.services.households import Contact
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow
from tests.support.app import PASSWORD
from tests.support.mail import outbox, received, text_of

NONE_WORD = re.compile(r"\bNone\b")


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


@pytest.fixture
def staff(make_user):
    return make_user(Role.FACILITATOR, name="Rosa, front desk")


@pytest.fixture
def phoned(staff, make_workshop):
    """Staff booked the Garcia household by phone into a two-week group: no address."""
    workshop = make_workshop(facilitator=staff, capacity=4, weeks=2)
    done = households.book_for_new_household(
        workshop.sessions[0].id,
        Contact(name="Garcia household", phone="555 0100"),
        2,
        Needs(childcare_needed=True),
        acting=staff,
        now=utcnow(),
    )
    assert done.household.email is None
    return workshop, done.household, done.booking


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


# --- pages --------------------------------------------------------------------------------


def test_the_admins_account_pages_say_there_is_no_address_not_none(admin, phoned, client, auth):
    _, household, _ = phoned
    assert auth.login(admin).status_code == 303

    listing = text(client.get("/admin/accounts?q=garcia"))
    shown = text(client.get(f"/admin/accounts/{household.id}"))

    assert "Garcia household" in listing and "Garcia household" in shown
    assert not NONE_WORD.search(listing) and not NONE_WORD.search(shown)
    assert "No email address" in listing and "No email address" in shown


@pytest.mark.parametrize(
    "path",
    [
        "/admin/accounts",
        "/admin/audit",
        "/manage",
        "/manage/sessions/{session}/roster",
        "/manage/sessions/{session}/book-for?q=garcia",
        "/manage/sessions/{session}/book-for?household={household}",
        "/manage/households/{household}",
        "/manage/bookings/{booking}/needs",
        "/manage/bookings/{booking}/move",
    ],
)
def test_no_staff_page_shows_none_for_the_missing_address(admin, phoned, client, auth, path):
    workshop, household, booking = phoned
    assert auth.login(admin).status_code == 303
    ids = {"session": workshop.sessions[0].id, "household": household.id, "booking": booking.id}

    shown = text(client.get(path.format(**ids)))

    assert "Garcia household" in shown or path in ("/manage",)
    assert not NONE_WORD.search(shown)


def test_the_roster_csv_has_an_empty_email_and_the_phone(admin, phoned, client, auth):
    workshop, _, _ = phoned
    assert auth.login(admin).status_code == 303

    body = text(client.get(f"/manage/sessions/{workshop.sessions[0].id}/roster.csv"))

    line = next(row for row in body.splitlines() if "Garcia household" in row)
    assert "None" not in line and "555 0100" in line


# --- searches and addresses never match the missing one -----------------------------------


@pytest.mark.parametrize("words", ["none", "None", "null"])
def test_searching_for_none_finds_no_household_without_an_address(admin, staff, phoned, words):
    workshop, _, _ = phoned

    assert account_admin.search(text=words).accounts == []
    assert households.search(words, staff, session_id=workshop.sessions[0].id, now=utcnow()) == []


@pytest.mark.parametrize("address", ["", "   ", "None"])
def test_no_address_finds_the_household_without_one(phoned, address):
    assert accounts.find_by_email(address) is None


@pytest.mark.parametrize("address", ["", "   "])
def test_inviting_an_empty_address_is_refused_and_makes_nothing(admin, db, address):
    before = db.session.scalar(select(User.id).order_by(User.id.desc()))

    with pytest.raises(DomainError) as refused:
        invitations.invite(
            admin.id, email=address, name="Nobody", role=Role.FACILITATOR, now=utcnow()
        )

    assert refused.value.code == "email_missing"
    db.session.rollback()
    assert db.session.scalar(select(User.id).order_by(User.id.desc())) == before


@pytest.mark.parametrize("address", ["", "   "])
def test_no_account_is_made_or_moved_to_an_empty_address(make_user, db, address):
    family = make_user(name="Okafor household")

    with pytest.raises(DomainError) as made:
        accounts.create_user(email=address, name="Nobody", password=PASSWORD, role=Role.FAMILY)
    with pytest.raises(DomainError) as moved:
        profile.request_email_change(family.id, address, PASSWORD, now=utcnow())

    assert made.value.code == moved.value.code == "email_missing"
    db.session.rollback()
    assert db.session.scalar(select(User.id).where(User.email == "")) is None
    assert db.session.scalars(select(EmailLink)).all() == []


@pytest.mark.parametrize("address", ["", "   "])
def test_an_empty_address_adds_no_cofacilitator(staff, phoned, address):
    workshop, _, _ = phoned

    with pytest.raises(DomainError) as refused:
        cofacilitators.add_cofacilitator(workshop.id, address, actor_id=staff.id, now=utcnow())

    assert refused.value.code == "not_a_facilitator"


def test_the_command_line_finds_no_account_by_an_empty_address(app, phoned, db):
    _, household, _ = phoned

    done = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", ""])

    assert done.exit_code != 0 and "No account has the address" in done.output
    db.session.rollback()
    assert db.session.get_one(User, household.id).is_active


# --- changes and moves reach nobody without an address, and break nothing -----------------


def test_a_place_change_and_a_move_queue_nothing_for_it_and_mail_the_others(
    mail_to, staff, phoned, make_booking, db
):
    workshop, household, booking = phoned
    other = make_booking(workshop.sessions[0].id)

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
    moved = moves.move_booking(booking.id, workshop.sessions[1].id, actor=staff, now=utcnow())
    result = sweep_once()

    assert outbox(db, recipient_id=household.id) == []
    assert moved.session_id == workshop.sessions[1].id and moved.family_id == household.id
    assert {row.recipient_id for row in outbox(db, kind="workshop_changed")} == {other.family_id}
    assert result.failed == 0
    family = db.session.get_one(User, other.family_id)
    told = [text_of(m) for m in received(mail_to) if m["To"] == family.email]
    assert any("has changed: the place" in words for words in told)


def test_staff_moving_it_are_told_to_tell_it_themselves(staff, phoned, client, auth):
    workshop, _, booking = phoned
    assert auth.login(staff).status_code == 303

    form = text(client.get(f"/manage/bookings/{booking.id}/move"))
    done = client.post(
        f"/manage/bookings/{booking.id}/move",
        data={"session_id": workshop.sessions[1].id},
        follow_redirects=True,
    )

    assert "gets one email" not in form
    assert "They have no email address, so nothing is sent: please phone them at" in form
    assert "Garcia household is moved to" in text(done)
    assert "They have no email address, so nothing was sent" in text(done)


def test_a_booking_staff_made_stays_marked_as_theirs_when_it_moves(staff, phoned, db):
    workshop, _, booking = phoned

    moved = moves.move_booking(booking.id, workshop.sessions[1].id, actor=staff, now=utcnow())

    db.session.rollback()
    assert db.session.get_one(Booking, moved.id).booked_by_id == staff.id
