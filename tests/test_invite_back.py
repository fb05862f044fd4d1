"""The invitation back: a household marked absent gets one gentle, discreet email once the
session is over, with the workshop's next sessions, through the outbox and a real SMTP
server; withdrawn when the mark changes to came before it goes; never when the family or
the workshop turned these emails off, nor to a household without an address."""

# ruff: noqa: F811  (the fixtures imported from tests.support.checkin are used by name)
from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import MessageKind, OutboxStatus, User, Workshop
from scheduler.services import accounts, households, series
from scheduler.services.attendance import mark_booking
from scheduler.services.booking import Needs
from scheduler.services.households import Contact
from scheduler.services.series import WorkshopDetails
from tests.support.checkin import (  # noqa: F401  (fixtures)
    DOOR,
    ENDS,
    MONDAY,
    clock,
    evening,
    group,
    lead,
)
from tests.support.mail import SERVICE_WORDS, outbox, received, text_of


@pytest.fixture
def rivera(make_user, make_booking, evening):
    """The Rivera household, two seats in the first evening."""
    family = make_user(name="Rivera household", email="rivera@example.org")
    return make_booking(evening.id, family=family, seats=2, now=MONDAY)


def invitations(db) -> list:
    return outbox(db, kind=MessageKind.INVITE_BACK)


@pytest.fixture
def door(clock, mail_to, rivera):
    """Ten minutes into the evening, the confirmations and reminders already sent: the
    SMTP server is empty again and the clock at DOOR."""
    clock.move_to(DOOR)
    sweep_once()
    mail_to.clear()
    return clock


def test_an_absent_household_is_invited_back_once_after_the_session_ends(
    db, mail_to, door, lead, rivera, group
):
    clock = door
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)
    (row,) = invitations(db)
    assert (row.due_at, row.status, row.recipient_id) == (ENDS, "pending", rivera.family_id)

    assert sweep_once().sent == 0, "not while the session is still on"
    clock.move_to(ENDS + timedelta(minutes=5))
    assert sweep_once().sent == 1

    (email,) = received(mail_to)
    body = text_of(email)
    assert email["To"] == "rivera@example.org"
    assert email["Subject"] == "Hearth: we hope to see you next time"
    assert not SERVICE_WORDS.search(email["Subject"])
    assert "We missed you on Thu, Mar 5, 2026" in body
    # The next two Thursdays, in the family's zone, with seats free; the clocks changed.
    assert "Thu, Mar 12, 2026, 6:00" in body and "Thu, Mar 19, 2026, 6:00" in body
    assert body.count("Eastern") >= 2 and "5 seats free" in body
    assert f"/workshops/{group[0].workshop_id}" in body
    assert "Stop these emails: http" in body and "/account#invite-back" in body
    assert "Family education" not in body, "the workshop is not named to a discreet family"

    # Marked came and absent again later: still only the one email.
    mark_booking(rivera.id, "attended", acting=lead, now=ENDS + timedelta(hours=1))
    mark_booking(rivera.id, "absent", acting=lead, now=ENDS + timedelta(hours=2))
    clock.move_to(ENDS + timedelta(hours=3))
    assert sweep_once().sent == 0
    assert len(received(mail_to)) == 1
    assert [r.status for r in invitations(db)] == [OutboxStatus.SENT]


def test_the_invitation_is_withdrawn_when_the_mark_changes_to_came_before_it_goes(
    db, mail_to, door, lead, rivera
):
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)
    mark_booking(rivera.id, "late", seats=1, acting=lead, now=DOOR + timedelta(minutes=30))

    door.move_to(ENDS + timedelta(minutes=5))
    assert sweep_once().sent == 0
    assert received(mail_to) == []
    assert [r.status for r in invitations(db)] == [OutboxStatus.CANCELLED]


def test_absent_again_after_a_withdrawal_is_invited_once(db, mail_to, door, lead, rivera):
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)
    mark_booking(rivera.id, "attended", acting=lead, now=DOOR)
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR + timedelta(minutes=40))

    door.move_to(ENDS + timedelta(minutes=5))
    assert sweep_once().sent == 1
    assert len(received(mail_to)) == 1


def test_a_family_that_turned_these_emails_off_is_not_invited(db, mail_to, clock, lead, rivera):
    accounts.update_settings(rivera.family_id, timezone="America/New_York", invite_back=False)

    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)

    assert invitations(db) == []


def test_turning_them_off_after_the_mark_stops_the_one_queued(db, mail_to, door, lead, rivera):
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)
    accounts.update_settings(rivera.family_id, timezone="America/New_York", invite_back=False)

    door.move_to(ENDS + timedelta(minutes=5))
    assert sweep_once().sent == 0
    assert received(mail_to) == []


def test_a_workshop_that_doesnt_invite_back_queues_nothing(db, clock, lead, rivera, evening):
    workshop = db.session.get_one(Workshop, evening.workshop_id)
    details = WorkshopDetails(
        workshop.title,
        workshop.description,
        workshop.location,
        "",
        publish=True,
        invite_back_absent=False,
    )
    series.update_details(workshop.id, details, now=MONDAY)
    assert db.session.get_one(Workshop, workshop.id).invite_back_absent is False

    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)

    assert invitations(db) == []


def test_a_household_without_an_email_address_is_not_written_to(db, clock, lead, evening):
    booked = households.book_for_new_household(
        evening.id,
        Contact("Garcia household", phone="555 0100"),
        1,
        Needs(),
        acting=lead,
        now=MONDAY,
    )

    mark_booking(booked.booking.id, "absent", acting=lead, now=DOOR)

    assert invitations(db) == []


def test_a_family_that_chose_descriptive_wording_sees_the_workshop_named(
    db, mail_to, door, lead, rivera
):
    with write_transaction() as transaction:
        family = transaction.get_one(User, rivera.family_id)
        family.descriptive_titles = True
        family.language = "es"
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)

    door.move_to(ENDS + timedelta(minutes=5))
    sweep_once()

    (email,) = received(mail_to)
    assert email["Subject"] == "Hearth: Family education, esperamos verle la próxima vez"
    assert "Family education" in text_of(email) and "Room 1" in text_of(email)
    assert "jue, 12 mar 2026" in text_of(email)


def test_the_next_sessions_say_which_are_booked_and_which_are_full(
    db, mail_to, clock, lead, rivera, group, make_booking, make_user
):
    family = db.session.get_one(User, rivera.family_id)
    make_booking(group[1].id, family=family, seats=2, now=MONDAY)
    make_booking(group[2].id, family=make_user(), seats=5, now=MONDAY)
    clock.move_to(DOOR)
    sweep_once()
    mail_to.clear()
    mark_booking(rivera.id, "absent", acting=lead, now=DOOR)

    clock.move_to(ENDS + timedelta(minutes=5))
    sweep_once()

    body = text_of(received(mail_to)[0])
    assert "Thu, Mar 12, 2026" in body and "you're booked" in body
    assert "full, you can join the waitlist" in body


def test_no_email_when_the_workshop_has_no_session_left(
    db, mail_to, clock, lead, group, make_booking, make_user
):
    last = group[-1]
    booking = make_booking(last.id, family=make_user(), now=MONDAY)
    clock.move_to(last.starts_at)
    sweep_once()
    mark_booking(booking.id, "absent", acting=lead, now=last.starts_at)

    clock.move_to(last.ends_at + timedelta(minutes=5))
    assert sweep_once().sent == 0
    assert [r.status for r in invitations(db)] == [OutboxStatus.CANCELLED]
