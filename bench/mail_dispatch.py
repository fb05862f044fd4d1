"""Time one outbox dispatcher sending 10,000 due reminders against a bare smtplib loop.

Both send the same messages to the same local aiosmtpd server in the same run. The
dispatcher is Hearth's own ``sweep_once()``: it claims 50 rows at a time, reads what
they are worded from in a few queries, composes each email and writes its bytes
(``wire_email``), then per row records the previous send and re-checks the row in one
transaction, and sends over the sweep's one SMTP connection. The lower bound sends
EmailMessage objects built beforehand (``compose`` + ``build_email`` once per row, so
the very messages the dispatcher sends, Message-IDs included; ``wire_email`` writes the
same bytes) with ``smtplib.SMTP`` over one connection: only the sending is timed. The
ratio dispatcher/smtplib is what is left when the mail server and the wire cost the
same for both. ``send_message`` still flattens each message, which the dispatcher no
longer does, so a third loop sends the same messages flattened beforehand, as bytes
(``sendmail``): the wire and the server alone, the floor for any sender.

A second table splits the fastest dispatcher run into its steps (compose, wire_email,
the SMTP send, the per-row transaction that records a send and re-checks the next row,
and the rest: claims and the batch reads), timed in place by wrapping those functions
in this process for the run; the wrappers cost microseconds.

The SMTP server runs in a child process by default, as a real mail server would; with
``--server-thread`` it shares the dispatcher's process (and its GIL), as in the tests.
Run from the repository root (PostgreSQL too when TEST_DATABASE_URL or --postgres is
given):

    .venv/bin/python bench/mail_dispatch.py
    .venv/bin/python bench/mail_dispatch.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import copy
import gc
import io
import logging
import multiprocessing
import os
import re
import secrets
import smtplib
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock_time
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import parseaddr
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, update

from scheduler import create_app, links
from scheduler.config import normalise_database_url
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.jobs import sweep_once
from scheduler.mail import SMTPTransport, build_email
from scheduler.models import MessageKind, OutboxMessage, OutboxStatus, Role
from scheduler.services import accounts, dispatch, series
from scheduler.services.booking import Needs, book_seats
from scheduler.services.messages import compose
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow, wall_time

#: Due reminders queued for the one booking (its confirmation goes out with them).
REMINDERS = 10_000
#: Timed repeats of each side; the best one counts.
REPEATS = 3
HOST = "127.0.0.1"
MAIL_FROM = "Hearth <no-reply@hearth.test>"
BASE_URL = "http://localhost"
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]+>)", re.I | re.M)


# --- the mail server: aiosmtpd, keeping only each message's Message-ID -------------------


class _Sink:
    """An aiosmtpd handler that accepts everything and remembers the Message-IDs."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        head = raw.split(b"\r\n\r\n", 1)[0]
        match = _MESSAGE_ID.search(head)
        with self.lock:
            self.ids.append(match.group(1).decode() if match else "")
        return "250 Message accepted for delivery"

    def take(self) -> list[str]:
        with self.lock:
            ids, self.ids = self.ids, []
        return ids


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _start_controller(sink: _Sink) -> tuple[Controller, int]:
    controller = Controller(sink, hostname=HOST, port=_free_port())
    controller.start()
    return controller, int(controller.port)


def _serve(pipe: Connection) -> None:
    """Child process: run the server, answer "take" with the IDs received since last time."""
    sink = _Sink()
    controller, port = _start_controller(sink)
    pipe.send(port)
    try:
        while pipe.recv() == "take":
            pipe.send(sink.take())
    finally:
        controller.stop()


class MailServer:
    """aiosmtpd on 127.0.0.1, in a child process (default) or in a thread of this one."""

    def __init__(self, *, in_thread: bool) -> None:
        self._process: Any = None
        self._controller: Controller | None = None
        if in_thread:
            self._sink = _Sink()
            self._controller, self.port = _start_controller(self._sink)
            return
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()
        self.port = int(self._pipe.recv())

    def take(self) -> list[str]:
        """The Message-IDs received since the last call, in order of arrival."""
        if self._controller is not None:
            return self._sink.take()
        self._pipe.send("take")
        ids: list[str] = self._pipe.recv()
        return ids

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._process is not None:
            self._pipe.send("stop")
            self._process.join(10)
            self._pipe.close()
            self._process = None


# --- the database and the app --------------------------------------------------------------


@contextmanager
def database(backend: str, url: str | None, folder: Path) -> Iterator[str]:
    """A fresh SQLite file, or a private PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'hearth-bench.sqlite3'}"
        return
    assert url is not None
    server = normalise_database_url(url)
    schema = f"hearth_bench_{os.getpid()}"
    _schema(server, schema, create=True)
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options=-csearch_path%3D{schema}"
    finally:
        _schema(server, schema, create=False)


def _schema(url: str, schema: str, *, create: bool) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


def make_app(database_url: str, port: int) -> Flask:
    """An app configured like the tests', sending through the local server in clear text."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
            "BASE_URL": BASE_URL,
            "SMTP_HOST": HOST,
            "SMTP_PORT": port,
            "SMTP_SECURITY": "none",
            "MAIL_FROM": MAIL_FROM,
        }
    )


def migrate() -> None:
    logging.disable(logging.INFO)  # alembic's "Running upgrade ..." lines
    try:
        upgrade()
    finally:
        logging.disable(logging.NOTSET)


def queue_reminders(count: int) -> int:
    """One facilitator, family, session and booking, then ``count`` due reminders for it.

    Returns how many messages are due: the reminders and the booking's confirmation.
    """
    facilitator = accounts.create_user(
        email="facilitator@example.org",
        name="Facilitator One",
        password=secrets.token_hex(16),  # nobody logs in
        role=Role.FACILITATOR,
        timezone="America/New_York",
    )
    family = accounts.create_user(
        email="family@example.org",
        name="Family One",
        password=secrets.token_hex(16),  # nobody logs in
        role=Role.FAMILY,
        timezone="America/New_York",
    )
    now = utcnow()
    day = wall_time(now, "America/New_York").date() + timedelta(days=10)
    workshop = series.create_workshop(
        facilitator.id,
        WorkshopDetails(
            title="Family education",
            description="About recovery",
            location="Room 1",
            online_url="",
            publish=True,
        ),
        timezone="America/New_York",
        capacity=5,
        first_start=datetime.combine(day, clock_time(18, 0)),
        duration_minutes=90,
        weeks=1,
        now=now,
    )
    booking = book_seats(workshop.sessions[0].id, family.id, 1, Needs(), now=now)
    now = utcnow()
    with write_transaction() as session:
        session.add_all(
            OutboxMessage(
                key=f"load:{booking.id}:{n}",
                kind=MessageKind.REMINDER,
                recipient_id=booking.family_id,
                booking_id=booking.id,
                session_id=booking.session_id,
                due_at=now,
                not_before=now,
                created_at=now,
            )
            for n in range(count)
        )
    return due_count()


def due_count() -> int:
    db.session.rollback()
    return int(
        db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.not_before <= utcnow(),
            )
        )
        or 0
    )


def reset_outbox() -> None:
    """Make the rows the last repeat sent due and pending again."""
    with write_transaction() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
            .values(
                status=OutboxStatus.PENDING,
                attempts=0,
                last_error="",
                claimed_by=None,
                claimed_until=None,
                sent_at=None,
                not_before=utcnow() - timedelta(minutes=1),
            )
        )
    db.session.remove()
    if db.engine.dialect.name == "postgresql":  # no dead rows left from the last repeat
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE outbox_messages"))


# --- the two senders -----------------------------------------------------------------------


def prebuild(domain: str) -> list[EmailMessage]:
    """compose + build_email for every due row, in the dispatcher's order: its very emails.

    The objects are moved out of the garbage collector's sight as they pile up (10,000
    emails are over a gigabyte of small objects), so that neither sender pays for
    collections walking them.
    """
    db.session.rollback()
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= utcnow())
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
    ).all()
    emails: list[EmailMessage] = []
    for number, row in enumerate(rows):
        message = compose(row)
        assert message is not None
        emails.append(build_email(message, sender=MAIL_FROM, domain=domain))
        if number % 100 == 0:
            gc.freeze()
    db.session.rollback()
    gc.collect()
    gc.freeze()
    return emails


#: Where a dispatcher run spends its time: the steps of send_due, timed in place.
STEPS = ("compose", "wire_email", "smtp send", "record + re-check")


@contextmanager
def timed_steps() -> Iterator[dict[str, float]]:
    """Wrap the dispatcher's steps (in this process only) to add up the seconds in each.

    The rest of a run is claiming each batch and the few queries that read what the
    batch is worded from.
    """
    seconds = dict.fromkeys(STEPS, 0.0)
    targets: list[tuple[Any, str, str]] = [
        (dispatch, "compose", "compose"),
        (dispatch, "wire_email", "wire_email"),
        (SMTPTransport, "send", "smtp send"),
        (dispatch, "_between_sends", "record + re-check"),
    ]
    originals = [getattr(owner, name) for owner, name, _ in targets]

    def timed(function: Any, step: str) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[step] += time.perf_counter() - began

        return wrapper

    for (owner, name, step), original in zip(targets, originals, strict=True):
        setattr(owner, name, timed(original, step))
    try:
        yield seconds
    finally:
        for (owner, name, _), original in zip(targets, originals, strict=True):
            setattr(owner, name, original)


def run_dispatcher(expected: int) -> tuple[float, dict[str, float]]:
    gc.collect()
    with timed_steps() as steps:
        began = time.perf_counter()
        result = sweep_once()
        elapsed = time.perf_counter() - began
    assert (result.sent, result.failed, result.skipped) == (expected, 0, 0), result
    return elapsed, steps


def run_smtplib(port: int, emails: list[EmailMessage]) -> float:
    gc.collect()
    began = time.perf_counter()
    connection = smtplib.SMTP(HOST, port)
    for email in emails:
        connection.send_message(email)
    connection.quit()
    return time.perf_counter() - began


def flatten(emails: list[EmailMessage]) -> list[tuple[str, str, bytes]]:
    """The envelope and bytes ``send_message`` puts on the wire for each email, beforehand.

    Each email is flattened from a shallow copy, as ``send_message`` does, so the objects
    the smtplib loop sends are left as that loop leaves them.
    """
    sender = parseaddr(MAIL_FROM)[1]
    flat = []
    for email in emails:
        buffer = io.BytesIO()
        BytesGenerator(buffer).flatten(copy.copy(email), linesep="\r\n")
        flat.append((sender, str(email["To"]), buffer.getvalue()))
    gc.collect()
    return flat


def run_bytes(port: int, flat: list[tuple[str, str, bytes]]) -> float:
    gc.collect()
    began = time.perf_counter()
    connection = smtplib.SMTP(HOST, port)
    for sender, recipient, data in flat:
        connection.sendmail(sender, [recipient], data)
    connection.quit()
    return time.perf_counter() - began


def check(server: MailServer, expected_ids: Counter[str], what: str) -> None:
    """The server got each expected Message-ID exactly once."""
    received = Counter(server.take())
    assert len(received) == sum(received.values()), f"{what}: a message arrived twice"
    assert received == expected_ids, f"{what}: the server got other messages than expected"


@dataclass(frozen=True)
class Row:
    backend: str
    messages: int
    dispatcher_s: float
    smtplib_s: float
    #: The same messages flattened beforehand and sent as bytes: the wire alone.
    bytes_s: float
    #: Seconds in each of STEPS during the fastest dispatcher run.
    steps: dict[str, float]


def measure(backend: str, url: str | None, server: MailServer, reminders: int, repeats: int) -> Row:
    with tempfile.TemporaryDirectory() as tmp, database(backend, url, Path(tmp)) as database_url:
        app = make_app(database_url, server.port)
        try:
            with app.app_context():
                migrate()
                expected = queue_reminders(reminders)
                emails = prebuild(links.host())
                assert len(emails) == expected
                ids = Counter(str(email["Message-ID"]) for email in emails)
                assert len(ids) == expected, "two rows share a Message-ID"
                flat = flatten(emails)
                server.take()

                dispatcher_s = smtplib_s = bytes_s = float("inf")
                steps: dict[str, float] = {}
                for repeat in range(repeats):
                    if repeat:
                        reset_outbox()
                    assert due_count() == expected
                    elapsed, seconds = run_dispatcher(expected)
                    if elapsed < dispatcher_s:
                        dispatcher_s, steps = elapsed, seconds
                    check(server, ids, "dispatcher")
                    assert due_count() == 0
                    smtplib_s = min(smtplib_s, run_smtplib(server.port, emails))
                    check(server, ids, "smtplib")
                    bytes_s = min(bytes_s, run_bytes(server.port, flat))
                    check(server, ids, "bytes")
        finally:
            emails, flat = [], []
            gc.unfreeze()
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return Row(backend, expected, dispatcher_s, smtplib_s, bytes_s, steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=os.environ.get("TEST_DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1/test",
        default=os.environ.get("TEST_DATABASE_URL"),
        metavar="URL",
        help="also run on PostgreSQL (default: TEST_DATABASE_URL, when set)",
    )
    parser.add_argument("--reminders", type=int, default=REMINDERS, help="due reminders to send")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="best of this many runs")
    parser.add_argument(
        "--server-thread",
        action="store_true",
        help="run aiosmtpd in a thread of this process instead of a child process",
    )
    args = parser.parse_args()

    server = MailServer(in_thread=args.server_thread)
    try:
        rows = [measure("sqlite", None, server, args.reminders, args.repeats)]
        if args.postgres:
            rows.append(measure("postgresql", args.postgres, server, args.reminders, args.repeats))
    finally:
        server.stop()

    where = "a thread of this process" if args.server_thread else "a child process"
    print(
        f"Python {sys.version.split()[0]}, aiosmtpd in {where}, "
        f"best of {args.repeats}, time.perf_counter\n"
    )
    print(
        "| backend | messages | dispatcher (s) | dispatcher msg/s | smtplib (s) "
        "| smtplib msg/s | ratio (dispatcher/smtplib) | bytes loop (s) "
        "| ratio (dispatcher/bytes loop) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row.backend} | {row.messages:,} | {row.dispatcher_s:.2f} "
            f"| {row.messages / row.dispatcher_s:,.0f} | {row.smtplib_s:.2f} "
            f"| {row.messages / row.smtplib_s:,.0f} | {row.dispatcher_s / row.smtplib_s:.2f}x "
            f"| {row.bytes_s:.2f} | {row.dispatcher_s / row.bytes_s:.2f}x |"
        )
    print("\nms per message, fastest dispatcher run: its steps timed in place\n")
    print(
        "| backend | dispatcher | compose | wire_email | smtp send | record + re-check "
        "| claims + batch reads | smtplib loop | bytes loop |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        each = [1000 * row.steps[step] / row.messages for step in STEPS]
        total, lower, wire = (
            1000 * part / row.messages for part in (row.dispatcher_s, row.smtplib_s, row.bytes_s)
        )
        cells = [total, *each, total - sum(each), lower, wire]
        print(f"| {row.backend} | " + " | ".join(f"{ms:.2f}" for ms in cells) + " |")


if __name__ == "__main__":
    main()
