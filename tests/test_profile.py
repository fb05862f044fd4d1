"""Everyone's own name, email address and password (services/profile.py).

Service tests, on SQLite and PostgreSQL; the account page's forms and the emails sent
through a real SMTP server are in tests/test_account_pages.py.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.models import AuditEvent, EmailLink, LinkPurpose, MessageKind, Role, User
from scheduler.services import accounts, email_links, profile, sessions
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from tests.support.app import PASSWORD
from tests.support.mail import outbox

NEW_PASSWORD = "kettle river orange stone"


def fresh(db, user_id: int) -> User:
    db.session.rollback()
    return db.session.get_one(User, user_id)


def audit_trail(db) -> list[tuple[int | None, str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.subject) for e in events]


def change_links(db, user_id: int) -> list[EmailLink]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(EmailLink)
            .where(EmailLink.user_id == user_id, EmailLink.purpose == LinkPurpose.CHANGE_EMAIL)
            .order_by(EmailLink.id)
        )
    )


# --- name -----------------------------------------------------------------------------


def test_a_new_name_is_saved_and_audited_once(make_user, db):
    family = make_user(name="Rivera household")

    assert profile.change_name(family.id, "  Rivera-Lopez household ", now=utcnow())
    assert not profile.change_name(family.id, "Rivera-Lopez household", now=utcnow())

    assert fresh(db, family.id).name == "Rivera-Lopez household"
    assert audit_trail(db) == [(family.id, "account.name", f"user:{family.id}")]


# --- email address --------------------------------------------------------------------


def test_a_new_address_changes_only_when_its_link_is_used_and_the_old_one_is_told(make_user, db):
    family = make_user(email="old@example.org")
    now = utcnow()

    profile.request_email_change(family.id, " New@Example.org", PASSWORD, now=now)

    assert fresh(db, family.id).email == "old@example.org"
    (link,) = change_links(db, family.id)
    assert (link.email, link.new_email) == ("old@example.org", "new@example.org")
    (sent,) = outbox(db, kind=MessageKind.CHANGE_EMAIL)
    assert sent.link_id == link.id

    user = profile.confirm_email_change(email_links.link_token(link), now=now)

    assert user.email == "new@example.org" and fresh(db, family.id).email_verified
    (notice,) = outbox(db, kind=MessageKind.EMAIL_CHANGED)
    assert (notice.recipient_id, notice.link_id) == (family.id, link.id)
    subject = f"user:{family.id}"
    assert audit_trail(db) == [
        (family.id, "account.email_requested", subject),
        (family.id, "account.email_changed", subject),
    ]
    assert accounts.find_by_email("old@example.org") is None


def test_a_change_of_address_link_works_once_and_expires_after_a_day(make_user, db):
    first, second = make_user(), make_user()
    start = utcnow()
    profile.request_email_change(first.id, "one@example.org", PASSWORD, now=start)
    profile.request_email_change(second.id, "two@example.org", PASSWORD, now=start)
    used = email_links.link_token(change_links(db, first.id)[0])
    late = email_links.link_token(change_links(db, second.id)[0])
    profile.confirm_email_change(used, now=start)

    with pytest.raises(DomainError, match="already used"):
        profile.confirm_email_change(used, now=start)
    with time_machine.travel(start + timedelta(hours=25), tick=False):
        assert profile.pending_change(late, utcnow()) is None
        with pytest.raises(DomainError):
            profile.confirm_email_change(late, now=utcnow())
    assert fresh(db, second.id).email != "two@example.org"


def test_a_newer_request_voids_the_older_link(make_user, db):
    family = make_user()
    now = utcnow()
    profile.request_email_change(family.id, "first@example.org", PASSWORD, now=now)
    profile.request_email_change(family.id, "second@example.org", PASSWORD, now=now)
    older, newer = change_links(db, family.id)

    assert profile.pending_change(email_links.link_token(older), now) is None
    assert profile.pending_change(email_links.link_token(newer), now) is not None


def test_a_taken_address_answers_the_same_and_its_owner_hears_calmly_once_a_day(make_user, db):
    owner = make_user(email="taken@example.org")
    family = make_user()
    now = utcnow()

    profile.request_email_change(family.id, "TAKEN@example.org", PASSWORD, now=now)
    profile.request_email_change(family.id, "taken@example.org", PASSWORD, now=now)

    assert outbox(db, kind=MessageKind.CHANGE_EMAIL) == []  # no link goes anywhere
    (told,) = outbox(db, kind=MessageKind.ADDRESS_IN_USE)
    assert told.recipient_id == owner.id
    links = change_links(db, family.id)
    assert len(links) == 2 and all(link.used_at is not None for link in links)  # void
    assert fresh(db, family.id).email != "taken@example.org"
    assert [a for _, a, _ in audit_trail(db)] == ["account.email_requested"] * 2


def test_taken_or_free_the_requests_count_alike_towards_the_hourly_limit(make_user):
    make_user(email="taken@example.org")
    family = make_user()
    now = utcnow()
    for address in ("a@example.org", "taken@example.org", "b@example.org"):
        profile.request_email_change(family.id, address, PASSWORD, now=now)

    with pytest.raises(DomainError) as refused:
        profile.request_email_change(family.id, "c@example.org", PASSWORD, now=now)
    assert refused.value.code == "too_many_links"


def test_an_address_taken_after_the_link_was_sent_is_not_moved_to(make_user, db):
    family = make_user()
    profile.request_email_change(family.id, "new@example.org", PASSWORD, now=utcnow())
    token = email_links.link_token(change_links(db, family.id)[0])
    make_user(email="new@example.org")  # someone signed up with it meanwhile

    with pytest.raises(DomainError):
        profile.confirm_email_change(token, now=utcnow())
    assert fresh(db, family.id).email != "new@example.org"


@pytest.mark.parametrize(
    ("address", "password", "code"),
    [
        ("new@example.org", "not my password", "wrong_password"),
        ("SAME@example.org", PASSWORD, "same_email"),
    ],
)
def test_a_change_of_address_needs_the_current_password_and_a_new_address(
    make_user, db, address, password, code
):
    family = make_user(email="same@example.org")
    with pytest.raises(DomainError) as refused:
        profile.request_email_change(family.id, address, password, now=utcnow())
    assert refused.value.code == code
    assert outbox(db) == [] and audit_trail(db) == []


def test_a_password_reset_link_sent_to_the_old_address_stops_working(make_user, db):
    family = make_user(email="old@example.org")
    accounts.request_password_reset("old@example.org", utcnow())
    reset = db.session.scalars(
        select(EmailLink).where(EmailLink.purpose == LinkPurpose.PASSWORD_RESET)
    ).one()
    profile.request_email_change(family.id, "new@example.org", PASSWORD, now=utcnow())
    profile.confirm_email_change(
        email_links.link_token(change_links(db, family.id)[0]), now=utcnow()
    )

    token = email_links.link_token(reset)
    assert email_links.find(token, LinkPurpose.PASSWORD_RESET, utcnow()) is None


# --- password -------------------------------------------------------------------------


def test_a_new_password_ends_every_other_sign_in_and_keeps_this_one(make_user, db):
    family = make_user()
    now = utcnow()
    here = sessions.start(family, remember=False, now=now).get_id()
    elsewhere = sessions.start(family, remember=True, now=now).get_id()
    salt = fresh(db, family.id).link_salt
    unsubscribe = accounts.unsubscribe_token(fresh(db, family.id))

    profile.change_password(family.id, PASSWORD, NEW_PASSWORD, keep_sign_in=here, now=now)

    assert sessions.user_for(here, now) is not None
    assert sessions.user_for(elsewhere, now) is None
    user = fresh(db, family.id)
    assert user.link_salt != salt  # as after a reset: old unsubscribe links stop working
    assert not accounts.unsubscribe_is_valid(user, unsubscribe)
    assert accounts.authenticate(user.email, NEW_PASSWORD, ip=None, now=now).id == family.id
    assert audit_trail(db) == [(family.id, "account.password", f"user:{family.id}")]


def test_a_new_password_voids_waiting_reset_and_change_of_address_links(make_user, db):
    family = make_user()
    now = utcnow()
    accounts.request_password_reset(family.email, now)
    profile.request_email_change(family.id, "new@example.org", PASSWORD, now=now)
    here = sessions.start(family, remember=False, now=now).get_id()

    profile.change_password(family.id, PASSWORD, NEW_PASSWORD, keep_sign_in=here, now=now)

    db.session.rollback()
    assert all(link.used_at is not None for link in db.session.scalars(select(EmailLink)))


def test_a_wrong_current_password_changes_nothing(make_user, db):
    family = make_user(Role.FACILITATOR)
    here = sessions.start(family, remember=False, now=utcnow()).get_id()

    with pytest.raises(DomainError) as refused:
        profile.change_password(family.id, "a guess", NEW_PASSWORD, keep_sign_in=here, now=utcnow())

    assert refused.value.code == "wrong_password"
    assert fresh(db, family.id).password_hash == family.password_hash
    assert audit_trail(db) == []
