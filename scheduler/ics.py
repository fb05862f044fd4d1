"""iCalendar builders: pure functions from plain event data to bytes.

One builder serves every feed, download and (later) email attachment, so they all
agree. No Flask here: callers turn records into :class:`CalendarEvent` first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vDuration

from scheduler.timeutil import is_repeated_wall_time
from scheduler.vtimezone import vtimezone

PRODID = "-//Hearth//Hearth scheduler//EN"


class EventStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    TENTATIVE = "TENTATIVE"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT, already worded for its reader (discreet or descriptive)."""

    #: Stable forever: made from the record's id, never from its title or time.
    uid: str
    #: Rises on every change of time, place or status.
    sequence: int
    starts_at: datetime
    ends_at: datetime
    #: IANA zone the event is shown in (its TZID).
    timezone: str
    summary: str
    description: str
    location: str
    url: str
    status: EventStatus
    #: The record's last change: LAST-MODIFIED and DTSTAMP, so unchanged data gives
    #: byte-identical output.
    last_modified: datetime
    #: For emailed invites (METHOD:REQUEST/CANCEL): who sends it, and its one recipient.
    organizer: str | None = None
    attendee: str | None = None


@dataclass(frozen=True)
class CalendarInfo:
    """What a whole calendar says about itself."""

    name: str
    #: How often subscribers should poll (REFRESH-INTERVAL and X-PUBLISHED-TTL).
    refresh: timedelta = timedelta(hours=1)
    method: str = "PUBLISH"


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("calendar times must be aware")
    return moment.astimezone(UTC)


def _zoned(item: CalendarEvent) -> bool:
    """Whether the event is written in its zone's wall time (with TZID) or in UTC.

    A wall time in the hour that repeats when clocks go back names two instants, and
    parsers pick different ones (RFC 5545 says the first; ical.js takes the second).
    Such an event is written in UTC, which every parser reads alike; calendar apps
    still show it at the right local time.
    """
    return not any(
        is_repeated_wall_time(moment, item.timezone) for moment in (item.starts_at, item.ends_at)
    )


def _vevent(item: CalendarEvent) -> Event:
    zone = ZoneInfo(item.timezone) if _zoned(item) else UTC
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", _utc(item.last_modified))
    event.add("last-modified", _utc(item.last_modified))
    event.add("sequence", item.sequence)
    event.add("dtstart", item.starts_at.astimezone(zone))
    event.add("dtend", item.ends_at.astimezone(zone))
    event.add("summary", item.summary)
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.url:
        event.add("url", item.url)
    event.add("status", item.status.value)
    if item.organizer:
        event.add("organizer", f"mailto:{item.organizer}", parameters={"CN": "Hearth"})
    if item.attendee:
        event.add(
            "attendee",
            f"mailto:{item.attendee}",
            parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"},
        )
    event.add("transp", "TRANSPARENT" if item.status is EventStatus.CANCELLED else "OPAQUE")
    return event


def _timezones(events: Sequence[CalendarEvent]) -> list[Timezone]:
    """Return a VTIMEZONE for every TZID used, right a year either side of its events."""
    spans: dict[str, tuple[int, int]] = {}
    for item in events:
        if not _zoned(item):
            continue
        low, high = spans.get(item.timezone, (item.starts_at.year, item.ends_at.year))
        spans[item.timezone] = (min(low, item.starts_at.year), max(high, item.ends_at.year))
    return [vtimezone(zone, low - 1, high + 1) for zone, (low, high) in sorted(spans.items())]


def build_calendar(events: Iterable[CalendarEvent], info: CalendarInfo) -> bytes:
    """Return a complete VCALENDAR (CRLF lines folded at 75 octets by icalendar)."""
    events = sorted(events, key=lambda e: (e.starts_at, e.uid))
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", info.method)
    calendar.add("x-wr-calname", info.name)
    calendar.add("refresh-interval", vDuration(info.refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(info.refresh))
    for timezone in _timezones(events):
        calendar.add_component(timezone)
    for item in events:
        calendar.add_component(_vevent(item))
    return calendar.to_ical()
