"""The fragment cache: every body is byte for byte the one a single icalendar Calendar gives.

``build_calendar`` keeps each VEVENT's text, keyed by the whole event, and assembles a
body from the pieces. These tests hold it to the builder it replaced
(``tests/support/ics_reference.py``), with the cache cold, warm and bypassed, on a
corpus of everything a Hearth calendar says.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import ics
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.timeutil import common_zones, to_utc
from tests.support.ics_checks import clock_changes, mechanical_checks
from tests.support.ics_reference import reference_calendar

CHANGED = datetime(2026, 11, 3, 8, 15, 42, tzinfo=UTC)

#: Zones with one rule, southern and half-hour rules, none at all, a 45-minute offset,
#: rules at 24:00 and -1:00, winter as "daylight" time, and zones icalendar names UTC.
ZONES = (
    "America/New_York",
    "Europe/London",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
    "America/Nuuk",
    "Europe/Dublin",
    "Africa/Casablanca",
    "Africa/Abidjan",
    "Etc/UTC",
    "UTC",
)

TEXTS = (
    "Family education: understanding addiction, recovery and relapse; a long title that "
    "runs well past seventy-five octets, so it is folded",
    "Talking with teens\nabout substance use",
    "Windows line\r\nbreak, and a lone \\N that icalendar reads as a line break",
    'Back\\slash, "quotes" and colons: all here',
    "Évènement · 家族 · عائلة · 🕯️ " * 6,
    "x" * 73 + "é" + "y" * 80,  # a two-octet character right on the fold
    "\ufeffA leading byte-order mark, which icalendar drops",
    "",
)

#: Summaries whose SUMMARY line is 74, 75 and 76 octets: icalendar folds from 75 on.
FOLD_EDGES = tuple("s" * (length - len("SUMMARY:")) for length in (74, 75, 76))

INVITES = (
    CalendarInfo(name="Hearth workshops"),
    CalendarInfo(name="Hearth: sessions of Dr Lee, MSW; evenings", refresh=timedelta(hours=6)),
    CalendarInfo(name="Hearth", method="REQUEST"),
    CalendarInfo(name="Hearth", method="CANCEL"),
)


def event(n: int, **overrides: object) -> CalendarEvent:
    start = datetime(2027, 1, 12, 23, 0, tzinfo=UTC) + timedelta(days=3 * n, minutes=30 * n)
    values: dict[str, object] = dict(
        uid=f"session-{n}@hearth.test",
        sequence=n % 3,
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
        timezone=ZONES[n % len(ZONES)],
        summary=TEXTS[n % len(TEXTS)] or "Untitled",
        description=TEXTS[(n + 1) % len(TEXTS)],
        location=TEXTS[(n + 2) % len(TEXTS)],
        url=f"https://hearth.test/workshops/{n}" if n % 5 else "",
        status=list(EventStatus)[n % 3],
        last_modified=CHANGED + timedelta(seconds=n),
    )
    values.update(overrides)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def repeated_hour_events() -> list[CalendarEvent]:
    """Events starting or ending in the hour clocks repeat: written in UTC, no TZID."""
    events = []
    for n, (zone, wall) in enumerate(
        [
            ("America/New_York", datetime(2026, 11, 1, 1, 30)),
            ("Europe/London", datetime(2027, 10, 31, 1, 15)),
            ("Australia/Sydney", datetime(2027, 4, 4, 2, 30)),
        ]
    ):
        first = to_utc(wall, zone)
        for m, (starts, ends) in enumerate(
            [
                (first, first + timedelta(minutes=30)),
                (first + timedelta(hours=1), first + timedelta(hours=2)),
                (first - timedelta(hours=1), first),
            ]
        ):
            events.append(event(100 + 10 * n + m, timezone=zone, starts_at=starts, ends_at=ends))
    return events


def corpus() -> list[CalendarEvent]:
    """Every kind of event a Hearth calendar holds, in many zones and years."""
    events = [event(n) for n in range(60)]
    events += repeated_hour_events()
    events += [event(300 + n, summary=text) for n, text in enumerate(FOLD_EDGES)]
    events += [
        event(205, url="\ufeffhttps://hearth.test/bom"),
        event(200, organizer="no-reply@hearth.test", attendee="family+1@example.org"),
        event(201, status=EventStatus.CANCELLED, organizer="a@b.test", attendee="c@d.test"),
        event(  # seconds and microseconds, as a database may hand them back
            202,
            starts_at=datetime(2031, 12, 31, 23, 30, 15, 500, tzinfo=UTC),
            ends_at=datetime(2032, 1, 1, 0, 45, 59, 999_999, tzinfo=UTC),
        ),
        event(  # spans a new year
            203,
            starts_at=datetime(2027, 12, 31, 22, tzinfo=UTC),
            ends_at=datetime(2028, 1, 2, tzinfo=UTC),
        ),
        # The same instants as event 4, given in another tzinfo (as a form may hand them).
        event(
            204,
            starts_at=event(4).starts_at.astimezone(ZoneInfo("Asia/Tokyo")),
            ends_at=event(4).ends_at.astimezone(ZoneInfo("America/Chicago")),
            last_modified=CHANGED.astimezone(ZoneInfo("Europe/Paris")),
        ),
    ]
    return events


@pytest.fixture(autouse=True)
def cold_cache():
    ics.clear_caches()
    yield
    ics.clear_caches()


@pytest.mark.parametrize("info", INVITES, ids=lambda info: f"{info.method}-{info.name[:12]}")
def test_a_calendar_is_byte_identical_to_the_single_calendar_build_cold_warm_and_uncached(
    info, monkeypatch
):
    events = corpus()
    expected = reference_calendar(events, info)
    mechanical_checks(expected)

    cold = build_calendar(events, info)
    misses = ics._fragment.cache_info().misses
    warm = build_calendar(list(reversed(events)), info)
    assert ics._fragment.cache_info().misses == misses  # every event came from the cache
    monkeypatch.setattr(ics, "_fragment", ics._fragment_uncached)
    uncached = build_calendar(events, info)

    assert cold == expected
    assert warm == expected
    assert uncached == expected


def test_a_calendar_of_cached_and_new_events_is_byte_identical_too():
    events = corpus()
    build_calendar(events[::2], CalendarInfo(name="x"))  # half of them cached
    assert build_calendar(events, CalendarInfo(name="x")) == reference_calendar(
        events, CalendarInfo(name="x")
    )


def test_an_empty_calendar_is_byte_identical():
    info = CalendarInfo(name="Nothing yet")
    assert build_calendar([], info) == reference_calendar([], info)


#: For each field, another value that changes what the event says.
CHANGES = {
    "uid": "session-1@other.test",
    "sequence": 7,
    "starts_at": datetime(2027, 1, 19, 23, 0, tzinfo=UTC),
    "ends_at": datetime(2027, 1, 13, 2, 0, tzinfo=UTC),
    "timezone": "Europe/London",
    "summary": "Renamed, with a comma",
    "description": "New words",
    "location": "Room 2 · Online",
    "url": "https://other.test/workshops/1",
    "status": EventStatus.CANCELLED,
    "last_modified": CHANGED + timedelta(days=1),
    "organizer": "other@hearth.test",
    "attendee": "other@example.org",
}


def test_every_field_of_an_event_has_a_change_to_try():
    assert set(CHANGES) == {field.name for field in dataclasses.fields(CalendarEvent)}


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_changing_any_field_of_a_cached_event_rebuilds_its_text(field):
    info = CalendarInfo(name="x")
    original = event(1, timezone="America/New_York", organizer="a@b.test", attendee="c@d.test")
    neighbour = event(2)
    before = build_calendar([original, neighbour], info)

    changed = dataclasses.replace(original, **{field: CHANGES[field]})
    after = build_calendar([changed, neighbour], info)

    assert after == reference_calendar([changed, neighbour], info)
    assert after != before
    # The unchanged neighbour came from the cache; the changed event was built anew.
    assert ics._fragment.cache_info().hits == 1


def test_threads_building_at_once_get_the_same_bytes():
    events = corpus()
    info = CalendarInfo(name="x")
    expected = reference_calendar(events, info)
    # Overlapping halves, built from a cold cache by four threads together.
    work = [events[: len(events) // 2 + 5], events[len(events) // 2 - 5 :], events, events] * 3
    with ThreadPoolExecutor(max_workers=4) as pool:
        bodies = list(pool.map(lambda some: build_calendar(some, info), work))
    for some, body in zip(work, bodies, strict=True):
        assert body == (expected if some is events else reference_calendar(some, info))


#: What escaping and folding turn on: marks, breaks, backslashes, wide characters, a BOM.
TRICKY = ',;:\\\n\r\t"NaZ é家🕯\ufeff\x00'
# Any code point but surrogates (which no calendar can encode), control characters too,
# or long runs of the tricky ones, so that folds fall on every kind of character.
any_text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=120),
    st.text(st.sampled_from(TRICKY), min_size=60, max_size=160),
)
#: Links and addresses are written unescaped, so a line break in one is refused instead.
any_link = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=90),
    st.text(st.sampled_from(TRICKY.replace("\n", "")), min_size=60, max_size=90),
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(
    texts=st.tuples(any_text, any_text, any_text, any_text),
    links=st.tuples(any_link, any_link, any_link),
    zone=st.sampled_from(sorted({*common_zones(), *ZONES, "Etc/GMT+5", "Iceland"})),
    start=moments,
    minutes=st.integers(0, 60 * 30),
    changed=moments,
    sequence=st.integers(0, 10_000),
    status=st.sampled_from(EventStatus),
)
def test_any_event_is_written_as_icalendar_writes_it(
    texts, links, zone, start, minutes, changed, sequence, status
):
    summary, description, location, uid = texts
    url, organizer, attendee = links
    item = CalendarEvent(
        uid=uid,
        sequence=sequence,
        starts_at=start,
        ends_at=start + timedelta(minutes=minutes),
        timezone=zone,
        summary=summary,
        description=description,
        location=location,
        url=url,
        status=status,
        last_modified=changed.astimezone(ZoneInfo(zone)),
        organizer=organizer or None,
        attendee=attendee or None,
    )
    info = CalendarInfo(name=summary or "x")
    assert build_calendar([item], info) == reference_calendar([item], info)


@pytest.mark.parametrize("field", ["url", "organizer", "attendee"])
def test_a_line_break_in_a_link_or_address_is_refused(field):
    with pytest.raises(ValueError, match="line break"):
        build_calendar([event(1, **{field: "x@y.test\nX-INJECTED:1"})], CalendarInfo(name="x"))


@pytest.mark.slow
def test_every_zone_is_written_byte_for_byte_as_before():
    """All ~470 zones, in winter, in summer and across their 2027 clock changes."""
    info = CalendarInfo(name="x")
    for zone in common_zones():
        moments = [datetime(2027, 1, 15, 12, tzinfo=UTC), datetime(2027, 7, 15, 12, tzinfo=UTC)]
        moments += [
            c + timedelta(minutes=m) for c in clock_changes(zone, 2027, 2027) for m in (-30, 30)
        ]
        events = [
            event(n, timezone=zone, starts_at=m, ends_at=m + timedelta(hours=1))
            for n, m in enumerate(moments)
        ]
        assert build_calendar(events, info) == reference_calendar(events, info), zone
