"""The app every test runs against: its settings, a client like a real server's, and
the one app per worker that tests borrow and give back clean."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from scheduler import create_app
from scheduler.extensions import db as _db
from scheduler.extensions import limiter
from scheduler.models import User
from scheduler.timeutil import utcnow, wall_time
from scheduler.web import page_cache
from scheduler.web.feeds import routes as feed_routes

PASSWORD = "correct horse battery"
#: Cheap argon2id parameters so tests don't spend seconds hashing; production uses the defaults.
FAST_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}

#: Every database test runs on SQLite, and on PostgreSQL too when CI names one.
BACKENDS = ["sqlite"]
if os.environ.get("TEST_DATABASE_URL"):
    BACKENDS.append("postgresql")


def settings(database_url: str, **overrides: Any) -> dict[str, Any]:
    """Return the configuration every test app starts from."""
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH": FAST_HASH,
        "BASE_URL": "http://localhost",
        # Most tests post far faster than any person; tests/test_rate_limits.py turns
        # the limits on and checks each one.
        "RATELIMIT_ENABLED": False,
        # Tests travel days ahead with a client logged in; tests/test_sessions.py checks
        # that sign-ins end after the real SIGN_IN_HOURS.
        "SIGN_IN_HOURS": 24 * 3650,
        # Enough connections for the concurrency tests' 40 threads, but only 5 kept open
        # between tests: two test workers each holding forty idle ones would leave
        # PostgreSQL (100 clients by default) none for the next race.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 5, "max_overflow": 50, "pool_timeout": 60},
    }
    config.update(overrides)
    return config


def postgresql_schema(url: str, schema: str, *, create: bool) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context, like a real server.

    Without this, requests reuse the test's app context, so ``g`` (and Flask-Login's
    cached user) and the database session would leak from one request to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # The test's own session may hold an old snapshot; start afresh after a request.
        _db.session.rollback()
        return response


#: Tables whose rows the migrations make and the app only updates: kept between tests,
#: as a real database keeps them.
SEEDED = {"feed_states"}


def empty_tables() -> None:
    _db.session.remove()
    tables = [t for t in _db.metadata.sorted_tables if t.name not in SEEDED]
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())


@contextmanager
def serving(app: Flask) -> Iterator[Flask]:
    """Run one test inside a shared app's context, then put the app back as it was.

    Building an app (and compiling its templates) costs more than most tests, so each
    worker builds one per kind of settings and lends it out. A test may change
    ``app.config``; the settings it found come back afterwards, and the tables it
    filled are emptied, so the next test starts from the same place. The connection
    pool stays open: closing SQLite's last connection checkpoints its journal, which
    cost ~10 ms a test.
    """
    before = dict(app.config)
    # Public pages kept rendered belong to the last test's data (bulk inserts in some
    # tests bypass the counters that would tell).
    page_cache.clear()
    feed_routes.clear()
    # Flask-Limiter keeps its on/off switch and store on the one Limiter object, not on
    # the app: an app a test made with limits on would leave them on for the next test.
    limiter.init_app(app)
    try:
        with app.app_context():
            yield app
            empty_tables()
    finally:
        app.config.clear()
        app.config.update(before)


def shared_app(database_url: str, **overrides: Any) -> Flask:
    app = create_app(settings(database_url, **overrides))
    app.test_client_class = IsolatedClient
    return app


def local_start(days: int = 10, at: time = time(18, 0), zone: str = "America/New_York") -> datetime:
    """Return a naive local wall time ``days`` from today at ``at``."""
    return datetime.combine(wall_time(utcnow(), zone).date() + timedelta(days=days), at)


class AuthActions:
    def __init__(self, client: FlaskClient) -> None:
        self._client = client

    def login(self, user: User | str, password: str = PASSWORD) -> Any:
        email = user if isinstance(user, str) else user.email
        data = {"email": email, "password": password}
        return self._client.post("/login", data=data | self._token_from("/login"))

    def logout(self) -> Any:
        return self._client.post("/logout", data=self._token_from("/"))

    def _token_from(self, page: str) -> dict[str, str]:
        """Take the CSRF token from a rendered page, as a browser would, when the app checks it."""
        if not self._client.application.config["WTF_CSRF_ENABLED"]:
            return {}
        return {"csrf_token": csrf_token_from(self._client.get(page).get_data(as_text=True))}


def csrf_token_from(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)
