"""Counseling availability: the slots a facilitator offers, worked out from their rules.

Pure: no Flask, no database. The caller loads a facilitator's rules and busy times,
passes ``now``, and gets back UTC slots to show or book. Windows are laid out in the
facilitator's local wall time, so a Tuesday 2 PM slot stays at 2 PM when the clocks change.
"""

from __future__ import annotations

from bisect import bisect_right
from calendar import day_name
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from scheduler.timeutil import is_valid_zone, to_utc, wall_time

MIN_SLOT_MINUTES = 10
MAX_SLOT_MINUTES = 480
MAX_BUFFER_MINUTES = 240
MIN_HORIZON = timedelta(days=1)
MAX_HORIZON = timedelta(days=366)
MAX_NOTICE = timedelta(days=30)

#: UTC offsets lie between -12 and +14 hours, so a wall time never sits more than 26 hours
#: from its instant; searching two extra days each side of the bookable range finds every slot.
_WALL_MARGIN = timedelta(days=2)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class WeeklyWindow:
    """Hours a facilitator is free every week, in their own wall time."""

    #: 0 = Monday ... 6 = Sunday, as ``datetime.weekday()`` counts.
    weekday: int
    #: Local wall time in the rules' zone.
    start: time
    #: Local wall time, after ``start``: a weekly window does not cross midnight.
    end: time


@dataclass(frozen=True)
class OneOffWindow:
    """Extra hours on particular dates, in wall time; may run past midnight."""

    #: Naive local wall time in the rules' zone.
    start: datetime
    #: Naive local wall time, after ``start``.
    end: datetime


@dataclass(frozen=True)
class SlotRules:
    """Everything that decides which counseling slots a facilitator offers."""

    #: IANA zone of the facilitator; all windows and blackout dates are read in it.
    zone: str
    slot_minutes: int
    #: Gap after each slot before the next one in the same window.
    buffer_minutes: int = 0
    #: A slot must start at least this long after now.
    min_notice: timedelta = timedelta(hours=24)
    #: A slot must start no later than now + horizon.
    horizon: timedelta = timedelta(days=28)
    weekly: tuple[WeeklyWindow, ...] = ()
    one_off: tuple[OneOffWindow, ...] = ()
    #: Local dates (in ``zone``) with no slots at all, judged by each slot's start.
    blackout: frozenset[date] = frozenset()


@dataclass(frozen=True, order=True)
class Slot:
    """One bookable stretch of a facilitator's time, as UTC instants."""

    starts_at: datetime
    ends_at: datetime


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Tell whether two half-open intervals share time; touching end to start is not sharing."""
    return a_start < b_end and b_start < a_end


class InvalidRules(ValueError):
    """Rules that could never give sensible slots. ``str()`` is the reason in English;
    ``code`` and ``params`` let a caller word it in its reader's language."""

    def __init__(self, code: str, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.code = code
        self.params = params


def validate(rules: SlotRules) -> None:
    """Refuse rules that could never give sensible slots, saying what to change."""
    if not isinstance(rules.zone, str) or not is_valid_zone(rules.zone):
        raise InvalidRules(
            "zone", f"{rules.zone!r} is not a time zone we know; choose one from the list."
        )
    if not MIN_SLOT_MINUTES <= rules.slot_minutes <= MAX_SLOT_MINUTES:
        raise InvalidRules(
            "slot_length",
            f"A slot must last between {MIN_SLOT_MINUTES} and {MAX_SLOT_MINUTES} minutes.",
            shortest=MIN_SLOT_MINUTES,
            longest=MAX_SLOT_MINUTES,
        )
    if not 0 <= rules.buffer_minutes <= MAX_BUFFER_MINUTES:
        raise InvalidRules(
            "buffer",
            f"The break between slots must be between 0 and {MAX_BUFFER_MINUTES} minutes.",
            longest=MAX_BUFFER_MINUTES,
        )
    if not MIN_HORIZON <= rules.horizon <= MAX_HORIZON:
        raise InvalidRules("horizon", "Slots can be offered from 1 day up to 366 days ahead.")
    if not timedelta(0) <= rules.min_notice <= MAX_NOTICE:
        raise InvalidRules("notice", "The minimum notice must be between none and 30 days.")
    if rules.min_notice >= rules.horizon:
        raise InvalidRules(
            "notice_past_horizon",
            "The minimum notice must be shorter than how far ahead slots are offered, "
            "or no slot could ever be booked.",
        )
    for window in rules.weekly:
        _validate_weekly(window, rules.slot_minutes)
    for one_off in rules.one_off:
        if one_off.start.tzinfo is not None or one_off.end.tzinfo is not None:
            raise ValueError("Extra availability must be given in local time, without a zone.")
        if one_off.end <= one_off.start:
            raise ValueError(
                f"The extra availability starting {one_off.start:%Y-%m-%d %H:%M} "
                "must end after it starts."
            )
    for day in rules.blackout:
        # A datetime never equals a date, so it would silently black out nothing.
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError("Days off must be calendar dates, without a time.")


def _validate_weekly(window: WeeklyWindow, slot_minutes: int) -> None:
    """Refuse a weekly window that is on no day, backwards, or too short for one slot."""
    if not 0 <= window.weekday <= 6:
        raise ValueError("A weekly window's day must be 0 (Monday) to 6 (Sunday).")
    if window.start.tzinfo is not None or window.end.tzinfo is not None:
        raise ValueError("Weekly availability must be given in local time, without a zone.")
    label = f"The {day_name[window.weekday]} {window.start:%H:%M} to {window.end:%H:%M} window"
    where = {"weekday": window.weekday, "start": window.start, "end": window.end}
    if window.end <= window.start:
        raise InvalidRules(
            "window_backwards",
            f"{label} must end after it starts (windows can't cross midnight).",
            **where,
        )
    length = datetime.combine(date.min, window.end) - datetime.combine(date.min, window.start)
    if length < timedelta(minutes=slot_minutes):
        raise InvalidRules(
            "window_short",
            f"{label} is shorter than one {slot_minutes}-minute slot.",
            minutes=slot_minutes,
            **where,
        )


def generate_slots(rules: SlotRules, now: datetime, busy: Iterable[Interval] = ()) -> list[Slot]:
    """Return the slots offered between now+min_notice and now+horizon, sorted, no duplicates.

    ``busy`` holds aware UTC intervals the facilitator is taken (workshops and other
    commitments); a slot within ``buffer_minutes`` of one is left out. Booked counseling
    is the caller's to remove.
    """
    validate(rules)
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    now = now.astimezone(UTC)
    try:
        earliest = now + rules.min_notice
        latest = now + rules.horizon
    except OverflowError as error:
        raise ValueError("now is too close to the end of the calendar") from error
    # Keeps every wall-time calculation below clear of datetime's limits.
    if earliest.year < 2 or latest.year > 9998:
        raise ValueError("now is too close to the edge of the calendar")
    low = wall_time(earliest, rules.zone) - _WALL_MARGIN
    high = wall_time(latest, rules.zone) + _WALL_MARGIN

    buffer = timedelta(minutes=rules.buffer_minutes)
    taken = _merged(busy)
    taken_ends = [end for _, end in taken]

    def is_free(slot: Slot) -> bool:
        """Tell whether the slot and its buffers stay clear of every busy interval."""
        start, end = slot.starts_at - buffer, slot.ends_at + buffer
        # The first busy interval ending after the reach starts is the only one to check,
        # since the merged intervals are disjoint and sorted.
        index = bisect_right(taken_ends, start)
        return index == len(taken) or not overlaps(start, end, *taken[index])

    candidates = {
        slot
        for window_start, window_end in _windows(rules, low, high)
        for slot in _lay_out(rules, window_start, window_end, low, high)
        if earliest <= slot.starts_at <= latest and is_free(slot)
    }
    return _without_overlaps(sorted(candidates))


def _windows(rules: SlotRules, low: datetime, high: datetime) -> Iterator[Interval]:
    """Yield every window, as naive wall times, that could hold a slot between low and high."""
    by_weekday: dict[int, list[WeeklyWindow]] = {}
    for weekly in rules.weekly:
        by_weekday.setdefault(weekly.weekday, []).append(weekly)
    day = low.date()
    while day <= high.date():
        if day not in rules.blackout:
            for weekly in by_weekday.get(day.weekday(), ()):
                yield datetime.combine(day, weekly.start), datetime.combine(day, weekly.end)
        day += timedelta(days=1)
    for one_off in rules.one_off:
        if one_off.start <= high and one_off.end >= low:
            yield one_off.start, one_off.end


def _lay_out(
    rules: SlotRules, start: datetime, end: datetime, low: datetime, high: datetime
) -> Iterator[Slot]:
    """Yield the window's slots whose wall start lies between low and high, as UTC slots."""
    length = timedelta(minutes=rules.slot_minutes)
    step = length + timedelta(minutes=rules.buffer_minutes)
    # Jump to the first slot near the bookable range: a long one-off may begin years ago.
    first = max(0, -((start - low) // step))
    wall = start + first * step
    while wall <= high and wall <= end - length:
        if wall.date() not in rules.blackout:
            slot = _slot_at(wall, length, rules.zone)
            if slot is not None:
                yield slot
        wall += step


def _slot_at(wall: datetime, length: timedelta, zone: str) -> Slot | None:
    """Return the slot starting at a wall time, or None when clocks skip its start or end."""
    try:
        return Slot(to_utc(wall, zone), to_utc(wall + length, zone))
    except ValueError:
        return None  # a wall time in the hour skipped when clocks go forward


def _merged(busy: Iterable[Interval]) -> list[Interval]:
    """Sort and join busy intervals so each slot needs one binary search, not a scan."""
    intervals: list[Interval] = []
    for start, end in busy:
        if start.utcoffset() is None or end.utcoffset() is None:
            raise ValueError("busy times must be aware datetimes")
        if end > start:  # an empty or backwards interval takes up no time
            intervals.append((start.astimezone(UTC), end.astimezone(UTC)))
    intervals.sort()
    merged: list[Interval] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _without_overlaps(slots: list[Slot]) -> list[Slot]:
    """Keep the earlier of any two overlapping slots: nobody can be in two at once."""
    kept: list[Slot] = []
    for slot in slots:
        if not kept or slot.starts_at >= kept[-1].ends_at:
            kept.append(slot)
    return kept
