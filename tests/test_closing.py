"""A household closes its account (or an admin does, as it asked): what is to come is
cancelled as any cancel is, it is signed out and its links die, one email lets it undo
that within the grace period, and after it the link is dead."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    Appointment,
    AuditEvent,
    AuditEventHousehold,
    Booking,
    BookingStatus,
    LoginSession,
    MessageKind,
    OutboxStatus,
    Role,
    User,
)
from scheduler.services import closing, digest
from scheduler.services.errors import DomainError
from scheduler.timeutil import to_local, to_utc
from tests.support.app import PASSWORD
from tests.support.closing import ALIAS, NAME, rich_household
from tests.support.feeds import private_feed, token_of
from tests.support.mail import SERVICE_WORDS, link_in, outbox, received, text_of

GRACE = timedelta(days=7)


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """The household's history starts on a fixed day (its sessions cross a clock change)."""
    with time_machine.travel(datetime(2027, 3, 1, 15, 0, tzinfo=UTC), tick=True):
        yield


@pytest.fixture
def history(mail_to, make_user, make_workshop, make_booking, make_counselor):
    return rich_household(make_user, make_workshop, make_booking, make_counselor)


def fresh(db, model, record_id):
    db.session.rollback()
    return db.session.get_one(model, record_id)


def close_from_the_page(client, auth, history, password: str = PASSWORD):
    assert auth.login(history.family).status_code == 303
    return client.post("/account/delete", data={"password": password})


def reopen_link(mail_to, history) -> str:
    """Send what is due, and return the path of the link in the one email it got."""
    mail_to.clear()  # the mail it got before it closed the account
    with time_machine.travel(history.closing_at + timedelta(minutes=1), tick=False):
        sweep_once()
    (email,) = [m for m in received(mail_to) if m["To"] == history.family.email]
    return link_in(email, "/account/reopen")


def test_closing_cancels_what_is_to_come_seats_the_waitlist_and_tells_the_counselor(db, history):
    closed = closing.close(history.family.id, PASSWORD, now=history.closing_at)

    assert (closed.bookings, closed.appointments, closed.promoted) == (1, 1, 1)
    assert fresh(db, Booking, history.booking.id).status == BookingStatus.CANCELLED
    assert fresh(db, Booking, history.waiting_booking.id).status == BookingStatus.CONFIRMED
    assert fresh(db, Appointment, history.appointment_id).status == "cancelled"
    # Past bookings keep their seats and marks.
    past = db.session.scalars(
        sa.select(Booking).where(
            Booking.family_id == history.family.id,
            Booking.session_id.in_([s.id for s in history.past.sessions]),
        )
    ).all()
    assert {b.status for b in past} == {BookingStatus.CONFIRMED}
    assert outbox(db, kind=MessageKind.PROMOTED, recipient_id=history.waiting.id)
    assert outbox(db, kind=MessageKind.FAMILY_CHANGED, recipient_id=history.counselor.id)


def test_the_closed_household_gets_one_email_and_nothing_else_waits_for_it(db, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)

    waiting = [
        r.kind
        for r in outbox(db, recipient_id=history.family.id)
        if r.status == OutboxStatus.PENDING
    ]
    assert waiting == [MessageKind.REOPEN]


def test_a_wrong_password_refuses_and_changes_nothing(client, auth, db, history):
    response = close_from_the_page(client, auth, history, password="not my password")

    assert response.status_code == 422
    assert "That isn&#39;t your current password" in response.get_data(as_text=True)
    family = fresh(db, User, history.family.id)
    assert family.is_active and family.closed_at is None
    assert fresh(db, Booking, history.booking.id).status == BookingStatus.CONFIRMED
    assert client.get("/account").status_code == 200  # still signed in


def test_closing_from_the_page_signs_out_everywhere_and_the_feed_answers_404(
    client, auth, db, history
):
    assert private_feed(client, db, history.family).status_code == 200
    feed_path = f"/calendar/feeds/{token_of(db, history.family)}.ics"

    response = close_from_the_page(client, auth, history)

    assert response.status_code == 303
    assert client.get("/account").status_code == 302  # this browser is signed out
    assert _count(db, LoginSession.user_id == history.family.id) == 0  # and every other
    assert client.get(feed_path).status_code == 404
    family = fresh(db, User, history.family.id)
    assert family.feed_token_hash is None and family.closed_at is not None


def test_the_close_page_asks_first_and_a_get_changes_nothing(client, auth, db, history):
    auth.login(history.family)

    page = client.get("/account/delete")

    assert page.status_code == 200
    assert 'autocomplete="current-password"' in page.get_data(as_text=True)
    assert fresh(db, User, history.family.id).closed_at is None
    assert "/account/delete" in client.get("/account").get_data(as_text=True)


def test_a_closed_account_cannot_log_in_and_only_its_password_hears_why(auth, db, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)

    right = auth.login(history.family)
    wrong = auth.login(history.family, password="not the password")

    assert right.status_code == 401 and "This account is closed" in right.get_data(as_text=True)
    assert wrong.status_code == 401
    assert "don&#39;t match an account" in wrong.get_data(as_text=True)
    assert "closed" not in wrong.get_data(as_text=True)


def test_a_closed_account_can_be_reopened_within_the_grace_period(
    client, auth, db, mail_to, history
):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    link = reopen_link(mail_to, history)
    (email,) = [m for m in received(mail_to) if m["To"] == history.family.email]  # only this
    assert email["Subject"] == "Hearth: your account is closed"
    assert not SERVICE_WORDS.search(email["Subject"])
    assert "for the next 7 days" in text_of(email)

    with time_machine.travel(history.closing_at + GRACE - timedelta(hours=1), tick=False):
        asked = client.get(link)
        assert asked.status_code == 200
        assert "stay cancelled" in asked.get_data(as_text=True)
        assert "Spring group" in asked.get_data(as_text=True)
        assert fresh(db, User, history.family.id).closed_at is not None  # a GET only asks
        done = client.post(link)
        assert done.status_code == 303
        assert auth.login(history.family).status_code == 303

    assert fresh(db, Booking, history.booking.id).status == BookingStatus.CANCELLED
    assert _actions(db, history.family.id) == ["account.close", "account.reopen"]


def test_after_the_grace_period_the_link_is_dead(client, db, mail_to, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    link = reopen_link(mail_to, history)

    with time_machine.travel(history.closing_at + GRACE, tick=False):
        assert client.get(link).status_code == 404
        assert client.post(link).status_code == 404

    assert fresh(db, User, history.family.id).closed_at is not None


def test_the_link_opens_once(client, db, mail_to, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    link = reopen_link(mail_to, history)

    with time_machine.travel(history.closing_at + timedelta(days=1), tick=False):
        assert client.post(link).status_code == 303
        assert client.get(link).status_code == 404


def test_the_facilitators_digest_tells_of_the_cancelled_booking_without_a_name(
    db, mail_to, history
):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)
    zone = history.facilitator.timezone
    morning = to_utc(
        datetime.combine(to_local(history.closing_at, zone).date() + timedelta(days=1), time(7)),
        zone,
    )
    mail_to.clear()

    assert digest.queue_due(morning) >= 1
    with time_machine.travel(morning + timedelta(minutes=1), tick=False):
        sweep_once()

    (email,) = [m for m in received(mail_to) if m["To"] == history.facilitator.email]
    text = text_of(email)
    assert "Spring group. 1 booking cancelled since yesterday (2 seats free again)." in text
    assert f"/manage/sessions/{history.future.id}/roster" in text
    assert "Quist" not in text and NAME not in text


def test_an_admin_closes_a_household_account_on_request_and_it_is_audited(
    client, auth, db, make_user, history
):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    auth.login(admin)

    response = client.post(f"/admin/accounts/{history.family.id}/close")

    assert response.status_code == 303
    assert fresh(db, User, history.family.id).closed_at is not None
    assert fresh(db, Booking, history.booking.id).cancelled_by_id == admin.id
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "account.close"))
    (event,) = events
    assert (event.actor_id, event.subject) == (admin.id, f"user:{history.family.id}")
    linked = sa.select(AuditEventHousehold.household_id).where(
        AuditEventHousehold.event_id == event.id
    )
    assert list(db.session.scalars(linked)) == [history.family.id]
    page = client.get(f"/admin/accounts/{history.family.id}").get_data(as_text=True)
    # The admin reads the name the household chose for staff, never its own.
    assert f"{ALIAS}&#39;s account is closed." in page and NAME not in page
    assert "can open it again with the link we emailed it until" in page
    assert "Closed the account of" in client.get("/admin/audit").get_data(as_text=True)
    again = client.post(f"/admin/accounts/{history.family.id}/reactivate")
    assert again.status_code == 409  # only its household reopens it


def test_a_household_closing_its_own_account_is_audited(db, history):
    closing.close(history.family.id, PASSWORD, now=history.closing_at)

    assert _actions(db, history.family.id) == ["account.close"]


def test_only_a_household_account_is_closed_and_only_once(db, make_user, history):
    admin = make_user(Role.ADMIN)
    facilitator = history.facilitator
    with pytest.raises(DomainError, match="Only a household"):
        closing.close_for(admin.id, facilitator.id, now=history.closing_at)
    closing.close_for(admin.id, history.family.id, now=history.closing_at)
    with pytest.raises(DomainError, match="already closed"):
        closing.close_for(admin.id, history.family.id, now=history.closing_at)
    with pytest.raises(DomainError, match="Only an active admin"):
        closing.close_for(facilitator.id, history.other.id, now=history.closing_at)


def _actions(db, actor_id: int) -> list[str]:
    """What the household did to its account (closing and reopening), in order."""
    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(
                AuditEvent.actor_id == actor_id,
                AuditEvent.action.in_(("account.close", "account.reopen")),
            )
            .order_by(AuditEvent.id)
        )
    )


def _count(db, where) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).where(where))


def test_an_account_an_admin_switched_off_is_not_closed_until_it_is_switched_on(
    db, make_user, history
):
    admin = make_user(Role.ADMIN)
    with write_transaction() as session:
        session.get_one(User, history.family.id).active = False

    with pytest.raises(DomainError) as refused:
        closing.close_for(admin.id, history.family.id, now=history.closing_at)

    assert refused.value.code == "switched_off_first"
    assert fresh(db, User, history.family.id).closed_at is None
