"""A family's data in Chromium, at a phone's width and a desktop's: choosing how staff see
it, asking for a copy, reading who looked, the privacy page, closing the account; and the
admin's audit trail and retention pages. Every page axe clean, nothing off-screen."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.models import Role, User, WorkshopSession
from scheduler.services import rosters
from scheduler.timeutil import utcnow
from tests.browser.actions import Keyboard, book, publish
from tests.browser.checks import check_page
from tests.browser.conftest import LiveServer, log_in
from tests.support.app import PASSWORD

REAL_NAME = "The Wolfeschlegelsteinhausenbergerdorff-Delacroix family"
ALIAS = "Lantern household"


def test_a_family_chooses_its_name_for_staff_asks_for_a_copy_sees_who_looked_and_closes(
    page: Page, new_page: Callable[[], Page], live: LiveServer
) -> None:
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    _, (session_id,) = publish(live, maya, "Family support circle")
    family = live.user(name=REAL_NAME)
    book(live, session_id, family, 2)
    log_in(page, family.email)

    page.goto("/account")
    expect(page.get_by_role("heading", name="Your name as staff see it")).to_be_visible()
    check_page(page, "account-your-data")
    page.get_by_label("A name I choose (write it below)").check()
    page.get_by_label("The name staff see").fill(ALIAS)
    page.get_by_role("button", name="Save how staff see me").click()
    expect(page.get_by_text(f"Staff now see you as “{ALIAS}”.")).to_be_visible()

    # The facilitator opens the roster, which names the family as it chose; the family
    # then sees who looked.
    staff = new_page()
    log_in(staff, maya.email)
    staff.goto(f"/manage/sessions/{session_id}/roster")
    expect(staff.get_by_text(ALIAS).first).to_be_visible()
    expect(staff.get_by_text(REAL_NAME)).to_have_count(0)
    check_page(staff, "roster-with-an-alias")
    page.goto("/account/access")
    expect(page.get_by_text("Maya Okafor").first).to_be_visible()
    check_page(page, "account-access")

    page.goto("/account/export")
    check_page(page, "account-export")
    page.get_by_role("button", name="Ask for a copy").click()
    expect(page.get_by_text("We are making your copy.").first).to_be_visible()

    page.goto("/privacy")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    check_page(page, "privacy")

    page.goto("/account/delete")
    check_page(page, "close-account")
    page.get_by_label("Your current password").fill("not my password")
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    check_page(page, "close-account-wrong-password")
    keys = Keyboard(page)
    page.get_by_label("Your current password").fill(PASSWORD)
    keys.tab_to(lambda f: f["tag"] == "button", "the close button")
    keys.enter()
    expect(page.get_by_text("Your account is closed and you are logged out.")).to_be_visible()
    check_page(page, "closed-and-logged-out")


def test_an_admin_filters_the_audit_trail_and_reads_the_retention_page(
    page: Page, live: LiveServer
) -> None:
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    _, (session_id,) = publish(live, maya, "Family support circle")
    book(live, session_id, live.user(name=REAL_NAME), 1)
    with live.data():
        rosters.build_roster(
            db.session.get_one(WorkshopSession, session_id),
            db.session.get_one(User, maya.id),
            action="roster.view",
            now=utcnow(),
        )
    admin = live.user(Role.ADMIN, name="Ada Admin")
    log_in(page, admin.email)

    page.goto("/admin/audit")
    check_page(page, "admin-audit-filters")
    page.get_by_label("What").select_option("roster.view")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("cell", name="roster.view").first).to_be_visible()
    check_page(page, "admin-audit-filtered")

    page.goto("/admin/retention")
    check_page(page, "admin-retention")
