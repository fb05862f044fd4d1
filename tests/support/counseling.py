"""A counselor open every afternoon, and booking their slots, for counseling tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta

import pytest

from scheduler.models import Appointment, MeetingMode, Role, SessionKind, User
from scheduler.services import counseling
from scheduler.services.counseling import Rules
from scheduler.timeutil import utcnow

ZONE = "America/New_York"


PLACE = "Recovery Center, Suite 5"


MEETING = "https://meet.example.org/room-4711"


def open_every_afternoon(
    counselor_id: int,
    *,
    mode: str = MeetingMode.IN_PERSON,
    approve_first: bool = False,
    kind: str = SessionKind.FAMILY,
    max_upcoming: int = 2,
) -> None:
    """Open the counselor for booking every day from 14:00 to 17:00 (New York time)."""
    now = utcnow()
    counseling.save_rules(
        counselor_id,
        Rules(
            open=True,
            timezone=ZONE,
            kind=kind,
            mode=mode,
            location=PLACE,
            online_url=MEETING if mode == MeetingMode.ONLINE else "",
            approve_first=approve_first,
            contact="555-0100",
            max_upcoming_per_family=max_upcoming,
        ),
        now=now,
    )
    for weekday in range(7):
        counseling.add_window(
            counselor_id, starts=time(14, 0), ends=time(17, 0), weekday=weekday, now=now
        )


@pytest.fixture
def make_counselor(make_user: Callable[..., User]) -> Callable[..., User]:
    """A counselor open for booking every day from 14:00 to 17:00 (New York time)."""

    def make(
        *,
        name: str = "Dr Rivera",
        mode: str = MeetingMode.IN_PERSON,
        approve_first: bool = False,
        kind: str = SessionKind.FAMILY,
        max_upcoming: int = 2,
    ) -> User:
        counselor = make_user(Role.FACILITATOR, name=name, timezone=ZONE)
        open_every_afternoon(
            counselor.id,
            mode=mode,
            approve_first=approve_first,
            kind=kind,
            max_upcoming=max_upcoming,
        )
        return counselor

    return make


def slot_after(counselor: User, days: float = 3, *, skip: int = 0) -> int:
    """The id of an open slot of the counselor at least ``days`` from now."""
    now = utcnow()
    later_slots = [
        found.slot.id
        for found in counseling.open_slots(now, facilitator_id=counselor.id)
        if found.slot.starts_at >= now + timedelta(days=days)
    ]
    return later_slots[skip]


def book(counselor: User, family: User, days: float = 3, *, skip: int = 0, note: str = "") -> int:
    """Book a slot for the family through the service; return the appointment's id."""
    slot_id = slot_after(counselor, days, skip=skip)
    return counseling.book_slot(slot_id, family.id, note=note, now=utcnow()).id


def appointment(db, appointment_id: int) -> Appointment:
    db.session.rollback()
    return db.session.get_one(Appointment, appointment_id)
