"""Every sign-in can end: logout, a password reset, "log out everywhere", deactivation.

Driven as a browser and an attacker would drive it: a real HTTP server on 127.0.0.1,
real cookie jars, and cookies copied from one jar to another before the sign-in ends.
(Found open by a probe: after logout the old session cookie and remember_token still
opened /account, and the remember cookie was the same at every login for 365 days.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from scheduler import config
from scheduler.models import EmailLink, LoginSession
from scheduler.services import account_admin, accounts, email_links, sessions
from scheduler.timeutil import utcnow
from tests.support.app import PASSWORD
from tests.support.browsing import Browser


@pytest.fixture
def served(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def browser(served) -> Iterator[type[Browser]]:
    return lambda: Browser(served)  # type: ignore[return-value]


def test_logout_ends_the_session_and_remember_cookies_wherever_they_were_copied(browser, make_user):
    family = make_user()
    mine, copied, remembered_only = browser(), browser(), browser()
    mine.login(family.email, remember=True)
    mine.copy_to(copied)
    mine.copy_to(remembered_only, "remember_token")
    assert copied.signed_in() and remembered_only.signed_in()

    mine.post("/logout")

    assert not mine.signed_in()
    assert not copied.signed_in()
    assert not remembered_only.signed_in()


def test_a_password_reset_ends_every_sign_in_of_the_account(browser, make_user, db):
    family = make_user()
    phone, laptop, intruder = browser(), browser(), browser()
    phone.login(family.email, remember=True)
    laptop.login(family.email)
    laptop.copy_to(intruder)

    accounts.request_password_reset(family.email, utcnow())
    token = email_links.link_token(db.session.scalars(select(EmailLink)).one())
    assert (
        browser().post(
            f"/password/reset/{token}",
            password="a new pass phrase 7",
            password_confirm="a new pass phrase 7",
        )
        == "/login"
    )

    assert not phone.signed_in() and not laptop.signed_in() and not intruder.signed_in()
    fresh = browser()
    fresh.post("/login", email=family.email, password="a new pass phrase 7")
    assert fresh.signed_in()


def test_log_out_everywhere_ends_every_other_device_too(browser, make_user):
    family, other = make_user(), make_user()
    phone, laptop, elsewhere = browser(), browser(), browser()
    phone.login(family.email, remember=True)
    laptop.login(family.email)
    elsewhere.login(other.email)

    assert phone.post("/account/sessions/end") == "/login"

    assert not phone.signed_in() and not laptop.signed_in()
    assert elsewhere.signed_in()  # another account is untouched


def test_deactivating_an_account_ends_its_sign_ins_at_once(browser, make_user, db):
    family = make_user()
    phone = browser()
    phone.login(family.email, remember=True)

    account_admin.deactivate_by_command(family.id, now=utcnow())

    assert not phone.signed_in()
    assert db.session.scalars(select(LoginSession)).all() == []
    phone.post("/login", email=family.email, password=PASSWORD)
    assert not phone.signed_in()


def test_the_remember_cookie_is_new_at_every_login_and_lasts_30_days_at_most(browser, make_user):
    family = make_user()
    first, second = browser(), browser()
    first.login(family.email, remember=True)
    second.login(family.email, remember=True)
    one, two = first.cookie("remember_token"), second.cookie("remember_token")
    assert one is not None and two is not None
    assert one.value != two.value
    lifetime = timedelta(seconds=one.expires - utcnow().timestamp())
    assert timedelta(days=29) < lifetime <= timedelta(days=30, minutes=1)


def test_a_sign_in_ends_by_itself_after_its_time(app, make_user):
    app.config["SIGN_IN_HOURS"] = config.defaults(app.instance_path)["SIGN_IN_HOURS"]
    assert app.config["SIGN_IN_HOURS"] == 12
    family = make_user()
    now = utcnow()
    brief = sessions.start(family, remember=False, now=now).get_id()
    kept = sessions.start(family, remember=True, now=now).get_id()

    assert sessions.user_for(brief, now + timedelta(hours=11)) is not None
    assert sessions.user_for(brief, now + timedelta(hours=13)) is None
    assert sessions.user_for(kept, now + timedelta(days=29)) is not None
    assert sessions.user_for(kept, now + timedelta(days=31)) is None


def test_log_out_everywhere_voids_the_unsubscribe_links_in_old_emails(client, make_user, db):
    family = make_user()
    old_link = f"/reminders/off/{family.id}/{accounts.unsubscribe_token(family)}"
    assert client.get(old_link).status_code == 200

    sessions.end_everywhere(family.id)

    assert client.post(old_link).status_code == 404
    db.session.rollback()
    fresh = accounts.unsubscribe_token(db.session.get(type(family), family.id))
    assert client.get(f"/reminders/off/{family.id}/{fresh}").status_code == 200


def test_an_admin_deactivates_an_account_from_the_command_line(app, browser, make_user):
    family = make_user()
    phone = browser()
    phone.login(family.email)

    result = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", family.email])

    assert result.exit_code == 0, result.output
    assert not phone.signed_in()
    unknown = app.test_cli_runner().invoke(args=["users", "deactivate", "--email", "no@one.org"])
    assert unknown.exit_code != 0 and "No account" in unknown.output
