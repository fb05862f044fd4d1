"""A household with a lot of history, for the tests of closing and erasing an account.

Everything it did leaves text somewhere: bookings past and future with needs and notes,
attendance marks, a place others wait behind, a counseling appointment with a note, a
letter of attendance, a message from its facilitator, audit events it made, mail sent
and still waiting, emailed links, a failed login and a sign-in.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.jobs import sweep_once
from scheduler.models import Booking, Role, StaffNameChoice, User, Workshop, WorkshopSession
from scheduler.services import (
    accounts,
    counseling,
    data_export,
    email_links,
    group_messages,
    household_names,
    letters,
    sessions,
)
from scheduler.services.booking import Needs
from scheduler.services.errors import DomainError
from scheduler.services.group_messages import Draft
from scheduler.timeutil import utcnow
from tests.support.app import local_start
from tests.support.attendance import mark_booking
from tests.support.counseling import slot_after

NAME = "Imogen Quist-Falkenrath"
EMAIL = "quist.falkenrath@example.org"
NEEDS = Needs(
    accessibility_needs="Ramp for grandmother Oddny",
    childcare_needed=True,
    interpreter_language="Faroese",
    notes="Ask for Torvald at the door",
)
APPOINTMENT_NOTE = "Our son Eirik, 17, relapsed in March"
#: What must be nowhere once the household is erased.
#: The name it asked staff to see it by.
ALIAS = "Lantern Keeper"
SECRETS = (
    NAME,
    "Quist",
    EMAIL,
    NEEDS.accessibility_needs,
    "Faroese",
    NEEDS.notes,
    APPOINTMENT_NOTE,
    "Eirik",
    ALIAS,
)

OTHER_NAME = "Brennan household"
OTHER_NEEDS = Needs(accessibility_needs="Hearing loop please", notes="We may be late")


@dataclass(frozen=True)
class History:
    family: User
    other: User
    waiting: User
    facilitator: User
    counselor: User
    #: Two sessions that will be over when it closes; it and the other came to the first.
    past: Workshop
    #: A session still to come when it closes: it holds both seats, ``waiting`` waits.
    future: WorkshopSession
    booking: Booking
    waiting_booking: Booking
    appointment_id: int
    letter_code: str
    #: When it closes its account: after the past sessions, before the future one.
    closing_at: datetime


def rich_household(
    make_user: Callable[..., User],
    make_workshop: Callable[..., Workshop],
    make_booking: Callable[..., Booking],
    make_counselor: Callable[..., User],
) -> History:
    """Build the household's history, from today to ``closing_at`` (a few days on)."""
    now = utcnow()
    facilitator = make_user(Role.FACILITATOR, name="Maya Lee")
    family = make_user(name=NAME, email=EMAIL, verified=True)
    household_names.choose(family.id, StaffNameChoice.ALIAS, ALIAS, now=now)
    other = make_user(name=OTHER_NAME, email="brennan@example.org")
    waiting = make_user(name="Walsh household", email="walsh@example.org")
    past = make_workshop(
        facilitator=facilitator, weeks=2, capacity=6, start=local_start(days=1), title="Evenings"
    )
    for session in past.sessions:
        make_booking(session.id, family=family, seats=2, needs=NEEDS, now=now)
        make_booking(session.id, family=other, needs=OTHER_NEEDS, now=now)
    future = make_workshop(
        facilitator=facilitator, capacity=2, start=local_start(days=20), title="Spring group"
    ).sessions[0]
    booking = make_booking(future.id, family=family, seats=2, needs=NEEDS, now=now)
    waiting_booking = make_booking(future.id, family=waiting, join_waitlist=True, now=now)
    counselor = make_counselor()
    appointment = counseling.book_slot(
        slot_after(counselor, days=16), family.id, note=APPOINTMENT_NOTE, now=now
    )
    draft = Draft(None, "", "Bring something to write with.")
    group_messages.send(future.workshop_id, draft, facilitator.id, now=now)
    sweep_once()  # confirmations go out: mail sent; the reminders stay pending
    first = past.sessions[0]
    door = first.starts_at + timedelta(minutes=5)
    for held in _bookings_in(first):
        mark_booking(held.id, now=door)
    closing_at = past.sessions[-1].ends_at + timedelta(hours=2)
    letter = letters.issue(family.id, session_ids=[first.id], wording="title", now=closing_at)
    with time_machine.travel(closing_at, tick=False):
        email_links.request_verification(other.id, closing_at)
        accounts.request_password_reset(EMAIL, closing_at)
        with suppress(DomainError):  # a failed login, kept under its address's hash
            accounts.authenticate(EMAIL, "not the password", ip="192.0.2.9", now=closing_at)
        sessions.start(family, remember=True, now=closing_at)
        # A copy of its data, built (as the dispatcher does) and waiting to be downloaded.
        copy = data_export.request_export(family.id, closing_at)
        with write_transaction():
            data_export.build(copy.id, closing_at)
    return History(
        family=family,
        other=other,
        waiting=waiting,
        facilitator=facilitator,
        counselor=counselor,
        past=past,
        future=future,
        booking=booking,
        waiting_booking=waiting_booking,
        appointment_id=appointment.id,
        letter_code=letter.code,
        closing_at=closing_at,
    )


def _bookings_in(session: WorkshopSession) -> list[Booking]:
    return list(db.session.scalars(select(Booking).where(Booking.session_id == session.id)))
