"""The database layer: SQLite set-up, write locks, UTC storage, migrations."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from scheduler import create_app
from scheduler.database import write_transaction
from scheduler.extensions import db as _db
from scheduler.models import AuditEvent, User
from tests.support.app import settings


@pytest.fixture
def sqlite_db(tmp_path):
    """A migrated SQLite database of its own, whatever backend the other tests use."""
    app = create_app(settings(f"sqlite:///{tmp_path / 'hearth.sqlite3'}"))
    with app.app_context():
        upgrade()
        yield _db
        _db.session.remove()
        _db.engine.dispose()


def test_sqlite_runs_in_wal_with_busy_timeout_and_foreign_keys(sqlite_db):
    db = sqlite_db
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_write_transaction_holds_the_write_lock_before_its_first_read(sqlite_db):
    db = sqlite_db
    path = db.engine.url.database
    with write_transaction():
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # released on commit
    other.execute("ROLLBACK")
    other.close()


def _writers_lock_is_free(path: str) -> bool:
    """Ask from another process, as another gunicorn worker would, without waiting."""
    probe = (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "try:\n"
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "except BlockingIOError:\n"
        "    sys.exit(1)\n"
    )
    return subprocess.run([sys.executable, "-c", probe, path], check=False).returncode == 0


def test_sqlite_writers_take_turns_on_a_lock_file_beside_the_database(sqlite_db):
    """Writers of every process queue in the kernel, not in SQLite's sleeping retries."""
    path = f"{sqlite_db.engine.url.database}.writers"
    with write_transaction():
        assert not _writers_lock_is_free(path)
    assert _writers_lock_is_free(path)
    with pytest.raises(ValueError), write_transaction():
        raise ValueError("a rule said no")
    assert _writers_lock_is_free(path)  # a failed transaction gives its turn back too


def test_a_write_transaction_inside_another_is_refused_not_hung(sqlite_db):
    outer = write_transaction()
    with outer, pytest.raises(RuntimeError, match="inside another"), write_transaction():
        pass


def test_plain_reads_do_not_take_the_write_lock(sqlite_db):
    db = sqlite_db
    db.session.execute(text("SELECT 1"))
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()


def test_write_transaction_refuses_changes_made_outside_it(db, make_user):
    user = make_user()
    db.session.get_one(User, user.id).name = "changed outside"
    with pytest.raises(RuntimeError, match="unsaved changes"), write_transaction():
        pass
    db.session.rollback()


def test_write_transaction_rolls_back_on_error(db, make_user):
    user = make_user()
    with pytest.raises(ValueError), write_transaction() as session:
        session.add(AuditEvent(actor_id=user.id, actor_name="x", action="a", subject="s"))
        raise ValueError("boom")
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)) == 0


def test_times_are_stored_as_utc_and_come_back_aware(db, make_user):
    user = make_user()
    eastern = timezone(timedelta(hours=-5))
    with write_transaction() as session:
        session.add(
            AuditEvent(
                actor_id=user.id,
                actor_name="x",
                action="a",
                subject="s",
                created_at=datetime(2027, 1, 5, 18, 0, tzinfo=eastern),
            )
        )
    db.session.expunge_all()
    stored = db.session.scalar(db.select(AuditEvent.created_at))
    assert stored == datetime(2027, 1, 5, 23, 0, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_naive_times_are_refused(db, make_user):
    user = make_user()
    with pytest.raises(Exception, match="naive"), write_transaction() as session:
        session.add(
            AuditEvent(
                actor_id=user.id,
                actor_name="x",
                action="a",
                subject="s",
                created_at=datetime(2027, 1, 5, 18, 0),
            )
        )
    db.session.rollback()


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_database_enforces_seat_and_capacity_rules(db, make_workshop):
    session = make_workshop().sessions[0]
    with pytest.raises(IntegrityError), write_transaction() as tx:
        tx.execute(
            text("UPDATE workshop_sessions SET capacity = 0 WHERE id = :id"), {"id": session.id}
        )
    db.session.rollback()


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
