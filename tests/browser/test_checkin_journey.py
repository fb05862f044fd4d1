"""A real-browser journey at the door (issue 17, acceptance 2): on a phone, with the
keyboard only, a facilitator checks in three households and adds one that walked in; the
network is cut for one mark, which waits on the page and arrives when it is back. And a
counselor marks yesterday's appointment from the same phone.

Chromium at a phone's width; every page checked with axe-core and for sideways scrolling,
and the roster with its marks also at 360px and just above the width where its table
turns into cards. Screenshots when HEARTH_SCREENSHOTS names a folder.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.models import Appointment, Booking, Role, User
from scheduler.services import counseling, series
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.browser.actions import ZONE, Keyboard, book
from tests.browser.checks import cells_readable, check_page, no_horizontal_scroll, shot
from tests.browser.conftest import LiveServer, log_in
from tests.support.counseling import open_every_afternoon

TITLE = "Understanding addiction as a family"


@pytest.fixture(params=["phone"])
def viewport(request: pytest.FixtureRequest) -> str:
    """At the door is a phone: this journey runs at a phone's width only."""
    return request.param


def _starting_soon(live: LiveServer, facilitator: User) -> int:
    """A session starting in half an hour (its check-in opened half an hour ago)."""
    start = wall_time(utcnow() + timedelta(minutes=30), ZONE).replace(second=0, microsecond=0)
    with live.data():
        workshop = series.create_workshop(
            facilitator.id,
            WorkshopDetails(TITLE, "An evening for families.", "Community room", "", publish=True),
            timezone=ZONE,
            capacity=6,
            first_start=datetime.combine(start.date(), start.time()),
            duration_minutes=90,
            weeks=1,
            now=utcnow(),
        )
        return workshop.sessions[0].id


def _row(page: Page, booking_id: int):
    return page.locator(f"#booking-{booking_id}")


def _tab_to(keyboard: Keyboard, row: str, text: str, limit: int = 60) -> None:
    """Press Tab until the focus is on ``text`` (a button's words, or a field's name) in
    the household's row or section ``row``."""
    for _ in range(limit):
        info = keyboard.press("Tab")
        where, name = keyboard.page.evaluate(
            "[document.activeElement.closest('li, section')?.id || '',"
            " document.activeElement.getAttribute('name') || '']"
        )
        if where == row and text in (info["text"], name):
            return
    raise AssertionError(f"{text!r} in #{row} was not reached with {limit} Tab presses")


def _attendance(live: LiveServer, booking_id: int) -> tuple[str | None, int | None]:
    with live.data():
        booking = db.session.get_one(Booking, booking_id)
        return booking.attendance, booking.attended_seats


def test_a_facilitator_checks_in_three_households_and_a_walk_in_with_the_keyboard(
    page: Page, live: LiveServer
) -> None:
    maya = live.user(Role.FACILITATOR, name="Maya Okafor", email="maya@example.org")
    session_id = _starting_soon(live, maya)
    chen = book(live, session_id, live.user(name="The Chen family"), 2, childcare_needed=True)
    okafor = book(live, session_id, live.user(name="Okafor household"), 1)
    novak = book(live, session_id, live.user(name="The Novak family"), 1)

    log_in(page, maya.email)
    page.goto(f"/manage/sessions/{session_id}/roster")
    check_page(page, "roster-before-check-in")
    keyboard = Keyboard(page)
    keyboard.tab_to(lambda f: f["text"] == "Check in at the door", "the check-in link")
    keyboard.enter()
    expect(page).to_have_url(live.at(f"/manage/sessions/{session_id}/attendance"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check-in: {TITLE}")
    check_page(page, "check-in", screenshot=True)
    for button in page.locator(".mark").all():
        box = button.bounding_box()
        assert box and box["height"] >= 44 and box["width"] >= 44, "big enough to tap"

    # The Chens: two seats, both came. Space presses the focused button.
    _tab_to(keyboard, f"booking-{chen}", "Came")
    keyboard.press("Space")
    chen_row = _row(page, chen)
    expect(chen_row.locator("[data-mark-state]")).to_have_text(
        "Saved: The Chen family came, 2 of 2 seats."
    )
    expect(chen_row.get_by_role("button", name="Came")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-mark-status]")).to_have_text(
        "Saved: The Chen family came, 2 of 2 seats."
    )
    assert _attendance(live, chen) == ("attended", 2)
    # Only one of them stayed: the number is changed with the keyboard, and sent again.
    keyboard.press("Shift+Tab")  # back to "Seats that came"
    expect(chen_row.get_by_label("Seats that came")).to_be_focused()
    keyboard.press("ArrowDown")
    expect(chen_row.locator("[data-mark-state]")).to_have_text(
        "Saved: The Chen family came, 1 of 2 seats."
    )
    assert _attendance(live, chen) == ("attended", 1)

    # The Okafors came late: Enter works as well as Space.
    _tab_to(keyboard, f"booking-{okafor}", "Late")
    keyboard.press("Enter")
    expect(_row(page, okafor).locator("[data-mark-state]")).to_have_text(
        "Saved: Okafor household came late."
    )
    assert _attendance(live, okafor) == ("late", 1)

    # The network drops as the Novaks are marked absent: the mark waits on the page.
    _tab_to(keyboard, f"booking-{novak}", "Absent")
    page.context.set_offline(True)
    keyboard.press("Space")
    novak_state = _row(page, novak).locator("[data-mark-state]")
    expect(novak_state).to_have_text(
        "Waiting to send: no connection. It goes as soon as you are back online."
    )
    expect(_row(page, novak).get_by_role("button", name="Absent")).to_have_attribute(
        "aria-pressed", "true"
    )
    page.wait_for_timeout(500)
    assert _attendance(live, novak) == (None, None), "nothing arrived while offline"
    shot(page, "check-in-offline", element=_row(page, novak))
    page.context.set_offline(False)
    expect(novak_state).to_have_text("Saved: The Novak family is absent.")
    assert _attendance(live, novak) == ("absent", None)
    expect(page.locator("[data-tally]")).to_contain_text(
        "Came: 1 · Late: 1 · Absent: 1 · Not marked yet: 0"
    )
    check_page(page, "check-in-marked")

    # Someone came without a booking: recorded by name and phone, sent with Enter.
    _tab_to(keyboard, "walk-in", "name")  # Contact name
    page.keyboard.type("Rosa Alvarez")
    keyboard.press("Tab")
    page.keyboard.type("555-0142")
    _tab_to(keyboard, "walk-in", "seats")
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    keyboard.enter()
    expect(page.locator(".flashes")).to_have_text(
        "Added Rosa Alvarez at the door: 1 seat, marked as came."
    )
    with live.data():
        rosa = db.session.execute(db.select(User).where(User.name == "Rosa Alvarez")).scalar_one()
        walked_in = db.session.execute(
            db.select(Booking).where(Booking.family_id == rosa.id)
        ).scalar_one()
        assert (walked_in.walk_in, walked_in.attendance, walked_in.over_capacity) == (
            True,
            "attended",
            False,
        )
    expect(_row(page, walked_in.id)).to_contain_text("Walk-in")
    expect(page.locator("[data-tally]")).to_contain_text("Came: 2")
    check_page(page, "check-in-walk-in", screenshot=True)

    # The roster says who came, in the household's cell, and still fits a small screen.
    page.goto(f"/manage/sessions/{session_id}/roster")
    booked = page.get_by_role("table", name="Booked")
    expect(booked.get_by_text("Came: 1 of 2 seats")).to_be_visible()
    expect(booked.get_by_text("Came late")).to_be_visible()
    expect(booked.get_by_text("Absent", exact=True)).to_be_visible()
    expect(booked.get_by_text(re.compile("^Walk-in"))).to_be_visible()
    check_page(page, "roster-with-marks", screenshot=True)
    cells_readable(page, "roster-with-marks")
    for width in (360, 656):
        page.set_viewport_size({"width": width, "height": 800})
        no_horizontal_scroll(page, f"roster-with-marks at {width}px")
        cells_readable(page, f"roster-with-marks at {width}px")


def test_a_counselor_marks_yesterdays_appointment_from_a_phone(
    page: Page, live: LiveServer
) -> None:
    """Yesterday's appointment is listed to mark on the counseling page; its page has the
    same big buttons, and the mark is saved without leaving it."""
    counselor = live.user(Role.FACILITATOR, name="Dr Rivera", email="rivera@example.org")
    family = live.user(name="Lee family")
    then = utcnow() - timedelta(days=3)
    yesterday = wall_time(utcnow() - timedelta(days=1), ZONE).date()
    with live.data(), time_machine.travel(then, tick=False):
        open_every_afternoon(counselor.id)
        slot = next(
            s.slot.id
            for s in counseling.open_slots(then, facilitator_id=counselor.id)
            if wall_time(s.slot.starts_at, ZONE).date() == yesterday
        )
        appointment_id = counseling.book_slot(slot, family.id, now=then).id

    log_in(page, counselor.email)
    page.goto("/manage/counseling")
    who_came = page.locator("#who-came")
    expect(who_came.get_by_text("Not marked yet")).to_be_visible()
    check_page(page, "counseling-who-came")
    who_came.get_by_role("link", name=re.compile("Lee family")).click()
    expect(page.get_by_role("heading", name="Did the family come?")).to_be_visible()
    check_page(page, "appointment-who-came", screenshot=True)

    page.get_by_role("button", name="Didn't come").click()

    expect(page.locator("[data-mark-state]")).to_have_text("Saved: Lee family didn't come.")
    expect(page).to_have_url(live.at(f"/manage/counseling/appointments/{appointment_id}"))
    with live.data():
        assert db.session.get_one(Appointment, appointment_id).attendance == "no_show"
