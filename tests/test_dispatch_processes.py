"""Exactly once with several dispatcher processes, and after one is killed mid-sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from scheduler.database import write_transaction
from scheduler.models import MessageKind, OutboxMessage, OutboxStatus
from scheduler.timeutil import utcnow

SCRIPT = Path(__file__).parent / "support" / "dispatcher_process.py"
LEASE_SECONDS = 3

pytestmark = pytest.mark.slow


def queue_reminders(booking, count: int) -> None:
    """Put ``count`` due messages in the outbox, as if that many reminders fell due."""
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


def due_count(db) -> int:
    db.session.rollback()
    return db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= utcnow())
    )


def dispatcher_env(database_url: str, smtp_server, **settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "BASE_URL": "http://localhost",
        "SMTP_HOST": smtp_server.host,
        "SMTP_PORT": str(smtp_server.port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "Hearth <no-reply@hearth.test>",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "SCHEDULER_IN_PROCESS": "0",
        **settings,
    }


def start(
    database_url: str, smtp_server, folder: Path, name: str, delay: float = 0.0, **settings: str
):
    env = dispatcher_env(database_url, smtp_server, HEARTH_TEST_SEND_DELAY=str(delay), **settings)
    ready = folder / f"{name}.ready"
    process = subprocess.Popen(
        [sys.executable, str(SCRIPT), str(ready), str(folder / "go")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, ready


def wait_ready(*readies: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not all(r.exists() for r in readies):
        assert time.monotonic() < deadline, "a dispatcher process did not start"
        time.sleep(0.05)


def finish(process) -> dict:
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def message_ids(smtp_server) -> Counter:
    return Counter(m.message["Message-ID"] for m in smtp_server.messages)


def test_two_dispatcher_processes_send_each_of_500_messages_once(
    database_url, smtp_server, make_workshop, make_booking, db, tmp_path
):
    booking = make_booking(make_workshop().sessions[0].id)
    queue_reminders(booking, 520)
    expected = due_count(db)  # the 520 and the booking's confirmation
    smtp_server.clear()

    first, first_ready = start(database_url, smtp_server, tmp_path, "first")
    second, second_ready = start(database_url, smtp_server, tmp_path, "second")
    wait_ready(first_ready, second_ready)
    (tmp_path / "go").touch()
    results = [finish(first), finish(second)]

    ids = message_ids(smtp_server)
    assert sum(r["sent"] for r in results) == expected == len(ids) == sum(ids.values())
    assert all(r["sent"] > 0 for r in results), results  # both really worked
    assert due_count(db) == 0


def test_killed_dispatcher_loses_nothing_and_duplicates_at_most_one(
    database_url, smtp_server, make_workshop, make_booking, db, tmp_path
):
    booking = make_booking(make_workshop().sessions[0].id)
    queue_reminders(booking, 150)
    expected = due_count(db)
    smtp_server.clear()

    # One dispatcher at a time here, so a short lease can't let two claim one row.
    lease = 1.0
    doomed, ready = start(
        database_url, smtp_server, tmp_path, "doomed", delay=0.01, OUTBOX_LEASE_SECONDS=str(lease)
    )
    wait_ready(ready)
    (tmp_path / "go").touch()
    deadline = time.monotonic() + 60
    while len(smtp_server.messages) < 40:
        assert time.monotonic() < deadline and doomed.poll() is None, "no progress"
        time.sleep(0.01)
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.communicate(timeout=30)
    delivered_before = len(smtp_server.messages)
    assert delivered_before < expected  # it really died mid-sweep

    time.sleep(lease + 0.5)  # the dead dispatcher's claims run out
    survivor, survivor_ready = start(
        database_url, smtp_server, tmp_path, "survivor", OUTBOX_LEASE_SECONDS=str(lease)
    )
    wait_ready(survivor_ready)
    finish(survivor)

    ids = message_ids(smtp_server)
    assert len(ids) == expected, "a message was lost"
    duplicates = sum(ids.values()) - len(ids)
    assert duplicates <= 1, f"{duplicates} messages sent twice"  # only the one in flight
    assert due_count(db) == 0


def wait_until(condition, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def due_rows(db, due_by) -> list[OutboxMessage]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.due_at <= due_by).order_by(OutboxMessage.id)
        )
    )


def test_running_dispatcher_holds_mail_while_smtp_is_down_and_sends_each_once_when_back(
    database_url, smtp_server, make_workshop, make_booking, db, tmp_path
):
    booking = make_booking(make_workshop().sessions[0].id)
    queue_reminders(booking, 8)
    queued_at = utcnow()
    expected = due_count(db)  # the 8 and the confirmation (its reminders are days away)
    smtp_server.stop()

    # The real `flask reminders run` process, sweeping five times a second and retrying
    # after 0.2, 0.4, 0.8 s: production's minutes, sped up.
    env = dispatcher_env(
        database_url, smtp_server, OUTBOX_SWEEP_SECONDS="0.2", OUTBOX_FIRST_RETRY_SECONDS="0.2"
    )
    log = (tmp_path / "dispatcher.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "reminders", "run"],
        cwd=SCRIPT.parents[2],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(
            lambda: max(row.attempts for row in due_rows(db, queued_at)) >= 2,
            "a message was retried while the mail server was down",
        )
        rows = due_rows(db, queued_at)
        assert len(rows) == expected
        assert {row.status for row in rows} == {OutboxStatus.PENDING}
        assert smtp_server.messages == []
        tried = [row for row in rows if row.attempts]
        assert all("Connection" in row.last_error for row in tried), tried[0].last_error
        assert all(row.not_before > row.due_at for row in tried)  # pushed back, not hammered

        smtp_server.start()
        wait_until(
            lambda: {row.status for row in due_rows(db, queued_at)} == {OutboxStatus.SENT},
            "every message was sent once the mail server was back",
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        log.close()

    ids = message_ids(smtp_server)
    assert len(ids) == expected == sum(ids.values()), (tmp_path / "dispatcher.log").read_text()
