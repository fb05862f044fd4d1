"""Counseling pages: families find, book, move and cancel; counselors set their hours."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from sqlalchemy import func, select

from scheduler.models import (
    Appointment,
    AuditEvent,
    AvailabilityWindow,
    BlackoutDate,
    CounselingSlot,
    MeetingMode,
    Role,
    SessionKind,
)
from scheduler.services import counseling
from scheduler.timeutil import utcnow


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def counselor(make_user):
    """A counselor in Los Angeles, open on weekday afternoons, changes up to 24 hours before."""
    person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles", name="Maya Okafor")
    now = utcnow()
    counseling.save_rules(
        person.id,
        counseling.Rules(
            open=True,
            timezone="America/Los_Angeles",
            location="Counseling Room 2",
            contact="Call the front desk: 555-0142",
        ),
        now=now,
    )
    for weekday in range(5):
        counseling.add_window(person.id, weekday=weekday, starts=time(14), ends=time(17), now=now)
    return person


def open_ids(counselor) -> list[int]:
    return [s.slot.id for s in counseling.open_slots(utcnow(), facilitator_id=counselor.id)]


def test_open_times_are_listed_by_day_in_the_familys_zone_with_the_counselors_too(
    client, auth, make_user, counselor
):
    auth.login(make_user(timezone="America/New_York"))

    page = text_of(client.get("/counseling"))

    assert "Times are in <strong>Eastern Time</strong>" in page
    assert "5:00\xa0PM</span>" in page  # 14:00 in Los Angeles
    assert "2:00\xa0PM Pacific Time for the counselor" in page
    assert "Maya Okafor · Family session · In person" in page


def test_family_books_a_time_with_a_note_and_sees_it_in_my_bookings(
    client, auth, make_user, counselor, db
):
    family = make_user(timezone="America/Los_Angeles")
    auth.login(family)
    slot_id = open_ids(counselor)[0]
    assert "Book this time" in text_of(client.get(f"/counseling/slots/{slot_id}"))

    response = client.post(f"/counseling/slots/{slot_id}/book", data={"note": "About our son"})

    assert response.status_code == 303
    bookings = text_of(client.get("/bookings"))
    assert "Family session with Maya Okafor" in bookings
    assert "Booked" in bookings and "Counseling Room 2" in bookings
    appointment = db.session.scalars(select(Appointment)).one()
    assert appointment.note == "About our son" and appointment.family_id == family.id
    assert slot_id not in open_ids(counselor)


def test_a_time_someone_else_just_took_gets_a_clear_answer(client, auth, make_user, counselor):
    slot_id = open_ids(counselor)[0]
    counseling.book_slot(slot_id, make_user().id, now=utcnow())
    auth.login(make_user())

    response = client.post(f"/counseling/slots/{slot_id}/book", data={})

    assert response.status_code == 409
    assert "no longer free" in text_of(response)
    assert client.get(f"/counseling/slots/{slot_id}").status_code == 404


def test_a_note_with_hidden_characters_is_refused_with_a_field_error(
    client, auth, make_user, counselor, db
):
    auth.login(make_user())
    slot_id = open_ids(counselor)[0]

    response = client.post(f"/counseling/slots/{slot_id}/book", data={"note": "hi\x00"})

    assert response.status_code == 422
    assert "hidden characters" in text_of(response)
    assert db.session.scalars(select(Appointment)).all() == []


def test_family_moves_its_appointment_to_another_time(client, auth, make_user, counselor, db):
    family = make_user()
    first, *_, later = open_ids(counselor)[:4]
    appointment = counseling.book_slot(first, family.id, now=utcnow())
    auth.login(family)
    assert "Change the time" in text_of(client.get("/bookings"))

    response = client.post(
        f"/counseling/appointments/{appointment.id}/move", data={"slot_id": str(later)}
    )

    assert response.status_code == 303
    db.session.rollback()
    moved = db.session.get_one(Appointment, appointment.id)
    assert moved.slot_id == later and moved.sequence == 1
    assert first in open_ids(counselor)


def test_moving_without_choosing_a_time_asks_for_one(client, auth, make_user, counselor):
    family = make_user()
    appointment = counseling.book_slot(open_ids(counselor)[0], family.id, now=utcnow())
    auth.login(family)

    response = client.post(f"/counseling/appointments/{appointment.id}/move", data={})

    assert response.status_code == 422
    assert "Choose one of the times." in text_of(response)


def test_after_the_cutoff_the_family_is_told_how_to_reach_the_counselor(
    client, auth, make_user, counselor
):
    family = make_user()
    slot_id = open_ids(counselor)[0]
    appointment = counseling.book_slot(slot_id, family.id, now=utcnow())
    starts = appointment.slot.starts_at
    auth.login(family)

    with time_machine.travel(starts - timedelta(hours=2), tick=False):
        page = text_of(client.get("/bookings"))
        refused = client.post(f"/counseling/appointments/{appointment.id}/cancel")
        after = text_of(client.get("/bookings"))

    assert "Call the front desk: 555-0142" in page
    assert "Cancel my appointment" not in page
    assert refused.status_code == 303
    assert "too close to the appointment" in after


def test_counselor_sets_hours_and_days_off_and_sees_what_families_see(client, auth, make_user, db):
    counselor = make_user(Role.FACILITATOR, timezone="America/Chicago")
    auth.login(counselor)
    settings = {
        "open": "y",
        "timezone": "America/Chicago",
        "kind": "individual",
        "mode": "online",
        "online_url": "https://meet.example.org/room",
        "slot_minutes": "45",
        "buffer_minutes": "15",
        "min_notice_hours": "12",
        "horizon_days": "14",
        "change_cutoff_hours": "24",
    }
    assert client.post("/manage/counseling", data=settings).status_code == 303
    assert (
        client.post(
            "/manage/counseling/windows", data={"weekday": "2", "starts": "17:00", "ends": "20:00"}
        ).status_code
        == 303
    )
    day_off = (utcnow() + timedelta(days=8)).date()
    client.post("/manage/counseling/blackouts", data={"day": day_off.isoformat()})

    page = text_of(client.get("/manage/counseling"))
    assert "Every Wednesday, 17:00\N{EN DASH}20:00" in page
    assert day_off.strftime("%A") in page
    assert "Families can book you now" in page
    assert counseling.open_slots(utcnow(), facilitator_id=counselor.id)
    assert db.session.scalars(select(AvailabilityWindow)).one().weekday == 2
    assert db.session.scalars(select(BlackoutDate)).one().day == day_off


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"weekday": "", "starts": "17:00", "ends": "20:00"}, "Choose a weekday, or a date"),
        ({"weekday": "9", "starts": "17:00", "ends": "20:00"}, "weekday from the list"),
        ({"weekday": "1", "starts": "20:00", "ends": "17:00"}, "end must be after the start"),
        ({"weekday": "1", "starts": "17:00", "ends": "17:20"}, "fit one 50-minute slot"),
        ({"weekday": "1", "starts": "nonsense", "ends": "17:20"}, "Not a valid time value"),
    ],
)
def test_bad_hours_get_a_plain_message_and_change_nothing(
    client, auth, make_user, db, form, message
):
    auth.login(make_user(Role.FACILITATOR))

    response = client.post("/manage/counseling/windows", data=form, follow_redirects=True)

    assert response.status_code == 200
    assert message in text_of(response)
    assert db.session.scalars(select(AvailabilityWindow)).all() == []


def test_online_counseling_without_a_link_is_refused(client, auth, make_user, db):
    auth.login(make_user(Role.FACILITATOR))
    data = {"open": "y", "timezone": "UTC", "kind": "family", "mode": "online"}
    data |= {"slot_minutes": "50", "buffer_minutes": "10", "min_notice_hours": "24"}
    data |= {"horizon_days": "28", "change_cutoff_hours": "24"}

    response = client.post("/manage/counseling", data=data)

    assert response.status_code == 422
    assert "Online slots need a meeting link" in text_of(response)
    assert counseling.settings_for(make_user(Role.FACILITATOR).id) is None


def test_dashboard_lists_appointments_next_to_workshops(
    client, auth, make_user, make_workshop, counselor
):
    make_workshop(facilitator=counselor, title="Evening circle")
    counseling.book_slot(open_ids(counselor)[0], make_user(name="Lee family").id, now=utcnow())
    auth.login(counselor)

    page = text_of(client.get("/manage"))

    assert "Evening circle" in page and "Lee family" in page


def test_opening_an_appointment_is_audited(client, auth, make_user, counselor, db):
    appointment = counseling.book_slot(
        open_ids(counselor)[0], make_user().id, note="Private words", now=utcnow()
    )
    auth.login(counselor)

    page = text_of(client.get(f"/manage/counseling/appointments/{appointment.id}"))

    assert "Private words" in page
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject) == ("view_appointment", f"appointment:{appointment.id}")


def test_counselor_approves_a_first_visit_from_its_page(client, auth, make_user, db):
    counselor = make_user(Role.FACILITATOR)
    now = utcnow()
    counseling.save_rules(
        counselor.id, counseling.Rules(open=True, timezone="UTC", approve_first=True), now=now
    )
    day = (now + timedelta(days=3)).date()
    counseling.add_window(counselor.id, day=day, starts=time(9), ends=time(12), now=now)
    appointment = counseling.book_slot(open_ids(counselor)[0], make_user().id, now=now)
    assert appointment.is_pending
    auth.login(counselor)
    assert "Waiting for your approval" in text_of(client.get("/manage/counseling"))

    client.post(f"/manage/counseling/appointments/{appointment.id}/approve")

    db.session.rollback()
    assert db.session.get_one(Appointment, appointment.id).is_confirmed


# --- one week a page -----------------------------------------------------------------

TUESDAY = "2026-12-01 15:00Z"  # a fixed "today" (Tuesday 1 December 2026, 7 AM in LA)


def _busy_counselor(make_user):
    """Ten-minute slots 8 AM to 8 PM every day for 120 days: 8,640 slots."""
    person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles", name="Dr Busy")
    now = utcnow()

    def rules(horizon: int) -> counseling.Rules:
        return counseling.Rules(
            open=True,
            timezone="America/Los_Angeles",
            slot_minutes=10,
            buffer_minutes=0,
            min_notice_hours=0,
            horizon_days=horizon,
        )

    counseling.save_rules(person.id, rules(1), now=now)  # hours first, on a short horizon
    for weekday in range(7):
        counseling.add_window(person.id, weekday=weekday, starts=time(8), ends=time(20), now=now)
    counseling.save_rules(person.id, rules(120), now=now)
    return person


def test_a_counselor_with_thousands_of_slots_still_gives_one_week_a_page(client, make_user, db):
    with time_machine.travel(TUESDAY, tick=False):
        _busy_counselor(make_user)
        stored = db.session.scalar(select(func.count()).select_from(CounselingSlot))
        first = client.get("/counseling")
        second = text_of(client.get("/counseling?start=2026-12-08"))

    assert stored > 8000
    page = text_of(first)
    assert first.status_code == 200
    assert page.count('class="slot"') == 7 * 72  # one week, from 8 AM today
    assert len(first.get_data()) < 400_000
    assert "Open times from Tuesday, December 1, 2026 to Monday, December 7, 2026" in page
    assert 'href="/counseling?start=2026-12-08">Later times' in page
    assert "Earlier times" not in page
    assert "Open times from Tuesday, December 8, 2026 to Monday, December 14, 2026" in second
    assert second.count('class="slot"') == 7 * 72
    assert 'href="/counseling?start=2026-12-01">Earlier times' in second


def test_opening_the_page_makes_no_slots_even_when_they_are_stale(client, counselor, db):
    later = utcnow() + timedelta(days=2)  # past the hourly re-make
    before = db.session.scalar(select(func.count()).select_from(CounselingSlot))
    with time_machine.travel(later, tick=False):
        assert client.get("/counseling").status_code == 200
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CounselingSlot)) == before


def test_an_empty_week_points_to_the_next_open_time(client, make_user):
    with time_machine.travel(TUESDAY, tick=False):
        person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles")
        now = utcnow()
        counseling.save_rules(
            person.id, counseling.Rules(open=True, timezone="America/Los_Angeles"), now=now
        )
        day = utcnow().date() + timedelta(days=20)  # Monday 21 December
        counseling.add_window(person.id, starts=time(14), ends=time(17), day=day, now=now)
        page = text_of(client.get("/counseling"))
    assert "No times are open this week. The next open time is on" in page
    assert "Monday, December 21, 2026" in page


@pytest.mark.parametrize("start", ["tomorrow", "2026-13-01", "99999-01-01"])
def test_an_unreadable_week_gets_a_400_with_a_way_back(client, start):
    response = client.get(f"/counseling?start={start}")
    assert response.status_code == 400
    assert "See the open times" in text_of(response)


# --- finding a time on a phone (issue 14) --------------------------------------------

MAYA = "Maya Okafor · Family session · In person"
RIVERA = "Dr Rivera · Individual session · Online"


def group_headings(page: str) -> list[str]:
    """The "counselor · kind · mode" line of each group of times, in page order."""
    return re.findall(r'<h4 class="slot-group">(.*?)</h4>', page)


def link_to(page: str, words: str) -> dict[str, list[str]]:
    """The query of the link with these words, as a dict of lists."""
    match = re.search(rf'href="([^"]*)">{re.escape(words)}</a>', page)
    assert match, f"no link {words!r}"
    url = urlsplit(html.unescape(match.group(1)))
    assert url.path == "/counseling"
    return parse_qs(url.query)


@pytest.fixture
def two_counselors(counselor, make_counselor):
    """Maya (in person, families, Los Angeles) and Dr Rivera (online, one person, New York)."""
    return counselor, make_counselor(
        name="Dr Rivera", mode=MeetingMode.ONLINE, kind=SessionKind.INDIVIDUAL
    )


def _open_in_los_angeles(make_user, name: str = "Maya Okafor"):
    """A counselor open weekdays 14:00-17:00 in Los Angeles, made at the clock's "now"."""
    person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles", name=name)
    now = utcnow()
    counseling.save_rules(
        person.id, counseling.Rules(open=True, timezone="America/Los_Angeles"), now=now
    )
    for weekday in range(5):
        counseling.add_window(person.id, weekday=weekday, starts=time(14), ends=time(17), now=now)
    return person


def test_counseling_filters_by_counselor_without_javascript(
    client, auth, make_user, two_counselors
):
    _, rivera = two_counselors
    auth.login(make_user(timezone="America/New_York"))

    everyone = text_of(client.get("/counseling"))
    chosen = text_of(client.get(f"/counseling?counselor={rivera.id}"))

    form = re.search(r'<form method="get" action="/counseling"[^>]*>(.*?)</form>', everyone, re.S)
    assert form, "a plain GET form: it works without JavaScript"
    for name, label in [
        ("counselor", "Counselor"),
        ("kind", "Kind of session"),
        ("mode", "In person or online"),
    ]:
        assert f'<label for="{name}">{label}</label>' in form.group(1)
        assert f'<select id="{name}" name="{name}">' in form.group(1)
    assert '<button type="submit" class="button">Show times</button>' in form.group(1)
    assert set(group_headings(everyone)) == {MAYA, RIVERA}
    assert set(group_headings(chosen)) == {RIVERA}
    assert f'<option selected value="{rivera.id}">Dr Rivera</option>' in chosen


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("kind=family", {MAYA}),
        ("kind=individual", {RIVERA}),
        ("mode=in_person", {MAYA}),
        ("mode=online", {RIVERA}),
        ("kind=family&mode=online", set()),
    ],
)
def test_counseling_filters_by_kind_of_session_and_by_in_person_or_online(
    client, auth, make_user, two_counselors, query, shown
):
    auth.login(make_user(timezone="America/New_York"))

    page = text_of(client.get(f"/counseling?{query}"))

    assert set(group_headings(page)) == shown
    for pair in query.split("&"):
        name, value = pair.split("=")
        assert re.search(rf'<select id="{name}"[^>]*>.*?<option selected value="{value}">', page)
    if not shown:
        assert "No open times match your choices." in page
        assert '<a href="/counseling">See every open time</a>' in page


def test_the_week_pager_keeps_the_chosen_filters(client, make_user, make_counselor):
    with time_machine.travel(TUESDAY, tick=False):
        maya = _open_in_los_angeles(make_user)
        make_counselor(name="Dr Rivera", mode=MeetingMode.ONLINE)
        first = text_of(client.get(f"/counseling?counselor={maya.id}&mode=in_person"))
        later = link_to(first, "Later times")
        second = text_of(client.get(f"/counseling?{urlencode(later, doseq=True)}"))

    assert later == {"start": ["2026-12-08"], "counselor": [str(maya.id)], "mode": ["in_person"]}
    assert set(group_headings(first)) == set(group_headings(second)) == {MAYA}
    earlier = link_to(second, "Earlier times")
    assert earlier == {"start": ["2026-12-01"], "counselor": [str(maya.id)], "mode": ["in_person"]}


def test_an_empty_week_of_the_chosen_counselor_points_to_their_next_time(
    client, make_user, make_counselor
):
    with time_machine.travel(TUESDAY, tick=False):
        make_counselor(name="Dr Rivera")  # open every day: the unfiltered week is full
        person = make_user(Role.FACILITATOR, timezone="America/Los_Angeles")
        now = utcnow()
        counseling.save_rules(
            person.id, counseling.Rules(open=True, timezone="America/Los_Angeles"), now=now
        )
        day = now.date() + timedelta(days=20)  # Monday 21 December
        counseling.add_window(person.id, starts=time(14), ends=time(17), day=day, now=now)
        page = text_of(client.get(f"/counseling?counselor={person.id}"))

    assert "No times match your choices this week. The next one is on" in page
    assert link_to(page, "Monday, December 21, 2026") == {
        "start": ["2026-12-21"],
        "counselor": [str(person.id)],
    }


@pytest.mark.parametrize(
    ("query", "messages"),
    [
        ("counselor=abc", ["That counselor has no open times now, so we show every counselor."]),
        ("counselor=99999999999999999999999", ["That counselor has no open times now"]),
        ("counselor=-1", ["That counselor has no open times now"]),
        ("counselor=1.5", ["That counselor has no open times now"]),
        ("kind=group", ["We don't know that kind of session, so we show both kinds."]),
        ("mode=by+phone", ["We don't know that way of meeting, so we show times in person"]),
        (
            "counselor=%00&kind=%C3%A9&mode=" + "x" * 5000,
            ["That counselor", "that kind of session", "that way of meeting"],
        ),
        ("kind=", []),  # empty is "any"
        ("colour=blue", []),  # what the page doesn't read it ignores
    ],
)
def test_unknown_filter_values_are_explained_and_ignored(
    client, make_user, two_counselors, query, messages
):
    response = client.get(f"/counseling?{query}")

    page = html.unescape(text_of(response))
    assert response.status_code == 200
    for message in messages:
        assert message in page
    assert page.count('<p class="notice">') == len(messages)
    assert set(group_headings(page)) == {MAYA, RIVERA}, "every time is shown"
    assert '<option selected value="">Any counselor</option>' in page


def test_a_closed_counselors_link_shows_everyone_with_a_message(
    client, make_user, two_counselors, db
):
    maya, _ = two_counselors
    counseling.save_rules(
        maya.id, counseling.Rules(open=False, timezone="America/Los_Angeles"), now=utcnow()
    )

    page = html.unescape(text_of(client.get(f"/counseling?counselor={maya.id}")))

    assert "That counselor has no open times now, so we show every counselor." in page
    assert f'value="{maya.id}"' not in page
    assert set(group_headings(page)) == {RIVERA}


def test_day_picker_links_to_each_day_with_open_times(client, auth, make_user):
    with time_machine.travel(TUESDAY, tick=False):
        _open_in_los_angeles(make_user)
        auth.login(make_user(timezone="America/Los_Angeles"))
        page = text_of(client.get("/counseling"))

    picker = re.search(
        r'<nav class="day-picker" aria-label="Days with open times">(.*?)</nav>', page, re.S
    )
    assert picker
    links = re.findall(
        r'<a href="#(day-[\d-]+)"><span class="day-name">(.*?)</span> '
        r'<span class="day-count">(.*?)</span></a>',
        picker.group(1),
    )
    # Today's times are within the day's notice; the weekend has none.
    assert links == [
        ("day-2026-12-02", "Wed 2 Dec", "3 open times"),
        ("day-2026-12-03", "Thu 3 Dec", "3 open times"),
        ("day-2026-12-04", "Fri 4 Dec", "3 open times"),
        ("day-2026-12-07", "Mon 7 Dec", "3 open times"),
    ]
    sections = re.findall(r'<section class="day" id="(day-[\d-]+)".*?</section>', page, re.S)
    assert sections == [anchor for anchor, _, _ in links]
    for anchor, _, _ in links:
        section = re.search(rf'<section class="day" id="{anchor}".*?</section>', page, re.S)
        assert section and section.group(0).count('class="slot"') == 3
    assert page.index("Days with open times") < page.index('<section class="day"')


def test_a_days_times_are_buttons_under_one_line_naming_counselor_kind_and_mode(
    client, auth, make_user, two_counselors
):
    auth.login(make_user(timezone="America/New_York"))

    page = text_of(client.get("/counseling"))

    days = re.findall(r'<section class="day".*?</section>', page, re.S)
    assert len(days) >= 5
    for day in days:  # one group per counselor a day, each line said once
        assert sorted(group_headings(day)) == sorted(set(group_headings(day)))
        assert day.count("Maya Okafor · Family session") == group_headings(day).count(MAYA)
    assert RIVERA in group_headings(page) and MAYA in group_headings(page)
    buttons = re.findall(r'<a class="slot" href="/counseling/slots/\d+">(.*?)</a>', page)
    assert len(buttons) == page.count('class="slot"')
    for button in buttons:
        assert "·" not in button
        assert re.match(r'<span class="slot-time">\d{1,2}:\d\d\xa0[AP]M</span>', button)
    # Each button still says, to a screen reader, which day and whose time it is.
    assert any(" with Maya Okafor</span>" in b for b in buttons)
    assert any("Pacific Time for the counselor" in b for b in buttons)


def test_a_family_sees_its_appointment_first(client, auth, make_user, counselor):
    family = make_user(timezone="America/Los_Angeles")
    first, second, third = open_ids(counselor)[:3]
    mine = counseling.book_slot(second, family.id, now=utcnow())
    counseling.book_slot(first, make_user().id, now=utcnow())  # another family's
    cancelled = counseling.book_slot(third, family.id, now=utcnow())
    counseling.cancel_by_family(cancelled.id, family.id, now=utcnow())
    auth.login(family)

    page = text_of(client.get("/counseling"))

    top = page[page.index("<h1>") : page.index('<form method="get"')]
    assert '<h2 id="held-title">Your appointment</h2>' in top
    assert counseling.when(mine, family.timezone) in top
    assert "Family session with Maya Okafor" in top and "Booked" in top
    assert f'href="/counseling/appointments/{mine.id}/move">Change the time' in top
    assert '<a href="/bookings">See it in My bookings</a>' in top
    assert top.count("<li>") == 1, "only its own appointment still to come"


def test_a_request_waiting_for_approval_is_pinned_too_and_says_so(
    client, auth, make_user, make_counselor
):
    counselor = make_counselor(approve_first=True)
    family = make_user()
    slots = counseling.open_slots(utcnow(), facilitator_id=counselor.id)
    request = counseling.book_slot(slots[0].slot.id, family.id, now=utcnow())
    assert request.is_pending
    auth.login(family)

    page = text_of(client.get("/counseling"))

    assert "Waiting for the counselor to confirm" in page[: page.index('<form method="get"')]


@pytest.mark.parametrize("who", ["visitor", "counselor"])
def test_only_a_family_has_appointments_pinned(client, auth, make_user, counselor, who):
    counseling.book_slot(open_ids(counselor)[0], make_user().id, now=utcnow())
    if who == "counselor":
        auth.login(counselor)

    page = text_of(client.get("/counseling"))

    assert "Your appointment" not in page and "held-title" not in page
