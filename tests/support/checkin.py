"""A weekly evening group on fixed dates, for the check-in tests (marks, walk-ins,
invitations back). Import the fixtures into a test module to use them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import AuditEvent, Role, User, Workshop, WorkshopSession

ZONE = "America/New_York"
#: Monday 2 March 2026, 10:00 in New York: households book for Thursday's group.
MONDAY = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
#: Thursday 5 March 2026, 18:00 to 19:30 in New York (EST): 23:00 to 00:30 UTC.
STARTS = datetime(2026, 3, 5, 23, 0, tzinfo=UTC)
ENDS = STARTS + timedelta(minutes=90)
#: Ten minutes in: the facilitator at the door.
DOOR = STARTS + timedelta(minutes=10)
#: Marks close a week after the end by the local clock: Thursday 12 March, 7:30 PM, which
#: is EDT by then (the clocks went forward on 8 March), 23:30 UTC: 167 hours after ENDS.
CLOSES = datetime(2026, 3, 12, 23, 30, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """The clock stands still on MONDAY; ``clock.move_to(...)`` travels."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


@pytest.fixture
def lead(make_user: Callable[..., User]) -> User:
    return make_user(Role.FACILITATOR, name="Maya Okafor")


@pytest.fixture
def group(clock: time_machine.Coordinates, make_workshop: Callable[..., Workshop], lead: User):
    """Thursday evenings for three weeks, 5 seats, led by Maya; its sessions in order."""
    workshop = make_workshop(
        facilitator=lead, capacity=5, weeks=3, start=datetime(2026, 3, 5, 18, 0)
    )
    return sorted(workshop.sessions, key=lambda s: s.starts_at)


@pytest.fixture
def evening(group: list[WorkshopSession]) -> WorkshopSession:
    """The first Thursday: STARTS to ENDS."""
    assert group[0].starts_at == STARTS
    return group[0]


def reload(model: type, record_id: int):
    db.session.rollback()
    return db.session.get_one(model, record_id)


def audit_trail() -> list[tuple[int | None, str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.subject) for e in events]
