"""After closing and the grace period, nothing of a household is left but its seat counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.extensions import Model
from scheduler.models import (
    ERASED_NAME,
    NO_PASSWORD,
    Appointment,
    AttendanceLetter,
    AuditEvent,
    Booking,
    DataExport,
    EmailLink,
    GroupMessageRecipient,
    LoginFailure,
    LoginSession,
    OutboxMessage,
    User,
)
from scheduler.services import attendance_stats, closing, erasure, letters
from scheduler.services.email_links import link_token
from scheduler.services.letters import Verdict
from scheduler.services.seats import seat_counts
from tests.support.app import PASSWORD
from tests.support.closing import EMAIL, OTHER_NEEDS, SECRETS, rich_household

GRACE = timedelta(days=7)


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """The household's history starts on a fixed day (its sessions cross a clock change)."""
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def history(mail_to, make_user, make_workshop, make_booking, make_counselor):
    return rich_household(make_user, make_workshop, make_booking, make_counselor)


def every_text_in_the_database(db) -> list[tuple[str, str, str]]:
    """(table, column, value) for every text, varchar and JSON value of every table."""
    db.session.rollback()
    found = []
    for table in Model.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.JSON))]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            for column, value in zip(columns, row, strict=True):
                if value is not None:
                    text = value if isinstance(value, str) else json.dumps(value)
                    found.append((table.name, column.name, text))
    return found


def mentions_of_the_household(db) -> list[tuple[str, str, str]]:
    return [
        (table, column, value)
        for table, column, value in every_text_in_the_database(db)
        if any(secret.lower() in value.lower() for secret in SECRETS)
    ]


def numbers_of_the_past(db, history) -> tuple[object, ...]:
    """Seats of every session, and the attendance totals staff see, as they add up."""
    db.session.rollback()
    sessions = [*history.past.sessions, history.future]
    counts = seat_counts(db.session.get(type(s), s.id) for s in sessions)
    admin_view = db.session.get_one(User, history.facilitator.id)
    totals = attendance_stats.by_workshop(
        admin_view, [history.past.id], now=history.closing_at + timedelta(days=30)
    )[history.past.id]
    return (
        {i: (c.confirmed, c.waitlist) for i, c in counts.items()},
        (totals.held, totals.booked, totals.attended, totals.marked),
        [(r.session_id, r.booked, r.attended) for r in totals.recent],
    )


def test_after_the_grace_period_no_column_of_any_table_holds_the_household(db, history):
    assert mentions_of_the_household(db)  # the scan finds the household while it is there
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    before = numbers_of_the_past(db, history)
    others_before = _the_other_household(db, history)

    erased_at = history.closing_at + GRACE + timedelta(minutes=1)
    with time_machine.travel(erased_at, tick=False):
        assert erasure.erase_due(erased_at) == 1

    assert mentions_of_the_household(db) == []
    assert numbers_of_the_past(db, history) == before
    assert _the_other_household(db, history) == others_before
    assert (OTHER_NEEDS.accessibility_needs, OTHER_NEEDS.notes) in others_before[-1]


def test_the_erased_household_is_a_placeholder_nobody_can_log_in_to(db, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    erased_at = history.closing_at + GRACE
    erasure.erase_due(erased_at)

    db.session.rollback()
    family = db.session.get_one(User, history.family.id)
    assert (family.name, family.email, family.phone) == (ERASED_NAME, None, "")
    assert family.password_hash == NO_PASSWORD and not family.active
    assert family.erased_at == erased_at
    assert family.feed_token_hash is None and family.link_salt is None
    rows = {
        "login sessions": LoginSession.user_id == family.id,
        "email links": EmailLink.user_id == family.id,
        "mail": OutboxMessage.recipient_id == family.id,
        "failed logins": LoginFailure.key.like("email:%"),
        "copies of its data": DataExport.household_id == family.id,
    }
    assert {what: _count(db, where) for what, where in rows.items()} == dict.fromkeys(rows, 0)
    acted = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.actor_id == family.id))
    assert {e.actor_name for e in acted} == {ERASED_NAME}
    # The messages it was sent still count it, with nothing personal in the record.
    assert _count(db, GroupMessageRecipient.household_id == family.id) == 1
    assert _count(db, Booking.family_id == family.id) == 3  # its seats stay on the rosters


def test_its_letter_checks_as_issued_and_no_longer_available(db, client, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    erasure.erase_due(history.closing_at + GRACE)

    assert letters.check(history.letter_code, now=history.closing_at + GRACE).verdict == (
        Verdict.UNAVAILABLE
    )
    page = client.get(f"/proof/{history.letter_code}").get_data(as_text=True)
    assert "This letter is no longer available" in page
    assert "Quist" not in page and "Evenings" not in page
    letter = db.session.scalars(sa.select(AttendanceLetter)).one()
    assert (letter.family_id, letter.holder_name, letter.title, letter.sessions) == (
        None,
        "",
        "",
        [],
    )


def test_nothing_is_erased_before_the_grace_period_is_over(db, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)

    assert erasure.erase_due(history.closing_at + GRACE - timedelta(seconds=1)) == 0

    db.session.rollback()
    family = db.session.get_one(User, history.family.id)
    assert family.email == EMAIL and family.erased_at is None
    assert db.session.get_one(Appointment, history.appointment_id).note


def test_a_reopened_household_is_never_erased(db, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    db.session.rollback()
    link = db.session.scalars(sa.select(EmailLink).where(EmailLink.purpose == "reopen")).one()
    closing.reopen(link_token(link), now=history.closing_at + timedelta(days=1))

    assert erasure.erase_due(history.closing_at + GRACE * 2) == 0
    db.session.rollback()
    assert db.session.get_one(User, history.family.id).email == EMAIL


def _the_other_household(db, history) -> tuple[object, ...]:
    db.session.rollback()
    other = db.session.get_one(User, history.other.id)
    needs = db.session.execute(
        sa.select(Booking.accessibility_needs, Booking.notes).where(Booking.family_id == other.id)
    ).all()
    return (other.name, other.email, other.active, sorted(needs))


def _count(db, where) -> int:
    table = where.left.table if hasattr(where, "left") else None
    return db.session.scalar(sa.select(sa.func.count()).select_from(table).where(where))


def test_past_rosters_name_it_as_a_former_household_in_the_readers_language(
    db, client, auth, history
):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    erasure.erase_due(history.closing_at + GRACE)
    session_id = history.past.sessions[0].id
    auth.login(history.facilitator)

    english = client.get(f"/manage/sessions/{session_id}/roster").get_data(as_text=True)
    sheet = client.get(f"/manage/sessions/{session_id}/roster.csv").get_data(as_text=True)
    spanish = client.get(
        f"/manage/sessions/{session_id}/roster", headers={"Accept-Language": "es-MX,es;q=0.9"}
    ).get_data(as_text=True)

    assert "Former household" in english and "Brennan household" in english
    assert "Familia anterior" in spanish and "Former" not in spanish
    assert "Former household" in sheet
    assert not any(secret in english + spanish + sheet for secret in SECRETS)
