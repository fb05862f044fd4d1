"""The audit trail: who saw or exported families' data, who acted for them or changed accounts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import AuditEvent, User


def record(actor: User, action: str, subject: str, *, now: datetime) -> None:
    """Write one audit event in its own transaction, before the data is shown."""
    actor_id, actor_name = actor.id, actor.staff_name
    with write_transaction() as session:
        session.add(
            AuditEvent(
                actor_id=actor_id,
                actor_name=actor_name,
                action=action,
                subject=subject,
                created_at=now,
            )
        )


def add(actor: User | None, action: str, subject: str, *, now: datetime) -> None:
    """Write one audit event inside the caller's write transaction.

    For changes made on someone's behalf (an account change, a booking made for a
    household): the change and its trail commit together or not at all. ``None`` is
    someone not signed in (a letter of attendance checked by its code): the event keeps
    no id and an empty name, which the audit page words as such (an account removed
    later keeps its name, so the two never look alike). A name is kept as staff see it
    (``User.staff_name``): the trail is read by admins.
    """
    db.session.add(
        AuditEvent(
            actor_id=actor.id if actor else None,
            actor_name=actor.staff_name if actor else "",
            action=action,
            subject=subject,
            created_at=now,
        )
    )


def recent(limit: int = 200) -> list[AuditEvent]:
    """Return the newest audit events first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
