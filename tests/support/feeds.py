"""Fetching and reading calendar feeds in tests, and counting the queries they cost."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import icalendar
import time_machine
from sqlalchemy import event

from scheduler.models import User
from scheduler.services import feeds
from scheduler.timeutil import utcnow


def vevents(body: bytes) -> dict[str, icalendar.Event]:
    return {str(e["uid"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


def token_of(db, user: User) -> str:
    db.session.rollback()
    return feeds.feed_token(db.session.get_one(User, user.id))


def private_feed(client, db, user: User):
    return client.get(f"/calendar/feeds/{token_of(db, user)}.ics")


@contextmanager
def counting_queries(db):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):  # SQLite's explicit transaction start
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def later(seconds: int = 2):
    """Step the clock past the newest change, so Last-Modified is a completed second."""
    return time_machine.travel(utcnow() + timedelta(seconds=seconds), tick=False)


def reads_only_counters(statement: str) -> bool:
    """Whether a statement reads feed counters by primary key, and nothing else."""
    text = " ".join(statement.lower().split())
    return (
        text.startswith("select feed_states.")
        and "from feed_states where feed_states.name in " in text
        and " join " not in text
        and "group by" not in text
    )
