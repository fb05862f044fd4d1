"""A workshop's new place, link, title or time reaches every household once, by email."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    Booking,
    MessageKind,
    OutboxMessage,
    Role,
    User,
    Workshop,
    WorkshopChange,
    WorkshopSession,
)
from scheduler.services import notices, series
from scheduler.services.booking import cancel_booking
from scheduler.services.series import Scope, WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.support.feeds import private_feed, vevents
from tests.support.ics_checks import cross_check, read_updates_alike
from tests.support.mail import SERVICE_WORDS, calendar_part, outbox, received

NY = "America/New_York"
#: The first evening of a weekly group, a week after the fixed day these tests run on.
FIRST = datetime(2027, 2, 8, 18, 0)
NEW_PLACE = "Community hall, Room 4"


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, a week before FIRST, whatever day they run."""
    with time_machine.travel(datetime(2027, 2, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


def opted_in(db, family: User) -> User:
    """A household that chose descriptive wording: its invites name the workshop and place."""
    with write_transaction():
        db.session.get_one(User, family.id).descriptive_titles = True
    return family


def change_details(db, workshop_id: int, **changed: str) -> None:
    db.session.rollback()
    workshop = db.session.get_one(Workshop, workshop_id)
    details = {
        "title": workshop.title,
        "description": workshop.description,
        "location": workshop.location,
        "online_url": workshop.online_url,
        "publish": True,
    }
    series.update_details(workshop_id, WorkshopDetails(**(details | changed)), now=utcnow())


def emails_to(server, family: User) -> list[EmailMessage]:
    return [m for m in received(server) if m["To"] == family.email]


def plain_text(email: EmailMessage) -> str:
    part = email.get_body(preferencelist=("plain",))
    assert part is not None
    return part.get_content()


def sequences(client, db, family: User) -> dict[str, int]:
    feed = vevents(private_feed(client, db, family).data)
    return {uid: int(event["sequence"]) for uid, event in feed.items()}


def notices_queued(db) -> list[OutboxMessage]:
    return outbox(db, kind=MessageKind.WORKSHOP_CHANGED)


def test_a_new_place_reaches_three_booked_and_one_waitlisted_household_once_each(
    client, auth, db, mail_to, make_user, make_workshop, make_booking
):
    """Issue 16's acceptance: four emails, updated invites every parser reads alike, and
    new ETags on the households' private feeds."""
    facilitator = make_user(Role.FACILITATOR)
    workshop = make_workshop(facilitator=facilitator, capacity=3, start=FIRST)
    session = workshop.sessions[0]
    households = [opted_in(db, make_user(name=f"Household {n}")) for n in range(4)]
    for family in households[:3]:
        make_booking(session.id, family=family)
    make_booking(session.id, family=households[3], join_waitlist=True)
    sweep_once()  # three confirmations and the waitlist's notice
    mail_to.clear()
    before = {f.id: sequences(client, db, f) for f in households}
    etags = {f.id: private_feed(client, db, f).headers["ETag"] for f in households}

    assert auth.login(facilitator).status_code == 303
    edited = client.post(
        f"/manage/workshops/{workshop.id}/edit",
        data={"title": workshop.title, "location": NEW_PLACE, "publish": "y"},
    )
    assert edited.status_code == 303

    assert sweep_once().sent == 4
    assert sorted(m["To"] for m in received(mail_to)) == sorted(f.email for f in households)
    for family in households:
        (email,) = emails_to(mail_to, family)
        assert "the place" in plain_text(email)
        body, method = calendar_part(email)
        assert method == "REQUEST"
        cross_check(body)
        (update,) = read_updates_alike(body)
        assert update.location == NEW_PLACE
        assert update.sequence > before[family.id][update.uid]
        feed = private_feed(client, db, family)
        assert feed.headers["ETag"] != etags[family.id]
        assert int(vevents(feed.data)[update.uid]["sequence"]) == update.sequence
    (waiting,) = emails_to(mail_to, households[3])
    assert "You're on the waitlist for" in plain_text(waiting)
    assert sweep_once().sent == 0  # each household is told once


def test_a_household_in_several_sessions_gets_one_email_with_each_of_them(
    db, mail_to, make_user, make_workshop, make_booking
):
    workshop = make_workshop(capacity=1, start=FIRST, weeks=3)
    first, second, third = workshop.sessions
    family = opted_in(db, make_user())
    make_booking(first.id, family=family)
    make_booking(second.id)
    make_booking(second.id, family=family, join_waitlist=True)
    make_booking(third.id, family=family)
    sweep_once()
    mail_to.clear()

    change_details(db, workshop.id, title="Evening group", online_url="https://meet.example.org/x")

    (row,) = [r for r in notices_queued(db) if r.recipient_id == family.id]
    assert row.changes == "title online_url"
    sweep_once()
    (email,) = emails_to(mail_to, family)
    assert email["Subject"].startswith("Hearth: new details for Evening group on ")
    assert "Something about your bookings has changed: the name and the online link." in (
        plain_text(email)
    )
    body, method = calendar_part(email)
    assert method == "PUBLISH"  # one UID per REQUEST: several events go as a publication
    cross_check(body)
    updates = read_updates_alike(body)
    assert len(updates) == 3
    events = vevents(body)
    assert {str(e["summary"]) for e in events.values()} == {
        "Evening group",
        "Evening group (waitlist)",
    }
    assert all("ATTENDEE" not in e for e in events.values())


def test_discreet_households_hear_what_changed_without_the_place_or_the_service(
    client, db, mail_to, make_user, make_workshop, make_booking
):
    workshop = make_workshop(title="Addiction recovery education", start=FIRST)
    family = make_user()
    booking = make_booking(workshop.sessions[0].id, family=family)
    sweep_once()
    mail_to.clear()
    before = sequences(client, db, family)

    change_details(db, workshop.id, location=NEW_PLACE)
    sweep_once()

    (email,) = emails_to(mail_to, family)
    assert email["Subject"].startswith("Hearth: new details for your appointment on ")
    assert not SERVICE_WORDS.search(email["Subject"])
    text = plain_text(email)
    assert "Something about your booking has changed: the place." in text
    assert NEW_PLACE not in text and "Open your bookings to see the place" in text
    body, _ = calendar_part(email)
    (update,) = read_updates_alike(body)
    assert update.location is None  # a discreet calendar names no place
    assert update.sequence > before[f"booking-{booking.id}@localhost"]
    (event,) = vevents(body).values()
    assert not SERVICE_WORDS.search(str(event["summary"]))


def test_a_new_time_for_a_series_is_one_email_per_household_and_moves_reminders(
    db, mail_to, make_user, make_workshop, make_booking
):
    workshop = make_workshop(capacity=1, start=FIRST, weeks=3)
    first, second, third = workshop.sessions
    both, waiting, other = make_user(), make_user(), make_user()
    kept = make_booking(first.id, family=both)
    make_booking(second.id, family=both)
    make_booking(third.id, family=other)
    make_booking(third.id, family=waiting, join_waitlist=True)
    sweep_once()
    mail_to.clear()

    later = wall_time(first.starts_at, NY) + timedelta(hours=1)
    series.reschedule(
        first.id, new_start=later, duration_minutes=90, scope=Scope.FOLLOWING, now=utcnow()
    )

    assert sorted(r.recipient_id for r in notices_queued(db)) == sorted(
        [both.id, waiting.id, other.id]
    )
    assert {r.changes for r in notices_queued(db)} == {"time"}
    assert sweep_once().sent == 3
    for family in (both, waiting, other):
        (email,) = emails_to(mail_to, family)
        assert email["Subject"].startswith("Hearth: new time for your appointment")
        assert "has changed: the time." in plain_text(email)
    db.session.rollback()
    moved = db.session.get_one(WorkshopSession, first.id).starts_at
    pending = db.session.scalars(
        select(OutboxMessage.due_at).where(
            OutboxMessage.booking_id == kept.id,
            OutboxMessage.kind == MessageKind.REMINDER,
            OutboxMessage.status == "pending",
        )
    ).all()
    assert sorted(pending) == [moved - timedelta(hours=48), moved - timedelta(hours=2)]


def test_the_same_change_queues_its_notice_once(db, make_workshop, make_booking):
    workshop = make_workshop(start=FIRST, weeks=2)
    make_booking(workshop.sessions[0].id)
    change_details(db, workshop.id, location=NEW_PLACE)
    assert len(notices_queued(db)) == 1

    with write_transaction():
        again = db.session.scalars(
            select(WorkshopSession).where(WorkshopSession.workshop_id == workshop.id)
        ).all()
        notices.workshop_changed(again, {WorkshopChange.PLACE}, utcnow())
    assert len(notices_queued(db)) == 1

    change_details(db, workshop.id, location="Room 9")  # a second change is told again
    assert len(notices_queued(db)) == 2


def test_a_new_description_or_nothing_new_tells_nobody(db, make_workshop, make_booking):
    workshop = make_workshop(start=FIRST)
    make_booking(workshop.sessions[0].id)
    change_details(db, workshop.id, description="More about the evening")
    change_details(db, workshop.id)
    assert notices_queued(db) == []
    assert db.session.get_one(WorkshopSession, workshop.sessions[0].id).sequence == 0


def test_a_notice_says_the_place_as_it_is_when_it_goes_out(
    db, mail_to, make_user, make_workshop, make_booking
):
    workshop = make_workshop(start=FIRST)
    family = opted_in(db, make_user())
    make_booking(workshop.sessions[0].id, family=family)
    sweep_once()
    mail_to.clear()

    change_details(db, workshop.id, location="Room 7")
    change_details(db, workshop.id, location=NEW_PLACE)  # before the first notice went out
    sweep_once()

    emails = emails_to(mail_to, family)
    assert len(emails) == 2  # two changes, each told
    for email in emails:
        assert f"Where: {NEW_PLACE}" in plain_text(email)
        (update,) = read_updates_alike(calendar_part(email)[0])
        assert update.location == NEW_PLACE


def test_households_whose_booking_is_over_or_cancelled_are_not_told(
    db, mail_to, make_user, make_workshop, make_booking
):
    workshop = make_workshop(start=FIRST, weeks=2)
    first, second = workshop.sessions
    # The household that went to the first session is past it: its reminders go out
    # below, its booking is not told of the new place.
    went, left, coming = make_user(), make_user(), make_user()
    make_booking(first.id, family=went)
    leaving = make_booking(second.id, family=left)
    cancel_booking(leaving.id, left.id, now=utcnow())
    make_booking(second.id, family=coming)
    sweep_once()
    mail_to.clear()

    with time_machine.travel(first.ends_at + timedelta(hours=1), tick=False):
        change_details(db, workshop.id, location=NEW_PLACE)
        sweep_once()

    assert [r.recipient_id for r in notices_queued(db)] == [coming.id]
    told = [m["To"] for m in received(mail_to) if "new details" in m["Subject"]]
    assert told == [coming.email]
    db.session.rollback()
    assert db.session.get_one(WorkshopSession, first.id).sequence == 0  # over: unchanged
    assert db.session.get_one(Booking, leaving.id).is_cancelled
