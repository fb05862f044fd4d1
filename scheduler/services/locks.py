"""Row locks taken inside a write transaction before any seat or slot is checked.

Every ``SELECT ... FOR UPDATE`` goes through :func:`lock` (or :func:`lock_free` for
the outbox queue), so all of them keep the same rules: keys in one order (two writers can't
deadlock), rows re-read as the lock found them, and only inside ``write_transaction``.

The order in which services take them is in docs/architecture.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, inspect, select
from sqlalchemy.orm import QueryableAttribute

from scheduler.database import in_write_transaction
from scheduler.extensions import Model, db
from scheduler.models import CounselingSettings, User, WorkshopSession
from scheduler.services.errors import DomainError

M = TypeVar("M", bound=Model)
T = TypeVar("T")


def lock(
    model: type[M],
    keys: Iterable[Any],
    *,
    shared: bool = False,
    by: QueryableAttribute[Any] | None = None,
) -> list[M]:
    """Lock the rows of ``model`` whose ``by`` (the primary key unless given) is in ``keys``.

    Returns the rows found, in key order. PostgreSQL takes ``FOR UPDATE``, or ``FOR SHARE``
    when ``shared`` (callers that only need the row to stay as it is, and needn't exclude
    each other); SQLite ignores both, as ``write_transaction`` holds its write lock. Rows
    are re-read (``populate_existing``), so what the caller checks is what the lock
    guards, not a copy loaded earlier in the request.

    Outside ``write_transaction`` a lock would end at the next commit or guard nothing on
    SQLite, so asking for one there is a bug: RuntimeError.
    """
    _require_write_transaction(model.__name__)
    column: ColumnElement[Any] | QueryableAttribute[Any] = (
        by if by is not None else inspect(model).primary_key[0]
    )
    wanted = sorted(set(keys))
    if not wanted:
        return []
    # One row (most calls, and the dispatcher's per message) needs neither IN nor ORDER BY.
    statement = (
        select(model).where(column == wanted[0])
        if len(wanted) == 1
        else select(model).where(column.in_(wanted)).order_by(column)
    )
    return list(
        db.session.scalars(
            statement.with_for_update(read=shared).execution_options(populate_existing=True)
        )
    )


def lock_free(statement: Select[tuple[T]]) -> list[T]:
    """Lock what a queue's ``statement`` picks, passing over rows another worker holds.

    For work queues (the outbox): with ``SKIP LOCKED`` two dispatchers claim different
    rows instead of waiting on each other. The statement's own order and limit stand.
    """
    _require_write_transaction("queue")
    return list(db.session.scalars(statement.with_for_update(skip_locked=True)))


def _require_write_transaction(what: str) -> None:
    if not in_write_transaction():
        raise RuntimeError(f"locking {what} rows outside write_transaction()")


def lock_session(session_id: int) -> WorkshopSession:
    """Lock one session row, or refuse a session that doesn't exist."""
    found = lock(WorkshopSession, [session_id])
    if not found:
        raise DomainError("session_not_found")
    return found[0]


def lock_sessions(session_ids: Iterable[int]) -> list[WorkshopSession]:
    """Lock several session rows; return them in time order, as a series is shown."""
    return sorted(lock(WorkshopSession, session_ids), key=lambda s: s.starts_at)


def lock_family(family_id: int) -> None:
    """Lock a household's account row, so its own bookings made at once count each other.

    Taken before any session or slot lock, in every service that checks a per-family
    limit, so the order is always the same.
    """
    lock(User, [family_id])


def lock_settings(facilitator_id: int, *, shared: bool = False) -> None:
    """Lock a counselor's settings row: re-making slots excludes booking, and vice versa.

    Bookings take it ``shared``: they don't exclude each other, only a re-make.
    """
    lock(CounselingSettings, [facilitator_id], shared=shared, by=CounselingSettings.facilitator_id)
