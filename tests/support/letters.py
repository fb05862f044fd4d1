"""A series that took place, with households marked at the door, for letters' tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.models import Booking, Role, User, Workshop
from scheduler.models.bookings import Attendance
from scheduler.services import accounts
from tests.support.attendance import mark_booking

FAMILY = "Jana Novak-Petrović"
#: Booked into the same sessions and marked as coming too: no letter may name them.
OTHERS = ("Brennan household", "José Muñoz Okafor")
FACILITATOR = "Maya Lee"
TITLE = "Addiction recovery for families"


@dataclass(frozen=True)
class Program:
    workshop: Workshop
    family: User
    others: list[User]
    #: The family's booking in each session, in time order.
    bookings: list[Booking]
    #: Just after the last session ended: when the family asks for its letter.
    after: datetime

    @property
    def session_ids(self) -> list[int]:
        return [b.session_id for b in self.bookings]


def took_place(
    make_user: Callable[..., User],
    make_workshop: Callable[..., Workshop],
    make_booking: Callable[..., Booking],
    *,
    marks: tuple[str | None, ...] = (Attendance.ATTENDED,) * 6,
    language: str | None = None,
    title: str = TITLE,
) -> Program:
    """A weekly series (one session per mark) the family and two others booked; each
    session marked as ``marks`` says for the family (None: never marked), the others
    attended every time."""
    facilitator = make_user(Role.FACILITATOR, name=FACILITATOR)
    workshop = make_workshop(facilitator=facilitator, weeks=len(marks), capacity=8, title=title)
    family = make_user(name=FAMILY, verified=True)
    if language:
        accounts.set_language(family.id, language)
    others = [make_user(name=name) for name in OTHERS]
    bookings = []
    for session, mark in zip(workshop.sessions, marks, strict=True):
        mine = make_booking(session.id, family=family, seats=2)
        bookings.append(mine)
        door = session.starts_at + timedelta(minutes=5)
        if mark is not None:
            mark_booking(mine.id, mark, now=door)
        for other in others:
            mark_booking(make_booking(session.id, family=other).id, now=door)
    after = workshop.sessions[-1].ends_at + timedelta(hours=1)
    return Program(workshop, family, others, bookings, after)
