"""Engine set-up, the one way services open a write transaction, and SQL both databases
speak alike (a local day of the week)."""

from __future__ import annotations

import fcntl
import functools
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Table, TextClause, bindparam, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

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
        dbapi_connection.create_function(
            _LOCAL_WEEKDAY, 2, _sqlite_local_weekday, deterministic=True
        )
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
    with _writers_queue(session.get_bind()):
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


class _WriterQueue:
    """SQLite writers of every thread and process on one database file, queued in turn.

    SQLite makes a writer that finds the write lock taken sleep and try again (1, 2,
    5 ... up to 100 ms between tries), and a newcomer can take the lock while it
    sleeps: under a burst of bookings most waited a few milliseconds and some seconds
    (a p99 of 1.4 s against a p50 of 75 ms). Here a writer first waits its turn on a
    lock the kernel hands over the moment it is released (``flock`` on a file beside
    the database, and a thread lock, since ``flock`` doesn't exclude threads sharing
    the file), then begins; SQLite's busy timeout still covers writers outside Hearth.
    A process that dies holding the ``flock`` releases it with its files.
    """

    def __init__(self, path: str) -> None:
        self._path = path
        self._threads = threading.Lock()
        self._file: tuple[int, int] | None = None  # (pid, descriptor): reopened after fork
        self._holder: int | None = None  # the thread whose turn it is

    def _descriptor(self) -> int:
        if self._file is None or self._file[0] != os.getpid():
            self._file = (os.getpid(), os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600))
        return self._file[1]

    @contextmanager
    def turn(self) -> Iterator[None]:
        if self._holder == threading.get_ident():
            # Waiting for itself would hang this thread for good: say what is wrong.
            raise RuntimeError("a write transaction inside another on the same database")
        with self._threads:
            self._holder = threading.get_ident()
            descriptor = self._descriptor()
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(descriptor, fcntl.LOCK_UN)
                self._holder = None


_queues: dict[str, _WriterQueue] = {}
_queues_lock = threading.Lock()


def _writers_queue(bind: Any) -> AbstractContextManager[None]:
    """The queue of writers to the bind's SQLite file; nothing for PostgreSQL or memory."""
    url = bind.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return nullcontext()
    with _queues_lock:
        queue = _queues.get(url.database)
        if queue is None:
            queue = _queues[url.database] = _WriterQueue(f"{url.database}.writers")
    return queue.turn()


def in_write_transaction() -> bool:
    """Tell whether the current session is inside :func:`write_transaction`.

    A row lock taken anywhere else would be released by the next commit or rollback
    (or, on SQLite, guard nothing), so the lock helpers ask before locking.
    """
    return bool(db.session.info.get(_WRITING))


@functools.cache
def insert_on_conflict(
    table: Table, columns: tuple[str, ...], unique: str, action: str = "DO NOTHING"
) -> TextClause:
    """``INSERT ... ON CONFLICT (unique) <action>`` as a statement SQLAlchemy caches.

    The dialects' own ``insert().on_conflict_do_*()`` can't be cached by SQLAlchemy 2.0,
    so it was compiled anew on every execution: about a millisecond of CPU, twice in
    every booking. SQLite and PostgreSQL read this spelling alike; each value is bound
    with its column's type, so times are stored as the ORM stores them. ``action`` is
    trusted SQL from the caller's code, never user input.
    """
    names = ", ".join(f'"{name}"' for name in columns)
    values = ", ".join(f":{name}" for name in columns)
    statement = text(
        f"INSERT INTO {table.name} ({names}) VALUES ({values}) ON CONFLICT ({unique}) {action}"  # noqa: S608
    )
    return statement.bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))


_LOCAL_WEEKDAY = "hearth_local_weekday"


class local_weekday(FunctionElement[int]):
    """``local_weekday(instant, zone)``: the day of the week (0 is Monday) a stored UTC
    instant falls on in an IANA zone, in SQL.

    The day is the zone's own for that instant, so a session at 00:30 on a Tuesday in
    Auckland is a Tuesday (a Monday in UTC), and a weekly series keeps its day across
    daylight-saving changes, as its wall time does. PostgreSQL converts with its time
    zone database (``AT TIME ZONE``); SQLite has none, so each connection is given a
    function that converts with ``zoneinfo``. Nothing is stored, so a session moved by
    any code, or written in bulk, is always on its right day.
    """

    type = Integer()
    inherit_cache = True
    name = _LOCAL_WEEKDAY


@compiles(local_weekday)
def _weekday_by_function(element: local_weekday, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{_LOCAL_WEEKDAY}({compiler.process(element.clauses, **kw)})"


@compiles(local_weekday, "postgresql")
def _weekday_at_time_zone(element: local_weekday, compiler: SQLCompiler, **kw: Any) -> str:
    instant, zone = (compiler.process(clause, **kw) for clause in element.clauses)
    # ISODOW counts Monday as 1: one less is Python's weekday().
    return f"(CAST(EXTRACT(ISODOW FROM ({instant} AT TIME ZONE {zone})) AS INTEGER) - 1)"


def _sqlite_local_weekday(stored: str | None, zone: str | None) -> int | None:
    """SQLite's side of :class:`local_weekday`: instants are stored as naive UTC text."""
    if stored is None or zone is None:
        return None
    try:
        return (
            datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(ZoneInfo(zone)).weekday()
        )
    except (ValueError, KeyError):  # not a time, or no such zone: on no day
        return None
