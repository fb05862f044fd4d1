"""Calendar times right in every calendar app, for every zone and every year ahead.

Each test travels to fixed "todays" and puts sessions and appointments from a year back
to five years ahead, around every clock change, in zones with every kind of rule; then
five independent parsers (icalendar, recurring-ical-events, vobject, Mozilla's ical.js
and libical) must read every feed, download and emailed invite as the database's UTC
instants. A wrong VTIMEZONE shows here as a session an hour off in one parser.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CounselingSlot,
    MeetingMode,
    MessageKind,
    OutboxMessage,
    Role,
    SessionKind,
    User,
    WorkshopSession,
)
from scheduler.services import counseling, notify
from scheduler.services.counseling import Rules
from scheduler.services.messages import compose
from scheduler.timeutil import to_utc
from tests.support.feeds import private_feed
from tests.support.ics_checks import clock_changes, cross_check, cross_check_many

ZONES = [
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",  # southern: summer time across the new year
    "America/Sao_Paulo",  # summer time abolished in 2019
    "Asia/Kolkata",  # never changes
    "America/St_Johns",  # -03:30, half-hour changes
    "Pacific/Chatham",  # +12:45 / +13:45, changes at 02:45
    "Africa/Casablanca",  # changes that move with Ramadan, no yearly rule
]
TODAYS = [date(2026, 11, 30), date(2027, 6, 15), date(2029, 12, 31)]
LENGTH = timedelta(minutes=90)
HOST = "localhost"  # BASE_URL of the test app, the host part of every UID


def moments(zone: str, today: date) -> list[datetime]:
    """Start instants from a year back to five years ahead of ``today``.

    Every four months at 18:30 local time, and around every clock change: half an hour
    before (a session that spans the change; in autumn, the first pass through the
    repeated hour) and half an hour after (in autumn, the second pass).
    """
    first = today - timedelta(days=365)
    last = today + timedelta(days=5 * 365)
    found = {
        to_utc(datetime.combine(first + timedelta(days=122 * k), time(18, 30)), zone)
        for k in range((last - first).days // 122 + 1)
    }
    start = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(last, time(0), tzinfo=UTC)
    for change in clock_changes(zone):
        if start <= change < end:
            found |= {change - timedelta(minutes=30), change + timedelta(minutes=30)}
    return sorted(found)


@pytest.fixture
def travel() -> Callable[[date], time_machine.travel]:
    def to(day: date) -> time_machine.travel:
        return time_machine.travel(datetime.combine(day, time(15, 0), tzinfo=UTC), tick=False)

    return to


@dataclass
class World:
    family: User
    counselors: list[User]
    #: Per zone, the booking and the appointment whose download and invite are checked.
    chosen_bookings: list[int]
    chosen_appointments: list[int]


def _world(make_user, make_workshop, today: date) -> World:
    """Per zone, a family's booking in every session and its appointments at every other moment.

    Sessions, bookings and appointments are written straight to the database so they can
    lie in the past and years ahead; the confirmation emails (with their invites) are
    queued by the functions the booking services call, for one booking and one
    appointment per zone: the furthest ahead, and one that spans a clock change.
    """
    now = datetime.combine(today, time(15, 0), tzinfo=UTC)
    world = World(make_user(name="Okafor household"), [], [], [])
    for zone in ZONES:
        counselor = make_user(Role.FACILITATOR, name=f"Counselor in {zone}", timezone=zone)
        counseling.save_rules(
            counselor.id,
            Rules(
                open=True,
                timezone=zone,
                kind=SessionKind.FAMILY,
                mode=MeetingMode.IN_PERSON,
                location="Room 2",
                online_url="",
                approve_first=False,
                contact="555-0100",
            ),
            now=now,
        )
        world.counselors.append(counselor)
        workshop = make_workshop(facilitator=counselor, timezone=zone)
        starts = moments(zone, today)
        with write_transaction() as session:
            sittings = [
                WorkshopSession(
                    workshop_id=workshop.id, starts_at=moment, ends_at=moment + LENGTH, capacity=5
                )
                for moment in starts
            ]
            # Every other moment is enough: appointments go through the same builder.
            slots = [
                CounselingSlot(facilitator_id=counselor.id, starts_at=m, ends_at=m + LENGTH)
                for m in starts[::2]
            ]
            session.add_all(sittings + slots)
            session.flush()
            bookings = [
                Booking(
                    session_id=sitting.id,
                    family_id=world.family.id,
                    seats=1,
                    status=BookingStatus.CONFIRMED,
                    confirmed_at=now,
                )
                for sitting in sittings
            ]
            appointments = [
                Appointment(
                    slot_id=slot.id,
                    family_id=world.family.id,
                    facilitator_id=counselor.id,
                    status=AppointmentStatus.CONFIRMED,
                    kind=SessionKind.FAMILY,
                )
                for slot in slots
            ]
            session.add_all(bookings + appointments)
            session.flush()
            spanning = [
                i
                for i, slot in enumerate(slots)
                if any(slot.starts_at < c < slot.ends_at for c in clock_changes(zone))
            ]
            booking = bookings[-1]
            appointment = appointments[spanning[-1] if spanning else 0]
            notify.booking_created(booking, now)
            notify.appointment_booked(appointment, now)
            world.chosen_bookings.append(booking.id)
            world.chosen_appointments.append(appointment.id)
    return world


def _expected(db) -> dict[str, tuple[datetime, datetime]]:
    """Every UID a calendar may hold, with the UTC instants the database means."""
    expected = {}
    for sitting in db.session.scalars(select(WorkshopSession)):
        for kind in ("session", "hosting"):
            expected[f"{kind}-{sitting.id}@{HOST}"] = (sitting.starts_at, sitting.ends_at)
    for booking in db.session.scalars(select(Booking)):
        times = (booking.session.starts_at, booking.session.ends_at)
        expected[f"booking-{booking.id}@{HOST}"] = times
    for appointment in db.session.scalars(select(Appointment)):
        times = (appointment.slot.starts_at, appointment.slot.ends_at)
        expected[f"appointment-{appointment.id}@{HOST}"] = times
    return expected


@pytest.mark.slow
@pytest.mark.parametrize("today", TODAYS, ids=str)
def test_five_parsers_agree_on_every_instant_in_feeds_downloads_and_invites(
    client, auth, db, make_user, make_workshop, travel, today
):
    with travel(today):
        world = _world(make_user, make_workshop, today)
        bodies: dict[str, bytes] = {
            "public feed": client.get("/calendar/workshops.ics").get_data(),
            "family feed": private_feed(client, db, world.family).get_data(),
        }
        for counselor in world.counselors:
            bodies[f"feed of {counselor.name}"] = private_feed(client, db, counselor).get_data()
        auth.login(world.family)
        for booking_id in world.chosen_bookings:
            bodies[f"booking {booking_id}.ics"] = client.get(f"/bookings/{booking_id}.ics").data
        for appointment_id in world.chosen_appointments:
            url = f"/counseling/appointments/{appointment_id}.ics"
            bodies[f"appointment {appointment_id}.ics"] = client.get(url).data
        invites = db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.CONFIRMED)
        ).all()
        assert len(invites) == 2 * len(ZONES)
        for row in invites:
            message = compose(row)
            assert message is not None and message.ics is not None
            bodies[f"invite {row.key}"] = message.ics

        readings = cross_check_many(list(bodies.values()))

        expected = _expected(db)
        window_start = datetime.combine(today, time(0), tzinfo=UTC) - timedelta(days=30)
        in_window = {uid for uid, (_, ends) in expected.items() if ends > window_start}
        checked = set()
        for name, instants in zip(bodies, readings, strict=True):
            assert instants, f"{name} is empty"
            for instant in instants:
                assert (instant.start, instant.end) == expected[instant.uid], (name, instant)
                checked.add(instant.uid)
        public = {i.uid for i in readings[0]}
        assert public == {u for u in in_window if u.startswith("session-")}
        family_feed = {i.uid for i in readings[1]}
        assert family_feed == {u for u in in_window if u.startswith(("booking-", "appointment-"))}
        # Events in the hour that repeats when clocks go back went out in UTC, and agree.
        assert any(b"\r\nDTSTART:" in body for body in bodies.values())
        assert len(bodies) == 2 + len(ZONES) * 5


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Australia/Sydney"])
def test_weekly_series_across_every_clock_change_of_2027_and_2028_keeps_its_local_time(
    client, make_workshop, travel, zone
):
    with travel(date(2026, 11, 30)):
        workshops = [
            make_workshop(timezone=zone, weeks=52, start=datetime(2027, 1, 5, 18, 30)),
            make_workshop(timezone=zone, weeks=52, start=datetime(2028, 1, 4, 18, 30)),
        ]
        body = client.get("/calendar/workshops.ics").get_data()

    instants = cross_check(body)

    sessions = sorted(s.starts_at for w in workshops for s in w.sessions)
    assert sorted(i.start for i in instants) == sessions
    local = [i.start.astimezone(ZoneInfo(zone)) for i in instants]
    assert {moment.time() for moment in local} == {time(18, 30)}
    changes = [c for c in clock_changes(zone) if sessions[0] < c < sessions[-1]]
    assert len(changes) == 4  # two a year, and the series crosses them all
    assert len({moment.utcoffset() for moment in local}) == 2
