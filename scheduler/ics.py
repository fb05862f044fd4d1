"""iCalendar builders: pure functions from plain event data to bytes.

One builder serves every feed, download and email attachment, so they all agree. No
Flask here: callers turn records into :class:`CalendarEvent` first.

The bytes are those icalendar gives for one ``Calendar`` holding every component, but
each VEVENT's text is written directly (as icalendar would write it) and kept per
process, keyed by the event itself: a feed rebuilt after one change writes one event
and copies the rest. A changed event is a new key, so nothing is invalidated by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from icalendar import Calendar, vDDDTypes, vDuration
from icalendar.parser import escape_char, foldline
from icalendar.parser_tools import to_unicode

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


# --- one VEVENT's text ----------------------------------------------------------------
# The text icalendar's Event.to_ical() gives for these properties, written directly: a
# VEVENT built as icalendar objects costs ~0.3 ms, most of it in objects whose only
# product is this text. Each piece comes from icalendar's own functions (escaping,
# folding, the TZID and the UTC mark per zone), and tests/support/ics_reference.py
# keeps the icalendar build the bytes are checked against, on a corpus and on any text.


def _value(text: str) -> str:
    """A value as icalendar writes it: UTF-8 read back as utf-8-sig (one leading BOM goes)."""
    return to_unicode(text.encode())


def _text(text: str) -> str:
    return _value(escape_char(text))


def _raw(text: str) -> str:
    """A URI or address, written unescaped: a line break would start a property of its own."""
    if "\n" in text:
        raise ValueError("a calendar link or address can't hold a line break")
    return _value(text)


def _line(line: str) -> str:
    # icalendar folds ASCII lines every 74 characters (others by octets): a shorter one
    # is its own fold.
    return line if len(line) < 75 and line.isascii() else foldline(line)


@lru_cache(maxsize=1024)
def _time_form(zone: str | None) -> tuple[str, str]:
    """What icalendar writes around a wall time in ``zone`` (None: UTC): ';TZID=…', 'Z'.

    It names some zones UTC (Africa/Abidjan, Etc/UTC, …) and writes their times with
    a Z and no TZID; asking it once per zone keeps every such choice its own.
    """
    sample = vDDDTypes(datetime(2001, 1, 1, tzinfo=ZoneInfo(zone) if zone else UTC))
    params = sample.params.to_ical().decode()
    return (f";{params}" if params else ""), sample.to_ical().decode()[15:]


def _digits(moment: datetime) -> str:
    return (
        f"{moment.year:04}{moment.month:02}{moment.day:02}"
        f"T{moment.hour:02}{moment.minute:02}{moment.second:02}"
    )


def _vevent_text(item: CalendarEvent, zoned: bool) -> bytes:
    """The VEVENT, properties in icalendar's order: its canonical ones, then A to Z."""
    zone = item.timezone if zoned else None
    params, mark = _time_form(zone)
    tzinfo = ZoneInfo(zone) if zone else UTC
    stamp = _digits(_utc(item.last_modified)) + "Z"
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(item.summary)}",
        f"DTSTART{params}:{_digits(item.starts_at.astimezone(tzinfo))}{mark}",
        f"DTEND{params}:{_digits(item.ends_at.astimezone(tzinfo))}{mark}",
        f"DTSTAMP:{stamp}",
        f"UID:{_text(item.uid)}",
        f"SEQUENCE:{int(item.sequence)}",
    ]
    if item.attendee:
        lines.append(
            "ATTENDEE;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=FALSE:"
            + _raw(f"mailto:{item.attendee}")
        )
    if item.description:
        lines.append(f"DESCRIPTION:{_text(item.description)}")
    lines.append(f"LAST-MODIFIED:{stamp}")
    if item.location:
        lines.append(f"LOCATION:{_text(item.location)}")
    if item.organizer:
        lines.append("ORGANIZER;CN=Hearth:" + _raw(f"mailto:{item.organizer}"))
    lines.append(f"STATUS:{_text(item.status.value)}")
    lines.append(f"TRANSP:{'TRANSPARENT' if item.status is EventStatus.CANCELLED else 'OPAQUE'}")
    if item.url:
        lines.append(f"URL:{_raw(item.url)}")
    lines.append("END:VEVENT")
    return ("\r\n".join(map(_line, lines)) + "\r\n").encode()


class Fragment(NamedTuple):
    """One VEVENT's finished text, and whether it names its zone (needs a VTIMEZONE)."""

    text: bytes
    zoned: bool


def _fragment_uncached(item: CalendarEvent) -> Fragment:
    zoned = _zoned(item)
    return Fragment(_vevent_text(item, zoned), zoned)


#: One fragment per event a process has built lately: room for a 10,000-session public
#: feed and some 6,000 private events. An entry holds the event and its text, about
#: 1.6 KB together, so a full cache is ~26 MB of a worker. A miss costs about what a
#: string template does, so a feed that outgrows the cache is slower, never wrong.
FRAGMENT_CACHE_SIZE = 16_384

# Keyed by the whole (frozen, hashable) event: a change to any field it says, the
# wording, the link's host or the zone included, is another key, so nothing has to be
# invalidated by hand; stale entries just age out. lru_cache is thread-safe. The
# language is keyed the same way: every word of a VEVENT is in the event's own fields,
# worded by the caller (services/feeds/events.py) as plain ``str``, never a lazy string
# that would word itself anew in whatever language a later lookup runs in.
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
