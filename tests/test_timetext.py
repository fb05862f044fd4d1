"""One way to show a time: the reader's own first, near days in words, zones in words."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from scheduler.timetext import day_text, heading, time_text, zone_name
from scheduler.timeutil import to_utc
from scheduler.web.times import reader_time

NY, CHICAGO, LA, LONDON = (
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/London",
)
#: Wednesday 2 December 2026, 3 PM in New York: the "today" of these tests.
NOW = to_utc(datetime(2026, 12, 2, 15, 0), NY)
NBSP = "\xa0"


def seven_pm_in_chicago(day: int = 3, month: int = 12, year: int = 2026) -> datetime:
    return to_utc(datetime(year, month, day, 19, 0), CHICAGO)


def test_reader_and_facilitator_in_the_same_zone_see_one_time_with_the_zone_in_words():
    shown = time_text(seven_pm_in_chicago(), CHICAGO, now=NOW, other_zone=CHICAGO)

    assert shown.main == f"Thu, Dec 3, 7:00{NBSP}PM"
    assert shown.zone == "Central Time"
    assert shown.relative == "Tomorrow"
    assert shown.other is None and shown.other_text is None
    assert str(shown) == f"Tomorrow, Thu, Dec 3, 7:00{NBSP}PM Central Time"


def test_a_reader_in_another_zone_sees_their_own_time_first_and_the_facilitators_after():
    role = "%(time)s for the facilitator"
    shown = time_text(seven_pm_in_chicago(), NY, now=NOW, other_zone=CHICAGO, other_role=role)

    assert shown.main == f"Thu, Dec 3, 8:00{NBSP}PM"
    assert shown.zone == "Eastern Time"
    # The other time is the clock alone: the date is never said twice.
    assert shown.other_text == f"7:00{NBSP}PM Central Time for the facilitator"
    assert str(shown).count("Dec 3") == 1
    assert shown.iso == "2026-12-03T20:00:00-05:00"


def test_across_midnight_the_other_time_says_its_own_date():
    late = to_utc(datetime(2026, 12, 3, 23, 30), LA)  # 7:30 AM on Friday in London

    counselor, family = "%(time)s for the counselor", "%(time)s for the family"
    for_family = time_text(late, LA, now=NOW, other_zone=LONDON, other_role=counselor)
    for_counselor = time_text(late, LONDON, now=NOW, other_zone=LA, other_role=family)

    assert for_family.main == f"Thu, Dec 3, 11:30{NBSP}PM"
    assert for_family.other == f"Fri, Dec 4, 7:30{NBSP}AM British Time"
    assert for_counselor.main == f"Fri, Dec 4, 7:30{NBSP}AM"
    assert for_counselor.relative == "In 2 days"
    assert for_counselor.other == f"Thu, Dec 3, 11:30{NBSP}PM Pacific Time"


def test_across_a_clock_change_the_wall_times_follow_each_zone():
    # 29 March 2027: London has moved to summer time (since the 28th), New York since
    # 14 March, so both are an hour on: five hours apart, as in winter.
    after_london_change = to_utc(datetime(2027, 3, 29, 18, 0), LONDON)
    # 20 March 2027: New York has moved, London not yet: only four hours apart.
    between_changes = to_utc(datetime(2027, 3, 20, 18, 0), LONDON)
    now = to_utc(datetime(2027, 3, 18, 12, 0), NY)

    after = time_text(after_london_change, NY, now=now, other_zone=LONDON)
    between = time_text(between_changes, NY, now=now, other_zone=LONDON)

    assert (
        after.main == f"Mon, Mar 29, 1:00{NBSP}PM" and after.other == f"6:00{NBSP}PM British Time"
    )
    assert between.main == f"Sat, Mar 20, 2:00{NBSP}PM" and between.relative == "In 2 days"
    assert between.zone == after.zone == "Eastern Time", "the zone's name doesn't change with DST"


def test_the_night_the_clocks_go_back_the_repeated_hour_is_the_right_one():
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 1:30 AM EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 1:30 AM EST, an hour later

    early = time_text(first, NY, other_zone=CHICAGO)
    late = time_text(second, NY, other_zone=CHICAGO)

    assert early.main == late.main == f"Sun, Nov 1, 2026, 1:30{NBSP}AM"
    assert early.iso.endswith("-04:00") and late.iso.endswith("-05:00")
    # Chicago is at 12:30 AM for the first, and at 1:30 AM (not yet gone back) for the
    # second: the same clock as New York's, so nothing more is said.
    assert early.other == f"12:30{NBSP}AM Central Time"
    assert late.other is None


def test_a_visitor_not_logged_in_reads_the_workshops_own_zone_alone(app):
    with app.test_request_context("/"):
        shown = reader_time(seven_pm_in_chicago(), CHICAGO)

    assert shown.zone == "Central Time" and shown.main.endswith(f"7:00{NBSP}PM")
    assert shown.other is None


def test_a_signed_in_reader_sees_their_own_zone_first(client, auth, make_user, make_workshop):
    workshop = make_workshop(timezone=CHICAGO)
    auth.login(make_user(timezone=NY))

    page = client.get(f"/workshops/{workshop.id}").get_data(as_text=True)

    assert re.search(
        r'<strong class="when-main">[^<]+</strong> <span class="when-zone">Eastern Time</span>'
        r'</time> <span class="when-other">\([^)]+ Central Time for the facilitator\)</span>',
        page,
    )


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (date(2026, 12, 1), "Yesterday"),
        (date(2026, 12, 2), "Today"),
        (date(2026, 12, 3), "Tomorrow"),
        (date(2026, 12, 5), "In 3 days"),
        (date(2026, 12, 8), "In 6 days"),
        (date(2026, 12, 9), None),
        (date(2026, 11, 30), None),
    ],
)
def test_near_days_are_said_in_words_and_further_ones_only_by_date(day, words):
    instant = to_utc(datetime.combine(day, datetime.min.time()).replace(hour=19), NY)
    assert time_text(instant, NY, now=NOW).relative == words


def test_the_relative_day_is_the_readers_local_day_not_the_utc_one():
    # 11 PM on 2 December in Los Angeles is already 3 December in UTC.
    late_tonight = to_utc(datetime(2026, 12, 2, 23, 0), LA)
    assert time_text(late_tonight, LA, now=NOW).relative == "Today"


def test_the_year_is_said_only_when_it_is_not_this_one_or_when_there_is_no_today():
    next_year = seven_pm_in_chicago(day=12, month=1, year=2027)

    assert time_text(next_year, CHICAGO, now=NOW).main == f"Tue, Jan 12, 2027, 7:00{NBSP}PM"
    assert time_text(seven_pm_in_chicago(), CHICAGO).main == f"Thu, Dec 3, 2026, 7:00{NBSP}PM"
    assert time_text(seven_pm_in_chicago(), CHICAGO).relative is None  # an email, read later


@pytest.mark.parametrize(
    ("zone", "name"),
    [
        (NY, "Eastern Time"),
        ("America/Phoenix", "Mountain Time"),
        ("Pacific/Honolulu", "Hawaii Time"),
        ("UTC", "Coordinated Universal Time"),
        ("Asia/Kolkata", "India Time"),
    ],
)
def test_zones_are_named_as_people_say_them_never_by_their_database_name(zone, name):
    assert zone_name(zone, NOW) == name


def test_another_locale_is_an_argument_not_new_code():
    shown = time_text(seven_pm_in_chicago(), NY, now=NOW, other_zone=CHICAGO, locale="es")
    assert (shown.relative, shown.main, shown.zone) == (
        "Mañana",
        "jue, 3 dic, 20:00",
        "hora oriental",
    )
    assert shown.other == "19:00 hora central"


def test_a_day_heading_starts_with_a_capital_in_every_language():
    assert heading(day_text(date(2026, 12, 2), locale="es")) == "Miércoles, 2 de diciembre de 2026"
    assert heading(day_text(date(2026, 12, 2), locale="en")) == "Wednesday, December 2, 2026"
