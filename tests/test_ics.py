"""The pure ICS builder: RFC 5545 mechanics, escaping, stability, zones in every parser."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.timeutil import common_zones, to_utc, weekly
from tests.support import icaljs, libical
from tests.support.ics_checks import (
    clock_changes,
    cross_check,
    mechanical_checks,
    with_icalendar,
    with_icaljs,
    with_libical,
    with_recurring_ical_events,
    with_vobject,
)

CHANGED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def event(n: int = 1, **overrides) -> CalendarEvent:
    start = overrides.pop("starts_at", datetime(2027, 1, 12, 23, 0, tzinfo=UTC))
    values = dict(
        uid=f"session-{n}@hearth.test",
        sequence=0,
        starts_at=start,
        ends_at=start + timedelta(minutes=90),
        timezone="America/New_York",
        summary="Family education",
        description="About recovery",
        location="Room 1",
        url=f"https://hearth.test/workshops/{n}",
        status=EventStatus.CONFIRMED,
        last_modified=CHANGED,
    )
    values.update(overrides)
    return CalendarEvent(**values)


def series(zone: str, first: datetime, weeks: int) -> list[CalendarEvent]:
    # UIDs must not contain the zone name: one test renames the zones in the body.
    code = f"{zone[:2].lower()}{first:%y%m%d}"
    return [
        event(i, starts_at=start, timezone=zone, uid=f"{code}-{i}@hearth.test")
        for i, start in enumerate(weekly(first, weeks, zone))
    ]


def test_calendar_says_what_it_is_and_how_often_to_poll():
    body = build_calendar([event()], CalendarInfo(name="Hearth workshops"))
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["prodid"]).startswith("-//Hearth//")
    assert (str(calendar["version"]), str(calendar["calscale"]), str(calendar["method"])) == (
        "2.0",
        "GREGORIAN",
        "PUBLISH",
    )
    assert str(calendar["x-wr-calname"]) == "Hearth workshops"
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    assert b"X-PUBLISHED-TTL:PT1H\r\n" in body


def test_event_carries_uid_sequence_status_and_times_from_the_record():
    body = build_calendar([event(sequence=3, status=EventStatus.CANCELLED)], CalendarInfo(name="x"))
    vevent = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(vevent["uid"]) == "session-1@hearth.test"
    assert vevent["sequence"] == 3 and str(vevent["status"]) == "CANCELLED"
    assert vevent.decoded("dtstamp") == CHANGED == vevent.decoded("last-modified")
    assert vevent["dtstart"].params["TZID"] == "America/New_York"
    assert str(vevent["url"]) == "https://hearth.test/workshops/1"


def test_unchanged_data_gives_byte_identical_calendars():
    events = [event(1), event(2, timezone="Europe/London")]
    info = CalendarInfo(name="x")
    assert build_calendar(events, info) == build_calendar(list(reversed(events)), info)


def test_every_zone_used_gets_one_vtimezone():
    events = [
        event(1),
        event(2, timezone="Europe/London"),
        event(3, timezone="Asia/Kolkata"),
        event(4),
    ]
    body = build_calendar(events, CalendarInfo(name="x"))
    mechanical_checks(body)
    assert body.count(b"BEGIN:VTIMEZONE") == 3


@pytest.mark.parametrize(
    "text",
    [
        "Commas, semicolons; and\nnew lines",
        "Windows line\r\nbreak",
        'Back\\slash and "quotes"',
        "Évènement · 家族 · عائلة · 🕯️",
    ],
)
def test_text_round_trips_escaped_in_every_parser(text):
    body = build_calendar(
        [event(summary=text, description=text, location=text)], CalendarInfo(name="x")
    )
    cross_check(body)
    expected = text.replace("\r\n", "\n")
    vevent = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(vevent["summary"]) == expected == str(vevent["description"])
    import vobject

    assert vobject.readOne(body.decode()).vevent.summary.value == expected


def test_injected_line_break_cannot_add_a_property():
    body = build_calendar(
        [event(summary="Evil\r\nX-INJ: 1", description="a\nEND:VEVENT")], CalendarInfo(name="x")
    )
    vevent = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert "X-INJ" not in vevent
    assert b"\r\nX-INJ" not in body and b"\r\nEND:VEVENT\r\nEND:VEVENT" not in body
    assert len(icalendar.Calendar.from_ical(body).walk("VEVENT")) == 1


def test_long_multibyte_text_is_folded_at_75_octets():
    body = build_calendar(
        [event(description="Séance familiale 家族 " * 40)], CalendarInfo(name="x")
    )
    mechanical_checks(body)
    vevent = icalendar.Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(vevent["description"]) == "Séance familiale 家族 " * 40


#: Weekly series that cross a DST change, with a summer and a winter instant in each.
DST_SERIES = [
    ("America/New_York", datetime(2027, 3, 2, 18, 30), 4),  # clocks forward 14 March
    ("America/New_York", datetime(2026, 10, 20, 18, 30), 4),  # clocks back 1 November
    ("Europe/London", datetime(2027, 3, 16, 19, 0), 4),  # forward 28 March
    ("Australia/Sydney", datetime(2027, 3, 23, 10, 0), 4),  # back 4 April (southern)
    ("Australia/Sydney", datetime(2026, 9, 22, 10, 0), 4),  # forward 4 October
]


@pytest.mark.parametrize(("zone", "first", "weeks"), DST_SERIES)
def test_dst_crossing_series_keeps_local_time_in_every_parser(zone, first, weeks):
    events = series(zone, first, weeks)
    body = build_calendar(events, CalendarInfo(name="x"))

    instants = cross_check(body)

    expected = sorted((e.uid, e.starts_at) for e in events)
    assert [(i.uid, i.start) for i in instants] == expected
    local = {i.start.astimezone(ZoneInfo(zone)).time() for i in instants}
    assert local == {first.time()}
    offsets = {i.start.astimezone(ZoneInfo(zone)).utcoffset() for i in instants}
    assert len(offsets) == 2  # the series really crosses a change


def _rename_zones(body: bytes, names: dict[str, str]) -> bytes:
    for real, made_up in names.items():
        assert len(real) == len(made_up)  # keep every folded line within 75 octets
        body = body.replace(real.encode(), made_up.encode())
    return body


def test_every_parser_reads_the_vtimezone_rules_not_its_own_database():
    # With made-up TZIDs a parser can only get the offsets from our VTIMEZONE components.
    events = [
        *series("America/New_York", datetime(2027, 3, 2, 18, 30), 3),
        *series("Europe/London", datetime(2027, 3, 16, 19, 0), 3),
        *series("Australia/Sydney", datetime(2027, 3, 23, 10, 0), 3),
    ]
    body = _rename_zones(
        build_calendar(events, CalendarInfo(name="x")),
        {
            "America/New_York": "Hearth/Zone_0001",
            "Europe/London": "Hearth/Zone02",
            "Australia/Sydney": "Hearth/Zone_0003",
        },
    )
    assert b"America/New_York" not in body
    mechanical_checks(body)
    expected = sorted((e.uid, e.starts_at) for e in events)
    parsers = [with_icalendar, with_vobject, with_recurring_ical_events]
    if icaljs.icaljs_available():
        parsers.append(with_icaljs)
    if libical.libical_available():
        parsers.append(with_libical)
    for parse in parsers:
        assert [(i.uid, i.start) for i in parse(body)] == expected, parse.__name__


def test_series_instants_match_python_zoneinfo_in_summer_and_winter():
    winter = to_utc(datetime(2027, 1, 12, 18, 0), "America/New_York")
    summer = to_utc(datetime(2027, 7, 13, 18, 0), "America/New_York")
    body = build_calendar(
        [event(1, starts_at=winter), event(2, starts_at=summer)], CalendarInfo(name="x")
    )
    instants = cross_check(body)
    assert [i.start.time() for i in instants] == [time(23, 0), time(22, 0)]


def test_icaljs_is_installed():
    """CI must cross-check with Mozilla's parser; locally this says how to install it."""
    icaljs.require_icaljs()
    body = build_calendar([event()], CalendarInfo(name="x"))
    assert [i.uid for i in with_icaljs(body)] == ["session-1@hearth.test"]


def test_libical_is_installed():
    """CI must cross-check with libical (Evolution); locally this says how to install it."""
    libical.require_libical()
    body = build_calendar([event()], CalendarInfo(name="x"))
    assert [i.uid for i in with_libical(body)] == ["session-1@hearth.test"]


# --- VTIMEZONE: every parser, every zone, every year ---------------------------------

#: Zones whose rules take RFC 5545's less common forms: changes at 24:00 (Santiago), on
#: "the Friday before the last Sunday" (Jerusalem), at -1:00 (Nuuk), with winter as the
#: "daylight" time (Dublin), and none at all (UTC).
ODD_RULES = ["America/Santiago", "Asia/Jerusalem", "America/Nuuk", "Europe/Dublin", "UTC"]


def around_changes(zone: str, first: int, last: int, every: int = 1) -> list[CalendarEvent]:
    """Events half an hour before and after each clock change from first to last year."""
    changes = clock_changes(zone, first, last)
    moments = [c + timedelta(minutes=m) for c in changes[::every] for m in (-30, 30)]
    moments.append(datetime(first, 7, 1, 12, tzinfo=UTC))
    return [
        event(i, uid=f"z{i}@hearth.test", starts_at=m, timezone=zone) for i, m in enumerate(moments)
    ]


def test_repeated_wall_times_are_written_in_utc_and_every_parser_agrees():
    zone = "America/New_York"
    first = to_utc(datetime(2026, 11, 1, 1, 30), zone)  # 01:30 EDT, as the database means it
    second = first + timedelta(hours=1)  # 01:30 EST, as a counseling slot may be
    after = to_utc(datetime(2026, 11, 1, 3, 0), zone)
    events = [
        event(1, starts_at=first, timezone=zone, ends_at=first + timedelta(minutes=30)),
        event(2, starts_at=second, timezone=zone),
        event(3, starts_at=after, timezone=zone),
    ]
    body = build_calendar(events, CalendarInfo(name="x"))

    assert b"DTSTART:20261101T053000Z\r\n" in body
    assert b"DTSTART:20261101T063000Z\r\n" in body
    assert b"DTSTART;TZID=America/New_York:20261101T030000\r\n" in body
    instants = cross_check(body)
    assert [(i.start, i.end) for i in instants] == [(e.starts_at, e.ends_at) for e in events]


def test_an_event_ending_in_the_repeated_hour_is_written_in_utc_too():
    zone = "Europe/London"
    ends = to_utc(datetime(2027, 10, 31, 1, 15), zone)  # 01:15 BST, before the repeat
    item = event(1, starts_at=ends - timedelta(hours=1), ends_at=ends, timezone=zone)
    body = build_calendar([item], CalendarInfo(name="x"))
    assert b"TZID=" not in body and b"BEGIN:VTIMEZONE" not in body
    assert [(i.start, i.end) for i in cross_check(body)] == [(item.starts_at, item.ends_at)]


@pytest.mark.parametrize("zone", ODD_RULES)
def test_zones_with_unusual_rules_read_the_same_in_every_parser(zone):
    events = around_changes(zone, 2025, 2031)
    instants = cross_check(build_calendar(events, CalendarInfo(name="x")))
    assert sorted((i.uid, i.start) for i in instants) == sorted(
        (e.uid, e.starts_at) for e in events
    )


def test_no_vtimezone_lists_several_onsets_in_one_property():
    # ical.js and vobject read only the first value of RDATE:a,b,c.
    for zone in [*ODD_RULES, "America/New_York", "Africa/Casablanca", "Pacific/Chatham"]:
        body = build_calendar(around_changes(zone, 2025, 2031), CalendarInfo(name="x"))
        unfolded = re.sub(rb"\r\n[ \t]", b"", body)
        assert not re.search(rb"\r\n(RDATE|DTSTART)[^\r\n]*,", unfolded), zone


def test_a_zone_with_a_yearly_rule_is_written_as_two_rrules_that_stay_right_after_the_span():
    body = build_calendar(
        [event(starts_at=datetime(2027, 3, 20, 22, tzinfo=UTC))], CalendarInfo(name="x")
    )
    vtimezone = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")[0]
    rules = {str(part.name): part for part in vtimezone.subcomponents if "RRULE" in part}
    assert rules["DAYLIGHT"]["RRULE"]["BYDAY"] == ["2SU"]
    assert rules["STANDARD"]["RRULE"]["BYDAY"] == ["1SU"]
    assert "UNTIL" not in rules["DAYLIGHT"]["RRULE"]
    # The same VTIMEZONE, with events years after the span it was made for.
    later = [
        to_utc(datetime(2036, 3, 8, 18, 0), "America/New_York"),
        to_utc(datetime(2036, 3, 9, 18, 0), "America/New_York"),
    ]
    text = body.decode().replace("20270320T180000", "20360308T180000", 1)
    text = text.replace("20270320T193000", "20360309T180000", 1)
    calendar = icalendar.Calendar.from_ical(text)
    (vevent,) = calendar.walk("VEVENT")
    assert vevent.decoded("dtstart").astimezone(UTC) == later[0]
    assert vevent.decoded("dtend").astimezone(UTC) == later[1]


def test_a_zone_without_a_yearly_rule_lists_each_change():
    events = around_changes("Africa/Casablanca", 2026, 2028)
    body = build_calendar(events, CalendarInfo(name="x"))
    vtimezone = icalendar.Calendar.from_ical(body).walk("VTIMEZONE")[0]
    assert not any("RRULE" in part for part in vtimezone.subcomponents)
    # Ramadan moves Morocco's clocks twice a year: at least that many onsets a year.
    assert len(vtimezone.subcomponents) >= 2 * 5
    assert sorted((i.uid, i.start) for i in cross_check(body)) == sorted(
        (e.uid, e.starts_at) for e in events
    )


@pytest.mark.slow
def test_every_zone_has_a_vtimezone_that_agrees_with_zoneinfo_in_every_year():
    """All ~470 zones, 2025 to 2031, read back by icalendar (five parsers: the tests above)."""
    for zone in common_zones():
        events = around_changes(zone, 2025, 2031, every=3)
        body = build_calendar(events, CalendarInfo(name="x"))
        read = with_icalendar(body)
        assert sorted((i.uid, i.start) for i in read) == sorted(
            (e.uid, e.starts_at) for e in events
        ), zone
