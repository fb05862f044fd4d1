"""The workshop calendar: weeks of a month, local days across DST, and the page itself."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale

from scheduler.models import Role
from scheduler.services import calendar_view as cv
from scheduler.services.calendar_view import View
from scheduler.services.series import Scope, cancel_sessions
from scheduler.timeutil import to_utc, utcnow

NY = "America/New_York"
#: A year far enough ahead that every session below is in the future.
YEAR = utcnow().year + 2


def text_of(response) -> str:
    return response.get_data(as_text=True)


def clocks_change(year: int, zone: str, month: int) -> date:
    """Return the day in ``month`` when the UTC offset at ``zone`` changes."""
    tz = ZoneInfo(zone)
    day = date(year, month, 1)
    while day.month == month:
        before = datetime.combine(day, time(), tz).utcoffset()
        after = datetime.combine(day + timedelta(days=1), time(), tz).utcoffset()
        if before != after:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"no change of offset in {year}-{month:02d} at {zone}")


def day_of(page: cv.CalendarPage, day: date) -> cv.CalendarDay:
    (found,) = [d for week in page.weeks for d in week if d.date == day]
    return found


# --- date arithmetic, no database -------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "first", "last", "weeks"),
    [
        (date(2026, 3, 1), date(2026, 2, 23), date(2026, 4, 5), 6),  # starts on a Sunday
        (date(2021, 2, 1), date(2021, 2, 1), date(2021, 2, 28), 4),  # four whole weeks
        (date(2025, 12, 1), date(2025, 12, 1), date(2026, 1, 4), 5),  # into the next year
    ],
)
def test_month_weeks_cover_the_month_in_whole_weeks_from_monday(month, first, last, weeks):
    grid = cv.month_weeks(month)
    assert (grid[0][0], grid[-1][-1], len(grid)) == (first, last, weeks)
    assert all(len(week) == 7 and week[0].weekday() == 0 for week in grid)
    days = [d for week in grid for d in week]
    assert days == [first + timedelta(days=i) for i in range(len(days))]


def test_week_start_and_month_shifts_cross_year_boundaries():
    assert cv.week_start(date(2026, 3, 8)) == date(2026, 3, 2)  # a Sunday ends the week
    assert cv.week_start(date(2026, 3, 2)) == date(2026, 3, 2)
    assert cv.week_start(date(2027, 1, 1)) == date(2026, 12, 28)
    assert cv.shift_month(date(2026, 12, 15), 1) == date(2027, 1, 1)
    assert cv.shift_month(date(2026, 1, 31), -1) == date(2025, 12, 1)
    assert cv.shift_month(date(2026, 3, 31), -13) == date(2025, 2, 1)


def test_a_session_late_in_the_evening_lands_on_its_local_date_not_the_utc_date():
    late = to_utc(datetime(2026, 3, 31, 23, 30), NY)  # 03:30 UTC on 1 April
    early = to_utc(datetime(2026, 4, 1, 0, 30), "Europe/London")  # 23:30 UTC on 31 March
    assert late.date() == date(2026, 4, 1)

    days = cv.group_by_local_date([("late", late)], NY, lambda item: item[1])
    assert list(days) == [date(2026, 3, 31)]
    days = cv.group_by_local_date([("early", early)], "Europe/London", lambda item: item[1])
    assert list(days) == [date(2026, 4, 1)]


def test_local_midnight_survives_a_day_that_has_none():
    # Chile moves its clocks forward at midnight: that day starts at 01:00.
    tz = ZoneInfo("America/Santiago")
    (day,) = [
        d
        for d in (date(YEAR, 9, 1) + timedelta(days=i) for i in range(30))
        if datetime.combine(d, time(), tz).astimezone(UTC).astimezone(tz).hour == 1
    ]
    begins = cv.local_midnight(day, "America/Santiago")
    local = begins.astimezone(ZoneInfo("America/Santiago"))
    assert (local.date(), local.hour) == (day, 1)
    assert cv.local_midnight(date(2026, 3, 8), NY) == datetime(2026, 3, 8, 5, tzinfo=UTC)


@pytest.mark.parametrize("value", [None, ""])
def test_no_start_means_today(value):
    assert cv.parse_start(value, date(2026, 3, 4)) == date(2026, 3, 4)


@pytest.mark.parametrize(
    "value",
    [
        "yesterday",
        "2026-02-30",
        "2026-3-4",
        "20260304",
        "2026-W10-1",
        "2026-03-04T10:00",
        "0001-01-01",
        "9999-12-31",
        "\uff12\uff10\uff12\uff16-03-04",  # full-width digits
        "2026-03-04\n",
    ],
)
def test_a_start_we_cannot_read_is_refused_with_words_for_the_page(value):
    with pytest.raises(ValueError, match="2026-03-04"):
        cv.parse_start(value, date(2026, 3, 4))


@pytest.mark.parametrize(
    ("value", "view"),
    [("week", View.WEEK), ("month", View.MONTH), (None, View.MONTH), ("WEEK", View.MONTH)],
)
def test_any_view_but_week_is_the_month(value, view):
    assert cv.parse_view(value) is view


# --- the calendar built from the database ----------------------------------------------


def test_dst_week_keeps_the_wall_time_and_each_session_on_its_day(app, make_workshop):
    change = clocks_change(YEAR, NY, 3)  # a Sunday: 2 AM becomes 3 AM
    monday_before = change - timedelta(days=6)
    workshop = make_workshop(start=datetime.combine(monday_before, time(18)), weeks=3)
    saturday_late = make_workshop(start=datetime.combine(change - timedelta(days=1), time(23, 30)))
    now = to_utc(datetime(YEAR, 1, 1), NY)

    page = cv.build_calendar(View.WEEK, change, zone=NY, now=now)

    assert (
        page.start == monday_before
        and page.title == f"Week of {monday_before:%B} {monday_before.day}, {YEAR}"
    )
    assert [d.date for d in page.weeks[0]] == [monday_before + timedelta(days=i) for i in range(7)]
    (entry,) = day_of(page, monday_before).entries
    # The page names its zone once ("Eastern Time"); an entry gives the clock.
    assert (entry.workshop_id, entry.time) == (workshop.id, "6:00\xa0PM")
    (late,) = day_of(page, change - timedelta(days=1)).entries
    assert (late.workshop_id, late.time) == (saturday_late.id, "11:30\xa0PM")
    assert page.entry_count == 2

    after = cv.build_calendar(View.WEEK, page.next_start, zone=NY, now=now)
    (entry,) = day_of(after, change + timedelta(days=1)).entries
    assert entry.time == "6:00\xa0PM"  # the same wall time after the clocks change
    assert (page.previous_start, page.next_start) == (
        monday_before - timedelta(days=7),
        monday_before + timedelta(days=7),
    )


def test_month_boundary_goes_by_the_viewers_local_date(app, make_workshop):
    last_evening = datetime(YEAR, 3, 31, 23, 30)
    workshop = make_workshop(start=last_evening, timezone=NY)
    now = to_utc(datetime(YEAR, 1, 1), NY)

    march = cv.build_calendar(View.MONTH, date(YEAR, 3, 17), zone=NY, now=now)
    april = cv.build_calendar(View.MONTH, date(YEAR, 4, 2), zone=NY, now=now)
    london_april = cv.build_calendar(View.MONTH, date(YEAR, 4, 2), zone="Europe/London", now=now)

    assert march.start == date(YEAR, 3, 1) and march.title == f"March {YEAR}"
    assert [e.workshop_id for e in day_of(march, date(YEAR, 3, 31)).entries] == [workshop.id]
    assert march.entry_count == 1
    assert april.entry_count == 0  # not on 1 April, though that is its UTC date
    assert all(not d.entries for week in april.weeks for d in week if d.in_period)
    (there,) = day_of(london_april, date(YEAR, 4, 1)).entries  # 4:30 AM in London
    assert there.time == "4:30\xa0AM"
    # Where the workshop is, it is still the evening before: that date is said too.
    assert there.place_time == f"{date(YEAR, 3, 31):%a}, Mar 31, 11:30\xa0PM Eastern Time"
    assert (march.previous_start, march.next_start) == (date(YEAR, 2, 1), date(YEAR, 4, 1))


def test_drafts_and_ended_sessions_are_left_out_and_cancelled_ones_are_marked(
    app, make_workshop, make_booking, make_user
):
    day = date(YEAR, 5, 12)
    shown = make_workshop(title="Open", capacity=5, start=datetime.combine(day, time(18)))
    make_workshop(title="Draft", publish=False, start=datetime.combine(day, time(19)))
    full = make_workshop(title="Full", capacity=2, start=datetime.combine(day, time(10)))
    called_off = make_workshop(title="Called off", start=datetime.combine(day, time(12)))
    family = make_user()
    make_booking(shown.sessions[0].id, seats=2, family=family)
    make_booking(full.sessions[0].id, seats=2)
    cancel_sessions(called_off.sessions[0].id, scope=Scope.ONE, now=utcnow())
    now = to_utc(datetime(YEAR, 1, 1), NY)

    page = cv.build_calendar(View.MONTH, day, zone=NY, now=now, family_id=family.id)

    entries = day_of(page, day).entries
    assert [e.title for e in entries] == ["Full", "Called off", "Open"]  # by start time
    by_title = {e.title: e for e in entries}
    assert (by_title["Open"].seats_left, by_title["Open"].my_booking) == (3, "confirmed")
    assert (by_title["Full"].seats_left, by_title["Full"].my_booking) == (0, None)
    assert by_title["Called off"].cancelled and not by_title["Open"].cancelled

    ended = to_utc(datetime.combine(day, time(14)), NY)  # the 10:00 and 12:00 ones are over
    later = cv.build_calendar(View.MONTH, day, zone=NY, now=ended)
    assert [e.title for e in day_of(later, day).entries] == ["Open"]


def test_an_empty_period_points_at_the_next_session(app, make_workshop):
    make_workshop(start=datetime(YEAR, 8, 20, 18))
    now = to_utc(datetime(YEAR, 1, 1), NY)

    page = cv.build_calendar(View.MONTH, date(YEAR, 6, 1), zone=NY, now=now)

    assert page.entry_count == 0 and page.next_session_day == date(YEAR, 8, 20)
    after = cv.build_calendar(View.MONTH, date(YEAR, 9, 1), zone=NY, now=now)
    assert after.next_session_day is None


def test_the_zone_is_the_viewers_or_else_the_next_sessions(app, make_workshop):
    now = utcnow()
    assert cv.viewer_zone(None, now=now) == "UTC"
    make_workshop(timezone="America/Chicago", start=datetime(YEAR, 2, 3, 18))
    make_workshop(timezone="Europe/Dublin", start=datetime(YEAR, 4, 3, 18))
    make_workshop(timezone="Asia/Tokyo", start=datetime(YEAR, 1, 3, 18), publish=False)
    assert cv.viewer_zone(None, now=now) == "America/Chicago"
    assert cv.viewer_zone("Europe/London", now=now) == "Europe/London"


# --- the reader's language ----------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "first_day", "first_name"),
    [
        ("en", 0, "Monday"),  # English without a country: ISO weeks, as before
        ("es", 0, "Lunes"),
        ("en_US", 6, "Sunday"),  # a locale whose calendars start on Sunday
    ],
)
def test_weeks_start_on_the_first_day_of_the_readers_locale(app, locale, first_day, first_name):
    now = to_utc(datetime(YEAR, 1, 1), NY)
    with force_locale(locale):
        month = cv.build_calendar(View.MONTH, date(YEAR, 3, 4), zone=NY, now=now)
        week = cv.build_calendar(View.WEEK, date(YEAR, 3, 15), zone=NY, now=now)

    assert month.weekdays[0] == first_name and len(set(month.weekdays)) == 7
    assert all(days[0].date.weekday() == first_day for days in month.weeks)
    assert next(d.date for days in month.weeks for d in days if d.in_period) == date(YEAR, 3, 1)
    assert week.start.weekday() == first_day and week.start <= date(YEAR, 3, 15) < week.next_start
    assert week.switch_start == date(YEAR, 3, 1)  # the week's month
    assert month.switch_start.weekday() == first_day


def test_the_calendar_is_worded_in_the_readers_language(app):
    now = to_utc(datetime(YEAR, 1, 1), NY)
    with force_locale("es"):
        month = cv.build_calendar(View.MONTH, date(YEAR, 3, 4), zone=NY, now=now)
        week = cv.build_calendar(View.WEEK, date(YEAR, 3, 15), zone=NY, now=now)

    # Babel's words: a heading starts with a capital, a sentence keeps the month small.
    assert (month.title, month.period_name) == (f"Marzo de {YEAR}", f"marzo de {YEAR}")
    assert month.weekdays == (
        "Lunes",
        "Martes",
        "Miércoles",
        "Jueves",
        "Viernes",
        "Sábado",
        "Domingo",
    )
    assert f"{week.start.day} de marzo de {YEAR}" in week.title
    assert day_of(month, date(YEAR, 3, 4)).label.endswith(f"4 de marzo de {YEAR}")
    assert month.zone_name == "hora oriental"


def test_a_spanish_reader_gets_the_calendar_page_in_spanish(client):
    page = text_of(client.get(f"/calendar?start={YEAR}-03-04", headers={"Accept-Language": "es"}))

    assert '<html lang="es">' in page
    assert re.findall(r'<th scope="col">(\w+)</th>', page)[:2] == ["Lunes", "Martes"]
    assert f"<caption>Marzo de {YEAR}" in page


# --- the page --------------------------------------------------------------------------


def test_calendar_page_is_a_table_screen_readers_can_walk(client, make_workshop, make_booking):
    day = date(YEAR, 3, 4)
    workshop = make_workshop(
        title="Understanding addiction", capacity=5, start=datetime(YEAR, 3, 4, 18)
    )
    make_booking(workshop.sessions[0].id, seats=2)

    page = text_of(client.get(f"/calendar?start={day.isoformat()}"))

    assert re.search(rf"<caption>March {YEAR}<span class=\"visually-hidden\">", page)
    headers = re.findall(r'<th scope="col">(\w+)</th>', page)
    assert headers == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    assert (
        f'<time datetime="{day.isoformat()}"><span class="cal-date-full">{day:%A}, March 4, {YEAR}'
        in page
    )
    link = f'href="/workshops/{workshop.id}#session-{workshop.sessions[0].id}"'
    assert link in page
    entry = page[page.index(link) : page.index("</a>", page.index(link))]
    assert "6:00\xa0PM" in entry and "Understanding addiction" in entry and "3 seats left" in entry
    # The zone is named once, in words (an anonymous visitor's: the sessions').
    assert "Times are in <strong>Eastern Time</strong>" in page
    assert f'href="/calendar?start={YEAR}-02-01"' in page
    assert f'href="/calendar?start={YEAR}-04-01"' in page
    assert 'href="/calendar?view=week&amp;start=' in page


def test_week_view_and_a_full_session(client, auth, make_user, make_workshop, make_booking):
    session = make_workshop(title="Circle", capacity=2, start=datetime(YEAR, 3, 4, 18)).sessions[0]
    make_booking(session.id, seats=2)
    auth.login(make_user(timezone="Europe/London"))

    page = text_of(client.get(f"/calendar?view=week&start={YEAR}-03-04"))

    monday = cv.week_start(date(YEAR, 3, 4))
    assert f"Week of {monday:%B} {monday.day}, {monday.year}" in page
    assert "Full, waitlist open" in page
    assert "<strong>British Time</strong>, your time zone" in page
    assert "11:00\xa0PM" in page and "6:00\xa0PM Eastern Time there" in page
    assert "Previous week" in page and "Show the whole month" in page


@pytest.mark.parametrize(
    "start", ["tomorrow", "2026-02-30", "0001-01-01", "2026-03-04%00", "9" * 40]
)
def test_a_bad_start_is_a_400_with_a_way_back(client, start):
    response = client.get(f"/calendar?start={start}")
    assert response.status_code == 400
    page = text_of(response)
    assert (
        "We can&#39;t show that date" in page
        and "like 2026-03-04" in page
        and 'href="/calendar"' in page
    )


@pytest.mark.parametrize("view", ["day", "year", "", "<script>", "WEEK"])
def test_an_unknown_view_shows_the_month(client, view):
    response = client.get("/calendar", query_string={"view": view, "start": "2026-03-04"})
    assert response.status_code == 200
    assert "<caption>March 2026" in text_of(response)


def test_an_empty_calendar_says_what_to_do(client):
    page = text_of(client.get("/calendar"))
    assert "No sessions in" in page and "check back soon" in page


def test_home_and_calendar_link_to_each_other(client, make_workshop):
    make_workshop()
    assert 'href="/calendar">See them on a calendar' in text_of(client.get("/"))
    assert 'href="/">See the list of workshops' in text_of(client.get("/calendar"))


def test_staff_see_the_calendar_like_anyone(client, auth, make_user, make_workshop):
    owner = make_user(Role.FACILITATOR, timezone="America/Chicago")
    make_workshop(facilitator=owner, title="Mine", start=datetime(YEAR, 3, 4, 18))
    auth.login(owner)
    page = text_of(client.get(f"/calendar?start={YEAR}-03-01"))
    assert "Mine" in page and "5:00\xa0PM" in page and "<strong>Central Time</strong>" in page


def test_a_busy_day_shows_four_sessions_in_the_month_and_all_of_them_in_the_week(
    client, make_workshop
):
    day = date(YEAR, 5, 12)
    for hour in range(10, 16):  # six workshops that day, 10:00 to 15:00
        make_workshop(start=datetime.combine(day, time(hour, 0)), title=f"Group at {hour}")
    make_workshop(start=datetime.combine(day + timedelta(days=1), time(18, 0)), title="Next day")

    month = cv.build_calendar(View.MONTH, day, zone=NY, now=utcnow())
    week = cv.build_calendar(View.WEEK, day, zone=NY, now=utcnow())

    busy = day_of(month, day)
    assert [e.title for e in busy.entries] == [f"Group at {h}" for h in range(10, 14)]
    assert busy.more == 2 and month.entry_count == 7
    assert (day_of(month, day + timedelta(days=1)).more, day_of(week, day).more) == (0, 0)
    assert len(day_of(week, day).entries) == 6
    page = text_of(client.get(f"/calendar?start={day.isoformat()}"))
    assert f'href="/calendar?view=week&amp;start={day.isoformat()}">2 more on' in page
