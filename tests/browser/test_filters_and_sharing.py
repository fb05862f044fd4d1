"""The home page's search and filters, and sharing a workshop, in Chromium at both widths."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import Page, expect

from scheduler.models import Role
from tests.browser.actions import publish
from tests.browser.checks import check_page
from tests.browser.conftest import LiveServer, log_in


def test_a_family_finds_an_online_group_with_the_keyboard_and_clears_the_filters(
    page: Page, live: LiveServer
) -> None:
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    publish(live, maya, "Evening circle", description="Talking about grief and hope.")
    publish(
        live,
        maya,
        "Parents online",
        location="",
        online_url="https://meet.example.org/parents",
        description="Questions answered, from home.",
    )
    page.goto("/")
    cards = page.locator("li.workshop-card")
    expect(cards).to_have_count(2)

    page.get_by_text("Search and filter workshops").click()  # folded until used
    page.get_by_label("In person or online").select_option("online")
    search = page.get_by_label("Search")
    search.focus()
    page.keyboard.type("questions")
    page.keyboard.press("Enter")  # a GET form: Enter in the search box sends it

    page.wait_for_url("**/?q=questions&*")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("Parents online")
    expect(page.get_by_label("Search")).to_have_value("questions")
    check_page(page, "home-filtered", screenshot=True)

    page.get_by_label("Search").fill("nothing like this")
    page.get_by_role("button", name="Show workshops").click()
    expect(page.get_by_text("No workshops match your search and filters.")).to_be_visible()
    page.get_by_role("link", name="See every workshop").click()
    expect(cards).to_have_count(2)


def test_a_facilitator_shares_a_workshop_and_the_cofacilitator_runs_it(
    page: Page, new_page: Callable[[], Page], live: LiveServer
) -> None:
    maya = live.user(Role.FACILITATOR, name="Maya Okafor")
    daniel = live.user(Role.FACILITATOR, name="Daniel Reyes", email="daniel@example.org")
    workshop_id, _ = publish(live, maya, "Evening circle", weeks=3)
    log_in(page, maya.email)

    page.goto(f"/manage/workshops/{workshop_id}")
    page.get_by_label("Email of the facilitator to add").fill("someone@example.org")
    page.get_by_role("button", name="Add a facilitator").click()
    expect(page.get_by_text("doesn't belong to a facilitator's Hearth account")).to_be_visible()
    check_page(page, "share-refused")
    page.get_by_label("Email of the facilitator to add").fill(daniel.email)
    page.get_by_role("button", name="Add a facilitator").click()

    expect(page.get_by_text("Daniel Reyes now runs this workshop too.")).to_be_visible()
    facilitators = page.locator("#facilitators li")
    expect(facilitators).to_have_count(2)
    check_page(page, "manage-workshop-shared", screenshot=True)

    other = new_page()
    log_in(other, daniel.email)
    other.goto("/manage")
    expect(other.get_by_role("heading", name="Evening circle")).to_be_visible()
    expect(other.get_by_text("Run by Maya Okafor")).to_be_visible()
    check_page(other, "dashboard-shared")
    other.get_by_role("link", name="Manage workshop").click()
    expect(other.locator("#facilitators li")).to_have_count(2)
    check_page(other, "manage-workshop-as-cofacilitator")
    other.get_by_role("button", name="Stop running this workshop").click()
    expect(other.get_by_text("You no longer run “Evening circle”.")).to_be_visible()
    expect(other.get_by_role("heading", name="Evening circle")).to_have_count(0)
