"""Keeping the public feed's counter: every transaction that changes a workshop or a
session bumps it, as the last thing before it commits.

The public feed's ETag is then a primary-key read (``versions.public_version``)
instead of an aggregate over every upcoming session, which at a county network's size
(10,000 sessions) is what a calendar app's hourly poll would cost.

Why at commit and not at each flush: every such transaction takes the counter row's
lock last and holds it only while it commits, so two staff edits never wait on each
other in a circle (row locks are otherwise taken in the order docs/architecture.md
gives). Any ORM change counts, whichever service or command makes it; bulk
``insert()``/``update()`` statements on these tables would bypass it, and none is used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, insert, update
from sqlalchemy.orm import Session

from scheduler.models import FeedState, Workshop, WorkshopSession
from scheduler.timeutil import utcnow

PUBLIC = "public"
#: Key in ``Session.info``: the newest change time of a workshop or session this
#: transaction flushed, until the counter is bumped.
_CHANGED_AT = "hearth.public_feed_changed_at"


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = [
        thing
        for thing in (*session.new, *session.dirty, *session.deleted)
        if isinstance(thing, Workshop | WorkshopSession)
        and (thing in session.new or thing in session.deleted or session.is_modified(thing))
    ]
    if changed:
        newest = max((thing.updated_at or utcnow()) for thing in changed)
        earlier: datetime | None = session.info.get(_CHANGED_AT)
        session.info[_CHANGED_AT] = max(newest, earlier) if earlier else newest


@event.listens_for(Session, "before_commit")
def _bump_public_counter(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # what commit would flush anyway, so its changes are noted
    changed_at = session.info.pop(_CHANGED_AT, None)
    if changed_at is None:
        return
    bumped = session.execute(
        update(FeedState)
        .where(FeedState.name == PUBLIC)
        .values(counter=FeedState.counter + 1, changed_at=changed_at)
    )
    if bumped.rowcount == 0:  # type: ignore[attr-defined]  # a database made without it
        session.execute(insert(FeedState).values(name=PUBLIC, counter=1, changed_at=changed_at))


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED_AT, None)
