"""Shared fixtures: an app on a real database (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings

from scheduler import create_app
from scheduler.config import normalise_database_url
from scheduler.extensions import db as _db
from scheduler.models import Booking, Role, User, Workshop
from scheduler.services import accounts, series
from scheduler.services.booking import Needs, book_seats
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow, wall_time

PASSWORD = "correct horse battery"
#: Cheap argon2id parameters so tests don't spend seconds hashing; production uses the defaults.
FAST_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}

# Developers' runs explore new random examples; CI replays the same ones each time, so a
# submission is judged on its own change, and prints how to reproduce any failure.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")

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
        # Enough connections for the concurrency tests' 40 threads.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 45, "max_overflow": 10, "pool_timeout": 60},
    }
    config.update(overrides)
    return config


def _postgresql_schema(url: str, schema: str, *, create: bool) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Migrate a fresh database once per backend; tests then share its schema.

    On PostgreSQL each run gets a schema of its own, so two runs on one server (a
    developer and CI, say) cannot trample each other.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hearth-test.sqlite3'}"
        server, schema = None, None
    else:
        server = normalise_database_url(os.environ["TEST_DATABASE_URL"])
        schema = f"hearth_test_{os.getpid()}"
        _postgresql_schema(server, schema, create=True)  # fails loudly if unreachable
        separator = "&" if "?" in server else "?"
        url = f"{server}{separator}options=-csearch_path%3D{schema}"
    app = create_app(settings(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    yield url
    if server and schema:
        _postgresql_schema(server, schema, create=False)


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


def _empty_tables() -> None:
    _db.session.remove()
    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in _db.metadata.sorted_tables)
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(_db.metadata.sorted_tables):
                conn.execute(table.delete())


@contextmanager
def _serving(app: Flask) -> Iterator[Flask]:
    """Run a test inside the app's context, then empty the tables it filled."""
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        _empty_tables()
        _db.engine.dispose()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    with _serving(create_app(settings(database_url))) as app:
        yield app


@pytest.fixture
def csrf_app(database_url: str) -> Iterator[Flask]:
    """An app that checks CSRF tokens as production does (the `app` fixture skips them)."""
    with _serving(create_app(settings(database_url, WTF_CSRF_ENABLED=True))) as app:
        yield app


@pytest.fixture
def make_app(database_url: str) -> Iterator[Callable[..., Flask]]:
    """Build extra apps with other settings; their connections are closed afterwards."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        extra = create_app(settings(database_url, **overrides))
        extra.test_client_class = IsolatedClient
        made.append(extra)
        return extra

    yield make
    for extra in made:
        with extra.app_context():
            _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(
        role: str = Role.FAMILY,
        *,
        name: str | None = None,
        email: str | None = None,
        timezone: str = "America/New_York",
    ) -> User:
        n = next(counter)
        return accounts.create_user(
            email=email or f"{role}{n}@example.org",
            name=name or f"{role.title()} {n}",
            password=PASSWORD,
            role=role,
            timezone=timezone,
        )

    return make


def local_start(days: int = 10, at: time = time(18, 0), zone: str = "America/New_York") -> datetime:
    """Return a naive local wall time ``days`` from today at ``at``."""
    return datetime.combine(wall_time(utcnow(), zone).date() + timedelta(days=days), at)


@pytest.fixture
def make_workshop(app: Flask, make_user: Callable[..., User]) -> Callable[..., Workshop]:
    def make(
        *,
        facilitator: User | None = None,
        capacity: int = 5,
        weeks: int = 1,
        start: datetime | None = None,
        timezone: str = "America/New_York",
        publish: bool = True,
        duration_minutes: int = 90,
        title: str = "Family education",
    ) -> Workshop:
        facilitator = facilitator or make_user(Role.FACILITATOR)
        return series.create_workshop(
            facilitator.id,
            WorkshopDetails(
                title=title,
                description="About recovery",
                location="Room 1",
                online_url="",
                publish=publish,
            ),
            timezone=timezone,
            capacity=capacity,
            first_start=start or local_start(zone=timezone),
            duration_minutes=duration_minutes,
            weeks=weeks,
            now=utcnow(),
        )

    return make


@pytest.fixture
def make_booking(app: Flask, make_user: Callable[..., User]) -> Callable[..., Booking]:
    def make(
        session_id: int,
        *,
        family: User | None = None,
        seats: int = 1,
        join_waitlist: bool = False,
        needs: Needs | None = None,
        now: datetime | None = None,
    ) -> Booking:
        family = family or make_user(Role.FAMILY)
        return book_seats(
            session_id,
            family.id,
            seats,
            needs or Needs(),
            now=now or utcnow(),
            join_waitlist=join_waitlist,
        )

    return make


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


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


def csrf_token_from(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)
