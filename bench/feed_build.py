"""Time building the public feed (scheduler.ics) against hand-written string templates.

Both builders turn the same CalendarEvent objects into an RFC 5545 body in the same run;
the table gives best-of-N seconds and the ratio builder/baseline, so the machine's speed
cancels out. The builder is timed twice: a worker's first build, with no VEVENT text
cached yet, and the build after one session changed, when the text of every other
event comes from the fragment cache. Run from the repository root:

    .venv/bin/python bench/feed_build.py
"""

from __future__ import annotations

import gc
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.ics import (
    PRODID,
    CalendarEvent,
    CalendarInfo,
    EventStatus,
    build_calendar,
    clear_caches,
)

#: (events in the feed, timed repeats; the best one counts)
RUNS = ((1_000, 5), (10_000, 3))
CALENDAR = CalendarInfo(name="Hearth workshops")

# --- realistic sessions ------------------------------------------------------------

ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
)
TITLES = (
    "Family education: understanding addiction, recovery and relapse",
    "Setting limits; keeping love",
    "Talking with teens\nabout substance use",
    "Self-care for caregivers, week by week",
    "CRAFT: community reinforcement; family training",
    "Grief, guilt and hope",
    "Naloxone, overdose response and safety planning",
    "Siblings: the quiet ones",
)
SENTENCES = (
    "A facilitated group for parents, partners and siblings of someone in recovery.",
    "Bring questions; we keep names and stories in the room.",
    "Coffee and tea from 15 minutes before.",
    "Seats are limited, so please book for each household member.",
    "The session is recorded for nobody; notes are yours to keep.",
    "Step-free entrance on the side street, lift to the second floor.",
)
PLACES = ("Room 2 · Online", "Community centre, hall B", "Online", "Library annex; room 4")
DURATIONS = (60, 90, 90, 120)


def _description(rng: random.Random) -> str:
    """About 200 characters of prose with commas, semicolons and a line break."""
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < 200:
        parts.append(rng.choice(SENTENCES))
    return " ".join(parts[:2]) + "\n" + " ".join(parts[2:])


def make_events(count: int, seed: int = 5545) -> list[CalendarEvent]:
    """Weekly series of sessions, ten to a workshop, across five zones and two years."""
    rng = random.Random(seed)
    changed = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    events = []
    for number in range(count):
        workshop = number // 10
        zone_name = ZONES[workshop % len(ZONES)]
        zone = ZoneInfo(zone_name)
        first = datetime(2027, 1, 4, 9, 0, tzinfo=zone) + timedelta(
            days=(workshop * 3) % 400, hours=(workshop * 5) % 11, minutes=30 * (workshop % 2)
        )
        local = first + timedelta(weeks=number % 10)  # wall-clock arithmetic: same local time
        starts_at = local.astimezone(UTC)  # stored in UTC, as the database gives them
        cancelled = rng.random() < 0.08
        events.append(
            CalendarEvent(
                uid=f"session-{number + 1}@hearth.example.org",
                sequence=rng.choice((0, 0, 0, 1, 2)) + (1 if cancelled else 0),
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=DURATIONS[workshop % len(DURATIONS)]),
                timezone=zone_name,
                summary=("Cancelled: " if cancelled else "") + TITLES[workshop % len(TITLES)],
                description=_description(rng),
                location=PLACES[workshop % len(PLACES)],
                url=f"https://hearth.example.org/workshops/{workshop + 1}",
                status=EventStatus.CANCELLED if cancelled else EventStatus.CONFIRMED,
                last_modified=changed + timedelta(seconds=rng.randrange(86_400 * 30)),
            )
        )
    return events


# --- the baseline: plain string templates --------------------------------------------

#: Fixed VTIMEZONE text per zone (today's rules as RRULEs), written once by hand.
VTIMEZONES = {
    "America/New_York": ("EST", "-0500", "EDT", "-0400", "2SU3", "1SU11", "020000", "020000"),
    "America/Chicago": ("CST", "-0600", "CDT", "-0500", "2SU3", "1SU11", "020000", "020000"),
    "America/Los_Angeles": ("PST", "-0800", "PDT", "-0700", "2SU3", "1SU11", "020000", "020000"),
    "Europe/London": ("GMT", "+0000", "BST", "+0100", "-1SU3", "-1SU10", "010000", "020000"),
    "Australia/Sydney": ("AEST", "+1000", "AEDT", "+1100", "1SU10", "1SU4", "020000", "030000"),
}


def _vtimezone(tzid: str) -> str:
    std, std_off, dst, dst_off, dst_rule, std_rule, dst_at, std_at = VTIMEZONES[tzid]

    def rule(day: str) -> str:
        return f"FREQ=YEARLY;BYMONTH={day[day.index('U') + 1 :]};BYDAY={day[: day.index('U') + 1]}"

    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
        f"BEGIN:DAYLIGHT\r\nDTSTART:19700101T{dst_at}\r\nRRULE:{rule(dst_rule)}\r\n"
        f"TZNAME:{dst}\r\nTZOFFSETFROM:{std_off}\r\nTZOFFSETTO:{dst_off}\r\nEND:DAYLIGHT\r\n"
        f"BEGIN:STANDARD\r\nDTSTART:19700101T{std_at}\r\nRRULE:{rule(std_rule)}\r\n"
        f"TZNAME:{std}\r\nTZOFFSETFROM:{dst_off}\r\nTZOFFSETTO:{std_off}\r\nEND:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    )


def _text(value: str) -> str:
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Fold one content line at 75 octets, never inside a UTF-8 character."""
    if len(line) <= 75 and line.isascii():
        return line + "\r\n"
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode())
        if size + width > 75:
            out.append("".join(chunk))
            chunk, size = [" "], 1
        chunk.append(char)
        size += width
    out.append("".join(chunk))
    return "\r\n".join(out) + "\r\n"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def baseline_calendar(events: Sequence[CalendarEvent], info: CalendarInfo) -> bytes:
    """The same calendar from f-strings: what a hand-rolled feed would do."""
    hours = int(info.refresh.total_seconds() // 3600)
    parts = [
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
        _fold(f"PRODID:{PRODID}"),
        f"CALSCALE:GREGORIAN\r\nMETHOD:{info.method}\r\n",
        _fold(f"X-WR-CALNAME:{_text(info.name)}"),
        f"REFRESH-INTERVAL;VALUE=DURATION:PT{hours}H\r\nX-PUBLISHED-TTL:PT{hours}H\r\n",
    ]
    parts.extend(_vtimezone(tzid) for tzid in sorted({e.timezone for e in events}))
    zones: dict[str, ZoneInfo] = {}
    for item in sorted(events, key=lambda e: (e.starts_at, e.uid)):
        zone = zones.setdefault(item.timezone, ZoneInfo(item.timezone))
        start = item.starts_at.astimezone(zone).strftime("%Y%m%dT%H%M%S")
        end = item.ends_at.astimezone(zone).strftime("%Y%m%dT%H%M%S")
        changed = _stamp(item.last_modified)
        cancelled = item.status is EventStatus.CANCELLED
        parts.append("BEGIN:VEVENT\r\n")
        parts.append(_fold(f"SUMMARY:{_text(item.summary)}"))
        parts.append(f"DTSTART;TZID={item.timezone}:{start}\r\n")
        parts.append(f"DTEND;TZID={item.timezone}:{end}\r\n")
        parts.append(f"DTSTAMP:{changed}\r\n")
        parts.append(_fold(f"UID:{item.uid}"))
        parts.append(f"SEQUENCE:{item.sequence}\r\n")
        if item.description:
            parts.append(_fold(f"DESCRIPTION:{_text(item.description)}"))
        parts.append(f"LAST-MODIFIED:{changed}\r\n")
        if item.location:
            parts.append(_fold(f"LOCATION:{_text(item.location)}"))
        parts.append(f"STATUS:{item.status.value}\r\n")
        parts.append(f"TRANSP:{'TRANSPARENT' if cancelled else 'OPAQUE'}\r\n")
        if item.url:
            parts.append(_fold(f"URL:{item.url}"))
        parts.append("END:VEVENT\r\n")
    parts.append("END:VCALENDAR\r\n")
    return "".join(parts).encode()


# --- measuring -----------------------------------------------------------------------


Builder = Callable[[Sequence[CalendarEvent], CalendarInfo], bytes]


def best_of(
    repeats: int,
    build: Builder,
    prepare: Callable[[int], Sequence[CalendarEvent]],
) -> tuple[float, bytes]:
    """Best time of ``build`` over the repeats; ``prepare(repeat)`` (untimed) gives its events."""
    best, body = float("inf"), b""
    for repeat in range(repeats):
        events = prepare(repeat)
        gc.collect()
        began = time.perf_counter()
        body = build(events, CALENDAR)
        best = min(best, time.perf_counter() - began)
    return best, body


def fully_cold(count: int) -> Callable[[int], list[CalendarEvent]]:
    """A worker's first build: nothing cached yet."""

    def prepare(repeat: int) -> list[CalendarEvent]:
        clear_caches()
        return make_events(count)

    return prepare


def after_one_change(count: int) -> Callable[[int], list[CalendarEvent]]:
    """The feed after one session changed: every other event's text is cached.

    The events are made anew, as each request makes them from the database, and the
    changed session has a new title and sequence in every repeat.
    """

    def prepare(repeat: int) -> list[CalendarEvent]:
        clear_caches()
        build_calendar(make_events(count), CALENDAR)
        events = make_events(count)
        changed = events[count // 2]
        events[count // 2] = replace(
            changed, summary=f"{changed.summary} (moved {repeat})", sequence=changed.sequence + 1
        )
        return events

    return prepare


def _vevents(body: bytes) -> list[list[bytes]]:
    """Each VEVENT's unfolded content lines, sorted (property order may differ)."""
    unfolded = re.sub(rb"\r\n[ \t]", b"", body)
    blocks = re.findall(rb"BEGIN:VEVENT\r\n(.*?)END:VEVENT\r\n", unfolded, flags=re.S)
    return [sorted(block.split(b"\r\n")) for block in blocks]


def check(count: int, builder: bytes, baseline: bytes) -> None:
    """Both bodies hold the same N events, line for line, with lines of at most 75 octets."""
    for body in (builder, baseline):
        assert body.count(b"BEGIN:VEVENT\r\n") == count
        assert max(len(line) for line in body.split(b"\r\n")) <= 75
    assert _vevents(builder) == _vevents(baseline), "the two bodies disagree on an event"


def check_changed(count: int, repeats: int, changed: bytes) -> None:
    """The rebuild after a change is the body an empty cache gives for the same events."""
    events = after_one_change(count)(repeats - 1)
    clear_caches()
    assert changed == build_calendar(events, CALENDAR), "the cache served a stale event"
    assert f"(moved {repeats - 1})".encode() in changed


def main() -> None:
    rows = []
    for count, repeats in RUNS:
        cold_s, cold_body = best_of(repeats, build_calendar, fully_cold(count))
        changed_s, changed_body = best_of(repeats, build_calendar, after_one_change(count))
        baseline_s, baseline_body = best_of(repeats, baseline_calendar, fully_cold(count))
        check(count, cold_body, baseline_body)
        check_changed(count, repeats, changed_body)
        sizes = (len(cold_body), len(baseline_body))
        rows.append((count, repeats, cold_s, changed_s, baseline_s, *sizes))

    print(f"Python {sys.version.split()[0]}, best of the repeats, time.perf_counter\n")
    print(
        "| sessions | repeats | first build, nothing cached (s) | after one change (s) "
        "| string baseline (s) | ratio, first build | ratio, after a change "
        "| ms/event, first build | builder bytes | baseline bytes |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for count, repeats, cold_s, changed_s, baseline_s, size, baseline_size in rows:
        print(
            f"| {count:,} | {repeats} | {cold_s:.3f} | {changed_s:.3f} | {baseline_s:.3f} "
            f"| {cold_s / baseline_s:.1f}x | {changed_s / baseline_s:.2f}x "
            f"| {1000 * cold_s / count:.3f} | {size:,} | {baseline_size:,} |"
        )


if __name__ == "__main__":
    main()
