"""Wide pages on a phone: tables become cards, long words wrap, nothing is off-screen.

Each page is filled with the longest things people really type (addresses of 80
characters, a link in the notes, a double-barrelled name) and checked at a phone's
width and a desktop's, and just above the width where tables turn into cards: no
sideways scroll (measured on the layout viewport), every cell's text inside the
screen, and axe clean.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, ViewportSize, expect

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import OutboxMessage, OutboxStatus, Role, User
from scheduler.services import audit
from scheduler.timeutil import utcnow
from tests.browser.actions import book, publish
from tests.browser.checks import cells_readable, check_page, no_horizontal_scroll
from tests.browser.conftest import LiveServer, log_in
from tests.support import bulk
from tests.support import counseling as counseling_support
from tests.support.attendance import add_marked_bookings

#: Just above the 40rem breakpoint: the narrowest screen that still shows tables as tables.
NARROW_TABLE: ViewportSize = {"width": 656, "height": 800}
LONG_EMAIL = (
    "wolfeschlegelsteinhausenbergerdorff.household@recovery-families-of-the-valley.example.org"
)
LONG_NAME = "The Wolfeschlegelsteinhausenbergerdorff-Delacroix family"
LONG_NOTE = (
    "Arriving late from work. Our carpool plan: "
    "https://example.org/families/carpool-plans/thursday-evening-sessions-at-the-community-room"
)
LONG_ERROR = (
    "SMTPRecipientsRefused: {'" + LONG_EMAIL + "': (550, b'5.1.1 <" + LONG_EMAIL + ">: "
    "Recipient address rejected: User unknown in virtual mailbox table')}"
)

_ROWS_DISPLAY = "(rows) => rows.map((row) => getComputedStyle(row).display)"
_LABELS = """(cells) => cells
  .filter((cell) => cell.textContent.trim())
  .filter((cell) => getComputedStyle(cell, '::before').content === 'none')
  .map((cell) => cell.dataset.label)"""


def _is_phone(page: Page) -> bool:
    size = page.viewport_size
    return size is not None and size["width"] < 600


def _fits(page: Page, name: str, cells: str = "main td, main tbody th") -> None:
    """Check the page as every journey does, then that every cell's text can be read."""
    check_page(page, name)
    cells_readable(page, name, cells)


def _cards_on_a_phone(page: Page, name: str) -> None:
    """On a phone each table row is a card whose cells name their column; elsewhere, a table."""
    rows = page.locator("main table.stack tbody tr")
    assert rows.count(), f"{name}: no table rows"
    shown = set(rows.evaluate_all(_ROWS_DISPLAY))
    if _is_phone(page):
        assert shown == {"block"}, f"{name}: rows are not cards on a phone: {shown}"
        unlabelled = page.locator("main table.stack td[data-label]").evaluate_all(_LABELS)
        assert not unlabelled, f"{name}: cells without their column's name: {unlabelled}"
        expect(page.locator("main table.stack thead").first).not_to_be_in_viewport()
    else:
        assert shown == {"table-row"}, f"{name}: rows are not a table on a desktop: {shown}"
        expect(page.locator("main table.stack thead").first).to_be_visible()


def _and_just_above_the_breakpoint(page: Page, name: str, cells: str | None = None) -> None:
    """On a desktop, narrow the window to the smallest table layout and check it again."""
    if _is_phone(page):
        return
    page.set_viewport_size(NARROW_TABLE)
    no_horizontal_scroll(page, f"{name} at {NARROW_TABLE['width']}px")
    cells_readable(page, f"{name} at {NARROW_TABLE['width']}px", cells or "main td, main tbody th")


def test_roster_with_long_emails_needs_notes_and_a_waitlist(page: Page, live: LiveServer) -> None:
    """The roster: a card per household on a phone, every field shown, a big promote button."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    _, (session_id,) = publish(live, maya, "Understanding addiction as a family", capacity=5)
    book(
        live,
        session_id,
        live.user(name=LONG_NAME, email=LONG_EMAIL),
        3,
        childcare_needed=True,
        interpreter_language="Haitian Creole",
        accessibility_needs="Step-free access, and a seat near the door for a wheelchair",
        notes=LONG_NOTE,
    )
    book(live, session_id, live.user(name="The Chen family", email="chen@example.org"), 2)
    waiting = live.user(
        name="The Novak-Petrović family",
        email="novak.petrovic.grandparents.and.cousins@families-in-recovery.example.org",
    )
    book(live, session_id, waiting, 2, childcare_needed=True, notes="Grandma drives.")
    book(live, session_id, live.user(name="Sam Whitfield"), 1)

    log_in(page, maya.email)
    page.goto(f"/manage/sessions/{session_id}/roster")
    expect(page.get_by_text("5 of 5 seats taken, by 2 households")).to_be_visible()
    _fits(page, "roster-long")
    _cards_on_a_phone(page, "roster-long")
    booked = page.get_by_role("table", name="Booked")
    for text in (LONG_EMAIL, "Haitian Creole", "Step-free access", "carpool-plans", "chen@"):
        expect(booked.get_by_text(text, exact=False).first).to_be_visible()
    waitlist = page.get_by_role("table", name="Waitlist, in order")
    expect(waitlist.get_by_role("rowheader")).to_have_count(2)

    give = waitlist.get_by_role("button", name="Give The Novak-Petrović family 2 seats")
    give.scroll_into_view_if_needed()
    expect(give).to_be_in_viewport(ratio=1)
    button = give.bounding_box()
    cell = give.locator("xpath=ancestor::td").bounding_box()
    assert button and cell
    assert button["height"] >= 44, "the button is big enough to tap"
    if _is_phone(page):
        assert button["width"] >= cell["width"] - 1, "on a phone the button is full width"
    _and_just_above_the_breakpoint(page, "roster-long")

    # Printed, it is still the sign-in sheet: a table of first names, nothing else.
    page.emulate_media(media="print")
    sheet = page.locator(".sign-in")
    expect(sheet).to_be_visible()
    assert set(sheet.locator("tbody tr").evaluate_all(_ROWS_DISPLAY)) == {"table-row"}
    expect(sheet).to_contain_text("Wolfeschlegelsteinhausenbergerdorff")
    expect(sheet).not_to_contain_text("@")
    expect(page.locator(".screen-only")).to_be_hidden()
    page.emulate_media(media="screen")


def test_audit_log_on_a_phone(page: Page, live: LiveServer) -> None:
    """The audit log: cards on a phone, so no table to scroll sideways (axe: no scroll region)."""
    facilitator = live.user(Role.FACILITATOR, name=LONG_NAME.replace("family", "counselor"))
    with live.data():
        for n in range(3):
            audit.record(facilitator, "roster.export", f"session:{n + 1000000}", now=utcnow())
    admin = live.user(Role.ADMIN, name="Ada Admin")

    log_in(page, admin.email)
    page.goto("/admin/audit")
    expect(page.get_by_role("cell", name="roster.export")).to_have_count(3)
    _fits(page, "audit-log")
    _cards_on_a_phone(page, "audit-log")
    _and_just_above_the_breakpoint(page, "audit-log")


def test_outbox_with_long_errors_on_a_phone(page: Page, live: LiveServer) -> None:
    """The outbox: failed and retrying mail with a long error, readable on a phone."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    _, (session_id,) = publish(live, maya, "Family support circle")
    family = live.user(name=LONG_NAME, email=LONG_EMAIL)
    book(live, session_id, family, 2)
    with live.data(), write_transaction():
        failed, retrying = db.session.scalars(
            db.select(OutboxMessage).where(OutboxMessage.recipient_id == family.id).limit(2)
        ).all()
        failed.status, failed.attempts, failed.last_error = OutboxStatus.FAILED, 8, LONG_ERROR
        retrying.attempts, retrying.last_error = 2, "ConnectionRefusedError: [Errno 111]"
        retrying.not_before = utcnow() + timedelta(minutes=5)
    admin: User = live.user(Role.ADMIN, name="Ada Admin")

    log_in(page, admin.email)
    page.goto("/admin/outbox")
    expect(page.get_by_text("Recipient address rejected")).to_be_visible()
    _fits(page, "outbox")
    _cards_on_a_phone(page, "outbox")
    _and_just_above_the_breakpoint(page, "outbox")


def test_counselors_appointment_page_with_a_very_long_email(page: Page, live: LiveServer) -> None:
    """A counselor's appointment page: the facts wrap within the screen (it was 411 px wide)."""
    counselor = live.user(Role.FACILITATOR, name="Grace Holloway")
    family = live.user(name=LONG_NAME, email=LONG_EMAIL)
    with live.data():
        counseling_support.open_every_afternoon(counselor.id)
        appointment_id = counseling_support.book(counselor, family, note=LONG_NOTE)

    log_in(page, counselor.email)
    page.goto(f"/manage/counseling/appointments/{appointment_id}")
    expect(page.get_by_text(LONG_EMAIL)).to_be_visible()
    _fits(page, "counseling-appointment-long", "main dd, main dt, main h1")
    _and_just_above_the_breakpoint(page, "counseling-appointment-long", "main dd, main dt, main h1")


def test_dashboard_attendance_chart_fits_a_phone(page: Page, live: LiveServer) -> None:
    """The dashboard's attendance: the totals, a chart that shrinks to a 360 px screen with
    its name, the numbers by session as cards, and a long household name that wraps."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    names = ["The Chen family", LONG_NAME, "The Novak-Petrović family"]
    families = [live.user(name=name).id for name in names]
    with live.data():
        ids = bulk.add_sessions(maya.id, bulk.TERM, now=utcnow() - timedelta(weeks=9))
        held = ids[:9]  # nine Thursdays held; the chart shows the last eight
        add_marked_bookings(held[:-1], families, ["attended", "absent", "late"])
        add_marked_bookings(held[-1:], families, [None])  # the last not checked in yet
    if _is_phone(page):
        page.set_viewport_size({"width": 360, "height": 800})

    log_in(page, maya.email)
    page.goto("/manage")
    name = "Seats booked and attended at the last 8 sessions of Family group 0"
    chart = page.get_by_role("img", name=name)
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    size = page.viewport_size
    assert box and size and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]
    expect(page.get_by_text("9 sessions held, 1 not checked in yet")).to_be_visible()
    expect(page.get_by_text("Show rate: 67%")).to_be_visible()
    expect(page.get_by_role("link", name=LONG_NAME)).to_be_visible()
    page.get_by_text("The numbers by session").click()
    table = page.get_by_role("table", name="Attendance by session: Family group 0")
    expect(table.get_by_role("rowheader")).to_have_count(8)
    _fits(page, "dashboard-attendance")
    _cards_on_a_phone(page, "dashboard-attendance")
    _and_just_above_the_breakpoint(page, "dashboard-attendance")
