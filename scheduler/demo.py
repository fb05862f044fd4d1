"""Realistic demo data, built through the same services the pages use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from scheduler.extensions import db
from scheduler.models import MeetingMode, Role, SessionKind, User
from scheduler.services import accounts, cofacilitators, counseling, series
from scheduler.services.booking import Needs, book_seats
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow, wall_time

#: Every demo account shares it; the demo is for trying Hearth out, never for real data.
DEMO_PASSWORD = "hearth-demo-2026"  # noqa: S105


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str


def has_accounts() -> bool:
    """Tell whether anybody has an account yet."""
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def _next_weekday(after: date, weekday: int, min_days: int = 2) -> date:
    """Return the first ``weekday`` (Mon=0) at least ``min_days`` after ``after``."""
    day = after + timedelta(days=min_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def _local_start(now: datetime, zone: str, weekday: int, at: time, min_days: int = 2) -> datetime:
    today = wall_time(now, zone).date()
    return datetime.combine(_next_weekday(today, weekday, min_days), at)


_FAMILIES = [
    ("The Lee family", "lee.family@example.org"),
    ("Rosa Martinez", "rosa.martinez@example.org"),
    ("The Nguyen household", "nguyen.household@example.org"),
    ("Sam and Alex Patel", "patel.family@example.org"),
    ("Grace Okonkwo", "grace.okonkwo@example.org"),
    ("The Johansson family", "johansson@example.org"),
    ("Terry Blackfeather", "terry.b@example.org"),
    ("Dana Whitfield", "dana.whitfield@example.org"),
]


def load(now: datetime | None = None) -> list[Login]:
    """Create demo accounts, workshops and bookings; return the logins to print."""
    now = now or utcnow()

    def person(email: str, name: str, role: str, zone: str) -> User:
        return accounts.create_user(
            email=email, name=name, password=DEMO_PASSWORD, role=role, timezone=zone, now=now
        )

    admin = person("admin@example.org", "Hearth Admin", Role.ADMIN, "America/New_York")
    maya = person(
        "maya.facilitator@example.org", "Maya Okafor", Role.FACILITATOR, "America/New_York"
    )
    daniel = person(
        "daniel.facilitator@example.org", "Daniel Reyes", Role.FACILITATOR, "America/Chicago"
    )
    families = [person(email, name, Role.FAMILY, "America/New_York") for name, email in _FAMILIES]

    ny, chicago = "America/New_York", "America/Chicago"
    education = series.create_workshop(
        maya.id,
        WorkshopDetails(
            title="Understanding Addiction: a family education series",
            description=(
                "Six evenings for parents, partners and siblings. We look at how addiction "
                "changes the brain and the family, what treatment and recovery look like, "
                "and how to look after yourself on the way. Come to one or all."
            ),
            location="Community Room B, 210 Elm Street",
            online_url="https://meet.example.org/hearth-family-education",
            publish=True,
        ),
        timezone=ny,
        capacity=12,
        first_start=_local_start(now, ny, 1, time(18, 30)),
        duration_minutes=90,
        weeks=6,
        now=now,
    )
    craft = series.create_workshop(
        daniel.id,
        WorkshopDetails(
            title="CRAFT: talking with a loved one who is not ready for help",
            description=(
                "Community Reinforcement and Family Training, in four weekly sessions: "
                "practical ways to communicate, stay safe and encourage treatment."
            ),
            location="",
            online_url="https://meet.example.org/hearth-craft",
            publish=True,
        ),
        timezone=chicago,
        capacity=8,
        first_start=_local_start(now, chicago, 3, time(19, 0)),
        duration_minutes=75,
        weeks=4,
        now=now,
    )
    naloxone = series.create_workshop(
        maya.id,
        WorkshopDetails(
            title="Naloxone training for families",
            description="Learn to recognise an overdose and use naloxone. Kits provided.",
            location="Health Center, 45 Harbor Road, Room 3",
            online_url="",
            publish=True,
        ),
        timezone=ny,
        capacity=6,
        first_start=_local_start(now, ny, 5, time(10, 0)),
        duration_minutes=60,
        weeks=1,
        now=now,
    )
    series.create_workshop(
        maya.id,
        WorkshopDetails(
            title="Self-care for parents and partners",
            description="A quiet morning on rest, boundaries and finding support for yourself.",
            location="Community Room B, 210 Elm Street",
            online_url="",
            publish=True,
        ),
        timezone=ny,
        capacity=10,
        first_start=_local_start(now, ny, 5, time(10, 0), 9),
        duration_minutes=120,
        weeks=1,
        now=now,
    )
    series.create_workshop(
        daniel.id,
        WorkshopDetails(
            title="Grief and hope after loss (draft)",
            description="A gentle group for families who have lost someone to overdose.",
            location="",
            online_url="https://meet.example.org/hearth-grief",
            publish=False,
        ),
        timezone=chicago,
        capacity=10,
        first_start=_local_start(now, chicago, 0, time(18, 0), 14),
        duration_minutes=90,
        weeks=3,
        now=now,
    )

    # Maya and Daniel run the family education series together.
    cofacilitators.add_cofacilitator(education.id, daniel.email or "", actor_id=maya.id, now=now)

    first_education = education.sessions[0].id
    book_seats(
        first_education,
        families[0].id,
        2,
        Needs(childcare_needed=True, notes="Our son is 15; can he come along?"),
        now=now,
    )
    book_seats(first_education, families[1].id, 1, Needs(interpreter_language="Spanish"), now=now)
    book_seats(
        first_education,
        families[2].id,
        3,
        Needs(interpreter_language="Vietnamese", childcare_needed=True),
        now=now,
    )
    book_seats(education.sessions[1].id, families[0].id, 2, Needs(childcare_needed=True), now=now)
    book_seats(
        craft.sessions[0].id,
        families[3].id,
        2,
        Needs(accessibility_needs="Captions, please: one of us is hard of hearing."),
        now=now,
    )
    book_seats(craft.sessions[0].id, families[4].id, 1, Needs(), now=now)
    # The naloxone training fills up and gathers a waitlist.
    full = naloxone.sessions[0].id
    book_seats(full, families[4].id, 2, Needs(), now=now)
    book_seats(full, families[5].id, 3, Needs(accessibility_needs="Wheelchair user"), now=now)
    book_seats(full, families[6].id, 1, Needs(), now=now)
    book_seats(full, families[7].id, 2, Needs(), now=now, join_waitlist=True)
    book_seats(
        full,
        families[2].id,
        1,
        Needs(interpreter_language="Vietnamese"),
        now=now,
        join_waitlist=True,
    )

    _counseling(maya, daniel, families, now)

    return [
        Login("admin", admin.email or "", DEMO_PASSWORD),
        Login("facilitator", maya.email or "", DEMO_PASSWORD),
        Login("facilitator", daniel.email or "", DEMO_PASSWORD),
        Login("family", families[0].email or "", DEMO_PASSWORD),
        Login("family", families[1].email or "", DEMO_PASSWORD),
    ]


def _counseling(maya: User, daniel: User, families: list[User], now: datetime) -> None:
    """Maya counsels families in person on weekday afternoons, Daniel online in the evenings."""
    counseling.save_rules(
        maya.id,
        counseling.Rules(
            open=True,
            timezone="America/New_York",
            kind=SessionKind.FAMILY,
            mode=MeetingMode.IN_PERSON,
            location="Counseling Room 2, 210 Elm Street",
            approve_first=True,
            contact="Call the front desk: 555-0142",
        ),
        now=now,
    )
    for weekday in (0, 1, 3):  # Monday, Tuesday, Thursday
        counseling.add_window(maya.id, weekday=weekday, starts=time(13), ends=time(17), now=now)
    day_off = _local_start(now, "America/New_York", 3, time(0), 14).date()  # a training day
    counseling.add_blackout(maya.id, day_off, now=now)
    counseling.save_rules(
        daniel.id,
        counseling.Rules(
            open=True,
            timezone="America/Chicago",
            kind=SessionKind.INDIVIDUAL,
            mode=MeetingMode.ONLINE,
            online_url="https://meet.example.org/hearth-daniel-counseling",
            slot_minutes=45,
            buffer_minutes=15,
            contact="daniel.facilitator@example.org",
        ),
        now=now,
    )
    for weekday in (1, 2):  # Tuesday, Wednesday evenings
        counseling.add_window(daniel.id, weekday=weekday, starts=time(17), ends=time(20), now=now)
    maya_slots = [s.slot.id for s in counseling.open_slots(now, facilitator_id=maya.id)]
    daniel_slots = [s.slot.id for s in counseling.open_slots(now, facilitator_id=daniel.id)]
    first = counseling.book_slot(
        maya_slots[0], families[0].id, note="We'd like to talk about our son's relapse.", now=now
    )
    counseling.approve(first.id, maya, now=now)
    counseling.book_slot(maya_slots[4], families[2].id, now=now)  # a first visit to approve
    counseling.book_slot(daniel_slots[1], families[1].id, now=now)
