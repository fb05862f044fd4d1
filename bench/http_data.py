"""The data sets `bench/http_load.py` serves: the demo, and a county network at full size.

``demo`` is what ``make run`` loads. ``network`` is the demo plus 10,000 upcoming
sessions (500 weekly workshops of 20 sessions, and one of 6 for the workshop page) and
3,000 families with confirmed addresses, one of which has 20 bookings and a private feed.
The bulk rows are inserted directly, since the services would take minutes for them;
they are the rows the services write. Signing 3,000 families in over HTTP would cost
3,000 password hashes before the first measurement, so each gets a sign-in row and a
session cookie made here with the server's own secret key, exactly as a login makes
them (Flask-Login's identifier for the load generator's address and User-Agent, and a
CSRF token for the booking form).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, session
from flask_login.utils import _create_identifier
from flask_wtf.csrf import generate_csrf
from sqlalchemy import insert, select

from scheduler import create_app, demo
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import LoginSession, Role, User, Workshop, WorkshopSession
from scheduler.services import feeds, tokens
from scheduler.services.booking import Needs, book_seats
from scheduler.services.passwords import hash_password
from scheduler.timeutil import utcnow
from tests.support import bulk

#: The User-Agent every load generator request sends (the session cookies are bound to it).
USER_AGENT = "hearth-bench"
#: The password of every bulk family (one hash, computed once).
PASSWORD = "bench-families-password-2026"
#: Sessions of the one workshop whose page is measured.
PAGE_SESSIONS = 6
#: Bookings of the family whose private feed is measured.
FEED_BOOKINGS = 20


@dataclass
class Family:
    email: str
    #: The session cookie of a signed-in browser, and the CSRF token its forms carry.
    cookie: str
    csrf: str


@dataclass
class DataSet:
    """What the load generator needs to address the data: ids, cookies, tokens."""

    workshop_id: int
    #: The bulk sessions, each bookable.
    session_ids: list[int] = field(default_factory=list)
    families: list[Family] = field(default_factory=list)
    #: A signed-out browser's cookie and CSRF token, for the login form.
    visitor_cookie: str = ""
    visitor_csrf: str = ""
    private_feed_path: str = ""


def make_app(environment: dict[str, str]) -> Flask:
    """An app configured exactly as the served one (so its cookies are the server's)."""
    from scheduler import config

    return create_app(config.from_environment(environment))


def load_demo(app: Flask, now: datetime) -> None:
    with app.app_context():
        demo.load(now)


def load_network(app: Flask, now: datetime, *, sessions: int, families: int) -> DataSet:
    """The demo, ``sessions`` more sessions and ``families`` signed-in families."""
    with app.app_context():
        demo.load(now)
        facilitator = db.session.scalar(select(User).where(User.role == Role.FACILITATOR))
        assert facilitator is not None
        workshop_id = _add_workshop(facilitator.id, PAGE_SESSIONS, now, title="Six evenings")
        session_ids = bulk.add_sessions(facilitator.id, sessions, now)
        users = _add_families(families, now)
        data = DataSet(workshop_id=workshop_id, session_ids=session_ids)
        data.private_feed_path = _private_feed(users[0], session_ids[:FEED_BOOKINGS], now)
        tokens_by_user = _sign_in(users, now)
    for user_id, email in users:
        cookie, csrf = _cookie(app, _user_id=tokens_by_user[user_id], _fresh=True)
        data.families.append(Family(email=email, cookie=cookie, csrf=csrf))
    data.visitor_cookie, data.visitor_csrf = _cookie(app)
    return data


def _add_workshop(facilitator_id: int, count: int, now: datetime, *, title: str) -> int:
    with write_transaction() as session:
        workshop = Workshop(
            facilitator_id=facilitator_id,
            title=title,
            description="Six evenings for families: what helps, what doesn't, and rest.",
            location="Room 2",
            online_url="",
            timezone="America/New_York",
            status="published",
        )
        session.add(workshop)
        session.flush()
        session.add_all(
            WorkshopSession(
                workshop_id=workshop.id,
                starts_at=now + timedelta(days=3 + 7 * n),
                ends_at=now + timedelta(days=3 + 7 * n, minutes=90),
                capacity=12,
                status="scheduled",
            )
            for n in range(count)
        )
        return workshop.id


def _add_families(count: int, now: datetime) -> list[tuple[int, str]]:
    """``count`` families with confirmed addresses, all with PASSWORD."""
    password_hash = hash_password(PASSWORD)
    emails = [f"family{n:05d}@bench.example.org" for n in range(count)]
    with write_transaction() as session:
        session.execute(
            insert(User),
            [
                {
                    "email": email,
                    "name": f"Household {n}",
                    "password_hash": password_hash,
                    "role": Role.FAMILY,
                    "timezone": "America/New_York",
                    "created_at": now,
                    "email_verified_at": now,
                }
                for n, email in enumerate(emails)
            ],
        )
        rows = session.execute(select(User.id, User.email).where(User.email.in_(emails)))
        by_email = {email: user_id for user_id, email in rows}
    return [(by_email[email], email) for email in emails]


def _private_feed(user: tuple[int, str], session_ids: list[int], now: datetime) -> str:
    """Book ``session_ids`` for one family through the service; return its feed's path."""
    for session_id in session_ids:
        book_seats(session_id, user[0], 1, Needs(), now=now)
    token = feeds.reset_feed_token(user[0])
    return f"/calendar/feeds/{token}.ics"


def _sign_in(users: list[tuple[int, str]], now: datetime) -> dict[int, str]:
    """A sign-in row per family, as a login makes it; returns each one's cookie token."""
    made = {user_id: secrets.token_urlsafe(32) for user_id, _ in users}
    with write_transaction() as session:
        session.execute(
            insert(LoginSession),
            [
                {
                    "user_id": user_id,
                    "token_hash": tokens.digest(token),
                    "remember": False,
                    "created_at": now,
                    "expires_at": now + timedelta(days=30),
                }
                for user_id, token in made.items()
            ],
        )
    return made


def _cookie(app: Flask, **signed_in: Any) -> tuple[str, str]:
    """A session cookie and the CSRF token its forms carry, signed as the server signs.

    Made in a request from the load generator's address and User-Agent, so that a
    signed-in cookie carries the identifier Flask-Login's strong protection checks.
    """
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
    ):
        if signed_in:
            session.update(signed_in, _id=_create_identifier())
        csrf = generate_csrf()
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        assert serializer is not None
        name = app.config["SESSION_COOKIE_NAME"]
        return f"{name}={serializer.dumps(dict(session))}", csrf


def now() -> datetime:
    return utcnow().replace(microsecond=0)
