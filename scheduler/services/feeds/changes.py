"""Keeping the feeds' counters: every transaction that changes what a feed shows bumps
the counters of the feeds it changed, as the last thing before it commits.

A feed's ETag is then built from a few primary-key reads (``versions``) instead of an
aggregate over every session, booking and appointment it shows, which at a county
network's size (10,000 sessions) is what each calendar app's hourly poll would cost.

Which counters a change bumps:

- a workshop or session: ``public``, which every feed's version reads (a private feed
  may be fetched again for another facilitator's edit, never miss its own);
- a booking: its family's and the own counter (``user:<id>``) of each facilitator who
  runs its workshop, the lead and the co-facilitators;
- a co-facilitator added or removed: theirs, and ``public`` (one facilitator's public feed);
- an appointment: its family's and its counselor's;
- a counselor's settings (zone, place, link, shown in appointments): ``counseling``;
- a person's name (or how staff see a household), shown in other people's events:
  ``people``; their wording choices
  (descriptive titles, language), their own counter.

Why at commit and not at each flush: every such transaction takes the counter rows'
locks last, in name order, and holds them only while it commits, so
two transactions never wait on each other in a circle (row locks are otherwise taken in
the order docs/architecture.md gives). Any ORM change counts, whichever service or
command makes it; bulk ``insert()``/``update()`` statements on these tables would
bypass it, and none is used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import InstanceState, Session

from scheduler.database import insert_on_conflict
from scheduler.models import (
    Appointment,
    Booking,
    CounselingSettings,
    FeedState,
    User,
    Workshop,
    WorkshopFacilitator,
    WorkshopSession,
)
from scheduler.timeutil import utcnow

PUBLIC = "public"
COUNSELING = "counseling"
PEOPLE = "people"
#: Key in ``Session.info``: counter name → newest change time, until the commit bumps them.
_CHANGED = "hearth.feed_changes"


def own(user_id: int) -> str:
    """The counter of one person's private feed."""
    return f"user:{user_id}"


def _counters(session: Session, thing: Any) -> set[str]:
    """The feeds a changed record is shown in."""
    if isinstance(thing, Workshop | WorkshopSession):
        return {PUBLIC}
    if isinstance(thing, Booking):
        # Seats taken are in the events of everyone who runs the workshop. The session
        # is in the identity map: every booking service loaded (and locked) it first.
        booked = session.get_one(WorkshopSession, thing.session_id)
        return {own(thing.family_id), *(own(r) for r in booked.workshop.runner_ids)}
    if isinstance(thing, WorkshopFacilitator):
        return {PUBLIC, own(thing.user_id)}
    if isinstance(thing, Appointment):
        return {own(thing.family_id), own(thing.facilitator_id)}
    if isinstance(thing, CounselingSettings):
        return {COUNSELING}
    if isinstance(thing, User):
        state: InstanceState[User] = inspect(thing)
        changed = {a.key for a in state.attrs if a.history.has_changes()}
        # The name others see: its own, or how staff see a household (an alias).
        names = {PEOPLE} if changed & {"name", "staff_name_choice", "alias"} else set()
        if changed & {"descriptive_titles", "language", "role"}:
            names.add(own(thing.id))
        return names
    return set()


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    noted: dict[str, datetime] = session.info.setdefault(_CHANGED, {})
    modified = [thing for thing in session.dirty if session.is_modified(thing)]
    now = utcnow()
    with session.no_autoflush:
        for thing in (*session.new, *modified, *session.deleted):
            names = _counters(session, thing)
            # When the change is made: a row's updated_at is only set as it is written,
            # and Last-Modified must move forward with every change.
            changed_at = max(now, getattr(thing, "updated_at", None) or now)
            for name in names:
                noted[name] = max(changed_at, noted.get(name, changed_at))


@event.listens_for(Session, "before_commit")
def _bump_counters(session: Session) -> None:
    if session.new or session.dirty or session.deleted:
        session.flush()  # what commit would flush anyway, so its changes are noted
    noted: dict[str, datetime] = session.info.pop(_CHANGED, {})
    if not noted:
        return
    upsert = insert_on_conflict(
        FeedState.__table__,
        ("name", "counter", "changed_at"),
        "name",
        "DO UPDATE SET counter = feed_states.counter + 1, changed_at = excluded.changed_at",
    )
    rows = [{"name": name, "counter": 1, "changed_at": noted[name]} for name in sorted(noted)]
    session.connection().execute(upsert, rows)


@event.listens_for(Session, "after_rollback")
def _forget_changes(session: Session) -> None:
    session.info.pop(_CHANGED, None)
