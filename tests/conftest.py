"""Shared fixtures: an app on a real database (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import trustme
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings

from scheduler import create_app
from scheduler.config import normalise_database_url
from scheduler.database import write_transaction
from scheduler.extensions import db as _db
from scheduler.models import Booking, Role, User, Workshop
from scheduler.services import accounts, series
from scheduler.services.booking import Needs, book_seats
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow
from tests.support.app import (
    BACKENDS,
    PASSWORD,
    AuthActions,
    IsolatedClient,
    local_start,
    postgresql_schema,
    serving,
    settings,
    shared_app,
)
from tests.support.counseling import make_counselor  # noqa: F401  (a fixture for every module)
from tests.support.smtp import LocalCA, SMTPServer

# Developers' runs explore new random examples; CI replays the same ones each time, so a
# submission is judged on its own change, and prints how to reproduce any failure.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
hypothesis_settings.load_profile("ci" if os.environ.get("CI") else "default")


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
        postgresql_schema(server, schema, create=True)  # fails loudly if unreachable
        separator = "&" if "?" in server else "?"
        url = f"{server}{separator}options=-csearch_path%3D{schema}"
    app = create_app(settings(url))
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    yield url
    if server and schema:
        postgresql_schema(server, schema, create=False)


def _closed_afterwards(app: Flask) -> Iterator[Flask]:
    """Yield the app, then close its pooled connections before the schema is dropped."""
    yield app
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture(scope="session")
def _plain_app(database_url: str) -> Iterator[Flask]:
    yield from _closed_afterwards(shared_app(database_url))


@pytest.fixture(scope="session")
def _csrf_checking_app(database_url: str) -> Iterator[Flask]:
    yield from _closed_afterwards(shared_app(database_url, WTF_CSRF_ENABLED=True))


@pytest.fixture
def app(_plain_app: Flask) -> Iterator[Flask]:
    with serving(_plain_app) as app:
        yield app


@pytest.fixture
def csrf_app(_csrf_checking_app: Flask) -> Iterator[Flask]:
    """An app that checks CSRF tokens as production does (the `app` fixture skips them)."""
    with serving(_csrf_checking_app) as app:
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
        verified: bool = False,
    ) -> User:
        n = next(counter)
        user = accounts.create_user(
            email=email or f"{role}{n}@example.org",
            name=name or f"{role.title()} {n}",
            password=PASSWORD,
            role=role,
            timezone=timezone,
        )
        if verified:  # the household used the link in its welcome email
            with write_transaction() as session:
                session.get_one(User, user.id).email_verified_at = utcnow()
        return user

    return make


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


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture(scope="session")
def local_ca(tmp_path_factory: pytest.TempPathFactory) -> LocalCA:
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
    ca_file = tmp_path_factory.mktemp("tls") / "test-ca.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    return LocalCA(str(ca_file), server_context)


@pytest.fixture
def trust_test_ca(local_ca: LocalCA, monkeypatch: pytest.MonkeyPatch) -> LocalCA:
    """Make ``ssl.create_default_context()`` trust the test CA, as a system store would."""
    monkeypatch.setenv("SSL_CERT_FILE", local_ca.ca_file)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return local_ca


@pytest.fixture
def make_tls_smtp_server(local_ca: LocalCA) -> Iterator[Callable[[str], SMTPServer]]:
    """Start SMTP servers that speak only TLS ("starttls" or "ssl"); stopped afterwards."""
    started: list[SMTPServer] = []

    def make(tls: str) -> SMTPServer:
        server = SMTPServer(tls=tls, context=local_ca.server_context)
        server.start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def _smtp_server_for_session() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_smtp_server_for_session: SMTPServer) -> Iterator[SMTPServer]:
    """The session's SMTP server, running and empty at the start of each test."""
    server = _smtp_server_for_session
    server.start()  # a test before may have stopped it
    server.clear()
    yield server
    server.drop_connections()


@pytest.fixture
def mail_to(app: Flask, smtp_server: SMTPServer) -> SMTPServer:
    """Point the app at the real test SMTP server and return it, empty."""
    app.config.update(
        SMTP_HOST=smtp_server.host,
        SMTP_PORT=smtp_server.port,
        SMTP_SECURITY="none",
        MAIL_FROM="Hearth <no-reply@hearth.test>",
    )
    smtp_server.clear()
    return smtp_server
