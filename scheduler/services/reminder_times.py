"""When a family's reminders go out: the offsets it chose, read and checked, and the
moment each reminder is due (kept out of the night).

``notify`` queues the reminders; the account form checks the offsets with the same
reading, so what a family types is what it gets.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from scheduler import settings
from scheduler.models import User
from scheduler.timeutil import to_local, to_utc

#: Reminders of a day or more are moved into these local hours (nobody wants 3 a.m.).
QUIET_OFFSET = timedelta(hours=24)
EARLIEST_LOCAL, LATEST_LOCAL = time(9, 0), time(20, 0)

_OFFSET = re.compile(r"^\s*(\d{1,4})\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
#: Longest reminder offset accepted: a reminder a month ahead is no reminder.
MAX_OFFSET = timedelta(days=30)


def parse_offsets(text: str) -> list[timedelta]:
    """Read "48h,2h,30m,1d" into offsets, largest first; raise ValueError when unreadable."""
    offsets = set()
    for part in text.split(","):
        match = _OFFSET.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not like 48h, 2h, 30m or 1d")
        offset = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if not timedelta(minutes=1) <= offset <= MAX_OFFSET:
            raise ValueError(f"{part.strip()!r} must be between 1 minute and 30 days")
        offsets.add(offset)
    return sorted(offsets, reverse=True)


def offsets_for(user: User) -> list[timedelta]:
    """The reminder offsets a family gets: its own choice, or the site's default."""
    if not user.reminders_enabled:
        return []
    return parse_offsets(user.reminder_offsets or settings.current().reminder_offsets)


def reminder_time(starts_at: datetime, offset: timedelta, zone: str) -> datetime:
    """When a reminder goes out: ``offset`` before the start, moved out of the night.

    Only reminders a day or more ahead move; they land between 9:00 and 20:00 in the
    family's zone on the same day, which keeps them at least 15 hours before the start.
    """
    due = starts_at - offset
    if offset < QUIET_OFFSET:
        return due
    local = to_local(due, zone)
    if local.time() < EARLIEST_LOCAL:
        return to_utc(datetime.combine(local.date(), EARLIEST_LOCAL), zone)
    if local.time() > LATEST_LOCAL:
        return to_utc(datetime.combine(local.date(), LATEST_LOCAL), zone)
    return due


__all__ = ["offsets_for", "parse_offsets", "reminder_time"]
