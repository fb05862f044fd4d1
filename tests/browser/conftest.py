"""Browser fixtures: the real app served on 127.0.0.1, driven by Debian's Chromium.

Everything here is package-scoped: one server and one browser serve every browser test,
and both are gone before the rest of the suite runs.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from scheduler import create_app
from scheduler.extensions import db
from scheduler.models import Role, User
from scheduler.services import accounts
from tests.browser.checks import unchecked
from tests.support.app import PASSWORD, empty_tables, settings

try:  # the dev extras bring Playwright; without them the tests skip (or fail in CI)
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
#: Exactly the flags the issue names: headless, no sandbox (containers), nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SKIP_REASON = "Browser tests skipped: Chromium is not installed (apt-get install -y chromium)"
#: CI sets this, so a runner without a working Chromium fails instead of skipping.
REQUIRED = os.environ.get("HEARTH_REQUIRE_BROWSER") == "1"

#: The two widths every journey runs at.
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

HERE = Path(__file__).resolve().parent
#: Whether the test itself passed (set by `pytest_runtest_makereport`, read at teardown).
PASSED = pytest.StashKey[bool]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test in this folder `browser`, so `-m "not browser"` leaves them out."""
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Note whether the test passed, so a fixture's teardown can tell."""
    report = yield
    if report.when == "call":
        item.stash[PASSED] = report.passed
    return report


def _unavailable(reason: str, missing: str) -> None:
    """Skip the browser tests, or fail them when HEARTH_REQUIRE_BROWSER=1 (CI)."""
    if REQUIRED:
        pytest.fail(f"HEARTH_REQUIRE_BROWSER=1 but {missing}: the browser tests cannot run")
    pytest.skip(reason)


# --- the app under a real HTTP server -------------------------------------------------


@dataclass
class LiveServer:
    """The app served over HTTP on 127.0.0.1, and a way to reach its database directly."""

    app: Flask
    url: str
    mail_dir: Path
    _counter: Iterator[int] = field(default_factory=lambda: iter(range(1, 1_000_000)))

    def at(self, path: str) -> str:
        return self.url + path

    @contextmanager
    def data(self) -> Iterator[None]:
        """Run service calls against the served database, as a separate request would."""
        with self.app.app_context():
            try:
                yield
            finally:
                db.session.remove()

    def user(
        self,
        role: str = Role.FAMILY,
        *,
        name: str | None = None,
        email: str | None = None,
        timezone: str = "America/New_York",
    ) -> User:
        """Create an account (password ``PASSWORD``) and return it, detached but loaded."""
        n = next(self._counter)
        with self.data():
            user = accounts.create_user(
                email=email or f"{role}{n}@example.org",
                name=name or f"{role.title()} {n}",
                password=PASSWORD,
                role=role,
                timezone=timezone,
            )
            db.session.refresh(user)
            db.session.expunge(user)
        return user


class _QuietHandler(WSGIRequestHandler):
    """Serve requests without a log line for each (failures still show as test errors)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Serve the real app on a free port with werkzeug, in a thread, for the whole package."""
    folder = tmp_path_factory.mktemp("live")
    app = create_app(
        settings(
            f"sqlite:///{folder / 'hearth-browser.sqlite3'}",
            # A production-like app: real CSRF checks, error pages instead of tracebacks.
            TESTING=False,
            WTF_CSRF_ENABLED=True,
            # Plain HTTP on 127.0.0.1: cookies can't be Secure-only here.
            SESSION_COOKIE_SECURE=False,
            SCHEDULER_IN_PROCESS=False,
            SMTP_HOST="",  # no SMTP: any email would be a file in the temp instance folder
        )
    )
    # The instance folder holds the file mailbox; keep it out of the checkout's instance/.
    app.instance_path = str(folder)
    with app.app_context():
        upgrade()
    server: BaseWSGIServer = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
    )
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=url, mail_dir=folder / "mail")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def live(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server, with every table emptied after the test."""
    yield live_server
    with live_server.app.app_context():
        empty_tables()


# --- Chromium ---------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        _unavailable(SKIP_REASON, f"Chromium is not installed at {CHROMIUM}")
    if sync_playwright is None:
        _unavailable(
            "Browser tests skipped: Playwright is not installed (pip install -e '.[dev]')",
            "Playwright is not installed",
        )
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """One headless Chromium for every browser test."""
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as error:
        pytest.fail(f"Chromium is installed but did not start: {error}")
    yield browser
    browser.close()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The viewport a journey runs at: "phone" (375 by 812) or "desktop" (1280 by 800)."""
    return request.param


@dataclass
class PageProblems:
    """What went wrong in the browser behind the test's back: 5xx answers, script errors."""

    server_errors: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    #: Every URL the page showed (its main frame's navigations).
    visited: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on(
            "framenavigated",
            lambda frame: self.visited.append(frame.url) if frame.parent_frame is None else None,
        )
        page.on(
            "response",
            lambda r: self.server_errors.append(f"{r.status} {r.url}") if r.status >= 500 else None,
        )
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))

        def console(message: Any) -> None:
            # A 4xx answer to a bad form is expected; Chrome logs it as a failed load.
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                self.script_errors.append(message.text)

        page.on("console", console)


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest, browser: Browser, live: LiveServer, viewport: str
) -> Iterator[Callable[..., Page]]:
    """Open pages, each in a fresh context (its own cookies) at the test's viewport.

    Every page is checked at the end: no 5xx answer and no script error (CSP
    violations included) may have happened on it; and once the test has passed, every
    kind of page it showed must have passed `check_page` (axe, no sideways scroll).
    """
    contexts: list[tuple[BrowserContext, Page, PageProblems]] = []

    def open_page(locale: str = "en-US") -> Page:
        """A page in a browser set to ``locale`` (its Accept-Language follows it)."""
        context = browser.new_context(
            **VIEWPORTS[viewport],
            base_url=live.url,
            locale=locale,
            timezone_id="America/New_York",
            accept_downloads=True,
            reduced_motion="reduce",
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live.url)
        context.set_default_timeout(10_000)
        problems = PageProblems()
        page = context.new_page()
        problems.watch(page)
        contexts.append((context, page, problems))
        return page

    yield open_page
    failures = []
    passed = request.node.stash.get(PASSED, False)
    for context, page, problems in contexts:
        failures += [f"server error: {e}" for e in problems.server_errors]
        failures += [f"script error: {e}" for e in problems.script_errors]
        shown = [url for url in problems.visited if url.startswith(live.url)]
        if passed:
            failures += [
                f"page shown but never checked (check_page): {kind}"
                for kind in unchecked(page, shown)
            ]
        context.close()
    assert not failures, "\n".join(failures)


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    """A page in a fresh browser context at the test's viewport."""
    return new_page()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in without touching the page: a POST from the context, sharing its cookies."""
    form = page.context.request.get("/login")
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text())
    assert match, "no csrf_token on /login"
    answer = page.context.request.post(
        "/login",
        form={"email": email, "password": password, "csrf_token": match.group(1)},
        max_redirects=0,
    )
    assert answer.status == 303, f"login as {email} answered {answer.status}"
