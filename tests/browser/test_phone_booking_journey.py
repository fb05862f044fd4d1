"""A real-browser journey of the office (issue 16, acceptance 2b): a household with no
email phones, staff book for it, the session is cancelled, staff move it to a make-up.

Chromium at a phone's width and a desktop's; every page checked with axe-core and for
sideways scrolling; the book-for and move pages saved as screenshots when
HEARTH_SCREENSHOTS names a folder.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    OutboxMessage,
    Role,
    SessionStatus,
    User,
    WorkshopSession,
)
from tests.browser.actions import book, go, publish
from tests.browser.checks import check_page
from tests.browser.conftest import LiveServer, log_in

TITLE = "Understanding addiction as a family"
HOUSEHOLD = "Rosa Alvarez"
PHONE = "555-0142"


def test_staff_book_by_phone_for_a_household_without_email_then_move_it_to_a_make_up(
    page: Page, live: LiveServer
) -> None:
    """Maya books 2 seats with childcare for a household that has only a phone, cancels
    that evening, and moves the household to next week's session: seats and needs kept,
    nothing emailed to a household with no address, every step audited with her name."""
    maya = live.user(Role.FACILITATOR, name="Maya Okafor", email="maya@example.org")
    workshop_id, sessions = publish(live, maya, TITLE, weeks=3, capacity=8)
    first, make_up = sessions[0], sessions[1]
    # A household with an address, booked in the same session: it is told by email.
    chen = live.user(name="The Chen family", email="chen@example.org")
    book(live, first, chen, 2)

    log_in(page, maya.email)
    page.goto("/manage")
    check_page(page, "dashboard")
    page.locator(".session-line").first.get_by_role("link", name="Roster").click()
    expect(page).to_have_url(live.at(f"/manage/sessions/{first}/roster"))
    check_page(page, "roster")

    # The phone call: she isn't on file yet.
    page.get_by_role("link", name="Book for a household").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book for a household")
    check_page(page, "book-for")
    page.get_by_label("Name, email or phone").fill("Alvarez")
    page.get_by_role("button", name="Search").click()
    expect(
        page.get_by_text("No household found. Record them below as a new household.")
    ).to_be_visible()
    page.get_by_label("Contact name").fill(HOUSEHOLD)
    page.get_by_label("Phone", exact=True).fill(PHONE)
    page.get_by_label("Seats for the household").fill("2")
    page.get_by_label("We need childcare during the session").check()
    page.get_by_label("Interpreter language (if you need one)").fill("Spanish")
    check_page(page, "book-for-household", screenshot=True)
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page).to_have_url(live.at(f"/manage/sessions/{first}/roster"))
    expect(page.locator(".flashes")).to_have_text(
        f"Booked 2 seats for {HOUSEHOLD}. They have no email address, so nothing was sent: "
        "please tell them yourself."
    )
    row = page.locator("tr", has=page.get_by_role("rowheader", name=re.compile(HOUSEHOLD)))
    expect(row.get_by_text(f"Phone: {PHONE}")).to_be_visible()
    expect(row.get_by_text("Booked for them by our team")).to_be_visible()
    expect(row.get_by_role("cell", name="Childcare Interpreter: Spanish")).to_be_visible()
    expect(page.get_by_text("of 8 seats taken, by 2 households")).to_be_visible()
    check_page(page, "roster-booked-for")
    with live.data():
        household = db.session.execute(db.select(User).where(User.name == HOUSEHOLD)).scalar_one()
        assert (household.email, household.phone, household.role) == (None, PHONE, Role.FAMILY)
        assert household.created_by_id == maya.id
        booked = db.session.execute(
            db.select(Booking).where(Booking.family_id == household.id)
        ).scalar_one()
        booked_id = booked.id
        assert (booked.session_id, booked.status, booked.booked_by_id) == (
            first,
            BookingStatus.CONFIRMED,
            maya.id,
        )

    # The room is flooded: the evening is cancelled from the session's own page.
    page.get_by_role("link", name="Change this session").click()
    check_page(page, "session")
    cancel = page.locator("section", has=page.get_by_role("heading", name="Cancel", exact=True))
    expect(cancel.get_by_label("This session only")).to_be_checked()
    cancel.get_by_role("button", name="Cancel the session").click()
    expect(page).to_have_url(live.at(f"/manage/workshops/{workshop_id}"))
    expect(page.locator(".flashes")).to_have_text("Cancelled 1 session. Booked families see it.")
    cancelled_line = page.locator(".session-line").first
    expect(cancelled_line.get_by_text("Cancelled")).to_be_visible()
    check_page(page, "workshop-after-cancel")

    with live.data():
        assert db.session.get_one(WorkshopSession, first).status == SessionStatus.CANCELLED
        kept = db.session.get_one(Booking, booked_id)
        # The booking stays, in a cancelled session, so the household still sees it and
        # staff can move it; nothing is queued for a household with no address.
        assert kept.status == BookingStatus.CONFIRMED
        assert _mail_kinds(household.id) == []
        assert "session_cancelled" in _mail_kinds(chen.id), "a household with email is told"

    # She phones Rosa and moves her to next week, from the cancelled session's roster.
    cancelled_line.get_by_role("link", name="Roster").click()
    expect(page).to_have_url(live.at(f"/manage/sessions/{first}/roster"))
    expect(page.locator(".screen-only .badge-cancelled")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Book for a household")).to_have_count(0)
    check_page(page, "roster-cancelled")
    move = page.get_by_role("link", name=f"Move {HOUSEHOLD} to another session")
    expect(move).to_have_attribute("href", f"/manage/bookings/{booked_id}/move")

    # Her record says the same, and offers the same move (staff on the phone may start there).
    page.get_by_role("link", name=HOUSEHOLD, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HOUSEHOLD)
    record = page.locator(".plain-list li")
    expect(record).to_have_count(1)
    expect(record.get_by_text("Cancelled")).to_be_visible()
    expect(
        record.get_by_role("link", name=re.compile("^Move to another session"))
    ).to_have_attribute("href", f"/manage/bookings/{booked_id}/move")
    check_page(page, "household-cancelled")
    record.get_by_role("link", name="Roster").click()
    expect(page).to_have_url(live.at(f"/manage/sessions/{first}/roster"))
    move.click()
    expect(page).to_have_url(live.at(f"/manage/bookings/{booked_id}/move"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Move {HOUSEHOLD} to another session"
    )
    expect(page.get_by_text("Now:")).to_contain_text("Cancelled")
    expect(page.locator(".notice")).to_have_text(
        f"They have no email address, so nothing is sent: please phone them at {PHONE} "
        "with the new time."
    )
    choice = page.locator(f"#session-{make_up}")
    expect(page.get_by_role("radio")).to_have_count(2)  # the two sessions still to come
    choice.check()
    check_page(page, "move-household", screenshot=True)
    page.get_by_role("button", name="Move the booking").click()

    expect(page).to_have_url(live.at(f"/manage/sessions/{first}/roster"))
    expect(page.locator(".flashes")).to_contain_text(f"{HOUSEHOLD} is moved to")
    expect(page.locator(".flashes")).to_contain_text("nothing was sent: please tell them yourself.")
    expect(page.get_by_role("rowheader", name=re.compile(HOUSEHOLD))).to_have_count(0)
    check_page(page, "roster-cancelled-after-move")

    # The make-up session's roster has her, with her seats, phone and needs (on a phone
    # each cell is named by its column too: "Seats: 2").
    go(page, "Dashboard")
    page.locator(".session-line").nth(1).get_by_role("link", name="Roster").click()
    expect(page).to_have_url(live.at(f"/manage/sessions/{make_up}/roster"))
    row = page.locator("tr", has=page.get_by_role("rowheader", name=re.compile(HOUSEHOLD)))
    expect(row.get_by_role("cell", name=re.compile(r"^(Seats: )?2$"))).to_be_visible()
    expect(row.get_by_text(f"Phone: {PHONE}")).to_be_visible()
    expect(row.get_by_role("cell", name="Childcare Interpreter: Spanish")).to_be_visible()
    expect(page.get_by_text("of 8 seats taken, by 1 household")).to_be_visible()
    check_page(page, "roster-make-up")

    # Her record: no email, the phone, and the make-up booking.
    row.get_by_role("link", name=HOUSEHOLD, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(HOUSEHOLD)
    facts = page.locator("dl.facts dd")
    expect(facts.nth(0)).to_have_text("none")  # Email
    expect(facts.nth(1)).to_have_text(PHONE)
    expect(facts.nth(2)).to_have_text(maya.name)  # Recorded by
    expect(record).to_have_count(1)
    expect(record).to_contain_text("2 seats")
    expect(record.get_by_text("Cancelled")).to_have_count(0)
    check_page(page, "household")

    with live.data():
        moved = db.session.execute(
            db.select(Booking).where(
                Booking.family_id == household.id, Booking.session_id == make_up
            )
        ).scalar_one()
        assert (moved.status, moved.seats) == (BookingStatus.CONFIRMED, 2)
        assert (moved.childcare_needed, moved.interpreter_language) == (True, "Spanish")
        assert db.session.get_one(Booking, booked_id).status == BookingStatus.CANCELLED
        trail = db.session.execute(
            db.select(AuditEvent.action, AuditEvent.subject, AuditEvent.actor_id).where(
                AuditEvent.action.like("act_for.%")
            )
        ).all()
        assert sorted(trail) == [
            ("act_for.book", f"booking:{booked_id}", maya.id),
            ("act_for.move", f"booking:{booked_id}", maya.id),
        ]
        assert _mail_kinds(household.id) == [], "nothing is ever queued for no address"


def _mail_kinds(user_id: int) -> list[str]:
    """The kinds of email queued for one account."""
    return list(
        db.session.execute(
            db.select(OutboxMessage.kind).where(OutboxMessage.recipient_id == user_id)
        ).scalars()
    )
