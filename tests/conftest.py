"""Shared fixtures: an app on a real database (SQLite always, PostgreSQL when configured)."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from time import monotonic, sleep
from typing import Any

import pytest
import sqlalchemy as sa
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from hypothesis import settings as hypothesis_settings

from scheduler import create_app
from scheduler.config import normalise_database_url
from scheduler.database import write_transaction
from scheduler.extensions import db as _db
from scheduler.extensions import limiter
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
        # Most tests post far faster than any person; tests/test_rate_limits.py turns
        # the limits on and checks each one.
        "RATELIMIT_ENABLED": False,
        # Tests travel days ahead with a client logged in; tests/test_sessions.py checks
        # that sign-ins end after the real SIGN_IN_HOURS.
        "SIGN_IN_HOURS": 24 * 3650,
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
    """Run one test inside a shared app's context, then put the app back as it was.

    Building an app (and compiling its templates) costs more than most tests, so each
    worker builds one per kind of settings and lends it out. A test may change
    ``app.config``; the settings it found come back afterwards, and the tables it
    filled are emptied, so the next test starts from the same place. The connection
    pool stays open: closing SQLite's last connection checkpoints its journal, which
    cost ~10 ms a test.
    """
    before = dict(app.config)
    # Flask-Limiter keeps its on/off switch and store on the one Limiter object, not on
    # the app: an app a test made with limits on would leave them on for the next test.
    limiter.init_app(app)
    try:
        with app.app_context():
            yield app
            _empty_tables()
    finally:
        app.config.clear()
        app.config.update(before)


def _shared_app(database_url: str, **overrides: Any) -> Flask:
    app = create_app(settings(database_url, **overrides))
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture(scope="session")
def _plain_app(database_url: str) -> Flask:
    return _shared_app(database_url)


@pytest.fixture(scope="session")
def _csrf_checking_app(database_url: str) -> Flask:
    return _shared_app(database_url, WTF_CSRF_ENABLED=True)


@pytest.fixture
def app(_plain_app: Flask) -> Iterator[Flask]:
    with _serving(_plain_app) as app:
        yield app


@pytest.fixture
def csrf_app(_csrf_checking_app: Flask) -> Iterator[Flask]:
    """An app that checks CSRF tokens as production does (the `app` fixture skips them)."""
    with _serving(_csrf_checking_app) as app:
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


# --- A real SMTP server (aiosmtpd) for mail tests -------------------------------------


@dataclass(frozen=True)
class ReceivedEmail:
    """One message as the SMTP server took it in."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes
    #: Which connection carried it (numbered from 1 over the server's life).
    connection: int
    #: The user name the client logged in with, if it did.
    login: str | None
    #: Whether the message came over TLS (implicit or after STARTTLS).
    encrypted: bool


class _RecordingSMTP(SMTP):
    """aiosmtpd's protocol, telling the test server when a connection opens and closes."""

    def __init__(self, server: SMTPServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server
        self.number = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        first = self.transport is None  # STARTTLS calls this again on the same connection
        super().connection_made(transport)
        if first:
            self.number = self.test_server._opened(self)

    def connection_lost(self, error: Exception | None) -> None:
        self.test_server._closed(self)
        super().connection_lost(error)


class _Controller(Controller):
    def __init__(self, server: SMTPServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.test_server = server

    def factory(self) -> SMTP:
        return _RecordingSMTP(self.test_server, self.handler, **self.SMTP_kwargs)


class SMTPServer:
    """A real SMTP server on 127.0.0.1 that keeps what it receives, for one test session.

    ``stop()`` and ``start()`` simulate an outage (the port stays the same);
    ``drop_connections()`` simulates a server hanging up on idle clients. AUTH is
    offered (without TLS too) and accepts ``USERNAME``/``PASSWORD``; logging in is
    optional. Recipients ``@refused.example`` are refused with a 550. With ``tls``
    ("starttls" or "ssl") and a server ``SSLContext`` it speaks TLS only.
    """

    host = "127.0.0.1"
    USERNAME = "hearth"
    PASSWORD = "smtp-secret"

    def __init__(self, tls: str | None = None, context: ssl.SSLContext | None = None) -> None:
        assert (tls is None) == (context is None), "TLS needs a server context"
        self.tls = tls
        self._context = context
        with socket.socket() as probe:  # a free port, kept across stop() and start()
            probe.bind((self.host, 0))
            self.port: int = probe.getsockname()[1]
        self.messages: list[ReceivedEmail] = []
        self._lock = threading.Lock()
        self._live: set[_RecordingSMTP] = set()
        self._opened_total = 0
        self._counted_from = 0
        self._controller: _Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def open_connections(self) -> int:
        """How many client connections are open right now."""
        with self._lock:
            return len(self._live)

    def wait_all_closed(self, timeout: float = 2.0) -> bool:
        """Wait until every client has hung up; say whether they did."""
        try:
            self._wait(lambda: not self._live, timeout)
        except TimeoutError:
            return False
        return True

    @property
    def connections(self) -> int:
        """How many connections clients opened since the last ``clear()``."""
        with self._lock:
            return self._opened_total - self._counted_from

    def clear(self) -> None:
        """Forget received messages and counted connections."""
        with self._lock:
            self.messages.clear()
            self._counted_from = self._opened_total

    def start(self) -> None:
        if self._controller is not None:
            return
        tls_options: dict[str, Any] = {}
        if self.tls == "starttls":
            tls_options = {"tls_context": self._context, "require_starttls": True}
        elif self.tls == "ssl":
            tls_options = {"ssl_context": self._context}
        controller = _Controller(
            self,
            _Handler(self),
            hostname=self.host,
            port=self.port,
            authenticator=self._authenticate,
            auth_require_tls=False,
            **tls_options,
        )
        with self._lock:
            before = self._opened_total
        controller.start()
        # aiosmtpd opens one connection itself to check the server answers; wait for it
        # to end and leave it out of the count.
        self._wait(lambda: self._opened_total > before and not self._live)
        with self._lock:
            self._opened_total -= 1
        self._controller = controller

    def stop(self) -> None:
        """Hang up on every client and stop listening: the server is down."""
        if self._controller is None:
            return
        self.drop_connections()
        self._controller.stop()
        self._controller = None

    def drop_connections(self, reply: str | None = None) -> None:
        """Close every open connection, first sending ``reply`` (e.g. a 421 line) if given."""
        controller = self._controller
        if controller is None:
            return

        def close_all() -> None:
            for protocol in list(self._live):
                if protocol.transport is not None:
                    if reply:
                        protocol.transport.write(f"{reply}\r\n".encode())
                    protocol.transport.close()

        controller.loop.call_soon_threadsafe(close_all)
        self._wait(lambda: not self._live)

    def _opened(self, protocol: _RecordingSMTP) -> int:
        with self._lock:
            self._live.add(protocol)
            self._opened_total += 1
            return self._opened_total

    def _closed(self, protocol: _RecordingSMTP) -> None:
        with self._lock:
            self._live.discard(protocol)

    def _received(self, email: ReceivedEmail) -> None:
        with self._lock:
            self.messages.append(email)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        valid = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(),
            auth_data.password.decode(),
        ) == (self.USERNAME, self.PASSWORD)
        return AuthResult(success=valid, handled=False, auth_data=auth_data if valid else None)

    def _wait(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = monotonic() + timeout
        while not condition():
            if monotonic() > deadline:
                raise TimeoutError("the test SMTP server did not settle")
            sleep(0.005)


class _Handler:
    #: Recipients at this domain are refused, as a server refuses an unknown mailbox.
    REFUSED_DOMAIN = "@refused.example"

    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower().endswith(self.REFUSED_DOMAIN):
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        auth = session.auth_data
        self.server._received(
            ReceivedEmail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=list(envelope.rcpt_tos),
                message=BytesParser(policy=email_policy.default).parsebytes(raw),
                raw=raw,
                connection=getattr(server, "number", 0),
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
                encrypted=server.transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 Message accepted for delivery"


@dataclass(frozen=True)
class LocalCA:
    """A certificate authority of the test run and a server certificate for 127.0.0.1."""

    #: PEM file of the CA, for SSL_CERT_FILE.
    ca_file: str
    server_context: ssl.SSLContext


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
