"""Counseling on a phone: filter, jump to a day and book a time with the keyboard alone.

About 60 open times in one week, from three counselors. Before issue 14 the page showed
them as one column of boxes, each repeating its counselor, kind and mode: 8,462 px tall
at 375 px wide for 60 times (about 141 px a time). Now a day's times are buttons, several
to a row, under one line naming who, what kind and where.
"""

from __future__ import annotations

import re
from datetime import time

from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.models import Appointment, MeetingMode, Role, SessionKind, User
from scheduler.services import counseling
from scheduler.timeutil import utcnow
from tests.browser.actions import Keyboard, go
from tests.browser.checks import check_page
from tests.browser.conftest import LiveServer, log_in

#: The old page's height per open time at phone width (8,462 px for 60 times).
BEFORE_PX_PER_TIME = 141


def open_counseling(
    live: LiveServer, name: str, zone: str, kind: str, mode: str, starts: time, ends: time
) -> User:
    """A counselor open every day from ``starts`` to ``ends``: 50-minute slots, 10 apart."""
    person = live.user(Role.FACILITATOR, name=name, timezone=zone)
    with live.data():
        now = utcnow()
        counseling.save_rules(
            person.id,
            counseling.Rules(
                open=True,
                timezone=zone,
                kind=kind,
                mode=mode,
                location="Counseling room 2, 12 Elm Street",
                online_url="https://meet.example.org/room" if mode == MeetingMode.ONLINE else "",
            ),
            now=now,
        )
        for weekday in range(7):
            counseling.add_window(person.id, weekday=weekday, starts=starts, ends=ends, now=now)
    return person


def test_a_family_filters_jumps_to_a_day_and_books_with_the_keyboard(
    page: Page, live: LiveServer, viewport: str
) -> None:
    open_counseling(
        live, "Maya Okafor", "America/New_York", SessionKind.FAMILY, MeetingMode.IN_PERSON,
        time(13), time(17),
    )  # fmt: skip
    daniel = open_counseling(
        live, "Daniel Reyes", "America/Chicago", SessionKind.INDIVIDUAL, MeetingMode.ONLINE,
        time(17), time(20),
    )  # fmt: skip
    open_counseling(
        live, "Grace Holloway", "America/New_York", SessionKind.FAMILY, MeetingMode.ONLINE,
        time(9), time(12),
    )  # fmt: skip
    family = live.user(name="The Novak family")
    log_in(page, family.email)

    page.goto("/counseling")
    times = page.locator("a.slot")
    count = times.count()
    assert 50 <= count <= 70, f"the week shows {count} open times"
    check_page(page, "counseling-all-times")
    height = page.evaluate("document.documentElement.scrollHeight")
    if viewport == "phone":
        # Measured: 4,414 px for 60 times, 52% of the 8,462 px before.
        assert height < 0.65 * BEFORE_PX_PER_TIME * count, f"{height} px for {count} times"
        _buttons_fit_a_thumb_several_to_a_row(page)

    keyboard = Keyboard(page)
    keys, press, tab_to = keyboard.keys, keyboard.press, keyboard.tab_to

    # Filter: Daniel's online times. The selects are set as a phone's picker sets them.
    page.get_by_label("Counselor").select_option(label="Daniel Reyes")
    page.get_by_label("In person or online").select_option(label="Online")
    page.get_by_label("In person or online").focus()
    tab_to(lambda f: f["tag"] == "button" and f["text"] == "Show times", "Show times")
    page.keyboard.press("Enter")
    keys.append("Enter")
    expect(page).to_have_url(re.compile(rf"counselor={daniel.id}.*mode=online"))
    groups = page.locator("h4.slot-group")
    expect(groups.first).to_have_text("Daniel Reyes · Individual session · Online")
    assert set(groups.all_inner_texts()) == {"Daniel Reyes · Individual session · Online"}
    expect(page.get_by_label("Counselor")).to_have_value(str(daniel.id))
    check_page(page, "counseling-filtered")

    # Jump to the second day in the day picker, then Tab to its first time.
    picker = page.get_by_role("navigation", name="Days with open times")
    second_day = picker.get_by_role("link").nth(1)
    anchor = (second_day.get_attribute("href") or "").lstrip("#")
    day_text = second_day.inner_text().split("\n")[0]
    tab_to(lambda f: f["tag"] == "a" and f["text"].startswith(day_text), "the second day")
    page.keyboard.press("Enter")
    keys.append("Enter")
    expect(page).to_have_url(re.compile(f"#{anchor}$"))
    section = page.locator(f"section#{anchor}")
    expect(section.get_by_role("heading", level=3)).to_be_in_viewport()
    chosen = press("Tab")
    first_time = section.locator("a.slot").first
    assert chosen["tag"] == "a" and first_time.evaluate("el => el === document.activeElement"), (
        f"Tab after the day's link reaches that day's first time, not {chosen['text']!r}"
    )
    href = first_time.get_attribute("href") or ""
    slot_id = int(href.rsplit("/", 1)[1])
    page.keyboard.press("Enter")
    keys.append("Enter")

    # The time's page: a note, then "Book this time".
    expect(page).to_have_url(live.at(f"/counseling/slots/{slot_id}"))
    check_page(page, "counseling-slot-keyboard")
    tab_to(lambda f: f["tag"] == "textarea", "the note")
    page.keyboard.type("Our son is 17.")
    tab_to(lambda f: f["tag"] == "button" and f["text"] == "Book this time", "Book this time")
    page.keyboard.press("Enter")
    keys.append("Enter")
    expect(page).to_have_url(live.at("/bookings"))
    expect(page.get_by_text("You're booked:")).to_be_visible()
    check_page(page, "my-bookings-after-counseling")
    assert set(keys) <= {"Tab", "Enter"}
    with live.data():
        appointment = db.session.execute(db.select(Appointment)).scalar_one()
        assert (appointment.slot_id, appointment.note) == (slot_id, "Our son is 17.")

    # Back on the counseling page, the appointment comes first.
    go(page, "Counseling")
    pinned = page.get_by_role("region", name="Your appointment")
    expect(pinned).to_be_in_viewport()
    expect(pinned).to_contain_text("Individual session with Daniel Reyes")
    expect(pinned.get_by_role("link", name=re.compile("^Change the time"))).to_have_attribute(
        "href", f"/counseling/appointments/{appointment.id}/move"
    )
    check_page(page, "counseling-with-appointment")


def _buttons_fit_a_thumb_several_to_a_row(page: Page) -> None:
    """Every time and day link is at least 44 px each way; a group's first two share a row."""
    sizes = page.evaluate(
        """() => [...document.querySelectorAll('a.slot, .day-picker a')].map((el) => {
          const box = el.getBoundingClientRect();
          return [box.width, box.height];
        })"""
    )
    small = [size for size in sizes if min(size) < 44]
    assert not small, f"targets under 44 px: {small[:5]}"
    tops = page.evaluate(
        """() => [...document.querySelectorAll('.slot-list')].map((list) =>
          [...list.querySelectorAll('a.slot')].slice(0, 2)
            .map((a) => a.getBoundingClientRect().top))"""
    )
    assert all(len(pair) < 2 or pair[0] == pair[1] for pair in tops), tops
