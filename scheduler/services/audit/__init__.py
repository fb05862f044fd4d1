"""The audit trail: who saw or exported families' data, who acted for them or changed accounts.

Each event names the households whose data it showed or touched (``households``), so a
family reads its own trail (:mod:`.family`) and an admin filters the whole of it
(:mod:`.trail`). Links are written with their event, in one statement for all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import AuditEvent, AuditEventHousehold, User
from scheduler.services.audit.family import FAMILY_WORDS, StaffLook, TrailPage, seen_by_staff
from scheduler.services.audit.trail import (
    MAX_EXPORT,
    PER_PAGE,
    AuditPage,
    EventRow,
    TrailFilter,
    export_rows,
    search,
)

__all__ = [
    "FAMILY_WORDS",
    "MAX_EXPORT",
    "PER_PAGE",
    "AuditPage",
    "EventRow",
    "StaffLook",
    "TrailFilter",
    "TrailPage",
    "add",
    "export_rows",
    "record",
    "search",
    "seen_by_staff",
]


def _event(
    actor: User | None, action: str, subject: str, households: Iterable[int], now: datetime
) -> AuditEvent:
    """An event and its household links, ready to add (one INSERT for all the links).

    The actor's name is kept as staff see it (``User.staff_name``): the trail is read by
    admins, and a household that chose an alias is not named by its real name there.
    """
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_name=actor.staff_name if actor else "",
        action=action,
        subject=subject,
        created_at=now,
    )
    event.household_links = [
        AuditEventHousehold(household_id=household_id) for household_id in sorted(set(households))
    ]
    return event


def record(
    actor: User,
    action: str,
    subject: str,
    households: Iterable[int] = (),
    *,
    now: datetime,
) -> None:
    """Write one audit event in its own transaction, before the data is shown.

    ``households``: every household whose data the page shows (a roster: all on it).
    """
    event = _event(actor, action, subject, households, now)
    with write_transaction() as session:
        session.add(event)


def add(
    actor: User | None,
    action: str,
    subject: str,
    households: Iterable[int] = (),
    *,
    now: datetime,
) -> None:
    """Write one audit event inside the caller's write transaction.

    For changes made on someone's behalf (an account change, a booking made for a
    household): the change and its trail commit together or not at all. ``None`` is
    someone not signed in (a letter of attendance checked by its code): the event keeps
    no id and an empty name, which the audit page words as such (an account removed
    later keeps its name, so the two never look alike). ``households``: the households
    whose data the change touched.
    """
    db.session.add(_event(actor, action, subject, households, now))
