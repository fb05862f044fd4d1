"""Data at a county network's size, inserted in bulk (the services would take minutes).

The rows are what the services write: published workshops in New York of a term of
weekly sessions each, a minute apart from one workshop to the next. Bulk statements
bypass the feeds' counters (``services/feeds/changes.py``), so callers clear what
was kept for the data before (tests) or load before serving (benchmarks).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from scheduler.database import write_transaction
from scheduler.models import Workshop, WorkshopSession
from scheduler.timeutil import utcnow

#: Sessions per bulk-made workshop: a term of weekly meetings.
TERM = 20


def add_sessions(facilitator_id: int, count: int, now: datetime | None = None) -> list[int]:
    """Add ``count`` upcoming published sessions; return their ids in order."""
    now = (now or utcnow()).replace(microsecond=0)
    workshops = (count + TERM - 1) // TERM
    stamp = {"created_at": now, "updated_at": now}
    with write_transaction() as session:
        first = session.scalar(select(func.max(Workshop.id))) or 0
        session.execute(
            insert(Workshop),
            [
                {
                    "id": first + n + 1,
                    "facilitator_id": facilitator_id,
                    "title": f"Family group {n}",
                    "description": "Evenings for families.",
                    "location": "Room 2",
                    "online_url": "",
                    "timezone": "America/New_York",
                    "status": "published",
                    **stamp,
                }
                for n in range(workshops)
            ],
        )
        session.execute(
            insert(WorkshopSession),
            [
                {
                    "workshop_id": first + 1 + n // TERM,
                    "starts_at": now + timedelta(days=2 + 7 * (n % TERM), minutes=n),
                    "ends_at": now + timedelta(days=2 + 7 * (n % TERM), minutes=n + 90),
                    "capacity": 12,
                    "status": "scheduled",
                    "sequence": 0,
                    **stamp,
                }
                for n in range(count)
            ],
        )
        ids = session.scalars(
            select(WorkshopSession.id)
            .where(WorkshopSession.workshop_id > first)
            .order_by(WorkshopSession.id)
        )
        return list(ids)
