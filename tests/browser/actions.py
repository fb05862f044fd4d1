"""What browser tests do as people do: publish and book through the services, follow the
main menu, and use the keyboard while counting every key pressed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from playwright.sync_api import Page

from scheduler.models import User
from scheduler.services import series
from scheduler.services.booking import Needs, book_seats
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.browser.checks import focused
from tests.browser.conftest import LiveServer

ZONE = "America/New_York"


def local_day(days: int) -> datetime:
    """Midnight, local wall time, ``days`` from today in ZONE (naive, as forms send it)."""
    return datetime.combine(wall_time(utcnow(), ZONE).date() + timedelta(days=days), time())


def publish(
    live: LiveServer,
    facilitator: User,
    title: str,
    *,
    weeks: int = 1,
    capacity: int = 12,
    days: int = 10,
    at: time = time(18, 30),
    location: str = "Community room, 12 Elm Street",
    online_url: str = "",
    description: str = "A calm evening for parents, partners and friends.",
) -> tuple[int, list[int]]:
    """Publish a workshop through the service; return its id and its sessions' ids."""
    with live.data():
        workshop = series.create_workshop(
            facilitator.id,
            WorkshopDetails(title, description, location, online_url, publish=True),
            timezone=ZONE,
            capacity=capacity,
            first_start=datetime.combine(local_day(days).date(), at),
            duration_minutes=90,
            weeks=weeks,
            now=utcnow(),
        )
        return workshop.id, [s.id for s in sorted(workshop.sessions, key=lambda s: s.starts_at)]


def book(live: LiveServer, session_id: int, family: User, seats: int, **needs: object) -> int:
    """Book seats through the service (joining the waitlist if full); return the booking id."""
    with live.data():
        booking = book_seats(
            session_id,
            family.id,
            seats,
            Needs(**needs),  # type: ignore[arg-type]
            now=utcnow(),
            join_waitlist=True,
        )
        return booking.id


def go(page: Page, link: str) -> None:
    """Follow a link of the main menu, opening the menu first where it is folded (phones)."""
    # Which menu shows is the stylesheet's choice: before it applies, both seem visible.
    page.wait_for_load_state("load")
    menu = page.locator("details.nav-menu")
    if menu.is_visible():
        if not menu.evaluate("menu => menu.open"):
            menu.locator("summary").click()
        menu.get_by_role("link", name=link, exact=True).click()
    else:
        page.locator("nav.nav-wide").get_by_role("link", name=link, exact=True).click()


class Keyboard:
    """Keys pressed on a page, each one counted, so a test can say how many a task took."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.keys: list[str] = []

    def press(self, key: str) -> dict:
        """Press ``key``; return what has focus after it."""
        self.page.keyboard.press(key)
        self.keys.append(key)
        return focused(self.page)

    def enter(self) -> None:
        """Press Enter to leave the page: nothing has focus yet on the next one."""
        self.page.keyboard.press("Enter")
        self.keys.append("Enter")

    def tab_to(self, matches: Callable[[dict], bool], what: str, limit: int = 40) -> dict:
        """Press Tab until what has focus ``matches``; fail after ``limit`` presses."""
        for _ in range(limit):
            info = self.press("Tab")
            if matches(info):
                return info
        raise AssertionError(f"{what} was not reached with {limit} Tab presses")
