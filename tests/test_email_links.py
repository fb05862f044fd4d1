"""Emailed links: password reset, address confirmation and one-click unsubscribe.

Each goes through the outbox and a real SMTP server, and the link is followed from
the email's text, as a person would.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import EmailLink, LinkPurpose, LoginFailure, MessageKind, OutboxMessage, User
from scheduler.services import accounts, email_links
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from tests.support.app import PASSWORD
from tests.support.mail import SERVICE_WORDS, link_in, outbox, received, text_of

NEW_PASSWORD = "a long new password"


def reload(db, user_id: int) -> User:
    db.session.rollback()
    return db.session.get_one(User, user_id)


def forgot(client, email: str):
    return client.post("/password/forgot", data={"email": email})


def reset(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"password": password, "password_confirm": password})


# --- password reset --------------------------------------------------------------


def test_forgotten_password_is_reset_once_with_the_emailed_link(
    mail_to, client, auth, make_user, db
):
    family = make_user()
    response = forgot(client, family.email.upper())
    assert response.status_code == 303
    assert sweep_once().sent == 1
    (email,) = received(mail_to)
    assert email["To"] == family.email
    assert email["Subject"] == "Hearth: reset your password"
    path = link_in(email, "/password/reset")

    assert client.get(path).status_code == 200
    assert reset(client, path).status_code == 303

    assert auth.login(family.email, PASSWORD).status_code == 401
    assert auth.login(family.email, NEW_PASSWORD).status_code == 303
    auth.logout()
    used = client.get(path)
    assert used.status_code == 404
    assert "no longer works" in used.get_data(as_text=True)
    assert reset(client, path, "yet another password").status_code == 404
    assert auth.login(family.email, NEW_PASSWORD).status_code == 303


def test_forgot_password_answers_the_same_for_unknown_addresses(client, make_user, db):
    family = make_user()
    known = forgot(client, family.email)
    unknown = forgot(client, "nobody@example.org")

    assert known.status_code == unknown.status_code == 303
    assert "If nobody@example.org has a Hearth account" in client.get("/login").get_data(True)
    assert [row.recipient_id for row in outbox(db)] == [family.id]


def test_reset_link_expires_after_an_hour(client, make_user, db):
    family = make_user()
    start = utcnow()
    accounts.request_password_reset(family.email, start)
    link = db.session.scalars(select(EmailLink)).one()
    token = email_links.link_token(link)

    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        assert client.get(f"/password/reset/{token}").status_code == 200
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert client.get(f"/password/reset/{token}").status_code == 404
        assert reset(client, f"/password/reset/{token}").status_code == 404
    assert reload(db, family.id).password_hash == family.password_hash


def test_a_newer_reset_link_voids_the_older_one(client, make_user, db):
    family = make_user()
    now = utcnow()
    accounts.request_password_reset(family.email, now)
    accounts.request_password_reset(family.email, now + timedelta(minutes=1))
    older, newer = db.session.scalars(select(EmailLink).order_by(EmailLink.id)).all()

    assert client.get(f"/password/reset/{email_links.link_token(older)}").status_code == 404
    assert client.get(f"/password/reset/{email_links.link_token(newer)}").status_code == 200


def test_an_older_reset_email_still_queued_is_not_sent(mail_to, make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    accounts.request_password_reset(family.email, utcnow())

    assert sweep_once().sent == 1
    assert [row.status for row in outbox(db)] == ["cancelled", "sent"]


def test_reset_emails_are_limited_to_three_an_hour_per_account(make_user, db):
    family = make_user()
    start = utcnow()
    for minute in range(5):
        accounts.request_password_reset(family.email, start + timedelta(minutes=minute))
    assert len(outbox(db, kind=MessageKind.PASSWORD_RESET)) == 3

    accounts.request_password_reset(family.email, start + timedelta(minutes=61))
    assert len(outbox(db, kind=MessageKind.PASSWORD_RESET)) == 4


def test_reset_lifts_a_login_lockout(app, client, auth, make_user, db):
    family = make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        auth.login(family.email, "wrong password")
    assert auth.login(family.email, PASSWORD).status_code == 429
    accounts.request_password_reset(family.email, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())

    assert reset(client, f"/password/reset/{token}").status_code == 303

    db.session.rollback()
    email_failures = select(LoginFailure).where(
        LoginFailure.key.startswith(accounts.throttle_key(family.email))
    )
    assert db.session.scalar(email_failures) is None
    assert auth.login(family.email, NEW_PASSWORD).status_code == 303


def test_reset_link_does_nothing_for_a_deactivated_account(client, make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())
    with write_transaction() as session:
        session.get_one(User, family.id).active = False

    assert client.get(f"/password/reset/{token}").status_code == 404
    with pytest.raises(DomainError):
        accounts.reset_password(token, NEW_PASSWORD, utcnow())


def test_a_copy_of_the_database_holds_no_usable_link(make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    link = db.session.scalars(select(EmailLink)).one()
    token = email_links.link_token(link)

    stored = " ".join(str(value) for value in vars(link).values())
    assert token not in stored
    assert email_links.find(link.salt[:43], LinkPurpose.PASSWORD_RESET, utcnow()) is None


def test_a_reset_link_cannot_confirm_an_address_or_the_reverse(client, make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())

    assert client.get(f"/email/confirm/{token}").status_code == 404
    assert not reload(db, family.id).email_verified


# --- address confirmation --------------------------------------------------------


def test_sign_up_asks_to_confirm_the_address_but_booking_does_not_wait(
    mail_to, client, make_workshop, db
):
    session = make_workshop().sessions[0]
    client.post(
        "/register",
        data={
            "name": "Okafor household",
            "email": "okafor@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "timezone": "America/New_York",
        },
    )
    assert "Please confirm your email address" in client.get("/account").get_data(as_text=True)
    assert client.post(f"/sessions/{session.id}/book", data={"seats": "2"}).status_code == 303

    assert sweep_once().sent == 2
    subjects = {m["Subject"]: m for m in received(mail_to)}
    assert set(subjects) == {
        "Hearth: please confirm your email address",
        "Hearth: your appointment on " + subjects_when(subjects),
    }
    path = link_in(subjects["Hearth: please confirm your email address"], "/email/confirm")
    assert client.get(path).status_code == 303

    account = client.get("/account").get_data(as_text=True)
    assert "Please confirm your email address" not in account
    assert "okafor@example.org is confirmed" in account
    user = db.session.scalars(select(User).where(User.email == "okafor@example.org")).one()
    assert reload(db, user.id).email_verified
    assert client.get(path).status_code == 404  # once only


def subjects_when(subjects: dict[str, EmailMessage]) -> str:
    (booking_subject,) = [s for s in subjects if s.startswith("Hearth: your appointment on ")]
    return booking_subject.removeprefix("Hearth: your appointment on ")


def test_confirmation_link_works_without_logging_in(client, make_user, db):
    family = make_user()
    assert email_links.request_verification(family.id, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())

    response = client.get(f"/email/confirm/{token}")

    assert response.status_code == 303
    assert urlsplit(response.location).path == "/login"
    assert reload(db, family.id).email_verified


def test_account_page_sends_the_link_again_and_voids_the_old_one(client, auth, make_user, db):
    family = make_user()
    auth.login(family)
    email_links.request_verification(family.id, utcnow())
    first = email_links.link_token(db.session.scalars(select(EmailLink)).one())

    assert client.post("/account/email/confirm").status_code == 303
    assert "We sent a new link" in client.get("/account").get_data(as_text=True)

    assert len(outbox(db, kind=MessageKind.VERIFY_EMAIL)) == 2
    assert client.get(f"/email/confirm/{first}").status_code == 404


def test_a_confirmed_address_is_not_asked_again(client, auth, make_user, db):
    family = make_user()
    with write_transaction() as session:
        session.get_one(User, family.id).email_verified_at = utcnow()
    auth.login(family)

    assert "Please confirm your email address" not in client.get("/account").get_data(True)
    client.post("/account/email/confirm")
    assert outbox(db, kind=MessageKind.VERIFY_EMAIL) == []


def test_resetting_the_password_also_confirms_the_address(make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())

    accounts.reset_password(token, NEW_PASSWORD, utcnow())

    assert reload(db, family.id).email_verified


def test_link_emails_are_discreet(mail_to, make_user, db):
    family = make_user()
    accounts.request_password_reset(family.email, utcnow())
    email_links.request_verification(family.id, utcnow())
    sweep_once()

    for email in received(mail_to):
        assert not SERVICE_WORDS.search(email["Subject"])
        assert not SERVICE_WORDS.search(email["From"])
        assert email["List-Unsubscribe"] is None  # nothing to unsubscribe from


# --- one-click unsubscribe -------------------------------------------------------


def _reminder_email(mail_to, make_workshop, make_booking, family) -> EmailMessage:
    session = make_workshop().sessions[0]
    make_booking(session.id, family=family)
    sweep_once()
    mail_to.clear()
    with time_machine.travel(session.starts_at - timedelta(hours=47), tick=False):
        assert sweep_once().sent == 1
    (reminder,) = received(mail_to)
    return reminder


def test_reminder_mail_unsubscribes_in_one_click_without_logging_in(
    app, mail_to, client, make_workshop, make_booking, make_user, db
):
    family = make_user()
    reminder = _reminder_email(mail_to, make_workshop, make_booking, family)
    assert reminder["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = reminder["List-Unsubscribe"].strip().strip("<>")
    assert url in text_of(reminder)  # the same link, for people reading the email

    # The mail client posts for the person: no session, no CSRF token (RFC 8058).
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(urlsplit(url).path, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 303
    assert not reload(db, family.id).reminders_enabled
    pending = outbox(db, kind=MessageKind.REMINDER, status="pending")
    assert pending == []
    assert "Reminder emails are off" in client.get(response.location).get_data(as_text=True)


def test_opening_the_unsubscribe_link_only_asks(
    mail_to, client, make_workshop, make_booking, make_user, db
):
    family = make_user()
    reminder = _reminder_email(mail_to, make_workshop, make_booking, family)
    path = urlsplit(reminder["List-Unsubscribe"].strip().strip("<>")).path

    page = client.get(path).get_data(as_text=True)

    assert "Stop reminder emails?" in page
    assert reload(db, family.id).reminders_enabled  # link checkers open links too


def test_unsubscribe_link_of_one_family_cannot_be_altered_for_another(client, make_user, db):
    family, other = make_user(), make_user()
    token = accounts.unsubscribe_token(family)

    assert client.post(f"/reminders/off/{other.id}/{token}").status_code == 404
    altered = token[:-1] + ("1" if token[-1] == "0" else "0")
    assert client.post(f"/reminders/off/{family.id}/{altered}").status_code == 404
    assert reload(db, other.id).reminders_enabled


def test_turning_reminders_off_withdraws_those_already_queued(
    mail_to, make_workshop, make_booking, make_user, db
):
    family = make_user()
    session = make_workshop().sessions[0]
    make_booking(session.id, family=family)
    assert len(outbox(db, kind=MessageKind.REMINDER, status="pending")) == 2

    accounts.update_settings(family.id, timezone=family.timezone, reminders_enabled=False)

    assert outbox(db, kind=MessageKind.REMINDER, status="pending") == []
    with time_machine.travel(session.starts_at - timedelta(hours=1), tick=False):
        sweep_once()
    assert all("reminder" not in m["Subject"] for m in received(mail_to))


def test_reminder_queued_when_reminders_were_on_is_dropped_if_turned_off_meanwhile(
    mail_to, make_workshop, make_booking, make_user, db
):
    family = make_user()
    session = make_workshop().sessions[0]
    make_booking(session.id, family=family)
    sweep_once()
    with write_transaction() as db_session:  # as if changed behind the outbox's back
        db_session.get_one(User, family.id).reminders_enabled = False

    with time_machine.travel(session.starts_at - timedelta(hours=1), tick=False):
        assert sweep_once().sent == 0
    statuses = {row.status for row in outbox(db, kind=MessageKind.REMINDER)}
    assert statuses == {"cancelled"}
    assert (
        db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.status == "failed")) is None
    )
