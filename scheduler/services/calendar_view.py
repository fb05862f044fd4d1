"""The workshop calendar: published sessions laid out by local day, a month or a week.

Its words (the title, the weekdays) are the reader's language's, from Babel, and its
weeks start on the day that language's calendars start them on.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TypeVar
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_skeleton, get_day_names
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from scheduler.extensions import db
from scheduler.i18n import current_language
from scheduler.models import SessionStatus, Workshop, WorkshopSession, WorkshopStatus
from scheduler.services.catalog import SessionRow, session_rows
from scheduler.timetext import day_text, heading, time_text, zone_name
from scheduler.timeutil import to_local

T = TypeVar("T")

#: Weeks start on Monday (ISO 8601, and Python's own calendar) unless a locale says
#: otherwise (``first_weekday``): English without a country and Spanish both say Monday.
FIRST_WEEKDAY = calendar.MONDAY
#: Dates the calendar pages accept; beyond them zone data and date arithmetic give out.
EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)
#: The zone an anonymous visitor sees when there is no session to take one from.
FALLBACK_ZONE = "UTC"
#: Sessions a day's cell in the month grid lists before "N more".
MONTH_ENTRIES_PER_DAY = 4
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class View(StrEnum):
    MONTH = "month"
    WEEK = "week"


@dataclass(frozen=True)
class CalendarEntry:
    """One session as a calendar cell lists it."""

    session_id: int
    workshop_id: int
    title: str
    starts_at: datetime
    #: The start's clock in the calendar's zone, which the page names once: "6:30 PM".
    time: str
    #: The start where the workshop is, when its clock differs: "5:30 PM Central Time".
    place_time: str | None
    capacity: int
    #: Seats a new household can book now (zero when full or held for the waitlist).
    seats_left: int
    cancelled: bool
    #: The session has begun (it is listed until it ends, but no longer bookable).
    started: bool
    #: The viewing family's booking there: "confirmed", "waitlisted" or None.
    my_booking: str | None


@dataclass(frozen=True)
class CalendarDay:
    date: date
    #: "Wednesday, March 4, 2026"
    label: str
    #: False for the days of the next or last month that fill a month grid's weeks.
    in_period: bool
    is_today: bool
    entries: list[CalendarEntry]
    #: Sessions that day the month grid leaves out (the week view lists them all).
    more: int = 0


@dataclass(frozen=True)
class CalendarPage:
    view: View
    zone: str
    #: The zone as people say it: "Eastern Time".
    zone_name: str
    #: The first day of the month, or the first day of the week.
    start: date
    #: "March 2026" or "Week of March 2, 2026", as a heading says it.
    title: str
    #: The month or week as a sentence says it: "March 2026", "marzo de 2026".
    period_name: str
    #: Full weekday names in column order.
    weekdays: tuple[str, ...]
    weeks: list[list[CalendarDay]]
    previous_start: date
    next_start: date
    #: Where the other view (week or month) opens from here.
    switch_start: date
    #: The period holds today, so "this month" or "this week" is where you are.
    is_current: bool
    #: Sessions in the month or week itself (not the days filling the grid around it).
    entry_count: int
    #: The local date of the first session after the period, to point an empty page at.
    next_session_day: date | None


def parse_view(value: str | None) -> View:
    """Read ``?view=``; anything but "week" is the month view."""
    return View.WEEK if value == View.WEEK else View.MONTH


def parse_start(value: str | None, today: date) -> date:
    """Read ``?start=YYYY-MM-DD``; no value means today.

    Raises ValueError, with a message for the page, for anything else.
    """
    if not value:
        return today
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Dates are written year-month-day, like 2026-03-04.")) from None
    if not EARLIEST <= day <= LATEST:
        raise ValueError(
            _(
                "Choose a date between %(earliest)s and %(latest)s, written like 2026-03-04.",
                earliest=EARLIEST.isoformat(),
                latest=LATEST.isoformat(),
            )
        )
    return day


def first_weekday(locale: str) -> int:
    """The weekday a locale's weeks start on (0 is Monday), as its calendars print them."""
    return int(Locale.parse(locale).first_week_day)


def weekday_names(first: int, locale: str) -> tuple[str, ...]:
    """The seven weekdays' full names from ``first``, as column heads: "Monday", "Lunes"."""
    names = get_day_names("wide", locale=locale)
    return tuple(_heading(names[(first + i) % 7]) for i in range(7))


def _heading(text: str) -> str:
    """Start with a capital, as a heading does (Spanish months and days are lower case)."""
    return text[:1].upper() + text[1:]


def month_weeks(day: date, first_weekday: int = FIRST_WEEKDAY) -> list[list[date]]:
    """Return the whole weeks that cover ``day``'s month, each as seven dates."""
    return calendar.Calendar(first_weekday).monthdatescalendar(day.year, day.month)


def week_start(day: date, first_weekday: int = FIRST_WEEKDAY) -> date:
    """Return the first day of the week holding ``day``."""
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


def month_start(day: date) -> date:
    return day.replace(day=1)


def shift_month(day: date, months: int) -> date:
    """Return the first day of the month ``months`` away from ``day``'s."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def local_midnight(day: date, zone: str) -> datetime:
    """Return the UTC instant a local day begins (or the first instant after, if skipped)."""
    return datetime.combine(day, time(), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def group_by_local_date(
    items: Iterable[T], zone: str, starts_at: Callable[[T], datetime]
) -> dict[date, list[T]]:
    """Group items by the local date, in ``zone``, of the instant each starts at."""
    days: dict[date, list[T]] = {}
    for item in items:
        days.setdefault(to_local(starts_at(item), zone).date(), []).append(item)
    return days


def viewer_zone(user_zone: str | None, *, now: datetime) -> str:
    """Choose the zone the calendar is drawn in.

    A logged-in person reads times in their own zone. An anonymous visitor gets the zone
    of the next published session (a community's workshops are mostly in one place),
    as the counseling page does, and the page names it.
    """
    if user_zone:
        return user_zone
    zone = db.session.scalar(
        select(Workshop.timezone)
        .join(WorkshopSession)
        .where(Workshop.status == WorkshopStatus.PUBLISHED, WorkshopSession.ends_at > now)
        .order_by(WorkshopSession.starts_at)
        .limit(1)
    )
    return zone or FALLBACK_ZONE


def _published_between(low: datetime, high: datetime, now: datetime) -> list[WorkshopSession]:
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .join(Workshop)
            .options(joinedload(WorkshopSession.workshop))
            .where(
                Workshop.status == WorkshopStatus.PUBLISHED,
                WorkshopSession.ends_at > now,
                WorkshopSession.starts_at >= low,
                WorkshopSession.starts_at < high,
            )
            .order_by(WorkshopSession.starts_at, WorkshopSession.id)
        )
    )


def _next_session_day(after: datetime, zone: str, now: datetime) -> date | None:
    starts_at = db.session.scalar(
        select(WorkshopSession.starts_at)
        .join(Workshop)
        .where(
            Workshop.status == WorkshopStatus.PUBLISHED,
            WorkshopSession.status != SessionStatus.CANCELLED,
            WorkshopSession.ends_at > now,
            WorkshopSession.starts_at >= after,
        )
        .order_by(WorkshopSession.starts_at)
        .limit(1)
    )
    return to_local(starts_at, zone).date() if starts_at else None


def build_calendar(
    view: View, start: date, *, zone: str, now: datetime, family_id: int | None = None
) -> CalendarPage:
    """Lay out the published sessions not yet ended in the month or week holding ``start``.

    Drafts never show. Cancelled sessions do, marked cancelled, so a family that booked
    one sees it is off (as the public feed keeps them). Days are local days in ``zone``:
    a session at 23:30 there sits on that date, whatever the UTC date is.
    """
    locale = current_language()
    weekday = first_weekday(locale)
    today = to_local(now, zone).date()
    if view is View.WEEK:
        first = week_start(start, weekday)
        weeks = [[first + timedelta(days=i) for i in range(7)]]
        period = (first, first + timedelta(days=6))
        name = _("Week of %(day)s", day=format_date(first, "long", locale=locale))
        previous_start, next_start = first - timedelta(days=7), first + timedelta(days=7)
        switch_start = month_start(today if period[0] <= today <= period[1] else first)
    else:
        first = month_start(start)
        weeks = month_weeks(first, weekday)
        period = (first, shift_month(first, 1) - timedelta(days=1))
        name = str(format_skeleton("yMMMM", first, locale=locale))
        previous_start, next_start = shift_month(first, -1), shift_month(first, 1)
        switch_start = week_start(today if period[0] <= today <= period[1] else first, weekday)

    grid_first, grid_last = weeks[0][0], weeks[-1][-1]
    # A day a little wider on each side, then the local date decides: no DST or
    # skipped-midnight edge can drop a session.
    low = local_midnight(grid_first, zone) - timedelta(days=1)
    high = local_midnight(grid_last + timedelta(days=1), zone) + timedelta(days=1)
    sessions = _published_between(low, high, now)
    by_day_all = group_by_local_date(sessions, zone, lambda session: session.starts_at)
    # A month cell shows a few sessions and says how many more: a network with dozens
    # a day gets a readable grid, and a page whose size doesn't grow with the network.
    shown_per_day = None if view is View.WEEK else MONTH_ENTRIES_PER_DAY
    shown = [s for day in by_day_all.values() for s in day[:shown_per_day]]
    rows = session_rows(shown, family_id, now)
    by_day = group_by_local_date(rows, zone, lambda row: row.session.starts_at)

    def entry(row: SessionRow) -> CalendarEntry:
        s, w = row.session, row.session.workshop
        worded = time_text(s.starts_at, zone, now=now, other_zone=w.timezone, relative=False)
        return CalendarEntry(
            session_id=s.id,
            workshop_id=w.id,
            title=w.title,
            starts_at=s.starts_at,
            time=worded.clock,
            place_time=worded.other,
            capacity=s.capacity,
            seats_left=row.seats.open,
            cancelled=s.is_cancelled,
            started=s.starts_at <= now,
            my_booking=row.my_booking.status if row.my_booking else None,
        )

    days = [
        [
            CalendarDay(
                date=d,
                label=heading(day_text(d)),
                in_period=period[0] <= d <= period[1],
                is_today=d == today,
                entries=[entry(row) for row in by_day.get(d, [])],
                more=len(by_day_all.get(d, [])) - len(by_day.get(d, [])),
            )
            for d in week
        ]
        for week in weeks
    ]
    entry_count = sum(len(day.entries) + day.more for week in days for day in week if day.in_period)
    return CalendarPage(
        view=view,
        zone=zone,
        zone_name=zone_name(zone, now),
        start=first,
        title=_heading(name),
        period_name=name,
        weekdays=weekday_names(weekday, locale),
        weeks=days,
        previous_start=previous_start,
        next_start=next_start,
        switch_start=switch_start,
        is_current=period[0] <= today <= period[1],
        entry_count=entry_count,
        next_session_day=_next_session_day(
            max(local_midnight(period[1] + timedelta(days=1), zone), now), zone, now
        )
        if entry_count == 0
        else None,
    )
