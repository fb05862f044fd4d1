"""VTIMEZONE components that every calendar parser reads the same way.

icalendar's own ``Timezone.from_tzid`` lists a zone's onsets as comma-separated
``RDATE`` values; Mozilla's ical.js (Thunderbird) and vobject read only the first value
of such a list, so later clock changes vanish for them and events an hour off follow.
This module writes what the tz database itself says, in the forms every parser reads:

* the zone's current rule (the POSIX TZ string at the end of its TZif file) as one
  ``RRULE`` per kind of onset, for as long as the rule matches the zone's real
  transitions — so a body is right for every year after too;
* every other transition in the span as a sub-component with a single ``DTSTART``
  (zones whose changes follow no rule, like Morocco's around Ramadan, or years before
  the current rule began);
* one first onset at the start of the span, naming the offset in force there.

The transitions themselves are read from :mod:`zoneinfo`, the same source that turned
the events' wall times into UTC, so calendars and the database cannot disagree. The
output depends only on the zone and the span: the same data gives the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import TZPATH, ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

__all__ = ["Onset", "Rule", "tz_version", "vtimezone", "zone_onsets"]

#: Probing step when looking for transitions: no zone changes its clocks twice within
#: a day (the closest changes in the tz database, around Ramadan, are weeks apart).
_STEP = timedelta(days=1)
_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")


@dataclass(frozen=True, order=True)
class Onset:
    """One moment the zone's offset (or its name, or whether it is daylight time) changes."""

    at: datetime  # UTC
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool

    @property
    def local_start(self) -> datetime:
        """The onset as RFC 5545 writes it: the wall time just before the change."""
        return (self.at + self.offset_from).replace(tzinfo=None)


@dataclass(frozen=True)
class Rule:
    """One yearly onset of a POSIX TZ rule ``Mm.w.d/time`` and the offsets around it."""

    month: int
    week: int  # 1-4, or 5 for "the last"
    weekday: int  # 0 = Sunday, as POSIX counts
    seconds: int  # local time of the change, in the offset before it; may be <0 or ≥24 h
    offset_from: timedelta
    offset_to: timedelta

    def instant(self, year: int) -> datetime:
        """The UTC instant of this onset in ``year``."""
        first = date(year, self.month, 1)
        first_weekday = (first.isoweekday()) % 7  # Sunday = 0
        day = 1 + (self.weekday - first_weekday) % 7 + 7 * (self.week - 1)
        next_month = date(year + self.month // 12, self.month % 12 + 1, 1)
        while day > (next_month - first).days:  # week 5 means "the last"
            day -= 7
        # The wall time written as if it were UTC, then moved by the offset in force.
        wall = datetime(year, self.month, day, tzinfo=UTC) + timedelta(seconds=self.seconds)
        return wall - self.offset_from

    def recurrence(self) -> dict[str, Any] | None:
        """The RRULE of this onset, or None when RFC 5545 can't say it within one month.

        A change at 24:00 or -1:00 moves it to the next or previous day, so "the Friday
        after the fourth Thursday" becomes ``BYDAY=FR;BYMONTHDAY=23,...,29``.
        """
        shift = self.seconds // 86400
        rrule: dict[str, Any] = {"freq": "yearly", "bymonth": self.month}
        if shift == 0:
            rrule["byday"] = f"{-1 if self.week == 5 else self.week}{_DAYS[self.weekday]}"
            return rrule
        if self.week == 5:
            # ical.js ignores negative month days next to BYDAY, so count from the
            # start of the month, which only February's length forbids.
            if self.month == 2:
                return None
            last = (date(2001, self.month % 12 + 1, 1) - date(2001, self.month, 1)).days
            days = list(range(last - 6 + shift, last + 1 + shift))
        else:
            last = 28  # a day every month has
            days = list(range(7 * (self.week - 1) + 1 + shift, 7 * self.week + 1 + shift))
        if not all(1 <= d <= last for d in days):
            return None
        rrule["byday"] = _DAYS[(self.weekday + shift) % 7]
        rrule["bymonthday"] = days
        return rrule


# --- the tz database ---------------------------------------------------------------


def _tzif(zone: str) -> bytes | None:
    """Read the zone's TZif file from where :mod:`zoneinfo` reads it (TZPATH, then tzdata)."""
    for folder in TZPATH:
        path = Path(folder, zone)
        if path.is_file():
            return path.read_bytes()
    try:
        package = resources.files("tzdata.zoneinfo")
        return package.joinpath(*zone.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, IsADirectoryError):
        return None


@cache
def tz_version() -> str:
    """The tz database release zoneinfo reads ('2025b'), so feeds change when it does."""
    for folder in TZPATH:
        path = Path(folder, "tzdata.zi")
        if path.is_file():
            with path.open(encoding="ascii", errors="replace") as lines:
                first = lines.readline()
            if first.startswith("# version "):
                return first.removeprefix("# version ").strip()
    try:
        import tzdata  # only where the system has no tz database
    except ModuleNotFoundError:
        return "unknown"
    return str(tzdata.IANA_VERSION)


def _footer(zone: str) -> str:
    """The POSIX TZ string that version 2+ TZif files end with ('' when there is none)."""
    data = _tzif(zone)
    if not data or not data.startswith(b"TZif") or data[4:5] < b"2":
        return ""
    lines = data.rstrip(b"\n").rsplit(b"\n", 1)
    return lines[1].decode("ascii", "replace") if len(lines) == 2 else ""


_NAME = r"(?:[A-Za-z]{3,}|<[+\-0-9A-Za-z]+>)"
_OFFSET = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_POSIX = re.compile(
    rf"^(?P<std>{_NAME})(?P<stdoff>{_OFFSET})"
    rf"(?:(?P<dst>{_NAME})(?P<dstoff>{_OFFSET})?"
    rf",M(?P<sm>\d+)\.(?P<sw>\d)\.(?P<sd>\d)(?:/(?P<st>{_OFFSET}))?"
    rf",M(?P<em>\d+)\.(?P<ew>\d)\.(?P<ed>\d)(?:/(?P<et>{_OFFSET}))?)?$"
)


def _seconds(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


@cache
def _rules(zone: str) -> tuple[Rule, Rule] | None:
    """The zone's current yearly rule (into daylight time, out of it), if it has one.

    Zones with a fixed offset, and rules POSIX writes by Julian day, have none here;
    their onsets are then written one by one.
    """
    match = _POSIX.match(_footer(zone))
    if match is None or match["sm"] is None:
        return None
    # POSIX offsets are west of Greenwich; RFC 5545's are east.
    standard = timedelta(seconds=-_seconds(match["stdoff"]))
    daylight = (
        timedelta(seconds=-_seconds(match["dstoff"]))
        if match["dstoff"]
        else standard + timedelta(hours=1)
    )

    def rule(prefix: str, before: timedelta, after: timedelta) -> Rule:
        at = match[f"{prefix}t"]
        return Rule(
            month=int(match[f"{prefix}m"]),
            week=int(match[f"{prefix}w"]),
            weekday=int(match[f"{prefix}d"]),
            seconds=_seconds(at) if at else 7200,
            offset_from=before,
            offset_to=after,
        )

    return rule("s", standard, daylight), rule("e", daylight, standard)


def _state(zone: ZoneInfo, at: datetime) -> tuple[timedelta, str, bool]:
    local = at.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.tzname() or "", bool(local.dst())


@lru_cache(maxsize=1024)
def zone_onsets(name: str, start: datetime, end: datetime) -> tuple[Onset, ...]:
    """Every transition of the zone in [start, end), found by asking zoneinfo itself."""
    zone = ZoneInfo(name)
    onsets: list[Onset] = []
    moment, state = start, _state(zone, start)
    while moment < end:
        following = min(moment + _STEP, end)
        next_state = _state(zone, following)
        if next_state != state:
            low, high = moment, following  # the change lies in (low, high]
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            onsets.append(Onset(high, state[0], next_state[0], next_state[1], next_state[2]))
        moment, state = following, next_state
    return tuple(onsets)


# --- the component -----------------------------------------------------------------


def _rule_onsets(rules: tuple[Rule, Rule], start: datetime, end: datetime) -> list[Onset]:
    """The onsets the yearly rule gives in [start, end), without names or kinds."""
    found = [
        Onset(rule.instant(year), rule.offset_from, rule.offset_to, "", False)
        for year in range(start.year - 1, end.year + 2)
        for rule in rules
    ]
    return sorted(o for o in found if start <= o.at < end)


def _same(a: Onset, b: Onset) -> bool:
    return (a.at, a.offset_from, a.offset_to) == (b.at, b.offset_from, b.offset_to)


def _rule_start(name: str, onsets: tuple[Onset, ...], start: datetime, end: datetime) -> int:
    """Index of the first onset from which the yearly rule gives exactly the real ones.

    ``len(onsets)`` when the rule can't be used: no rule, one RFC 5545 can't say, or a
    rule the span's last transitions don't follow yet.
    """
    rules = _rules(name)
    if rules is None or any(rule.recurrence() is None for rule in rules):
        return len(onsets)
    expected = _rule_onsets(rules, start, end)
    for index in range(len(onsets)):
        tail = onsets[index:]
        following = [o for o in expected if o.at >= tail[0].at]
        if len(following) == len(tail) and all(map(_same, following, tail)):
            return index
    return len(onsets)


def _subcomponent(
    onset: Onset, rrule: dict[str, Any] | None = None
) -> TimezoneStandard | TimezoneDaylight:
    part = TimezoneDaylight() if onset.daylight else TimezoneStandard()
    part.add("dtstart", onset.local_start)
    if rrule is not None:
        part.add("rrule", rrule)
    part.add("tzname", onset.name)
    part.add("tzoffsetfrom", onset.offset_from)
    part.add("tzoffsetto", onset.offset_to)
    return part


def _named(zone: ZoneInfo, at: datetime, offset_from: timedelta) -> Onset:
    """The onset at ``at`` with the offset, name and kind zoneinfo gives just after it."""
    offset, name, daylight = _state(zone, at)
    return Onset(at, offset_from, offset, name, daylight)


@lru_cache(maxsize=1024)
def _onsets(
    name: str, first_year: int, last_year: int
) -> tuple[tuple[Onset, dict[str, Any] | None], ...]:
    zone = ZoneInfo(name)
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    # The offset in force when the span opens, as an onset that changes nothing.
    opening = _named(zone, start, _state(zone, start)[0])
    onsets = zone_onsets(name, start, end)
    cut = _rule_start(name, onsets, start, end)
    parts: list[tuple[Onset, dict[str, Any] | None]] = [(opening, None)]
    parts += [(onset, None) for onset in onsets[:cut]]
    rules = _rules(name)
    if cut < len(onsets) and rules is not None:
        begins = onsets[cut].at
        for rule in rules:
            year = begins.year - 1
            while rule.instant(year) < begins:
                year += 1
            first = _named(zone, rule.instant(year), rule.offset_from)
            parts.append((first, rule.recurrence()))
    return tuple(sorted(parts, key=lambda part: part[0].at))


def vtimezone(name: str, first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE of ``name``, right for every instant from first_year to last_year.

    Callers give a span a year wider than their events on each side; where the zone
    follows a rule, the body stays right for every year after the span as well.
    """
    timezone = Timezone()
    timezone.add("tzid", name)
    for onset, rrule in _onsets(name, first_year, last_year):
        timezone.add_component(_subcomponent(onset, rrule))
    return timezone
