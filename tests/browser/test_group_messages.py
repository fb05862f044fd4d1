"""Writing to a group in Chromium, at a phone's width and a desktop's: the form with the
keyboard, the preview, sending, the history; the family reading it on My bookings."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import GroupMessage, Role
from tests.browser.actions import Keyboard, book, publish
from tests.browser.checks import check_page
from tests.browser.conftest import LiveServer, log_in

LONG_EMAIL = "novak.petrovic.grandparents.and.cousins@families-in-recovery.example.org"
WORDS = (
    "The hall is closed on Monday.\n"
    "We meet upstairs in Room 12: "
    "https://example.org/community-centre/maps/second-floor-meeting-rooms-and-lift"
)


def test_a_facilitator_writes_to_the_group_with_the_keyboard_and_a_family_reads_it(
    page: Page, new_page: Callable[[], Page], live: LiveServer
) -> None:
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    workshop_id, sessions = publish(live, maya, "Evening circle", weeks=2, capacity=2)
    family = live.user(name="The Novak-Petrović family", email=LONG_EMAIL)
    for session_id in sessions:
        book(live, session_id, family, 2)
    book(live, sessions[1], live.user(name="The Chen family"), 1)  # waiting: not written to
    log_in(page, maya.email)

    page.goto(f"/manage/workshops/{workshop_id}")
    expect(page.get_by_role("heading", name="Messages to the group")).to_be_visible()
    check_page(page, "manage-workshop-no-messages")
    page.get_by_role("link", name="Write to the group").click()
    expect(page.get_by_role("heading", name="Write to the group")).to_be_visible()
    check_page(page, "group-message-form")

    keys = Keyboard(page)
    page.get_by_label("Who to write to").focus()
    keys.tab_to(lambda f: f["tag"] == "textarea", "the message box")
    page.keyboard.type(WORDS)  # Enter in a text area is a line break
    keys.tab_to(lambda f: f["id"] == "reply_to_me", "the replies box")
    keys.press("Space")
    keys.tab_to(lambda f: f["tag"] == "button", "the preview button")
    keys.enter()

    expect(page.get_by_role("heading", name="Check your message")).to_be_visible()
    expect(page.get_by_text("It goes to 1 household.")).to_be_visible()
    expect(page.get_by_text("Hearth: a message about your upcoming sessions")).to_be_visible()
    preview = page.locator("pre.email-preview")
    expect(preview).to_contain_text("Hello The Novak-Petrović family,")
    expect(preview).to_contain_text("second-floor-meeting-rooms-and-lift")
    expect(page.get_by_text("Maya Okafor <")).to_be_visible()  # where replies go
    check_page(page, "group-message-preview")
    page.get_by_role("button", name="Send it to 1 household").click()

    expect(page.get_by_text("Your message is on its way to 1 household.")).to_be_visible()
    history = page.locator("#messages")
    expect(history).to_contain_text("The hall is closed on Monday.")
    expect(history).to_contain_text("to 1 household")
    check_page(page, "manage-workshop-messages")
    with live.data():  # the words as typed, line break and all, through the preview's form
        (message,) = db.session.scalars(select(GroupMessage)).all()
        assert (message.body, message.reply_to_author) == (WORDS, True)

    reader = new_page()
    log_in(reader, family.email)
    reader.goto("/bookings")
    messages = reader.locator("#messages")
    expect(messages.get_by_role("heading", name="Messages from your facilitators")).to_be_visible()
    expect(messages).to_contain_text("From Maya Okafor")
    expect(messages).to_contain_text("We meet upstairs in Room 12")
    check_page(reader, "bookings-with-a-message")
