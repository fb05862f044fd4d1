"""Send due outbox rows: claimed safely by any number of dispatchers, each sent once.

A sweep claims a batch with a short lease (PostgreSQL skips rows another dispatcher
holds, ``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a time anyway), words the
whole batch from what a few queries read (``messages.preload``) and writes each email's
bytes (``mail.wire_email``). Then, for each row, one short transaction records the
previous send and re-checks the row (``messages.revisions``: still pending and ours,
nothing it was worded from changed, or else worded again), and the email goes out.
A dispatcher that dies mid-sweep leaves its leases to run out, and the rows go out
later: the only possible duplicate is the one message that was on the wire when it died.
"""

from __future__ import annotations

import functools
import os
import secrets
import smtplib
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, Protocol, cast

from sqlalchemy import Select, Table, Update, bindparam, func, or_, select, update

from scheduler import links, settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.mail import WireEmail, wire_email
from scheduler.models import OutboxMessage, OutboxStatus
from scheduler.services.locks import lock_free
from scheduler.services.messages import (
    Loaded,
    Revision,
    compose,
    preload,
    revisions,
    revisions_query,
    worded_ahead,
)
from scheduler.timeutil import utcnow

#: Rows claimed at a time: small, so a crash strands little and others share the work.
BATCH = 50
#: After this many failed attempts a message is marked failed, for an admin to see.
MAX_ATTEMPTS = 8
#: Retry delays double from the first (OUTBOX_FIRST_RETRY_SECONDS), up to this cap.
LONGEST_RETRY = timedelta(hours=6)

#: Errors that mean "the mail server is not there": stop the sweep, retry later.
CONNECTION_ERRORS = (
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    socket.timeout,
    TimeoutError,
)


#: What a transport sends: the bytes for the wire, or smtplib's own path (SMTPUTF8).
Email = WireEmail | EmailMessage


class Transport(Protocol):
    def send(self, email: Email) -> None: ...


class LazyConnection:
    """Open the transport on the first message only, and once per sweep.

    A sweep with nothing due opens no connection; a mail server that is down fails the
    first message's send, which is then retried with backoff like any failed attempt.
    """

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._open = False

    def send(self, email: Email) -> None:
        if not self._open:
            self._transport.__enter__()
            self._open = True
        self._transport.send(email)

    def close(self) -> None:
        if self._open:
            self._open = False
            self._transport.__exit__(None, None, None)


@dataclass(frozen=True)
class SweepResult:
    sent: int
    failed: int
    skipped: int


def worker_name() -> str:
    """Name this dispatcher in its claims: host, process and a random part."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{secrets.token_hex(4)}"


def _lease() -> timedelta:
    return settings.current().outbox_lease


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4 ... minutes by default, at most six hours."""
    first = settings.current().outbox_first_retry
    return min(first * (2 ** max(attempts - 1, 0)), LONGEST_RETRY)


def claim(worker: str, now: datetime, limit: int = BATCH) -> list[int]:
    """Lease up to ``limit`` due rows to ``worker``; return their ids, oldest first."""
    with write_transaction():
        ids = lock_free(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.not_before <= now,
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            )
            .order_by(OutboxMessage.not_before, OutboxMessage.id)
            .limit(limit)
        )
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(claimed_by=worker, claimed_until=now + _lease())
            )
    return ids


@dataclass(frozen=True)
class _Worded:
    """A claimed row, its email, and what the email was worded from."""

    row_id: int
    #: None for the rows worded just before sending (see ``messages.worded_ahead``).
    email: Email | None
    #: The row's ``messages.revisions`` when it was worded.
    revision: Revision


def _email(row: OutboxMessage, loaded: Loaded | None = None) -> Email | None:
    """Word and build a row's email; None when there is nothing to say. ValueError: unbuildable."""
    message = compose(row, loaded)
    if message is None:
        return None
    return wire_email(message, sender=settings.current().mail_from, domain=links.host())


def _word(ids: list[int], worker: str) -> list[_Worded]:
    """Word the claimed rows still ours, reading what they need in a few queries.

    Reads only, so no write lock is held while wording; rows with nothing left to say,
    and emails that can never be built (not retried), are recorded afterwards together.
    """
    db.session.rollback()  # read the rows as they are since the claim
    # The versions first: on PostgreSQL each statement sees the latest commits, so what is
    # loaded next is at least as new, and a change in between shows before sending.
    revision = revisions(ids)
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(revision), OutboxMessage.claimed_by == worker)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .execution_options(populate_existing=True)
    ).all()
    loaded = preload([row for row in rows if worded_ahead(row)])
    order = {row_id: position for position, row_id in enumerate(ids)}
    worded: list[_Worded] = []
    cancelled: list[int] = []
    failed: dict[int, ValueError] = {}
    for row in sorted(rows, key=lambda row: order[row.id]):
        if not worded_ahead(row):
            worded.append(_Worded(row.id, None, revision[row.id]))
            continue
        try:
            email = _email(row, loaded)
        except ValueError as error:
            failed[row.id] = error
            continue
        if email is None:
            cancelled.append(row.id)
        else:
            worded.append(_Worded(row.id, email, revision[row.id]))
    if cancelled or failed:
        with write_transaction():
            _finish(cancelled, worker, status=OutboxStatus.CANCELLED)
            _fail(failed, worker)
    return worded


def _finish(ids: Iterable[int], worker: str, **values: Any) -> None:
    """End ``worker``'s claim on the rows still pending and its own, setting ``values``."""
    if ids := list(ids):
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(claimed_by=None, claimed_until=None, **values)
            .execution_options(synchronize_session=False)
        )


def _fail(failures: dict[int, ValueError], worker: str) -> None:
    """Mark rows whose email can never be built as failed: retrying would not help."""
    for row_id, error in failures.items():  # rare: one UPDATE each
        _finish(
            [row_id], worker, status=OutboxStatus.FAILED, last_error=f"ValueError: {error}"[:1000]
        )


@functools.cache
def _sent() -> Update:
    """Mark one row sent: a Core statement built once, as it runs once a message."""
    outbox = cast(Table, OutboxMessage.__table__)
    return (
        update(outbox)
        .where(outbox.c.id == bindparam("row"), outbox.c.claimed_by == bindparam("worker"))
        .where(outbox.c.status == OutboxStatus.PENDING)
        .values(
            status=OutboxStatus.SENT,
            sent_at=bindparam("moment"),
            last_error="",
            attempts=outbox.c.attempts + 1,
            claimed_by=None,
            claimed_until=None,
        )
    )


def _record(row_id: int, worker: str, error: Exception | None) -> None:
    """Write the outcome of one attempt to send a row, inside the caller's transaction."""
    if error is None:
        values = {"row": row_id, "worker": worker, "moment": utcnow()}
        db.session.connection().execute(_sent(), values)
        return
    attempts = db.session.scalar(select(OutboxMessage.attempts).where(OutboxMessage.id == row_id))
    if attempts is None:
        return
    attempts += 1
    retry = (
        {"status": OutboxStatus.FAILED}
        if attempts >= MAX_ATTEMPTS
        else {"not_before": utcnow() + retry_delay(attempts)}
    )
    last_error = f"{type(error).__name__}: {error}"[:1000]
    _finish([row_id], worker, attempts=attempts, last_error=last_error, **retry)


def _recheck(item: _Worded, worker: str) -> Email | None:
    """The row's email if it is still to go out as worded, or worded again now."""
    found = revisions([item.row_id]).get(item.row_id)
    if found is None or found.status != OutboxStatus.PENDING or found.claimed_by != worker:
        return None  # withdrawn, sent or taken over since the claim
    if item.email is not None and found == item.revision:
        return item.email
    row = db.session.get_one(OutboxMessage, item.row_id)
    try:
        email = _email(row)
    except ValueError as error:
        _fail({row.id: error}, worker)
        return None
    if email is None:
        _finish([row.id], worker, status=OutboxStatus.CANCELLED)
    return email


Outcome = tuple[int, Exception | None]


@functools.cache
def _sent_then_revisions() -> Select[Any]:
    """Mark a row sent and read the next one's revision: one statement (PostgreSQL)."""
    return revisions_query().add_cte(_sent().cte("sent"))


def _sent_and_revision(row_id: int | None, upcoming: _Worded | None, worker: str) -> Revision:
    """On PostgreSQL, record a send and re-read the next row in one round trip.

    One statement is its own transaction, atomic like any other, so it runs autocommitted
    rather than in ``write_transaction``: no BEGIN and COMMIT round trips to wait for
    (every message pays them), and it returns once the send is recorded, as durably as
    any commit. It takes no row locks.
    """
    db.session.rollback()  # the batch's reads, if still open
    connection = db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    statement = revisions_query() if row_id is None else _sent_then_revisions()
    ids = [upcoming.row_id] if upcoming is not None else []
    values = {"row": row_id, "worker": worker, "moment": utcnow(), "ids": ids}
    found = connection.execute(statement, values).one_or_none()
    db.session.commit()  # gives the connection back; there is nothing left to commit
    return Revision(found or ())


def _between_sends(done: Outcome | None, upcoming: _Worded | None, worker: str) -> Email | None:
    """Record the last send, then check the next row is still to go, as worded or anew.

    The last send is recorded before the next one starts, so a dispatcher killed at any
    moment leaves at most the one message it had on the wire unrecorded.
    """
    if (done is None or done[1] is None) and _dialect() == "postgresql":
        found = _sent_and_revision(done[0] if done else None, upcoming, worker)
        if upcoming is None:
            return None
        if upcoming.email is not None and found == upcoming.revision:
            return upcoming.email
        done = None  # recorded; what changed since the wording is looked at below
    with write_transaction():
        if done is not None:
            row_id, error = done
            _record(row_id, worker, error)
        return _recheck(upcoming, worker) if upcoming is not None else None


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def send_due(
    transport: Transport, *, now: datetime | None = None, worker: str | None = None
) -> SweepResult:
    """One sweep: send every message due at ``now`` through one open transport."""
    now = now or utcnow()
    worker = worker or worker_name()
    sent = failed = skipped = 0
    while ids := claim(worker, now):
        batch = _word(ids, worker)
        skipped += len(ids) - len(batch)
        done: Outcome | None = None
        for position, item in enumerate(batch):
            email = _between_sends(done, item, worker)
            done = None
            if email is None:
                skipped += 1
                continue
            try:
                transport.send(email)
            except CONNECTION_ERRORS as error:
                with write_transaction():
                    _record(item.row_id, worker, error)
                    _finish((later.row_id for later in batch[position + 1 :]), worker)
                return SweepResult(sent, failed + 1, skipped)
            except (smtplib.SMTPException, OSError) as error:
                failed += 1
                done = (item.row_id, error)
                continue
            sent += 1
            done = (item.row_id, None)
        if done is not None:
            _between_sends(done, None, worker)
    return SweepResult(sent, failed, skipped)


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]
    #: Messages that failed for good, or are waiting to retry after a failure, newest first.
    troubled: list[OutboxMessage]


def overview(limit: int = 100) -> OutboxOverview:
    """What an admin needs to see whether mail is flowing."""
    counts = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        .tuples()
        .all()
    )
    troubled = list(
        db.session.scalars(
            select(OutboxMessage)
            .where(
                or_(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.attempts > 0),
                )
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )
    return OutboxOverview({status: counts.get(status, 0) for status in OutboxStatus}, troubled)
