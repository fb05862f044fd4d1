"""Rate limits: floods from one address are bounded, real use behind one address is not.

Found by a probe: 122 accounts from one address in 30 s (each queuing a mail to an
address of the attacker's choosing), 40 reset mails to 40 addresses in 0.3 s, and
limits kept per process, so a second web instance started its counts at zero.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from flask_migrate import upgrade
from sqlalchemy import func, select

from scheduler import create_app
from scheduler.extensions import db as _db
from scheduler.models import MessageKind, OutboxMessage
from tests.support.app import PASSWORD, csrf_token_from, settings
from tests.support.browsing import Browser
from tests.support.counseling import slot_after

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
REDIS = ("127.0.0.1", 6379)


@pytest.fixture
def limited(app, make_app):
    """An app with its rate limits on (the other tests' apps have them off).

    It shares the database of ``app``, whose context the test runs in.
    """

    def make(**overrides):
        return make_app(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", **overrides)

    return make


def _sign_up(client, n: int):
    return client.post(
        "/register",
        data={
            "name": f"Family {n}",
            "email": f"family{n}@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "timezone": "America/New_York",
        },
    )


def _count(kind: str) -> int:
    _db.session.rollback()
    return _db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
    )


def test_fifty_families_behind_one_address_sign_up_log_in_and_book_within_minutes(
    limited, make_workshop
):
    app = limited()
    with time_machine.travel(START, tick=False) as clock:
        session = make_workshop(capacity=60).sessions[0]
        for n in range(50):  # one family every five seconds: about four minutes in all
            client = app.test_client()
            assert _sign_up(client, n).status_code == 303, n
            client.post("/logout")
            login = client.post(
                "/login", data={"email": f"family{n}@example.org", "password": PASSWORD}
            )
            assert login.status_code == 303, n
            assert client.post(f"/sessions/{session.id}/book", data={"seats": 1}).status_code == 303
            clock.shift(5)


def test_a_flood_of_sign_ups_from_one_address_is_stopped(limited):
    app = limited()
    client = app.test_client()
    with time_machine.travel(START, tick=False) as clock:
        answers = []
        for n in range(122):  # 122 in 30 seconds, as the probe did
            answers.append(_sign_up(client, n).status_code)
            client.post("/logout")
            clock.shift(0.25)
        # Still within the minute: asked on the travelled clock, not the real one (which
        # made this test pass only on days before START).
        refused = _sign_up(client, 999)
    assert answers.count(303) == 15 and answers.count(429) == 107
    assert _count(MessageKind.VERIFY_EMAIL) == 15  # no mail for the refused ones
    assert refused.status_code == 429
    assert "Please wait a few minutes" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"]


def test_reset_mails_to_many_addresses_from_one_address_are_bounded(limited, make_user):
    app = limited()
    families = [make_user() for _ in range(40)]
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        answers = [
            client.post("/password/forgot", data={"email": f.email}).status_code for f in families
        ]
    assert answers.count(303) == 5 and answers.count(429) == 35
    assert _count(MessageKind.PASSWORD_RESET) == 5


def test_only_failed_logins_count_against_an_address(limited, make_user):
    app = limited(LOGIN_MAX_FAILURES=1000)  # the per-account waits are tested elsewhere
    family = make_user()
    client = app.test_client()
    with time_machine.travel(START, tick=False):
        for _ in range(40):  # more than the failure limit, all successful
            ok = client.post("/login", data={"email": family.email, "password": PASSWORD})
            assert ok.status_code == 303
            client.post("/logout")
        failures = [
            client.post("/login", data={"email": f"guess{n}@example.org", "password": "x"})
            for n in range(31)
        ]
    assert [r.status_code for r in failures[:30]] == [401] * 30
    assert failures[30].status_code == 429


def test_booking_limits_count_each_account_not_the_shared_address(
    limited, make_workshop, make_user, auth
):
    app = limited(RATELIMIT_BOOKING="3 per minute")
    workshop = make_workshop(weeks=5, capacity=10)
    first, second = make_user(), make_user()
    with time_machine.travel(START, tick=False):
        one = app.test_client()
        one.post("/login", data={"email": first.email, "password": PASSWORD})
        answers = [
            one.post(f"/sessions/{s.id}/book", data={"seats": 1}).status_code
            for s in workshop.sessions[:4]
        ]
        other = app.test_client()  # the same address: 127.0.0.1
        other.post("/login", data={"email": second.email, "password": PASSWORD})
        theirs = other.post(f"/sessions/{workshop.sessions[0].id}/book", data={"seats": 1})
    assert answers == [303, 303, 303, 429]
    assert theirs.status_code == 303


def test_counseling_requests_are_limited_per_account(
    limited,
    make_counselor,
    make_user,
):
    app = limited(RATELIMIT_COUNSELING="2 per minute")
    counselor, family = make_counselor(), make_user()
    client = app.test_client()
    client.post("/login", data={"email": family.email, "password": PASSWORD})
    answers = [
        client.post(f"/counseling/slots/{slot_after(counselor, skip=n)}/book").status_code
        for n in range(3)
    ]
    assert 429 not in answers[:2] and answers[2] == 429


def test_confirmation_emails_asked_again_are_limited(limited, make_user):
    app = limited(RATELIMIT_CONFIRM_EMAIL="2 per hour")
    family = make_user()
    client = app.test_client()
    client.post("/login", data={"email": family.email, "password": PASSWORD})
    answers = [client.post("/account/email/confirm").status_code for _ in range(3)]
    assert answers == [303, 303, 429]


# --- limits shared by every instance, in Redis ---------------------------------------


def redis_available() -> bool:
    try:
        with socket.create_connection(REDIS, timeout=1) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def require_redis() -> None:
    if redis_available():
        return
    hint = "Redis is not answering on 127.0.0.1:6379 (apt-get install -y redis-server)"
    if os.environ.get("HEARTH_REQUIRE_REDIS") == "1":
        pytest.fail(f"HEARTH_REQUIRE_REDIS=1 but {hint}")
    pytest.skip(hint)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def instances(tmp_path) -> Iterator:
    """Start web instances as separate processes on one SQLite database."""
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    app = create_app(settings(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    started: list[subprocess.Popen] = []

    def start(storage: str, prefix: str) -> str:
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "shared-secret",
            "BASE_URL": f"http://127.0.0.1:{port}",
            "RATELIMIT_STORAGE_URI": storage,
            "RATELIMIT_PASSWORD_RESET": "5 per minute",
            "RATELIMIT_KEY_PREFIX": prefix,
            "SCHEDULER_IN_PROCESS": "0",
        }
        command = [sys.executable, "-m", "flask", "--app", "app", "run", "--port", str(port)]
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        started.append(process)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return f"http://127.0.0.1:{port}"
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the web instance did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


def _status(base: str, n: int) -> int:
    """POST one "forgot password" request like a browser; return the final status."""
    browser = Browser(base)
    with browser.opener.open(base + "/password/forgot", timeout=10) as page:
        token = csrf_token_from(page.read().decode())
    body = urllib.parse.urlencode({"email": f"someone{n}@example.org", "csrf_token": token})
    try:
        with browser.opener.open(base + "/password/forgot", data=body.encode(), timeout=10):
            return 303
    except urllib.error.HTTPError as error:
        error.close()
        return error.code


def test_two_instances_share_their_counts_in_redis(instances):
    require_redis()
    prefix = f"hearth-test-{uuid.uuid4().hex}"
    first = instances(f"redis://{REDIS[0]}:{REDIS[1]}/0", prefix)
    second = instances(f"redis://{REDIS[0]}:{REDIS[1]}/0", prefix)

    answers = [_status(first, 1), _status(second, 2), _status(first, 3)]
    answers += [_status(second, 4), _status(first, 5)]
    assert answers == [303] * 5
    # The limit is 5 a minute from one address, counted across both instances.
    assert _status(second, 6) == 429
    assert _status(first, 7) == 429


def test_counts_kept_in_memory_are_per_instance(instances):
    """Why production needs the shared store: without it each instance counts alone."""
    first = instances("memory://", "hearth")
    second = instances("memory://", "hearth")
    answers = [_status(first, n) for n in range(5)] + [_status(second, 5)]
    assert answers == [303] * 6
    assert _status(first, 6) == 429
