"""Send due outbox rows: claimed safely by any number of dispatchers, each sent once.

A sweep claims a batch with a short lease (PostgreSQL skips rows another dispatcher
holds, ``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a time anyway), then for
each row: re-checks it under its lock, sends it, and records the result. A dispatcher
that dies mid-sweep leaves its leases to run out, and the rows go out later: the only
possible duplicate is the one message that was on the wire when it died.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import func, or_, select, update

from scheduler import links, settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.mail import build_email
from scheduler.models import OutboxMessage, OutboxStatus
from scheduler.services.locks import lock, lock_free
from scheduler.services.messages import compose
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


class Transport(Protocol):
    def send(self, email: object) -> None: ...


class LazyConnection:
    """Open the transport on the first message only, and once per sweep.

    A sweep with nothing due opens no connection; a mail server that is down fails the
    first message's send, which is then retried with backoff like any failed attempt.
    """

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._open = False

    def send(self, email: object) -> None:
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


def _locked_row(row_id: int, worker: str) -> OutboxMessage | None:
    """Return the row if it is still pending and still ours, holding its lock."""
    row = next(iter(lock(OutboxMessage, [row_id])), None)
    if row is None or row.status != OutboxStatus.PENDING or row.claimed_by != worker:
        return None
    return row


def _prepare(row_id: int, worker: str) -> object | None:
    """Re-check a claimed row and build its email; None when it should not go out."""
    with write_transaction():
        row = _locked_row(row_id, worker)
        if row is None:
            return None
        message = compose(row)
        if message is None:
            row.status = OutboxStatus.CANCELLED
            row.claimed_by = row.claimed_until = None
            return None
        try:
            return build_email(message, sender=settings.current().mail_from, domain=links.host())
        except ValueError as error:  # a message that can never be built: don't retry it
            row.status = OutboxStatus.FAILED
            row.last_error = f"ValueError: {error}"[:1000]
            row.claimed_by = row.claimed_until = None
            return None


def _record(row_id: int, worker: str, error: Exception | None) -> bool:
    """Write the outcome of one attempt; return False when the row was marked failed."""
    now = utcnow()
    with write_transaction():
        row = _locked_row(row_id, worker)
        if row is None:
            return True
        row.claimed_by = row.claimed_until = None
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.last_error = OutboxStatus.SENT, now, ""
            return True
        row.last_error = f"{type(error).__name__}: {error}"[:1000]
        if row.attempts >= MAX_ATTEMPTS:
            row.status = OutboxStatus.FAILED
            return False
        row.not_before = now + retry_delay(row.attempts)
        return True


def _release(ids: list[int], worker: str) -> None:
    """Give back claimed rows this sweep will not get to (the mail server went away)."""
    if ids:
        with write_transaction() as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )


def send_due(
    transport: Transport, *, now: datetime | None = None, worker: str | None = None
) -> SweepResult:
    """One sweep: send every message due at ``now`` through one open transport."""
    now = now or utcnow()
    worker = worker or worker_name()
    sent = failed = skipped = 0
    while ids := claim(worker, now):
        for position, row_id in enumerate(ids):
            email = _prepare(row_id, worker)
            if email is None:
                skipped += 1
                continue
            try:
                transport.send(email)
            except CONNECTION_ERRORS as error:
                _record(row_id, worker, error)
                _release(ids[position + 1 :], worker)
                return SweepResult(sent, failed + 1, skipped)
            except (smtplib.SMTPException, OSError) as error:
                failed += 1
                _record(row_id, worker, error)
                continue
            _record(row_id, worker, None)
            sent += 1
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
