"""Time zone helpers: UTC in the database, the place's local time on screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def utcnow() -> datetime:
    """Return the current instant, aware, in UTC."""
    return datetime.now(UTC)


@cache
def all_zones() -> frozenset[str]:
    """Return every IANA zone name this machine knows."""
    # "localtime" is the server's own zone file, not an IANA name: its meaning varies by machine.
    return frozenset(available_timezones() - {"localtime"})


@cache
def common_zones() -> tuple[str, ...]:
    """Return the zone names offered in pickers, sorted, without legacy aliases."""
    prefixes = ("Africa/", "America/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Pacific/")
    return (*sorted(z for z in all_zones() if z.startswith(prefixes)), "UTC")


def is_valid_zone(name: str) -> bool:
    """Tell whether ``name`` is an IANA zone we can load."""
    if name not in all_zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def to_utc(local: datetime, zone: str) -> datetime:
    """Turn a naive wall-clock time at ``zone`` into an aware UTC instant.

    Raises ValueError when the wall time does not exist there (the hour skipped when
    clocks go forward); an ambiguous time (clocks going back) takes the first one.
    """
    if local.tzinfo is not None:
        raise ValueError("expected a wall-clock (naive) time")
    tz = ZoneInfo(zone)
    try:
        instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
        round_trip = instant.astimezone(tz).replace(tzinfo=None)
    except OverflowError as error:
        raise ValueError(f"{local:%Y-%m-%d} is outside the calendar") from error
    if round_trip != local:
        raise ValueError(f"{local:%Y-%m-%d %H:%M} does not exist in {zone} (clocks change)")
    return instant


def to_local(instant: datetime, zone: str) -> datetime:
    """Return ``instant`` as an aware time in ``zone``."""
    return instant.astimezone(ZoneInfo(zone))


def is_repeated_wall_time(instant: datetime, zone: str) -> bool:
    """Tell whether the wall time of ``instant`` at ``zone`` happens twice that day.

    When clocks go back, 01:30 comes twice; a wall time alone can't say which one.
    """
    local = to_local(instant, zone)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def wall_time(instant: datetime, zone: str) -> datetime:
    """Return the naive wall-clock time of ``instant`` at ``zone``."""
    return to_local(instant, zone).replace(tzinfo=None)


def weekly(first_local: datetime, weeks: int, zone: str) -> list[datetime]:
    """Return UTC instants for ``weeks`` sessions at the same local wall time each week.

    Adding 7 days to the *wall time* (not the instant) is what keeps a 6 PM session at
    6 PM after the clocks change.
    """
    try:
        walls = [first_local + timedelta(weeks=i) for i in range(weeks)]
    except OverflowError as error:
        raise ValueError("the series runs past the end of the calendar") from error
    return [to_utc(wall, zone) for wall in walls]


def format_local(instant: datetime, zone: str, *, with_date: bool = True) -> str:
    """Format an instant as people read it, naming the zone: 'Tue 4 Mar 2026, 6:00 PM EST'."""
    local = to_local(instant, zone)
    clock = local.strftime("%I:%M %p").lstrip("0")
    abbreviation = local.tzname() or zone
    if not with_date:
        return f"{clock} {abbreviation}"
    return f"{local:%a} {local.day} {local:%b %Y}, {clock} {abbreviation}"
