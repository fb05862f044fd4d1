"""Engine set-up and the one way services open a write transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.extensions import db

#: How long an SQLite writer waits for the write lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Key in ``Session.info`` set while :func:`write_transaction` runs its block.
_WRITING = "hearth.write_transaction"


def configure_engine(engine: Engine) -> None:
    """Give SQLite WAL, a busy timeout, foreign keys and explicit transaction control."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The sqlite3 module's legacy transaction handling begins transactions lazily,
        # after the first read; turn it off and emit BEGIN ourselves (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A write transaction must hold the write lock before its first read, or two
        # writers can both read "one seat left" (or fail with SQLITE_BUSY mid-way).
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run the block in one transaction that takes the database's write lock first.

    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL the block locks the rows it
    guards with ``SELECT ... FOR UPDATE`` (``with_for_update()``), which SQLite ignores.
    Commits on success, rolls back on any exception.
    """
    session = db.session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unsaved changes outside a service transaction")
    # End the request's read transaction so the write lock is the first thing taken.
    session.rollback()
    session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    session.info[_WRITING] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info.pop(_WRITING, None)


def in_write_transaction() -> bool:
    """Tell whether the current session is inside :func:`write_transaction`.

    A row lock taken anywhere else would be released by the next commit or rollback
    (or, on SQLite, guard nothing), so the lock helpers ask before locking.
    """
    return bool(db.session.info.get(_WRITING))
