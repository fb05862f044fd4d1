"""Pages cost the same at any size: the same statements with 10 sessions or 10,000.

A county network can have thousands of upcoming sessions. A page that loads them all,
or asks one question per row, is fast with the demo and unusable in production, so
each page below is loaded at both sizes and must run the same number of statements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import insert

from scheduler.database import write_transaction
from scheduler.models import CounselingSlot, Role, User
from scheduler.services import counseling
from scheduler.timeutil import utcnow
from scheduler.web import page_cache
from scheduler.web.feeds import routes as feed_routes
from tests.support import bulk
from tests.support.attendance import add_marked_bookings
from tests.support.counseling import slot_after
from tests.support.feeds import counting_queries, token_of

pytestmark = pytest.mark.slow


def add_sessions(facilitator: User, count: int) -> None:
    bulk.add_sessions(facilitator.id, count)


def statements(db, fetch: Callable[[], Any]) -> list[str]:
    return measured(db, fetch)[0]


def measured(db, fetch: Callable[[], Any]) -> tuple[list[str], Any]:
    """The statements a request ran, and its response, with every page rendered anew.

    (A signed-out visitor is usually served a page kept rendered, in one statement:
    tests/test_page_cache.py, and a feed's body is kept by its version; here the
    rendering and building themselves are measured.)
    """
    page_cache.clear()
    feed_routes.clear()
    db.session.rollback()
    with counting_queries(db) as seen:
        response = fetch()
    assert response.status_code in (200, 304)
    return seen, response


@pytest.fixture
def people(make_user, make_workshop, make_booking, auth):
    """A facilitator with one workshop of their own, and a family booked into it."""
    facilitator = make_user(Role.FACILITATOR)
    family = make_user()
    workshop = make_workshop(facilitator=facilitator, weeks=4)
    make_booking(workshop.sessions[0].id, family=family)
    return facilitator, family, workshop


PAGES = {
    "home page": lambda w, f: "/",
    "calendar month": lambda w, f: "/calendar",
    "calendar week": lambda w, f: "/calendar?view=week",
    "workshop page": lambda w, f: f"/workshops/{w.id}",
}


def assert_same_statements(db, client, facilitator, path: str, small: int = 10) -> None:
    """Load ``path`` with ``small`` bulk sessions, then with 10,000: same statements."""
    add_sessions(facilitator, small)
    before = statements(db, lambda: client.get(path))
    add_sessions(facilitator, 10_000 - small)
    after = statements(db, lambda: client.get(path))
    assert len(after) == len(before), "\n".join(after)


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("viewer", ["anonymous", "family"])
def test_public_pages_run_the_same_statements_at_10_and_10000_sessions(
    client, auth, db, people, page, viewer
):
    facilitator, family, workshop = people
    if viewer == "family":
        auth.login(family)
    assert_same_statements(db, client, facilitator, PAGES[page](workshop, family))


def test_the_public_feed_and_its_304_run_the_same_statements_at_any_size(client, db, people):
    """The feed is the same for every viewer: measured once, built once at each size."""
    facilitator, _, _ = people
    assert_same_feed_statements(db, client, facilitator, "/calendar/workshops.ics")


def test_a_later_home_page_runs_the_same_statements_at_any_size(client, auth, db, people):
    """Page 2 needs 21 workshops to exist: measured at 500 sessions and at 10,000."""
    facilitator, family, _ = people
    auth.login(family)
    assert_same_statements(db, client, facilitator, "/?page=2", small=500)


def test_the_dashboard_runs_the_same_statements_at_10_and_10000_sessions(client, auth, db, people):
    facilitator, _, _ = people
    auth.login(facilitator)
    assert_same_statements(db, client, facilitator, "/manage")


def test_the_dashboard_with_attendance_runs_the_same_statements_at_10_and_10000_sessions(
    client, auth, db, people, make_user
):
    """Every workshop on the page has sessions held and checked in (a household absent from
    each), so each shows its totals, chart, table and who missed two in a row."""
    facilitator, _, _ = people
    families = [make_user().id for _ in range(3)]
    auth.login(facilitator)
    began = utcnow() - timedelta(weeks=5)  # each term's first 5 weeks are past
    counts = []
    for more in (10, 10_000 - 10):
        ids = bulk.add_sessions(facilitator.id, more, now=began)
        held = [sid for n, sid in enumerate(ids) if n % bulk.TERM < 5]
        add_marked_bookings(held, families, ["attended", "absent", None])
        seen, response = measured(db, lambda: client.get("/manage"))
        counts.append(len(seen))
        html = response.get_data(as_text=True)
        assert "Show rate: 33%" in html and "missed their last two sessions" in html
    assert counts[0] == counts[1]


def test_past_sessions_run_the_same_statements_at_10_and_10000_sessions(client, auth, db, people):
    """The history: its workshop filter, a page of sessions, their seats; filtered too."""
    facilitator, _, workshop = people
    auth.login(facilitator)
    long_ago = utcnow() - timedelta(days=400)  # a term of weekly sessions, all ended
    paths = ["/manage/history", f"/manage/history?workshop={workshop.id + 1}&since=2000-01-01"]
    bulk.add_sessions(facilitator.id, 10, now=long_ago)
    before = [len(statements(db, partial(client.get, path))) for path in paths]

    bulk.add_sessions(facilitator.id, 10_000 - 10, now=long_ago)
    after = [len(statements(db, partial(client.get, path))) for path in paths]

    assert after == before
    assert "10000 sessions" in client.get(paths[0]).get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.FAMILY, Role.FACILITATOR])
def test_private_feeds_and_their_304s_run_the_same_statements_at_any_size(client, db, people, role):
    facilitator, family, _ = people
    owner = family if role == Role.FAMILY else facilitator
    path = f"/calendar/feeds/{token_of(db, owner)}.ics"
    assert_same_feed_statements(db, client, facilitator, path)


def assert_same_feed_statements(db, client, facilitator, path: str) -> None:
    """A feed's full body and its 304, at 10 sessions and at 10,000."""
    counts = []
    for more in (10, 10_000 - 10):
        add_sessions(facilitator, more)
        full, response = measured(db, lambda: client.get(path))
        unchanged, _ = measured(
            db, partial(client.get, path, headers={"If-None-Match": response.headers["ETag"]})
        )
        counts.append((len(full), len(unchanged)))
    assert counts[0] == counts[1], counts


def test_the_home_page_lists_twenty_workshops_a_page_soonest_first(client, db, people):
    facilitator, _, mine = people
    add_sessions(facilitator, 60 * bulk.TERM)  # 60 more workshops, all sooner than the own one

    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)
    last = client.get("/?page=99").get_data(as_text=True)

    card = 'class="card workshop-card"'
    assert first.count(card) == second.count(card) == 20
    assert "Page 1 of 4" in first and 'href="/?page=2"' in first and "Sooner" not in first
    assert "Page 2 of 4" in second and 'href="/?page=3"' in second and 'href="/"' in second
    assert "Page 4 of 4" in last and "Later workshops" not in last  # past the end: the last
    assert last.count(card) == 1 and f"/workshops/{mine.id}" in last
    titles = [int(t) for t in re.findall(r"<h2><a [^>]*>Family group (\d+)", first + second)]
    assert titles == list(range(40))  # each workshop once, soonest next session first


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999999999999999999"])
def test_a_page_number_that_cannot_be_one_is_not_found(client, page):
    assert client.get(f"/?page={page}").status_code == 404


def _more_slots(facilitator_id: int, count: int) -> None:
    """Insert ``count`` open ten-minute slots in the coming days (off the hour, so new)."""
    start = utcnow().replace(minute=5, second=0, microsecond=0) + timedelta(days=2)
    with write_transaction() as session:
        session.execute(
            insert(CounselingSlot),
            [
                {
                    "facilitator_id": facilitator_id,
                    "starts_at": start + timedelta(minutes=10 * n),
                    "ends_at": start + timedelta(minutes=10 * n + 5),
                    "offered": True,
                    "created_at": utcnow(),
                }
                for n in range(count)
            ],
        )


@pytest.mark.parametrize("viewer", ["anonymous", "family"])
def test_the_counseling_page_runs_the_same_statements_at_any_number_of_slots_and_counselors(
    client, auth, db, make_user, make_counselor, viewer
):
    """Filters, the day picker, the groups and the family's own appointments: no statement
    per slot, day, counselor or appointment."""
    family = make_user()
    first = make_counselor(name="Dr Rivera")
    make_counselor(name="Dr Online", mode="online")  # each filter finds some times at both sizes
    counseling.book_slot(slot_after(first, 3), family.id, now=utcnow())
    if viewer == "family":
        auth.login(family)
    paths = [
        "/counseling",
        f"/counseling?counselor={first.id}",
        "/counseling?kind=family&mode=in_person",
        "/counseling?mode=online&start=" + (utcnow().date() + timedelta(days=7)).isoformat(),
    ]
    before = [len(statements(db, partial(client.get, path))) for path in paths]

    others = [
        make_counselor(name=f"Counselor {n}", mode=("online", "in_person")[n % 2]) for n in range(6)
    ]
    counseling.book_slot(slot_after(others[0], 4), family.id, now=utcnow())
    _more_slots(first.id, 3_000)
    bulk.add_sessions(first.id, 500)  # workshops the slots are checked against
    after = [len(statements(db, partial(client.get, path))) for path in paths]

    assert after == before
