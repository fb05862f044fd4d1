"""Real-browser journeys on Chromium, at a phone's width and a desktop's.

Every page a journey reaches is checked with axe-core (no serious or critical
violation) and for sideways scrolling; the main pages are saved as screenshots when
HEARTH_SCREENSHOTS names a folder (``make screenshots``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import time
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.models import Appointment, Booking, OutboxMessage, Role, WorkshopSession
from scheduler.timeutil import utcnow, wall_time
from tests.browser.actions import ZONE, Keyboard, book, go, local_day, publish
from tests.browser.checks import check_page, shot, viewport_name
from tests.browser.conftest import LiveServer, log_in
from tests.support.app import PASSWORD


def log_in_with_form(page: Page, email: str) -> None:
    page.goto("/login")
    check_page(page, "login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_family_signs_up_books_and_takes_it_home(page: Page, live: LiveServer) -> None:
    """(a) Sign up, find a workshop, book 2 seats with childcare, get the .ics and feed link."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    daniel = live.user(Role.FACILITATOR, name="Daniel Reyes")
    title = "Understanding addiction as a family"
    _, sessions = publish(live, maya, title, weeks=4, capacity=12)
    publish(
        live,
        daniel,
        "CRAFT: inviting a loved one into treatment",
        capacity=8,
        days=12,
        location="",
        online_url="https://meet.example.org/craft",
    )
    publish(live, maya, "Looking after yourself", capacity=2, days=5, at=time(10, 0))

    page.goto("/")
    check_page(page, "home", screenshot=True)
    go(page, "Sign up")
    check_page(page, "sign-up")
    page.get_by_label("Your name or your family's name").fill("The Rivera family")
    page.get_by_label("Email").fill("rivera@example.org")
    page.get_by_label("Password", exact=True).fill("a quiet evening at home")
    page.get_by_label("Password again").fill("a quiet evening at home")
    page.get_by_label("Time zone").select_option(ZONE)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Welcome, The Rivera family.")).to_be_visible()
    check_page(page, "home-signed-in")

    page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    form = page.locator("form[data-booking-form]")
    # The whole series is booked from the first screenful of the one form.
    top = form.evaluate("form => form.getBoundingClientRect().top + window.scrollY")
    height = page.viewport_size["height"] if page.viewport_size else 0
    print(f"booking form: its top {top:.0f}px down a {height}px screen")
    assert top <= 1.5 * height, f"the booking form starts {top:.0f}px down ({height}px screen)"
    every = form.get_by_label("All 4 sessions")
    expect(every).to_be_checked()
    expect(form.get_by_role("button", name="Book 1 seat in 4 sessions", exact=True)).to_be_visible()
    form.get_by_label("Seats for your household").fill("2")
    last = form.get_by_label(re.compile("^Session 4"))
    expect(last).to_be_hidden()  # while "All" is ticked the sessions are only listed
    every.uncheck()  # to choose some: the sessions' boxes appear, all ticked
    expect(last).to_be_checked()
    last.uncheck()
    three = form.get_by_role("button", name="Book 2 seats in 3 sessions", exact=True)
    expect(three).to_be_visible()
    every.check()
    expect(last).to_be_hidden()
    form.get_by_text("Needs and notes (optional)").click()
    form.get_by_label("We need childcare during the session").check()
    form.get_by_label("Interpreter language (if you need one)").fill("Spanish")
    check_page(page, "workshop", screenshot=True)
    form.get_by_role("button", name="Book 2 seats in 4 sessions", exact=True).click()

    expect(page).to_have_url(re.compile(r"/bookings\?booked=\d+$"))
    confirmation = page.locator(".flashes")
    expect(confirmation).to_have_text(f"You're booked: 2 seats in each of 4 sessions of {title}.")
    expect(confirmation).to_be_focused()
    card = page.locator(".card", has_text=title)
    expect(card.locator(".booking-session")).to_have_count(4)  # one card for the series
    expect(card.get_by_text("Booked: 2 seats").first).to_be_visible()
    expect(card.get_by_text("childcare needed")).to_have_count(1)  # the same for every session
    check_page(page, "my-bookings", screenshot=True)

    with page.expect_download() as download:
        card.get_by_role("link", name="Add to my calendar").first.click()
    calendar = Calendar.from_ical(Path(download.value.path()).read_bytes())
    (event,) = calendar.walk("VEVENT")
    with live.data():
        booking = db.session.execute(
            db.select(Booking).where(Booking.session_id == sessions[0])
        ).scalar_one()
        assert (booking.seats, booking.childcare_needed) == (2, True)
        assert booking.interpreter_language == "Spanish"
        starts_at = booking.session.starts_at
    assert event.decoded("DTSTART") == starts_at
    assert str(event["UID"]) == f"booking-{booking.id}@127.0.0.1"
    assert title not in str(event["SUMMARY"]), "downloads are discreet by default"

    go(page, "Account")
    check_page(page, "account", screenshot=True)
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator(".copy-status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#feed-url").input_value()
    assert re.fullmatch(rf"{re.escape(live.url)}/calendar/feeds/[\w-]+\.ics", copied)
    feed = page.context.request.get(copied)
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    fed = Calendar.from_ical(feed.body()).walk("VEVENT")
    assert len(fed) == 4 and event["UID"] in {e["UID"] for e in fed}  # the whole series


def test_full_session_waitlist_then_promotion(
    page: Page, new_page: Callable[[], Page], live: LiveServer
) -> None:
    """(b) A family joins a full session's waitlist and is seated when another cancels."""
    daniel = live.user(Role.FACILITATOR, name="Daniel Reyes")
    title = "Family support circle"
    workshop_id, (session_id,) = publish(live, daniel, title, capacity=3)
    chen = live.user(name="The Chen family", email="chen@example.org")
    rivera = live.user(name="The Rivera family", email="rivera@example.org")
    book(live, session_id, chen, 3)

    log_in_with_form(page, rivera.email)
    expect(page).to_have_url(live.at("/"))
    check_page(page, "home-signed-in")
    page.goto(f"/workshops/{workshop_id}")
    expect(page.get_by_text("Full. Tick to join the waitlist.")).to_be_visible()
    check_page(page, "workshop-full")
    page.get_by_label("Seats for your household").fill("2")
    page.get_by_role("button", name="Join the waitlist").click()
    expect(page).to_have_url(re.compile(r"/bookings\?booked=\d+$"))
    expect(page.get_by_text("On the waitlist for 2 seats", exact=True)).to_be_visible()
    check_page(page, "my-bookings-waitlist")

    other = new_page()
    log_in(other, chen.email)
    other.goto("/bookings")
    check_page(other, "my-bookings-before-cancel")
    other.get_by_role("button", name="Cancel my booking").click()
    expect(other.get_by_text("Your booking is cancelled.")).to_be_visible()
    check_page(other, "my-bookings-after-cancel")

    page.reload()
    expect(page.locator(".card", has_text=title).get_by_text("Booked: 2 seats")).to_be_visible()
    check_page(page, "my-bookings-promoted")
    with live.data():
        kinds = db.session.execute(
            db.select(OutboxMessage.kind).where(OutboxMessage.recipient_id == rivera.id)
        ).scalars()
        assert "promoted" in set(kinds), "the promoted family is emailed"


def test_facilitator_publishes_a_series_and_reads_the_roster(page: Page, live: LiveServer) -> None:
    """(c) Publish a 6-week series, see the dashboard, open a roster, export it as CSV."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor", email="maya@example.org")
    log_in_with_form(page, maya.email)
    expect(page).to_have_url(live.at("/manage"))
    check_page(page, "dashboard-empty")

    page.get_by_role("link", name="Publish a workshop").click()
    check_page(page, "new-workshop", screenshot=True)
    title = "Understanding addiction as a family"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill(
        "Six evenings on how addiction works, how families cope, and where to find help."
    )
    page.get_by_label("Location").fill("Community room, 12 Elm Street")
    page.get_by_label("Time zone").select_option(ZONE)
    start = local_day(7).replace(hour=18, minute=30)
    page.get_by_label("First session starts (local time)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Number of weekly sessions").fill("6")
    page.get_by_label("Seats per session").fill("8")
    page.get_by_label("Publish now (families can see and book it)").check()
    page.get_by_role("button", name="Save workshop").click()

    expect(page.get_by_text(f"“{title}” is published.")).to_be_visible()
    expect(page.locator(".session-line")).to_have_count(6)
    check_page(page, "manage-workshop")
    match = re.search(r"/workshops/(\d+)$", page.url)
    assert match, f"publishing led to {page.url}"
    with live.data():
        first_session = db.session.scalars(
            db.select(WorkshopSession.id)
            .where(WorkshopSession.workshop_id == int(match.group(1)))
            .order_by(WorkshopSession.starts_at)
        ).first()
    families = [
        ("The Chen family", 3, {"childcare_needed": True}),
        ("The Rivera family", 2, {"interpreter_language": "Spanish"}),
        ("Sam Whitfield", 3, {"accessibility_needs": "Step-free access, please"}),
        ("The Novak family", 2, {"childcare_needed": True}),  # 8 taken: this one waits
    ]
    for name, seats, needs in families:
        book(live, first_session, live.user(name=name), seats, **needs)

    go(page, "Dashboard")
    rows = page.locator(".session-line")
    expect(rows).to_have_count(4)  # the next four; the workshop's page has all six
    expect(rows.first).to_contain_text("8 of 8 seats taken")
    check_page(page, "dashboard", screenshot=True)

    rows.first.get_by_role("link", name="Roster").click()
    page.wait_for_url("**/roster")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Roster: {title}")
    expect(page.get_by_text("of 8 seats taken, by 3 households")).to_be_visible()
    expect(page.get_by_role("button", name="Give The Novak family 2 seats")).to_be_visible()
    check_page(page, "roster", screenshot=True)
    # Printed, the roster is a sign-in sheet: first names, no emails, no navigation.
    page.emulate_media(media="print")
    sheet = page.locator(".sign-in")
    expect(sheet).to_be_visible()
    expect(sheet.locator("tbody tr").first).to_have_text(re.compile(r"^\s*Chen\s*3\s*$"))
    for hidden in (".screen-only", ".site-header", ".site-footer"):
        expect(page.locator(hidden)).to_be_hidden()
    if viewport_name(page) == "desktop":
        shot(page, "roster-print")
    page.emulate_media(media="screen")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.endswith(f"-session-{first_session}.csv")
    lines = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert [(line["household"], line["status"]) for line in lines] == [
        ("The Chen family", "confirmed"),
        ("The Rivera family", "confirmed"),
        ("Sam Whitfield", "confirmed"),
        ("The Novak family", "waitlisted"),
    ]
    assert lines[1]["interpreter_language"] == "Spanish"


def test_counseling_hours_then_a_family_books_and_moves(
    page: Page, new_page: Callable[[], Page], live: LiveServer
) -> None:
    """(c2) A counselor opens hours; a family books a slot, then moves it to another."""
    grace = live.user(Role.FACILITATOR, name="Grace Holloway")
    log_in(page, grace.email)
    page.goto("/manage/counseling")
    check_page(page, "counseling-manage-empty")
    page.get_by_label("Families can book counseling with me now").check()
    page.get_by_label("Location").fill("Counseling room 2, 12 Elm Street")
    page.get_by_label("How to reach you after that").fill("555-0100")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Your counseling settings are saved.")).to_be_visible()

    day = local_day(3)
    page.get_by_label("Every week on").select_option(str(day.weekday()))
    page.get_by_label("From", exact=True).fill("14:00")
    page.get_by_label("Until", exact=True).fill("17:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(page.get_by_text("Your hours are added.")).to_be_visible()
    check_page(page, "counseling-manage", screenshot=True)

    family = live.user(name="The Novak family")
    other = new_page()
    log_in(other, family.email)
    other.goto("/")
    check_page(other, "home-signed-in")
    go(other, "Counseling")
    slots = other.locator("a.slot")
    expect(slots.first).to_be_visible()
    check_page(other, "counseling", screenshot=True)
    slots.first.click()
    check_page(other, "counseling-slot")
    other.get_by_label("A note for the counselor (optional)").fill("Our son is 17.")
    other.get_by_role("button", name="Book this time").click()
    expect(other).to_have_url(live.at("/bookings"))
    expect(other.get_by_text("You're booked:")).to_be_visible()
    check_page(other, "my-bookings-counseling")
    with live.data():
        appointment = db.session.execute(db.select(Appointment)).scalar_one()
        first_slot = appointment.slot_id

    other.get_by_role("link", name="Change the time").click()
    check_page(other, "counseling-move")
    choice = other.get_by_role("radio").first
    new_slot = int(choice.get_attribute("value") or 0)
    choice.check()
    other.get_by_role("button", name="Move my appointment").click()
    expect(other.get_by_text("Your appointment is now on")).to_be_visible()
    check_page(other, "my-bookings-moved")
    with live.data():
        moved = db.session.get_one(Appointment, appointment.id)
        assert (moved.slot_id, moved.status) == (new_slot, "confirmed")
        assert new_slot != first_slot

    page.reload()
    expect(page.get_by_role("link", name=re.compile("The Novak family"))).to_be_visible()
    check_page(page, "counseling-manage-booked")
    page.get_by_role("link", name=re.compile("The Novak family")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Appointment: The Novak family")
    expect(page).to_have_url(live.at(f"/manage/counseling/appointments/{appointment.id}"))
    check_page(page, "counseling-appointment")


def test_calendar_month_on_a_phone_and_a_desktop_then_a_week(
    page: Page, live: LiveServer, viewport: str
) -> None:
    """(e) The calendar: a grid on a desktop, a list of days on a phone, links to workshops."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    daniel = live.user(Role.FACILITATOR, name="Daniel Reyes")
    title = "Understanding addiction as a family"
    workshop_id, sessions = publish(live, maya, title, weeks=4, days=2)
    publish(live, daniel, "CRAFT: inviting a loved one into treatment", days=3, at=time(19))
    _, (small,) = publish(live, maya, "Looking after yourself", capacity=2, days=4, at=time(10))
    book(live, small, live.user(name="The Chen family"), 2)

    page.goto("/")
    check_page(page, "home-before-calendar")
    page.get_by_role("link", name="See them on a calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Workshop calendar")
    first_day = local_day(2).date()
    if first_day.month != wall_time(utcnow(), ZONE).month:  # late in the month: turn the page
        page.get_by_role("link", name="Next month").click()
    calendar = page.get_by_role("table")
    expect(calendar.locator("caption")).to_contain_text(f"{first_day:%B %Y}")
    headers = calendar.get_by_role("columnheader")
    expect(headers).to_have_text(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    )
    entry = calendar.get_by_role("link", name=re.compile(rf"6:30\sPM {title} 12 seats left"))
    expect(entry.first).to_be_visible()
    full = calendar.get_by_role("link", name=re.compile("Looking after yourself"))
    if local_day(4).month == first_day.month:
        expect(full).to_contain_text("Full, waitlist open")
    empty_days = calendar.locator("td.is-empty")
    if viewport == "phone":  # a list of the days that have sessions, each with its date
        expect(empty_days.first).to_be_hidden()
        expect(calendar.locator("thead")).not_to_be_in_viewport()
        label = f"{first_day:%A}, {first_day:%B} {first_day.day}, {first_day.year}"
        expect(calendar.get_by_text(label, exact=True)).to_be_visible()
    else:
        expect(empty_days.first).to_be_visible()
    check_page(page, "calendar", screenshot=True)

    if viewport == "desktop":
        page.get_by_role("link", name="Show one week").click()
        expect(calendar.locator("caption")).to_contain_text("Week of")
        expect(calendar.locator("tbody tr")).to_have_count(1)
        check_page(page, "calendar-week")
        page.get_by_role("link", name="Next week").click()
        expect(calendar.locator("caption")).to_contain_text("Week of")
        page.get_by_role("link", name="Previous week").click()

    entry.first.click()
    expect(page).to_have_url(live.at(f"/workshops/{workshop_id}#session-{sessions[0]}"))
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_page(page, "workshop-from-calendar")


#: Key presses that booked one session before issue 14 (21 Tabs and 2 Enters), from the
#: home page; a whole series must now take fewer.
KEYS_FOR_ONE_SESSION_BEFORE = 23


def test_keyboard_only_booking(page: Page, live: LiveServer) -> None:
    """(d) Book a whole 4-session series with the keyboard alone, in fewer key presses than
    one session took before; then tell a need, with Tab, Shift+Tab, Enter and Space only."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    title = "Understanding addiction as a family"
    workshop_id, sessions = publish(live, maya, title, capacity=10, weeks=4)
    family = live.user(name="The Okafor family")
    log_in(page, family.email)

    page.goto("/")
    check_page(page, "home-keyboard")
    keyboard = Keyboard(page)
    keys, press, enter, tab_to = keyboard.keys, keyboard.press, keyboard.enter, keyboard.tab_to

    assert press("Tab")["text"] == "Skip to main content", "the first Tab reaches the skip link"
    tab_to(lambda f: f["tag"] == "a" and f["text"] == title, "the workshop's link")
    enter()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_page(page, "workshop-keyboard")
    series = "Book 1 seat in 4 sessions"
    tab_to(lambda f: f["tag"] == "button" and f["text"] == series, series)
    enter()

    expect(page).to_have_url(re.compile(r"/bookings\?booked=\d+$"))
    expect(page.locator(".flashes")).to_be_focused()
    card = page.locator(".card", has_text=title)
    expect(card.get_by_text("Booked: 1 seat")).to_have_count(4)
    check_page(page, "my-bookings-keyboard")
    print(f"keyboard: a 4-session series booked in {len(keys)} key presses: {keys}")
    assert len(keys) < KEYS_FOR_ONE_SESSION_BEFORE, f"{len(keys)} key presses: {keys}"

    # Needs, with the keyboard: the details open with Space, a box ticks with Space.
    with live.data():
        db.session.execute(db.delete(Booking))
        db.session.commit()
    page.goto(f"/workshops/{workshop_id}")
    tab_to(lambda f: f["text"] == "Needs and notes (optional)", "Needs and notes")
    press("Space")
    assert page.evaluate("document.activeElement.parentElement.open"), "Space opens the details"
    info = tab_to(lambda f: f["id"] == "childcare_needed", "the childcare box")
    press("Space")
    expect(page.locator("#childcare_needed")).to_be_checked()
    tab_to(lambda f: f["tag"] == "button" and f["text"] == series, series)
    assert press("Shift+Tab")["id"] == "notes", "Shift+Tab goes back a field"
    assert press("Tab")["text"] == series
    enter()
    expect(page).to_have_url(re.compile(r"/bookings\?booked=\d+$"))
    expect(card.get_by_text("childcare needed")).to_have_count(1)  # said once for the series
    assert set(keys) <= {"Tab", "Shift+Tab", "Enter", "Space"}
    assert info["type"] == "checkbox"
    assert len(sessions) == 4


def test_form_errors_are_announced(page: Page, live: LiveServer) -> None:
    """A form with errors focuses its summary and ties every message to its field."""
    page.goto("/register")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Password again").fill("different")
    page.get_by_role("button", name="Create my account").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    fields = ["name", "email", "password", "password_confirm"]
    for field_id in fields:
        _assert_described_by_error(page, field_id)
    links = summary.get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        f"#{field_id}" for field_id in fields
    ], "the summary lists the errors in the order of the form"
    check_page(page, "sign-up-errors", screenshot=True)

    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    workshop_id, _ = publish(live, maya, "Family support circle", capacity=10)
    family = live.user(name="The Chen family")
    log_in(page, family.email)
    page.goto(f"/workshops/{workshop_id}")
    check_page(page, "workshop-signed-in")
    page.get_by_label("Seats for your household").fill("9")
    page.get_by_role("button", name="Book seats").click()
    expect(page.locator(".error-summary")).to_be_focused()
    error = _assert_described_by_error(page, "seats")
    assert error == "Choose from 1 to 6 seats."
    check_page(page, "workshop-errors")


def _assert_described_by_error(page: Page, field_id: str) -> str:
    """Assert the field points at its error text with aria-describedby; return the text."""
    field = page.locator(f"#{field_id}")
    expect(field).to_have_attribute("aria-invalid", "true")
    described = (field.get_attribute("aria-describedby") or "").split()
    assert f"{field_id}-error" in described, f"#{field_id} is not described by its error"
    text = page.locator(f"#{field_id}-error").inner_text().strip()
    assert text, f"#{field_id}-error is empty"
    expect(page.locator(".error-summary")).to_contain_text(text)
    return text
