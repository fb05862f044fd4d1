"""Accounts from the browser: the admin's pages, joining by invitation, and everyone's
own name, address and password on the account page.

Emails go through the outbox and a real SMTP server, and their links are followed from
the email's text, as a person would.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

import scheduler
from scheduler.jobs import sweep_once
from scheduler.models import AuditEvent, EmailLink, MessageKind, Role, User, Workshop
from scheduler.services import email_links
from scheduler.web.admin.routes import ACTIONS
from tests.support.app import PASSWORD, AuthActions
from tests.support.mail import SERVICE_WORDS, link_in, outbox, received, text_of

NEW_PASSWORD = "kettle river orange stone"
#: An action code as the code writes it: ``audit.add(actor, "act_for.book", ...)``.
AUDITED = re.compile(r'audit\.(?:add|record)\(\s*\w+,\s*"([a-z_.]+)"')


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def fresh(db, user_id: int) -> User:
    db.session.rollback()
    return db.session.get_one(User, user_id)


#: An admin opening an account or the list is a look, kept too (tests/test_access_trail.py);
#: the tests here read the changes.
LOOKS = {"account.view", "account.list_view", "audit.view"}


def actions(db) -> list[str]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [e.action for e in events if e.action not in LOOKS]


@pytest.fixture
def admin(make_user, auth):
    admin = make_user(Role.ADMIN, name="Ada Admin")
    assert auth.login(admin).status_code == 303
    return admin


def invite(client, **fields):
    data = {"name": "Sam Ortiz", "email": "sam@example.org", "role": "facilitator"}
    return client.post("/admin/accounts/invite", data=data | fields)


# --- inviting -------------------------------------------------------------------------


def test_an_invited_facilitator_accepts_by_the_emailed_link_and_is_logged_in(
    app, mail_to, admin, client, db
):
    response = invite(client)
    assert response.status_code == 303
    account_page = page(client.get(response.location))
    assert "We emailed an invitation to sam@example.org" in account_page
    assert "72 hours" in account_page
    assert "Invited, not joined yet" in account_page

    assert sweep_once().sent == 1
    (email,) = received(mail_to)
    assert email["To"] == "sam@example.org"
    assert email["Subject"] == "Hearth: you're invited to join"
    assert not SERVICE_WORDS.search(email["Subject"])
    assert "as a facilitator" in text_of(email)
    path = link_in(email, "/invite")

    invitee = app.test_client()
    form = invitee.get(path)
    assert form.status_code == 200 and "Welcome, Sam Ortiz" in page(form)
    assert "no-store" in form.headers["Cache-Control"]
    weak = invitee.post(
        path,
        data={
            "password": "sam ortiz 2026",
            "password_confirm": "sam ortiz 2026",
            "timezone": "UTC",
        },
    )
    assert weak.status_code == 422 and "too easy to guess" in page(weak)
    joined = invitee.post(
        path,
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "timezone": "UTC"},
    )
    assert joined.status_code == 303 and urlsplit(joined.location).path == "/manage"
    assert "Welcome, Sam Ortiz" in page(invitee.get("/manage"))

    again = app.test_client().get(path)
    assert again.status_code == 404 and "ask the person who invited you" in page(again)
    assert actions(db) == ["account.invite", "account.invite_accepted"]


def test_inviting_an_address_with_an_account_says_so_and_links_to_it(admin, make_user, client):
    family = make_user(name="Rivera household", email="rivera@example.org")

    response = invite(client, email="Rivera@Example.org")

    assert response.status_code == 409
    shown = page(response)
    assert "already has an account (Rivera household)" in shown
    assert f'href="/admin/accounts/{family.id}"' in shown


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"role": "family"}, "Not a valid choice"),
        ({"role": "owner"}, "Not a valid choice"),
        ({"email": "not an address"}, "Enter an email address like"),
        ({"name": ""}, "Tell us their name."),
    ],
)
def test_a_bad_invitation_is_refused_with_words(admin, client, db, fields, problem):
    response = invite(client, **fields)
    assert response.status_code == 422
    assert problem in page(response)
    assert outbox(db) == []


def test_joining_needs_a_time_zone_it_knows(admin, client, db, app):
    invite(client)
    token_path = "/invite/" + _invite_token(db)
    joined = app.test_client().post(
        token_path,
        data={"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD, "timezone": "Mars/Base"},
    )
    assert joined.status_code == 422 and "Choose a time zone from the list." in page(joined)


def _invite_token(db) -> str:
    db.session.rollback()
    link = db.session.scalars(select(EmailLink).where(EmailLink.purpose == "invite")).one()
    return email_links.link_token(link)


def test_an_unusable_invitation_link_is_a_404_with_words(client):
    response = client.get("/invite/" + "ab12" * 11)
    assert response.status_code == 404
    assert "This link no longer works" in page(response)
    assert client.post("/invite/" + "ab12" * 11, data={}).status_code == 404


def test_invitations_are_rate_limited_per_admin(make_app, make_user, db):
    app = make_app(
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", RATELIMIT_INVITE="2 per hour"
    )
    admin = make_user(Role.ADMIN)
    client = app.test_client()
    assert AuthActions(client).login(admin).status_code == 303
    answers = [invite(client, email=f"staff{n}@example.org").status_code for n in range(3)]
    assert answers == [303, 303, 429]


# --- the list and one account ---------------------------------------------------------


def test_the_list_searches_filters_and_keeps_the_filters_from_page_to_page(
    app, admin, make_user, client
):
    for n in range(27):
        make_user(name=f"Household {n:02d}")
    make_user(Role.FACILITATOR, name="Maya Lee")

    first = page(client.get("/admin/accounts?q=household&role=family"))
    assert "27 accounts" in first and "Maya Lee" not in first
    assert 'href="/admin/accounts?page=2&q=household&role=family"' in first
    second = page(client.get("/admin/accounts?page=2&q=household&role=family"))
    assert "Household 26" in second and "Household 00" not in second
    assert "Maya Lee" in page(client.get("/admin/accounts?role=facilitator&state=active"))


def test_a_filter_no_form_offers_is_said_so_and_a_bad_page_is_a_404(admin, client):
    bad = client.get("/admin/accounts?role=superuser")
    assert bad.status_code == 422 and "Not a valid choice" in page(bad)
    assert client.get("/admin/accounts?page=abc").status_code == 404
    assert client.get("/admin/accounts/999999").status_code == 404


def test_an_account_page_shows_role_state_and_last_sign_in(app, admin, make_user, client):
    family = make_user(name="Rivera household")
    assert "Not known" in page(client.get(f"/admin/accounts/{family.id}"))
    AuthActions(app.test_client()).login(family)

    shown = page(client.get(f"/admin/accounts/{family.id}"))

    assert "Rivera household" in shown and "Family" in shown and "Active" in shown
    assert "Not known" not in shown  # the sign-in just now
    assert "Their bookings stay on the rosters." in shown


def test_the_admin_changes_a_role_from_the_account_page(admin, make_user, client, db):
    maya = make_user(Role.FACILITATOR)

    assert client.post(f"/admin/accounts/{maya.id}/role", data={"role": "admin"}).status_code == 303
    assert fresh(db, maya.id).role == Role.ADMIN
    bad = client.post(f"/admin/accounts/{maya.id}/role", data={"role": "owner"})
    assert bad.status_code == 422
    own = client.post(f"/admin/accounts/{admin.id}/role", data={"role": "facilitator"})
    assert own.status_code == 409 and "your own" in page(own)
    assert client.post("/admin/accounts/999999/role", data={"role": "admin"}).status_code == 404
    assert actions(db) == ["account.role"]


def test_switching_off_a_facilitator_asks_about_their_sessions_and_hands_them_over(
    admin, make_user, make_workshop, make_booking, client, db
):
    leaving = make_user(Role.FACILITATOR, name="Leaving facilitator")
    successor = make_user(Role.FACILITATOR, name="Successor facilitator")
    workshop = make_workshop(facilitator=leaving, weeks=2)
    make_booking(workshop.sessions[0].id)

    shown = page(client.get(f"/admin/accounts/{leaving.id}"))
    assert "They run 2 upcoming sessions" in shown and "with 1 household booked" in shown
    assert "Successor facilitator" in shown

    unasked = client.post(f"/admin/accounts/{leaving.id}/deactivate", data={})
    assert unasked.status_code == 409 and "2 upcoming sessions" in page(unasked)
    no_one = client.post(f"/admin/accounts/{leaving.id}/deactivate", data={"upon": "hand_over"})
    assert no_one.status_code == 422 and "Choose who takes the workshops over" in page(no_one)
    for bad in ({"upon": "hand_over", "successor": "x"}, {"upon": "later"}):
        refused = client.post(f"/admin/accounts/{leaving.id}/deactivate", data=bad)
        assert refused.status_code == 422 and "Please check this:" in page(refused)
    assert fresh(db, leaving.id).is_active

    done = client.post(
        f"/admin/accounts/{leaving.id}/deactivate",
        data={"upon": "hand_over", "successor": str(successor.id)},
    )
    assert done.status_code == 303
    assert "1 workshop was handed over" in page(client.get(done.location))
    db.session.rollback()
    assert db.session.get_one(Workshop, workshop.id).facilitator_id == successor.id
    assert not fresh(db, leaving.id).is_active


def test_switching_off_and_on_from_the_account_page(admin, make_user, client, db):
    family = make_user()
    assert client.post(f"/admin/accounts/{family.id}/deactivate").status_code == 303
    again = client.post(f"/admin/accounts/{family.id}/deactivate")
    assert again.status_code == 409 and "already switched off" in page(again)
    assert client.post(f"/admin/accounts/{family.id}/reactivate").status_code == 303
    assert fresh(db, family.id).is_active
    assert actions(db) == ["account.deactivate", "account.reactivate"]


def test_the_audit_page_says_each_account_change_in_words(admin, make_user, client):
    maya = make_user(Role.FACILITATOR, name="Maya Lee")
    client.post(f"/admin/accounts/{maya.id}/role", data={"role": "admin"})
    client.post(f"/admin/accounts/{maya.id}/deactivate")

    shown = page(client.get("/admin/audit"))

    assert "Changed the role of" in shown and "(account.role)" in shown
    assert "Switched off the account of" in shown
    assert f'<a href="/admin/accounts/{maya.id}">Maya Lee</a>' in shown


def test_every_action_the_audit_trail_records_has_words_on_the_audit_page():
    written = set()
    for module in Path(scheduler.__file__).parent.rglob("*.py"):
        written |= set(AUDITED.findall(module.read_text(encoding="utf-8")))

    assert written  # the pattern still finds them
    assert sorted(written - set(ACTIONS)) == []


def test_the_audit_page_says_what_staff_did_for_a_household_in_words(
    admin, make_user, make_workshop, client
):
    session = make_workshop(facilitator=admin).sessions[0]
    client.post(
        f"/manage/sessions/{session.id}/book-for",
        data={"name": "Garcia household", "phone": "555 0100", "seats": "1"},
    )

    shown = page(client.get("/admin/audit"))

    assert "Booked for a household" in shown and "(act_for.book)" in shown
    assert "Recorded a household" in shown and "(household.create)" in shown


# --- one's own account ----------------------------------------------------------------


@pytest.fixture
def family(make_user, auth):
    family = make_user(name="Rivera household", email="rivera@example.org")
    assert auth.login(family).status_code == 303
    return family


def test_everyone_changes_their_name_on_the_account_page(family, client, db):
    response = client.post("/account/name", data={"name": "Rivera-Lopez household"})
    assert response.status_code == 303
    assert fresh(db, family.id).name == "Rivera-Lopez household"
    empty = client.post("/account/name", data={"name": "   "})
    assert empty.status_code == 422 and "Tell us what to call you." in page(empty)
    assert actions(db) == ["account.name"]


def test_a_new_address_is_confirmed_from_its_mailbox_and_the_old_one_is_told(
    app, mail_to, family, client, db
):
    response = client.post(
        "/account/email", data={"email": "new@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert "We sent a link to new@example.org" in page(client.get("/account"))
    assert sweep_once().sent == 1
    (confirm,) = received(mail_to)
    assert confirm["To"] == "new@example.org"
    assert not SERVICE_WORDS.search(confirm["Subject"])
    path = link_in(confirm, "/email/change")

    stranger = app.test_client()  # opened on the phone, not logged in
    shown = stranger.get(path)
    assert shown.status_code == 200 and "new@example.org" in page(shown)
    assert fresh(db, family.id).email == "rivera@example.org"  # a GET only asks
    assert stranger.post(path).status_code == 303
    assert fresh(db, family.id).email == "new@example.org"
    assert stranger.post(path).status_code == 404  # once

    mail_to.clear()
    assert sweep_once().sent == 1
    (notice,) = received(mail_to)
    assert notice["To"] == "rivera@example.org"
    assert notice["Subject"] == "Hearth: your email address was changed"
    assert "new@example.org" not in text_of(notice)
    assert actions(db) == ["account.email_requested", "account.email_changed"]


def test_a_taken_address_gets_the_same_answer_and_its_owner_a_calm_note(
    mail_to, family, make_user, client, db
):
    owner = make_user(email="taken@example.org")
    response = client.post(
        "/account/email", data={"email": "taken@example.org", "password": PASSWORD}
    )
    assert response.status_code == 303
    assert "We sent a link to taken@example.org" in page(client.get("/account"))

    assert sweep_once().sent == 1
    (note,) = received(mail_to)
    assert note["To"] == owner.email
    assert note["Subject"] == "Hearth: about your email address"
    assert "nothing changed" in text_of(note)
    assert fresh(db, family.id).email == "rivera@example.org"


@pytest.mark.parametrize(
    ("fields", "status", "problem"),
    [
        ({"email": "new@example.org", "password": "wrong"}, 422, "isn't your current password"),
        ({"email": "new@example.org", "password": ""}, 422, "Enter your current password."),
        ({"email": "nope", "password": PASSWORD}, 422, "Enter an email address like"),
        ({"email": "RIVERA@example.org", "password": PASSWORD}, 422, "already your address"),
    ],
)
def test_a_change_of_address_is_refused_with_words(family, client, db, fields, status, problem):
    response = client.post("/account/email", data=fields)
    assert response.status_code == status
    assert problem in page(response)
    assert outbox(db, kind=MessageKind.CHANGE_EMAIL) == []


def test_a_new_password_keeps_this_browser_signed_in_and_ends_the_others(app, family, client, db):
    phone = app.test_client()
    assert AuthActions(phone).login(family).status_code == 303

    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )

    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert phone.get("/account").status_code == 302
    assert AuthActions(phone).login(family, NEW_PASSWORD).status_code == 303
    assert actions(db) == ["account.password"]


@pytest.mark.parametrize(
    ("current", "new", "again", "problem"),
    [
        ("wrong password", NEW_PASSWORD, NEW_PASSWORD, "isn't your current password"),
        (PASSWORD, "password1234", "password1234", "too easy to guess"),
        (PASSWORD, "rivera household", "rivera household", "too easy to guess"),
        (PASSWORD, "short", "short", "Use 10 to 128 characters."),
        (PASSWORD, NEW_PASSWORD, "another one", "The two passwords don't match."),
    ],
)
def test_a_new_password_is_refused_with_words(family, client, db, current, new, again, problem):
    response = client.post(
        "/account/password",
        data={"current_password": current, "password": new, "password_confirm": again},
    )
    assert response.status_code == 422
    assert problem in page(response)
    assert fresh(db, family.id).password_hash == family.password_hash


def test_wrong_current_passwords_are_rate_limited(make_app, make_user):
    app = make_app(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_CURRENT_PASSWORD="2 per hour",
    )
    family = make_user()
    client = app.test_client()
    AuthActions(client).login(family)
    wrong = {
        "current_password": "guess",
        "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD,
    }
    answers = [client.post("/account/password", data=wrong).status_code for _ in range(3)]
    assert answers == [422, 422, 429]
