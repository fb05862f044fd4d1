"""What the counseling pages show: slots by day, and a family's appointments in its words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from babel.dates import format_date
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scheduler.models import Appointment, MeetingMode
from scheduler.services import counseling
from scheduler.timetext import TimeText, heading, local_day_text, moment_text, time_text
from scheduler.timeutil import to_local
from scheduler.web.times import ROLES

KIND_NAMES = {"family": _l("Family session"), "individual": _l("Individual session")}
MODE_NAMES = {"in_person": _l("In person"), "online": _l("Online")}
#: The kind of session with whom, as one phrase: "Family session with Maya Okafor".
KIND_WITH = {
    "family": _l("Family session with %(counselor)s"),
    "individual": _l("Individual session with %(counselor)s"),
}


@dataclass(frozen=True)
class SlotView:
    id: int
    #: The reader's clock, "2:00 PM"; the page names the zone once (``zone``).
    time: str
    #: The reader's zone in words: "Eastern Time".
    zone: str
    #: The time in the counselor's own zone, when its clock differs from the reader's.
    their_time: str | None
    counselor: str
    kind: str
    mode: str
    counselor_id: int
    #: 'Family session with Maya Okafor'
    what: str


@dataclass(frozen=True)
class SlotGroup:
    """A day's times with one counselor: who, what kind and where said once, then the times."""

    counselor: str
    kind: str
    mode: str
    slots: list[SlotView]

    @property
    def heading(self) -> str:
        return f"{self.counselor} · {self.kind} · {self.mode}"

    @property
    def shows_their_time(self) -> bool:
        """Whether the counselor's own time is shown too (it takes wider buttons)."""
        return any(slot.their_time for slot in self.slots)


@dataclass(frozen=True)
class DayView:
    label: str
    slots: list[SlotView]
    #: The reader's local date of these slots.
    day: date

    @property
    def anchor(self) -> str:
        """The id of the day's part of the page, for the day picker's links."""
        return f"day-{self.day.isoformat()}"

    @property
    def short(self) -> str:
        """'Tue 1 Dec', for the day picker, in the reader's language."""
        return str(format_date(self.day, "EEE d MMM", locale=get_locale() or "en"))

    @property
    def groups(self) -> list[SlotGroup]:
        """The day's slots by counselor (and so kind and mode), the soonest group first."""
        groups: dict[tuple[int, str, str], list[SlotView]] = {}
        for slot in self.slots:
            groups.setdefault((slot.counselor_id, slot.kind, slot.mode), []).append(slot)
        return [
            SlotGroup(slots[0].counselor, kind, mode, slots)
            for (_, kind, mode), slots in groups.items()
        ]


@dataclass(frozen=True)
class AppointmentCard:
    """One appointment on the family's bookings page, worded for them."""

    appointment: Appointment
    when: TimeText
    status: str
    counselor: str
    kind: str
    where: str
    #: Only for the booked family, and only once it is confirmed.
    online_url: str
    can_change: bool
    deadline: str
    contact: str
    #: The counselor moved it and the family hasn't answered: keep it, change it or decline.
    counselor_moved: bool


_STATUS_TEXT = {
    "pending": _l("Waiting for the counselor to confirm (the time is held for you)"),
    "confirmed": _l("Booked"),
    "cancelled": _l("Cancelled"),
    "declined": _l("Not available: please choose another time"),
}


def appointment_cards(family_id: int, zone: str, now: datetime) -> list[AppointmentCard]:
    """The family's appointments as its bookings page shows them."""
    cards = []
    appointments = counseling.family_appointments(family_id, now)
    settings_by = counseling.settings_of(a.facilitator_id for a in appointments)
    for appointment in appointments:
        settings = settings_by.get(appointment.facilitator_id)
        online = settings is not None and settings.mode == MeetingMode.ONLINE
        cards.append(
            AppointmentCard(
                appointment=appointment,
                when=time_text(
                    appointment.slot.starts_at,
                    zone,
                    now=now,
                    other_zone=settings.timezone if settings else None,
                    other_role=str(ROLES["counselor"]),
                ),
                status=str(_STATUS_TEXT[appointment.status]),
                counselor=appointment.facilitator.name,
                kind=str(KIND_NAMES[appointment.kind]),
                where=_("Online") if online else (settings.location if settings else ""),
                online_url=counseling.meeting_link(appointment, settings),
                can_change=counseling.can_change(appointment, now),
                deadline=moment_text(appointment.change_deadline(settings), zone),
                contact=(settings.contact if settings else "")
                or appointment.facilitator.email
                or "",
                counselor_moved=appointment.move_unanswered(now),
            )
        )
    return cards


def slot_view(found: counseling.OpenSlot, zone: str) -> SlotView:
    slot, settings = found.slot, found.settings
    shown = time_text(slot.starts_at, zone, other_zone=settings.timezone)
    return SlotView(
        id=slot.id,
        time=shown.clock,
        zone=shown.zone,
        their_time=shown.other,
        counselor=found.facilitator.name,
        kind=str(KIND_NAMES[settings.kind]),
        mode=str(MODE_NAMES[settings.mode]),
        counselor_id=slot.facilitator_id,
        what=KIND_WITH[settings.kind] % {"counselor": found.facilitator.name},
    )


def days_of(slots: list[counseling.OpenSlot], zone: str) -> list[DayView]:
    """Group open slots by local day in the reader's zone."""
    return [
        DayView(
            heading(local_day_text(group[0].slot.starts_at, zone)),
            [slot_view(s, zone) for s in group],
            day,
        )
        for day, items in groupby(slots, key=lambda s: to_local(s.slot.starts_at, zone).date())
        for group in [list(items)]
    ]


@dataclass(frozen=True)
class HeldAppointment:
    """An upcoming appointment the family holds, pinned at the top of the counseling page."""

    id: int
    when: str
    #: 'Family session with Maya Okafor'
    what: str
    status: str
    is_pending: bool


def held_appointments(family_id: int, zone: str, now: datetime) -> list[HeldAppointment]:
    """The family's appointments still to come (requested or booked), soonest first."""
    return [
        HeldAppointment(
            id=appointment.id,
            when=counseling.when(appointment, zone),
            what=KIND_WITH[appointment.kind] % {"counselor": appointment.facilitator.name},
            status=str(_STATUS_TEXT[appointment.status]),
            is_pending=appointment.is_pending,
        )
        for appointment in counseling.family_appointments(family_id, now)
        if appointment.is_open(now)
    ]


@dataclass(frozen=True)
class WeekView:
    """Which week a page shows, and where the pages before and after it start."""

    #: The week's first and last days, in words: "Tuesday, December 1, 2026".
    first_day: str
    last_day: str
    earlier: str | None  # ?start= of the week before, unless this one starts today
    later: str | None  # ?start= of the week with the next open time after this one
    later_day: str | None  # that time's day, for an empty week
