"""Counseling slots: laid out in the facilitator's wall time, clear of busy times and each other."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import combinations, pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.services.availability import (
    OneOffWindow,
    Slot,
    SlotRules,
    WeeklyWindow,
    generate_slots,
    overlaps,
    validate,
)
from scheduler.timeutil import to_utc, wall_time

NEW_YORK = "America/New_York"
TUESDAY = 1
SUNDAY = 6
#: Sunday 4 January 2026, 12:00 UTC: with a day's notice and a week's horizon, the next
#: Tuesday (6 January) is the only one in range.
SUNDAY_NOON = datetime(2026, 1, 4, 12, tzinfo=UTC)


def rules(**overrides: Any) -> SlotRules:
    """Return New York rules with Tuesday 14:00-17:00 in 50-minute slots, changed as asked."""
    fields: dict[str, Any] = {
        "zone": NEW_YORK,
        "slot_minutes": 50,
        "buffer_minutes": 10,
        "horizon": timedelta(days=7),
        "weekly": (WeeklyWindow(TUESDAY, time(14), time(17)),),
    }
    fields.update(overrides)
    return SlotRules(**fields)


def local_starts(slots: list[Slot], zone: str = NEW_YORK) -> list[datetime]:
    """Return each slot's start as the facilitator's wall clock shows it."""
    return [wall_time(slot.starts_at, zone) for slot in slots]


def busy_local(start: datetime, end: datetime, zone: str = NEW_YORK) -> tuple[datetime, datetime]:
    """Return a busy interval given in wall time, as the caller passes it: aware UTC."""
    return to_utc(start, zone), to_utc(end, zone)


def test_weekly_window_yields_back_to_back_slots() -> None:
    slots = generate_slots(rules(), SUNDAY_NOON)

    assert local_starts(slots) == [
        datetime(2026, 1, 6, 14),
        datetime(2026, 1, 6, 15),
        datetime(2026, 1, 6, 16),
    ]
    assert [wall_time(slot.ends_at, NEW_YORK) for slot in slots] == [
        datetime(2026, 1, 6, 14, 50),
        datetime(2026, 1, 6, 15, 50),
        datetime(2026, 1, 6, 16, 50),
    ]
    assert all(slot.starts_at.tzinfo is UTC for slot in slots)


def test_weekly_window_keeps_local_time_across_march_dst_change() -> None:
    # Clocks go forward on Sunday 8 March 2026: Tuesday 3 March is EST, 10 March EDT.
    one_slot = rules(
        slot_minutes=60,
        horizon=timedelta(days=14),
        weekly=(WeeklyWindow(TUESDAY, time(14), time(15)),),
    )
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)

    slots = generate_slots(one_slot, now)

    assert local_starts(slots) == [datetime(2026, 3, 3, 14), datetime(2026, 3, 10, 14)]
    assert [slot.starts_at.hour for slot in slots] == [19, 18]
    assert all(slot.ends_at - slot.starts_at == timedelta(hours=1) for slot in slots)


def test_weekly_window_keeps_local_time_across_november_dst_change() -> None:
    # Clocks go back on Sunday 1 November 2026: Tuesday 27 October is EDT, 3 November EST.
    one_slot = rules(
        slot_minutes=60,
        horizon=timedelta(days=14),
        weekly=(WeeklyWindow(TUESDAY, time(14), time(15)),),
    )
    now = datetime(2026, 10, 25, 12, tzinfo=UTC)

    slots = generate_slots(one_slot, now)

    assert local_starts(slots) == [datetime(2026, 10, 27, 14), datetime(2026, 11, 3, 14)]
    assert [slot.starts_at.hour for slot in slots] == [18, 19]


def sunday_rules(start: time, end: time) -> SlotRules:
    """Return hourly Sunday slots in New York, looking two weeks ahead."""
    return rules(
        slot_minutes=60,
        buffer_minutes=0,
        min_notice=timedelta(0),
        horizon=timedelta(days=14),
        weekly=(WeeklyWindow(SUNDAY, start, end),),
    )


def test_slot_in_skipped_hour_is_left_out() -> None:
    # 2:00-2:59 AM does not exist in New York on 8 March 2026: every slot of a 01:30-03:30
    # window starts or ends in it, so that Sunday offers nothing (and nothing crashes),
    # while the Sunday before offers both.
    now = datetime(2026, 3, 1, 0, tzinfo=UTC)

    slots = generate_slots(sunday_rules(time(1, 30), time(3, 30)), now)

    assert local_starts(slots) == [datetime(2026, 3, 1, 1, 30), datetime(2026, 3, 1, 2, 30)]


def test_slots_around_the_skipped_hour_are_kept() -> None:
    now = datetime(2026, 3, 7, 0, tzinfo=UTC)

    slots = generate_slots(sunday_rules(time(0, 30), time(4, 30)), now)

    spring_forward = [slot for slot in slots if slot.starts_at.date() == date(2026, 3, 8)]
    assert local_starts(spring_forward) == [
        datetime(2026, 3, 8, 0, 30),
        datetime(2026, 3, 8, 3, 30),
    ]
    assert [slot.starts_at for slot in spring_forward] == [
        datetime(2026, 3, 8, 5, 30, tzinfo=UTC),  # 00:30 EST
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT
    ]


def test_slot_in_repeated_hour_takes_the_first_one() -> None:
    # 1:00-1:59 AM happens twice on 1 November 2026; a wall-time slot 01:00-02:00 starts at
    # the first 1 AM (EDT) and ends at 2 AM EST, so it lasts two real hours.
    now = datetime(2026, 10, 31, 0, tzinfo=UTC)

    slots = generate_slots(sunday_rules(time(1), time(2)), now)

    assert slots[0] == Slot(
        datetime(2026, 11, 1, 5, tzinfo=UTC), datetime(2026, 11, 1, 7, tzinfo=UTC)
    )


def test_minimum_notice_hides_slots_too_soon() -> None:
    # Monday 5 January, 3 PM EST: a day's notice reaches Tuesday 3 PM exactly.
    now = datetime(2026, 1, 5, 20, tzinfo=UTC)

    slots = generate_slots(rules(min_notice=timedelta(hours=24)), now)

    assert local_starts(slots) == [datetime(2026, 1, 6, 15), datetime(2026, 1, 6, 16)]


def test_horizon_hides_slots_too_far() -> None:
    # Eight days from Monday 5 January, 3 PM EST reaches Tuesday 13 January, 3 PM exactly.
    now = datetime(2026, 1, 5, 20, tzinfo=UTC)

    slots = generate_slots(rules(min_notice=timedelta(0), horizon=timedelta(days=8)), now)

    assert local_starts(slots) == [
        datetime(2026, 1, 6, 14),
        datetime(2026, 1, 6, 15),
        datetime(2026, 1, 6, 16),
        datetime(2026, 1, 13, 14),
        datetime(2026, 1, 13, 15),
    ]


def test_horizon_is_an_instant_even_when_the_clock_repeats_an_hour() -> None:
    # The horizon ends at 06:30 UTC on 1 November 2026: 01:30 EST, the second 1:30 AM. Every
    # slot in the first 1 AM hour (EDT) starts before that instant, 01:45 included, though
    # its wall time reads later than the horizon's.
    quarter_hours = SlotRules(
        zone=NEW_YORK,
        slot_minutes=15,
        min_notice=timedelta(0),
        horizon=timedelta(days=1),
        weekly=(WeeklyWindow(SUNDAY, time(1), time(2)),),
    )

    slots = generate_slots(quarter_hours, datetime(2026, 10, 31, 6, 30, tzinfo=UTC))

    assert [slot.starts_at for slot in slots] == [
        datetime(2026, 11, 1, 5, minute, tzinfo=UTC) for minute in (0, 15, 30, 45)
    ]


def test_blackout_date_has_no_slots() -> None:
    two_weeks = rules(horizon=timedelta(days=14))

    slots = generate_slots(two_weeks, SUNDAY_NOON)
    with_day_off = generate_slots(
        replace(two_weeks, blackout=frozenset({date(2026, 1, 6)})), SUNDAY_NOON
    )

    assert len(slots) == 6
    assert local_starts(with_day_off) == [
        datetime(2026, 1, 13, 14),
        datetime(2026, 1, 13, 15),
        datetime(2026, 1, 13, 16),
    ]


@pytest.mark.parametrize(
    ("day_off", "offered"),
    [
        (date(2026, 1, 13), False),  # the facilitator's date in Auckland
        (date(2026, 1, 12), True),  # the same slot's date in UTC
    ],
)
def test_blackout_date_is_the_facilitators_local_date(day_off: date, offered: bool) -> None:
    # Tuesday 13 January, 9 AM in Auckland (UTC+13) is Monday 12 January, 8 PM in UTC.
    auckland = rules(
        zone="Pacific/Auckland",
        slot_minutes=60,
        weekly=(WeeklyWindow(TUESDAY, time(9), time(10)),),
        blackout=frozenset({day_off}),
    )

    slots = generate_slots(auckland, datetime(2026, 1, 10, tzinfo=UTC))

    expected = [Slot(datetime(2026, 1, 12, 20, tzinfo=UTC), datetime(2026, 1, 12, 21, tzinfo=UTC))]
    assert slots == (expected if offered else [])


def test_blackout_applies_to_one_off_slots_by_their_start_date() -> None:
    late_night = rules(
        slot_minutes=60,
        buffer_minutes=0,
        weekly=(),
        one_off=(OneOffWindow(datetime(2026, 1, 7, 23), datetime(2026, 1, 8, 1)),),
        blackout=frozenset({date(2026, 1, 8)}),
    )

    slots = generate_slots(late_night, SUNDAY_NOON)

    assert local_starts(slots) == [datetime(2026, 1, 7, 23)]
    assert wall_time(slots[0].ends_at, NEW_YORK) == datetime(2026, 1, 8, 0)


# Tuesday 6 January 2026 in New York, 50-minute slots: a workshop runs 15:00-16:00 between a
# 14:00-14:50 window and a 16:10-17:00 window; a third window sits right inside it.
AROUND_WORKSHOP = (
    WeeklyWindow(TUESDAY, time(14), time(14, 50)),
    WeeklyWindow(TUESDAY, time(15), time(15, 50)),
    WeeklyWindow(TUESDAY, time(16, 10), time(17)),
)


@pytest.mark.parametrize(
    ("workshop", "buffer_minutes", "kept"),
    [
        # Ten minutes clear each side: a buffer of up to ten still fits, eleven does not.
        ((time(15), time(16)), 0, [time(14), time(16, 10)]),
        ((time(15), time(16)), 10, [time(14), time(16, 10)]),
        ((time(15), time(16)), 11, []),
        # Touching end to start is not overlapping: half-open intervals.
        ((time(14, 50), time(16, 10)), 0, [time(14), time(16, 10)]),
        ((time(14, 50), time(16, 10)), 1, []),
        # Only the slot the buffer reaches into goes.
        ((time(14, 52), time(15, 55)), 5, [time(16, 10)]),
    ],
)
def test_busy_interval_removes_overlapping_slots_including_buffers(
    workshop: tuple[time, time], buffer_minutes: int, kept: list[time]
) -> None:
    tuesday = date(2026, 1, 6)
    busy = [
        busy_local(datetime.combine(tuesday, workshop[0]), datetime.combine(tuesday, workshop[1]))
    ]

    slots = generate_slots(
        rules(buffer_minutes=buffer_minutes, weekly=AROUND_WORKSHOP), SUNDAY_NOON, busy
    )

    assert local_starts(slots) == [datetime.combine(tuesday, start) for start in kept]


def test_busy_intervals_elsewhere_remove_nothing() -> None:
    busy = [
        busy_local(datetime(2026, 1, 6, 9), datetime(2026, 1, 6, 13)),
        busy_local(datetime(2026, 1, 6, 18), datetime(2026, 1, 6, 23)),
        # Backwards, inside the 14:00 slot's reach: it takes up no time.
        busy_local(datetime(2026, 1, 6, 14, 30), datetime(2026, 1, 6, 14, 10)),
    ]

    assert generate_slots(rules(), SUNDAY_NOON, busy) == generate_slots(rules(), SUNDAY_NOON)


def test_one_off_window_adds_slots() -> None:
    wednesday_morning = OneOffWindow(datetime(2026, 1, 7, 9), datetime(2026, 1, 7, 11, 30))

    slots = generate_slots(rules(slot_minutes=60, one_off=(wednesday_morning,)), SUNDAY_NOON)

    assert local_starts(slots) == [
        datetime(2026, 1, 6, 14),
        datetime(2026, 1, 6, 15, 10),
        datetime(2026, 1, 7, 9),
        datetime(2026, 1, 7, 10, 10),
    ]


def test_one_off_window_far_in_the_past_or_future_is_ignored() -> None:
    long_ago = OneOffWindow(datetime(2020, 1, 1, 9), datetime(2020, 1, 1, 17))
    far_off = OneOffWindow(datetime(2027, 1, 1, 9), datetime(2027, 1, 1, 17))

    slots = generate_slots(rules(one_off=(long_ago, far_off)), SUNDAY_NOON)

    assert slots == generate_slots(rules(), SUNDAY_NOON)


def test_overlapping_windows_never_give_overlapping_slots() -> None:
    weekly = WeeklyWindow(TUESDAY, time(14), time(17))
    overlapping = rules(
        weekly=(weekly, weekly, WeeklyWindow(TUESDAY, time(14, 20), time(15, 10))),
        one_off=(OneOffWindow(datetime(2026, 1, 6, 14, 30), datetime(2026, 1, 6, 18)),),
    )

    slots = generate_slots(overlapping, SUNDAY_NOON)

    # 14:00 wins over 14:20 and 14:30, 15:00 over 15:30, 16:00 over 16:30; then the
    # one-off's 17:30 slot would end after 18:00, so it is not offered.
    assert local_starts(slots) == [
        datetime(2026, 1, 6, 14),
        datetime(2026, 1, 6, 15),
        datetime(2026, 1, 6, 16),
    ]
    assert not any(
        overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at) for a, b in combinations(slots, 2)
    )


def test_a_slot_lost_to_notice_frees_the_time_for_an_overlapping_one() -> None:
    # Monday 5 January, 8:20 AM EST: a day's notice hides 08:00 on Tuesday, so the
    # overlapping 08:30 slot of a second window is offered instead.
    now = datetime(2026, 1, 5, 13, 20, tzinfo=UTC)
    two_windows = rules(
        slot_minutes=60,
        weekly=(
            WeeklyWindow(TUESDAY, time(8), time(9)),
            WeeklyWindow(TUESDAY, time(8, 30), time(9, 30)),
        ),
    )

    slots = generate_slots(two_windows, now)

    assert local_starts(slots) == [datetime(2026, 1, 6, 8, 30)]


def test_a_year_of_ten_minute_slots_is_generated() -> None:
    every_day = tuple(
        WeeklyWindow(day, time(hour), time(hour + 4)) for day in range(7) for hour in (6, 12, 18)
    )
    year = SlotRules(
        zone=NEW_YORK,
        slot_minutes=10,
        min_notice=timedelta(0),
        horizon=timedelta(days=366),
        weekly=every_day,
    )

    slots = generate_slots(year, datetime(2026, 1, 1, 5, tzinfo=UTC))

    # 12 hours a day in 10-minute slots, every day from 1 January 2026 to 1 January 2027.
    assert len(slots) == 72 * 366
    assert slots == sorted(set(slots))


def test_overlaps_treats_intervals_as_half_open() -> None:
    one, two, three = (datetime(2026, 1, 1, hour, tzinfo=UTC) for hour in (1, 2, 3))

    assert overlaps(one, three, two, three)
    assert not overlaps(one, two, two, three)
    assert not overlaps(two, three, one, two)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"zone": "Mars/Olympus_Mons"}, "not a time zone"),
        ({"zone": "localtime"}, "not a time zone"),
        ({"slot_minutes": 9}, "between 10 and 480 minutes"),
        ({"slot_minutes": 481}, "between 10 and 480 minutes"),
        ({"buffer_minutes": -1}, "between 0 and 240 minutes"),
        ({"buffer_minutes": 241}, "between 0 and 240 minutes"),
        ({"horizon": timedelta(hours=23)}, "from 1 day up to 366 days"),
        ({"horizon": timedelta(days=367)}, "from 1 day up to 366 days"),
        ({"min_notice": timedelta(minutes=-1)}, "between none and 30 days"),
        ({"min_notice": timedelta(days=31)}, "between none and 30 days"),
        ({"min_notice": timedelta(days=7)}, "shorter than how far ahead"),
        ({"weekly": (WeeklyWindow(7, time(9), time(10)),)}, "0 (Monday) to 6 (Sunday)"),
        ({"weekly": (WeeklyWindow(TUESDAY, time(17), time(14)),)}, "must end after it starts"),
        ({"weekly": (WeeklyWindow(TUESDAY, time(14), time(14)),)}, "must end after it starts"),
        (
            {"weekly": (WeeklyWindow(TUESDAY, time(14), time(14, 49)),)},
            "Tuesday 14:00 to 14:49 window is shorter than one 50-minute slot",
        ),
        (
            {"weekly": (WeeklyWindow(TUESDAY, time(14, tzinfo=UTC), time(17, tzinfo=UTC)),)},
            "local time, without a zone",
        ),
        (
            {"one_off": (OneOffWindow(datetime(2026, 1, 7, 11), datetime(2026, 1, 7, 9)),)},
            "starting 2026-01-07 11:00 must end after it starts",
        ),
        (
            {
                "one_off": (
                    OneOffWindow(datetime(2026, 1, 7, 9, tzinfo=UTC), datetime(2026, 1, 7, 11)),
                )
            },
            "local time, without a zone",
        ),
        ({"blackout": frozenset({datetime(2026, 1, 6)})}, "calendar dates, without a time"),
    ],
)
def test_invalid_rules_are_refused_with_a_message(changes: dict[str, Any], message: str) -> None:
    bad = rules(**changes)

    with pytest.raises(ValueError, match=re.escape(message)):
        validate(bad)
    with pytest.raises(ValueError, match=re.escape(message)):
        generate_slots(bad, SUNDAY_NOON)


def test_default_rules_are_valid() -> None:
    validate(SlotRules(zone="Europe/London", slot_minutes=50))


@pytest.mark.parametrize(
    ("now", "busy"),
    [
        (datetime(2026, 1, 4, 12), []),
        (SUNDAY_NOON, [(datetime(2026, 1, 6, 19), datetime(2026, 1, 6, 20, tzinfo=UTC))]),
    ],
)
def test_times_without_a_zone_are_refused(
    now: datetime, busy: list[tuple[datetime, datetime]]
) -> None:
    with pytest.raises(ValueError, match="aware"):
        generate_slots(rules(), now, busy)


# Zones with one-hour, half-hour and midnight clock changes, and one without any.
ZONES = [
    NEW_YORK,
    "Europe/London",
    "Pacific/Auckland",
    "Australia/Lord_Howe",
    "America/Santiago",
    "Asia/Kolkata",
    "UTC",
]
MINUTES_IN_DAY = 24 * 60


@st.composite
def weekly_windows(draw: st.DrawFn, slot_minutes: int) -> WeeklyWindow:
    """Draw a weekly window at least one slot long that ends before midnight."""
    start = draw(st.integers(0, MINUTES_IN_DAY - 1 - slot_minutes))
    end = draw(st.integers(start + slot_minutes, MINUTES_IN_DAY - 1))
    return WeeklyWindow(draw(st.integers(0, 6)), time(*divmod(start, 60)), time(*divmod(end, 60)))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[SlotRules, datetime, list[tuple[datetime, datetime]]]:
    """Draw random rules, a now and busy times around the clock changes of 2025-2027."""
    now = draw(st.datetimes(datetime(2025, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC)))
    slot_minutes = draw(st.integers(10, 180))
    horizon = timedelta(days=draw(st.integers(1, 45)), minutes=draw(st.integers(0, 1439)))
    # Notice stays under the horizon, as the rules require.
    half_horizon = int(horizon.total_seconds() // 120)
    notice = timedelta(minutes=draw(st.integers(0, min(3 * MINUTES_IN_DAY, half_horizon))))
    naive_now = now.replace(tzinfo=None)
    one_offs = draw(
        st.lists(
            st.builds(
                lambda start, minutes: OneOffWindow(start, start + timedelta(minutes=minutes)),
                st.datetimes(naive_now - timedelta(days=2), naive_now + horizon),
                st.integers(1, 2 * MINUTES_IN_DAY),
            ),
            max_size=3,
        )
    )
    days = [(naive_now + timedelta(days=i)).date() for i in range(-1, horizon.days + 2)]
    rules = SlotRules(
        zone=draw(st.sampled_from(ZONES)),
        slot_minutes=slot_minutes,
        buffer_minutes=draw(st.integers(0, 60)),
        min_notice=notice,
        horizon=horizon,
        weekly=tuple(draw(st.lists(weekly_windows(slot_minutes), max_size=6))),
        one_off=tuple(one_offs),
        blackout=frozenset(draw(st.lists(st.sampled_from(days), max_size=4))),
    )
    busy = draw(
        st.lists(
            st.builds(
                lambda start, minutes: (start, start + timedelta(minutes=minutes)),
                st.datetimes(
                    naive_now, naive_now + horizon + timedelta(days=1), timezones=st.just(UTC)
                ),
                st.integers(0, 300),
            ),
            max_size=8,
        )
    )
    return rules, now, busy


def in_a_window(rules: SlotRules, start: datetime, end: datetime) -> bool:
    """Tell whether a wall-time slot lies wholly inside one of the rules' windows."""
    weekly = any(
        window.weekday == start.weekday()
        and start.date() == end.date()
        and window.start <= start.time()
        and end.time() <= window.end
        for window in rules.weekly
    )
    return weekly or any(w.start <= start and end <= w.end for w in rules.one_off)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(scenarios())
def test_generated_slots_obey_every_rule(
    scenario: tuple[SlotRules, datetime, list[tuple[datetime, datetime]]],
) -> None:
    rules, now, busy = scenario
    length = timedelta(minutes=rules.slot_minutes)
    buffer = timedelta(minutes=rules.buffer_minutes)
    zone = ZoneInfo(rules.zone)

    slots = generate_slots(rules, now, busy)

    for slot in slots:
        assert now + rules.min_notice <= slot.starts_at <= now + rules.horizon
        start, end = wall_time(slot.starts_at, rules.zone), wall_time(slot.ends_at, rules.zone)
        assert end - start == length
        if slot.starts_at.astimezone(zone).utcoffset() == slot.ends_at.astimezone(zone).utcoffset():
            assert slot.ends_at - slot.starts_at == length
        assert in_a_window(rules, start, end)
        assert start.date() not in rules.blackout
        assert not any(
            overlaps(slot.starts_at - buffer, slot.ends_at + buffer, busy_start, busy_end)
            for busy_start, busy_end in busy
            if busy_end > busy_start
        )
    for earlier, later in pairwise(slots):
        assert earlier.starts_at < later.starts_at
        assert earlier.ends_at <= later.starts_at
