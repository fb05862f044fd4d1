"""iCalendar builders: pure functions from plain event data to bytes.

One builder serves every feed, download and (later) email attachment, so they all
agree. No Flask here: callers turn records into :class:`CalendarEvent` first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from scheduler.timeutil import is_repeated_wall_time
from scheduler.vtimezone import vtimezone

PRODID = "-//Hearth//Hearth scheduler//EN"


class EventStatus(StrEnum):
    CONFIRMED = "CONFIRMED"
    TENTATIVE = "TENTATIVE"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
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


class Fragment(NamedTuple):
    """One VEVENT's finished text, and whether it names its zone (needs a VTIMEZONE)."""

    text: bytes
    zoned: bool


def _fragment_uncached(item: CalendarEvent) -> Fragment:
    return Fragment(_vevent(item).to_ical(), _zoned(item))


#: One fragment per event a process has built lately. An entry holds the event and its
#: text (about 1.5 KB together), so the bound keeps a worker's share near 30 MB while
#: the public feed (one entry per session) and the busiest private feeds all fit.
FRAGMENT_CACHE_SIZE = 20_000

# Keyed by the whole (frozen, hashable) event: a change to any field it says, the
# wording, the link's host or the zone included, is another key, so nothing has to be
# invalidated by hand; stale entries just age out. lru_cache is thread-safe.
_fragment = lru_cache(maxsize=FRAGMENT_CACHE_SIZE)(_fragment_uncached)


def _zone_spans(events: Iterable[CalendarEvent]) -> list[tuple[str, int, int]]:
    """Every TZID written, with the years its VTIMEZONE covers: a year either side."""
    spans: dict[str, tuple[int, int]] = {}
    for item in events:
        low, high = spans.get(item.timezone, (item.starts_at.year, item.ends_at.year))
        spans[item.timezone] = (min(low, item.starts_at.year), max(high, item.ends_at.year))
    return [(zone, low - 1, high + 1) for zone, (low, high) in sorted(spans.items())]


@lru_cache(maxsize=1024)
def _vtimezone_text(zone: str, first_year: int, last_year: int) -> bytes:
    return vtimezone(zone, first_year, last_year).to_ical()


def _order(item: CalendarEvent) -> tuple[datetime, str]:
    return item.starts_at, item.uid


def _calendar(info: CalendarInfo) -> Calendar:
    """The VCALENDAR's own properties, without components."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", info.method)
    calendar.add("x-wr-calname", info.name)
    calendar.add("refresh-interval", vDuration(info.refresh), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(info.refresh))
    return calendar


_END = b"END:VCALENDAR\r\n"


def build_calendar(events: Iterable[CalendarEvent], info: CalendarInfo) -> bytes:
    """Return a complete VCALENDAR (CRLF lines folded at 75 octets by icalendar).

    The bytes are those of one icalendar ``Calendar`` holding every component: its
    ``to_ical`` folds each content line on its own and joins them with CRLF, so a
    component's text does not depend on what surrounds it. Each VEVENT's text is
    therefore made once per version of the event and reused by every later build.
    """
    events = sorted(events, key=_order)
    fragments = [_fragment(item) for item in events]
    zoned = (item for item, fragment in zip(events, fragments, strict=True) if fragment.zoned)
    head = _calendar(info).to_ical()
    parts = [head.removesuffix(_END)]
    parts += [_vtimezone_text(*span) for span in _zone_spans(zoned)]
    parts += [fragment.text for fragment in fragments]
    parts.append(_END)
    return b"".join(parts)


def clear_caches() -> None:
    """Forget every built fragment and VTIMEZONE (tests; a tz database update)."""
    _fragment.cache_clear()
    _vtimezone_text.cache_clear()
