"""Staff journeys in Chromium, at a phone's width and a desktop's: an admin invites a
facilitator, who joins by the emailed link, publishes a workshop and shares it.

Every page is checked with axe-core and for sideways scrolling (`check_page`). The
invitation is followed from the email itself: the outbox is swept by the dispatcher
(`sweep_once`), which files the message in the live server's mailbox folder (it has no
SMTP server), and the link is read from that message's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from playwright.sync_api import Page, expect

from scheduler.extensions import db
from scheduler.jobs import sweep_once
from scheduler.models import Role, User
from tests.browser.actions import ZONE, Keyboard, go, local_day
from tests.browser.checks import check_page, shot
from tests.browser.conftest import LiveServer, log_in
from tests.support.app import PASSWORD
from tests.support.mail import SERVICE_WORDS, text_of

NEW_PASSWORD = "kettle river orange stone"


def mailbox(live: LiveServer) -> dict[Path, int]:
    """The emails filed in the live server's mailbox folder, each with when it was written.

    A message's file is named after its Message-ID, which the outbox row's key decides:
    an earlier test's row with the same key left a file this one's email replaces.
    """
    return {path: path.stat().st_mtime_ns for path in live.mail_dir.glob("*.eml")}


def send_queued_mail(live: LiveServer) -> list[EmailMessage]:
    """Run the dispatcher once, as `flask reminders run` would; return the emails it sent."""
    before = mailbox(live)
    with live.data():
        sent = sweep_once().sent
    written = sorted(path for path, at in mailbox(live).items() if before.get(path) != at)
    assert len(written) == sent, f"{sent} emails sent, {len(written)} filed"
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in written]


def log_out(page: Page) -> None:
    """Press "Log out" in the main menu, opening the menu first where it is folded."""
    page.wait_for_load_state("load")  # as in `go`: the stylesheet decides which menu shows
    menu = page.locator("details.nav-menu")
    if menu.is_visible():
        if not menu.evaluate("menu => menu.open"):
            menu.locator("summary").click()
        menu.get_by_role("button", name="Log out").click()
    else:
        page.locator("nav.nav-wide").get_by_role("button", name="Log out").click()


def test_an_admin_invites_a_facilitator_who_joins_publishes_and_shares_a_workshop(
    page: Page, new_page: Callable[[], Page], live: LiveServer
) -> None:
    """(2a) Invite by the accounts page, join by the email's link, publish, share; the
    co-facilitator sees the workshop on their dashboard and opens its roster."""
    admin = live.user(Role.ADMIN, name="Ada Admin", email="ada@example.org")
    daniel = live.user(Role.FACILITATOR, name="Daniel Reyes", email="daniel@example.org")

    # The admin logs in and invites Sam from the accounts page, sending with Enter.
    page.goto("/login")
    check_page(page, "login")
    page.get_by_label("Email").fill(admin.email or "")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live.at("/manage"))
    go(page, "Accounts")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    expect(page.get_by_role("heading", name="2 accounts")).to_be_visible()
    check_page(page, "accounts", screenshot=True)
    invite = page.locator("#invite")
    invite.get_by_label("Their email address").fill("sam@example")
    invite.get_by_role("button", name="Send the invitation").click()
    summary = page.locator("#invite .error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Tell us their name.")
    expect(summary).to_contain_text("Enter an email address like")
    for field in ("name-i", "email-i"):
        expect(page.locator(f"#{field}")).to_have_attribute("aria-invalid", "true")
    links = summary.get_by_role("link")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == [
        "#name-i",
        "#email-i",
    ], "the summary leads to the invitation's fields, not the search's"
    check_page(page, "accounts-invite-errors")
    # Put right with the keyboard: the summary's first link leads to the name's box.
    keyboard = Keyboard(page)
    assert keyboard.press("Tab")["text"].startswith("Their name:")
    keyboard.press("Enter")
    expect(invite.get_by_label("Their name")).to_be_focused()
    page.keyboard.type("Sam Ortiz")
    expect(invite.get_by_label("Facilitator: runs workshops and counseling")).to_be_checked()
    address = invite.get_by_label("Their email address")
    address.fill("sam@example.org")
    address.focus()
    keyboard.enter()  # a form sends with Enter from any of its text boxes

    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Ortiz")
    flash = page.locator(".flashes")
    expect(flash).to_contain_text("We emailed an invitation to sam@example.org.")
    expect(flash).to_be_focused()
    expect(page.get_by_text("Invited, not joined yet")).to_be_visible()
    check_page(page, "account-invited")
    go(page, "Accounts")
    expect(page.locator("tbody tr", has_text="Sam Ortiz")).to_contain_text(
        "Invited, not joined yet"
    )
    log_out(page)
    expect(page).to_have_url(live.at("/"))
    expect(page.locator(".flashes")).to_have_text("You're logged out.")
    check_page(page, "home-after-log-out")

    # The dispatcher sends the invitation; Sam opens the link in the email's text.
    (email,) = send_queued_mail(live)
    assert email["To"] == "sam@example.org"
    assert not SERVICE_WORDS.search(email["Subject"])
    found = re.search(r"https?://\S+/invite/\S+", text_of(email))
    assert found, f"no invitation link in:\n{text_of(email)}"
    link = found.group(0)
    assert link.startswith(live.url + "/invite/"), link
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Sam Ortiz")
    check_page(page, "invitation", screenshot=True)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    page.get_by_label("Time zone").select_option("America/Chicago")
    page.get_by_role("button", name="Join and log in").click()
    expect(page).to_have_url(live.at("/manage"))
    expect(page.locator(".flashes")).to_have_text(
        "Welcome, Sam Ortiz. Your password is set and you're logged in."
    )
    check_page(page, "dashboard-new-facilitator")
    with live.data():
        sam = db.session.execute(db.select(User).filter_by(email="sam@example.org")).scalar_one()
        assert (sam.name, sam.role, sam.timezone) == (
            "Sam Ortiz",
            Role.FACILITATOR,
            "America/Chicago",
        )

    # Sam publishes a workshop through the form.
    page.get_by_role("link", name="Publish a workshop").click()
    check_page(page, "new-workshop")
    title = "Family support circle"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Description").fill("An evening for parents, partners and friends.")
    page.get_by_label("Location").fill("Community room, 12 Elm Street")
    page.get_by_label("Time zone").select_option(ZONE)
    start = local_day(9).replace(hour=18, minute=30)
    page.get_by_label("First session starts (local time)").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Number of weekly sessions").fill("3")
    page.get_by_label("Seats per session").fill("10")
    page.get_by_label("Publish now (families can see and book it)").check()
    page.get_by_role("button", name="Save workshop").click()
    expect(page.get_by_text(f"“{title}” is published.")).to_be_visible()
    expect(page.locator(".session-line")).to_have_count(3)
    check_page(page, "manage-workshop")

    # ... and shares it with Daniel in the Facilitators section.
    facilitators = page.locator("#facilitators")
    expect(facilitators.locator("li")).to_have_count(1)
    expect(facilitators.locator("li")).to_contain_text("Sam Ortiz")
    expect(facilitators.locator("li")).to_contain_text("Lead")
    facilitators.get_by_label("Email of the facilitator to add").fill(daniel.email or "")
    facilitators.get_by_role("button", name="Add a facilitator").click()
    expect(page.get_by_text("Daniel Reyes now runs this workshop too.")).to_be_visible()
    expect(facilitators.locator("li")).to_have_count(2)
    expect(facilitators.get_by_role("button", name="Remove Daniel Reyes")).to_be_visible()
    check_page(page, "manage-workshop-shared")
    facilitators.scroll_into_view_if_needed()
    shot(page, "facilitators", element=facilitators)

    # Daniel logs in, finds the workshop on his dashboard and opens a roster.
    other = new_page()
    log_in(other, daniel.email or "")
    other.goto("/manage")
    expect(other.get_by_role("heading", name=title)).to_be_visible()
    expect(other.get_by_text("Run by Sam Ortiz")).to_be_visible()
    check_page(other, "dashboard-shared")
    other.locator(".session-line").first.get_by_role("link", name="Roster").click()
    other.wait_for_url("**/roster")
    expect(other.get_by_role("heading", level=1)).to_have_text(f"Roster: {title}")
    check_page(other, "roster-as-cofacilitator")
