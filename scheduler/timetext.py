"""One way to word a moment for the person reading it, on every page, email and digest.

A parent reading at night must never have to work out which of two times is theirs, or
that "7:00 PM CST" means eight o'clock where they live. So a time is worded for its
reader: their own time first (the part pages show strongly), a relative day while it is
near ("Tomorrow"), the zone in words ("Eastern Time", not "EST" or
"America/New_York"), and the other party's time after it, only when the clocks differ,
without the date again unless it falls on another day.

Babel words the dates from CLDR's data for a locale, so another language is a
``locale`` argument, not new code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    format_date,
    format_skeleton,
    format_time,
    get_day_names,
    get_timezone_location,
    get_timezone_name,
)
from flask import has_app_context
from flask_babel import get_locale

from scheduler.timeutil import to_local

#: Days ahead that get a relative word ("In 3 days"); further on, the date says enough.
NEAR_DAYS = 6
DEFAULT_LOCALE = "en"


def _locale(locale: str | None) -> str:
    """The locale asked for, else the language being written in now (a page's, or an
    email's in ``i18n.for_user``), else English."""
    if locale:
        return locale
    found = get_locale() if has_app_context() else None
    return str(found) if found else DEFAULT_LOCALE


@dataclass(frozen=True)
class TimeText:
    """A moment worded for one reader. ``str()`` gives it as one line, for plain text."""

    #: The instant with the reader's offset, for ``<time datetime>``.
    iso: str
    #: "Today", "Tomorrow", "In 3 days", "Yesterday", or None when not near.
    relative: str | None
    #: The reader's date and clock: "Thu, Dec 3, 7:00 PM" (the year when not this one).
    main: str
    #: The reader's clock alone: "7:00 PM".
    clock: str
    #: The reader's zone in words: "Eastern Time".
    zone: str
    #: The other party's time when their clock differs: "6:00 PM Central Time", with
    #: its date ("Wed, Dec 2, 11:00 PM Pacific Time") when that is another day.
    other: str | None = None
    #: Whose time ``other`` is, as a whole phrase with a ``%(time)s`` slot for it:
    #: "%(time)s for the facilitator" (so a language can put the time where it goes).
    other_role: str | None = None

    @property
    def other_text(self) -> str | None:
        """The other party's time with whose it is, as pages show it second."""
        if self.other is None:
            return None
        return self.other_role % {"time": self.other} if self.other_role else self.other

    def __str__(self) -> str:
        text = f"{self.main} {self.zone}"
        if self.relative:
            text = f"{self.relative}, {text}"
        if other := self.other_text:
            text = f"{text} ({other})"
        return text


def time_text(
    instant: datetime,
    zone: str,
    *,
    now: datetime | None = None,
    relative: bool = True,
    other_zone: str | None = None,
    other_role: str | None = None,
    locale: str | None = None,
) -> TimeText:
    """Word ``instant`` for a reader in ``zone``; ``other_zone`` is the other party's.

    ``now`` decides the relative day and whether the year is needed; without it (an
    email read some day later) the year is always given and no relative day is.
    """
    locale = _locale(locale)
    local = to_local(instant, zone)
    today = to_local(now, zone).date() if now is not None else None
    clock = _clock(local, locale)
    other = None
    if other_zone is not None:
        theirs = to_local(instant, other_zone)
        if theirs.replace(tzinfo=None) != local.replace(tzinfo=None):
            their_clock = f"{_clock(theirs, locale)} {zone_name(other_zone, instant, locale)}"
            other = (
                their_clock
                if theirs.date() == local.date()
                else _date_and_clock(theirs, _day(theirs, today, locale), their_clock, locale)
            )
    return TimeText(
        iso=local.isoformat(),
        relative=_relative(local.date(), today, locale) if relative and today else None,
        main=_date_and_clock(local, _day(local, today, locale), clock, locale),
        clock=clock,
        zone=zone_name(zone, instant, locale),
        other=other,
        other_role=other_role if other else None,
    )


def moment_text(instant: datetime, zone: str, *, locale: str | None = None) -> str:
    """One reader's time as one line of text, for what is read later or out of context
    (emails, messages about a change): "Thu, Dec 3, 2026, 8:00 PM Eastern Time"."""
    shown = time_text(instant, zone, relative=False, locale=_locale(locale))
    return f"{shown.main} {shown.zone}"


def day_text(day: date, *, locale: str | None = None) -> str:
    """A calendar day as pages head it, whole: "Monday, December 21, 2026"."""
    return str(format_date(day, "full", locale=_locale(locale)))


def heading(text: str) -> str:
    """Start a heading with a capital: Spanish writes days and months in lower case
    mid-sentence ("miércoles, 2 de diciembre"), but a heading still starts with one."""
    return text[:1].upper() + text[1:]


def local_day_text(instant: datetime, zone: str, *, locale: str | None = None) -> str:
    """The day an instant falls on in ``zone``, as ``day_text`` says it."""
    return day_text(to_local(instant, zone).date(), locale=locale)


def weekday_name(weekday: int, *, locale: str | None = None) -> str:
    """A weekday by its number (0 is Monday), in words: "Tuesday", "martes"."""
    return str(get_day_names("wide", locale=_locale(locale))[weekday])


def zone_city(zone: str, locale: str | None = None) -> str:
    """The place a zone is named after, in words: "New York", "Nueva York", "UTC"."""
    if zone.startswith(("Etc/", "UTC", "GMT")):
        return zone
    return str(get_timezone_location(zone, locale=_locale(locale), return_city=True))


def zone_name(zone: str, instant: datetime, locale: str | None = None) -> str:
    """A zone as people say it: "Eastern Time", the same in summer and winter.

    CLDR's generic names are what people use ("Pacific Time"); a zone without one gets
    a city in brackets ("United States (Honolulu) Time") or no place at all ("UTC"),
    so those use the name of the time in force then ("Hawaii-Aleutian Standard Time",
    "Coordinated Universal Time").
    """
    locale = _locale(locale)
    generic = _generic_name(zone, locale)
    if generic is not None:
        return generic
    moment = to_local(instant, zone)
    return str(get_timezone_name(moment, "long", zone_variant="standard", locale=locale))


@functools.cache
def _generic_name(zone: str, locale: str) -> str | None:
    name = str(get_timezone_name(ZoneInfo(zone), "long", zone_variant="generic", locale=locale))
    if "(" in name or zone.startswith(("Etc/", "UTC", "GMT")):
        return None
    return name


def _clock(local: datetime, locale: str) -> str:
    """ "7:00 PM", kept on one line by a no-break space.

    CLDR puts a narrow no-break space (U+202F) before "PM"; fonts on older phones and
    mail programs draw it as a box, so the common no-break space is used instead.
    """
    return str(format_time(local, "short", locale=locale)).replace("\u202f", "\u00a0")


def _day(local: datetime, today: date | None, locale: str) -> str:
    """The short date: "Thu, Dec 3", with the year unless it is the reader's current one."""
    skeleton = "MMMEd" if today is not None and today.year == local.year else "yMMMEd"
    return str(format_skeleton(skeleton, local, locale=locale))


def _date_and_clock(local: datetime, day: str, clock: str, locale: str) -> str:
    """Join a date and a clock the locale's way ("{date}, {time}" in English)."""
    pattern = Locale.parse(locale).datetime_formats["medium"]
    return str(pattern).replace("{1}", day).replace("{0}", clock)


def _relative(day: date, today: date, locale: str) -> str | None:
    """ "Today", "Tomorrow", "In 3 days", "Yesterday": CLDR's words for near days."""
    offset = (day - today).days
    if offset < -1 or offset > NEAR_DAYS:
        return None
    fields = Locale.parse(locale)._data["date_fields"]["day"]  # no public API for these
    words = fields["relative"].get(offset)
    if words is None:
        plural = Locale.parse(locale).plural_form(offset)
        words = fields["future"][plural].replace("{0}", str(offset))
    return str(words[:1].upper() + words[1:])
