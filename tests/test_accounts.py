"""Accounts: sign-up, login, throttling, password hashing, cookies, redirects, CLI."""

from __future__ import annotations

from datetime import UTC, datetime
from http.cookies import SimpleCookie

import pytest
import time_machine
from argon2 import PasswordHasher, Type, extract_parameters

from scheduler import config
from scheduler.jobs import sweep_once
from scheduler.models import LoginFailure, MessageKind, OutboxMessage, Role, User
from scheduler.web.access import safe_next
from tests.support.app import FAST_HASH, PASSWORD
from tests.support.mail import received


def test_register_creates_family_and_logs_in(client, db):
    response = client.post(
        "/register",
        data={
            "name": "The Rivera family",
            "email": "  Rivera@Example.org ",
            "password": "a long enough passphrase",
            "password_confirm": "a long enough passphrase",
            "timezone": "America/Chicago",
        },
    )
    assert response.status_code == 303
    user = db.session.scalar(db.select(User).filter_by(email="rivera@example.org"))
    assert (user.role, user.timezone, user.name) == (
        "family",
        "America/Chicago",
        "The Rivera family",
    )
    assert client.get("/bookings").status_code == 200  # logged in


def test_register_shows_field_errors_and_keeps_nothing(client, db):
    response = client.post(
        "/register",
        data={
            "name": "",
            "email": "not-an-email",
            "password": "short",
            "password_confirm": "other",
            "timezone": "Mars/Olympus",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in (
        "Tell us what to call you",
        "email address like",
        "10 to 128",
        "don&#39;t match",
        "Choose a time zone",
    ):
        assert message in page
    assert db.session.scalar(db.select(db.func.count()).select_from(User)) == 0


def _sign_up(
    client, email: str, *, name: str = "Someone", password: str = "kettle river orange stone"
):
    return client.post(
        "/register",
        data={
            "name": name,
            "email": email,
            "password": password,
            "password_confirm": password,
            "timezone": "UTC",
        },
    )


def test_a_taken_address_gets_the_answer_a_new_one_gets_and_its_owner_is_told(app, make_user, db):
    existing = make_user(email="taken@example.org")
    new = _sign_up(app.test_client(), "new@example.org")
    taken = _sign_up(app.test_client(), "TAKEN@example.org")

    assert taken.status_code == new.status_code == 303
    assert taken.headers["Location"] == new.headers["Location"]
    client = app.test_client()
    _sign_up(client, "taken@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "We sent an email to taken@example.org" in page
    assert "can&#39;t be used" not in page
    assert client.get("/account").status_code == 302  # nobody was logged in to it

    # One account still, and its owner hears of it once a day however often it's tried.
    owners = db.session.scalars(db.select(User).where(User.email == "taken@example.org")).all()
    assert [u.id for u in owners] == [existing.id]
    told = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == MessageKind.SIGNUP_ATTEMPT)
    ).all()
    assert [m.recipient_id for m in told] == [existing.id]


def test_the_owner_of_a_taken_address_is_emailed_without_revealing_anything(
    client, mail_to, make_user
):
    existing = make_user(email="taken@example.org")
    _sign_up(client, "taken@example.org")
    sweep_once()
    (email,) = [m for m in received(mail_to) if m["To"] == existing.email]
    assert email["Subject"] == "Hearth: someone tried to make an account with your address"
    assert "nothing was made and nothing changed" in email.get_body(("plain",)).get_content()


def test_login_does_one_hash_operation_whether_or_not_the_address_has_an_account(
    client, make_user, monkeypatch
):
    user = make_user()
    client.post("/login", data={"email": "warm@example.org", "password": "wrong password"})
    operations: list[str] = []
    for name in ("hash", "verify"):
        real = getattr(PasswordHasher, name)

        def counted(self, *args, _real=real, _name=name, **kwargs):
            operations.append(_name)
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(PasswordHasher, name, counted)

    for email in (user.email, "nobody@example.org"):
        operations.clear()
        response = client.post("/login", data={"email": email, "password": "wrong password"})
        assert response.status_code == 401
        assert operations == ["verify"], email


def test_login_message_does_not_reveal_whether_account_exists(client, make_user):
    user = make_user()
    wrong_password = client.post("/login", data={"email": user.email, "password": "nope"})
    unknown_email = client.post("/login", data={"email": "ghost@example.org", "password": "x"})
    assert wrong_password.status_code == unknown_email.status_code == 401
    message = "That email and password don&#39;t match an account"
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)


def _try(client, email: str, password: str, address: str):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_repeated_failures_make_that_source_wait_longer_each_time(app, client, make_user, db):
    user = make_user()
    limit = app.config["LOGIN_MAX_FAILURES"]
    first_delay = app.config["LOGIN_FIRST_DELAY_SECONDS"]
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(limit):
            assert _try(client, user.email, "bad", "198.51.100.7").status_code == 401
        waits = []
        for _ in range(4):
            throttled = _try(client, user.email, PASSWORD, "198.51.100.7")
            assert throttled.status_code == 429
            assert "Too many attempts to log in from here" in throttled.get_data(as_text=True)
            wait = int(throttled.headers["Retry-After"])
            waits.append(wait)
            clock.shift(wait)  # the wait is over: one more try, which fails again
            assert _try(client, user.email, "bad", "198.51.100.7").status_code == 401
    assert waits == [first_delay, 2 * first_delay, 4 * first_delay, 8 * first_delay]
    # Failures are stored hashed, never as the address in clear.
    keys = db.session.scalars(db.select(LoginFailure.key)).all()
    assert keys and not any(user.email in k for k in keys)


def test_an_attacker_cannot_lock_a_family_out(app, client, make_user):
    family = make_user()
    start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        answers = []
        for _ in range(120):  # an hour of guessing, a try every 30 seconds, one address
            answers.append(_try(client, family.email, "guess", "203.0.113.66").status_code)
            clock.shift(30)
        # Past the first few, most tries were refused unchecked: guessing slowed to a crawl.
        assert answers.count(401) <= 15 and answers.count(429) >= 100
        assert set(answers) == {401, 429}
        # The family, from home or from another network, gets in at once.
        assert _try(client, family.email, PASSWORD, "192.0.2.20").status_code == 303


def test_one_address_trying_many_accounts_is_slowed_too(app, client, make_user):
    allowed = app.config["LOGIN_MAX_FAILURES"] * 4
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        for n in range(allowed):  # one guess at each of many addresses
            assert _try(client, f"guess{n}@example.org", "guess", "203.0.113.66").status_code == 401
        fresh = make_user()
        assert _try(client, fresh.email, PASSWORD, "203.0.113.66").status_code == 429
        assert _try(client, fresh.email, PASSWORD, "192.0.2.20").status_code == 303


def test_successful_login_clears_earlier_failures(app, client, make_user, db):
    user = make_user()
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/login", data={"email": user.email, "password": "bad"})
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    )
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": "bad"})
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    )


def test_deactivated_account_cannot_log_in(client, make_user, db):
    user = make_user()
    db.session.get_one(User, user.id).active = False
    db.session.commit()
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 401
    )


def test_default_hashing_is_argon2id_at_owasps_recommended_profile():
    params = config.defaults("instance")["PASSWORD_HASH"]
    hashed = PasswordHasher(**params).hash("secret")
    parsed = extract_parameters(hashed)
    assert parsed.type is Type.ID
    # OWASP Password Storage Cheat Sheet: argon2id, m = 19 MiB, t = 2, p = 1.
    assert (parsed.memory_cost, parsed.time_cost, parsed.parallelism) == (19 * 1024, 2, 1)


def test_password_is_rehashed_on_login_when_parameters_change(app, client, make_user, db):
    user = make_user()
    assert extract_parameters(user.password_hash).time_cost == FAST_HASH["time_cost"]
    app.config["PASSWORD_HASH"] = {**FAST_HASH, "time_cost": 2}

    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    )
    rehashed = db.session.get_one(User, user.id).password_hash
    assert extract_parameters(rehashed).time_cost == 2
    assert PasswordHasher().verify(rehashed, PASSWORD)


def _cookies(response) -> dict[str, SimpleCookie]:
    jar = {}
    for header in response.headers.getlist("Set-Cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        jar.update({name: morsel for name, morsel in cookie.items()})
    return jar


def test_session_and_remember_cookies_are_httponly_lax_and_secure(make_app, make_user):
    user = make_user()
    production = make_app(TESTING=False, BASE_URL="https://localhost")
    client = production.test_client()
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={"email": user.email, "password": PASSWORD, "remember": "y"},
    )
    assert response.status_code == 303
    cookies = _cookies(response)
    for name in ("session", "remember_token"):
        assert cookies[name]["httponly"] is True, name
        assert cookies[name]["samesite"] == "Lax", name
        assert cookies[name]["secure"] is True, name


def test_cookies_are_not_secure_in_development(make_app):
    development = make_app(TESTING=False, DEBUG=True)
    assert development.config["SESSION_COOKIE_SECURE"] is False


def test_login_starts_a_fresh_session(client, make_user):
    user = make_user()
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as after:
        assert "planted" not in after
        # The cookie names this sign-in (a token that can be ended), not the account.
        assert after["_user_id"] != str(user.id) and len(after["_user_id"]) >= 40


def test_logout_needs_post_and_ends_the_session(client, auth, make_user):
    user = make_user()
    auth.login(user)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 303
    assert client.get("/bookings").status_code == 302


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/bookings", "/bookings"),
        ("/workshops/3?x=1", "/workshops/3?x=1"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        ("", "/"),
    ],
)
def test_next_only_goes_to_same_site_paths(target, expected):
    assert safe_next(target, "/") == expected


def test_login_follows_safe_next_and_ignores_offsite(client, make_user):
    user = make_user()
    good = client.post("/login?next=/bookings", data={"email": user.email, "password": PASSWORD})
    assert good.headers["Location"] == "/bookings"
    client.post("/logout")
    bad = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert bad.headers["Location"] == "/"


def test_facilitator_lands_on_dashboard(client, make_user):
    facilitator = make_user(Role.FACILITATOR)
    response = client.post("/login", data={"email": facilitator.email, "password": PASSWORD})
    assert response.headers["Location"] == "/manage"


def test_cli_creates_users_of_each_role(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Coach@Example.org",
            "--name",
            "Coach",
            "--role",
            "facilitator",
            "--password",
            "sturdy lantern copper meadow",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(User).filter_by(email="coach@example.org"))
    assert user.role == "facilitator"

    again = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "coach@example.org",
            "--name",
            "Coach",
            "--password",
            "sturdy lantern copper meadow",
        ]
    )
    assert again.exit_code != 0 and "can't be used" in again.output

    short = runner.invoke(
        args=["users", "create", "--email", "x@example.org", "--name", "X", "--password", "short"]
    )
    assert short.exit_code != 0 and "10 characters" in short.output


def test_account_settings_change_the_zone(client, auth, make_user, db):
    user = make_user()
    auth.login(user)
    response = client.post("/account", data={"timezone": "Europe/Dublin"})
    assert response.status_code == 303
    saved = db.session.get_one(User, user.id)
    assert saved.timezone == "Europe/Dublin"
    bad = client.post("/account", data={"timezone": "Nowhere/Atlantis"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("aaaaaaaaaaaa", "Repeats"),
        ("password1234", "very common password"),
        ("iloveyou2026", "commonly used password"),
        ("Rivera family 1", "too easy to guess"),  # the person's own name
        ("rivera@example.org", "too easy to guess"),  # the person's own address
    ],
)
def test_an_easily_guessed_password_is_refused_and_says_why(client, password, why):
    response = _sign_up(client, "rivera@example.org", name="Rivera family", password=password)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This password is too easy to guess." in page and why in page
    assert "kettle river orange stone" in page  # what to do instead
    assert "Your account is ready" not in page


def test_a_few_unrelated_words_make_a_good_password(client, db):
    response = _sign_up(client, "new@example.org")
    assert response.status_code == 303
    assert db.session.scalar(db.select(User).where(User.email == "new@example.org"))


def test_the_command_line_refuses_weak_passwords_too(app):
    runner = app.test_cli_runner()
    args = ["users", "create", "--email", "f@example.org", "--name", "Fac", "--role", "facilitator"]
    weak = runner.invoke(args=[*args, "--password", "password1234"])
    assert weak.exit_code != 0 and "too easy to guess" in weak.output
    strong = runner.invoke(args=[*args, "--password", "lantern copper meadow 61"])
    assert strong.exit_code == 0, strong.output


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("kettle river orange stone " * 4, 303),  # 104 characters: longer than zxcvbn checks
        ("x" * 129, 422),  # past the 128-character limit
        ("x" * 10_000, 422),
    ],
)
def test_long_passwords_get_an_answer_never_a_500(client, password, expected):
    response = _sign_up(client, "rivera@example.org", name="Rivera family", password=password)
    assert response.status_code == expected
