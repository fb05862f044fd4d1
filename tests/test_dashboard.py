"""The facilitator's dashboard: what needs doing first, then each workshop with its sessions.

Every test reads as of one fixed day: Monday 30 November 2026, 10 a.m. in New York.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scheduler.models import Role
from scheduler.services import series
from scheduler.services.booking import Needs, cancel_booking
from scheduler.services.rosters import SESSIONS_SHOWN, WORKSHOPS_PER_PAGE
from scheduler.timeutil import utcnow
from tests.support.counseling import book
from tests.support.feeds import counting_queries

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def maya(make_user):
    return make_user(Role.FACILITATOR, name="Maya Okafor")


def dashboard(client, auth, user, path: str = "/manage") -> str:
    auth.login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def session_lines(page: str) -> list[str]:
    return re.findall(r'<li class="session-line[^"]*">.*?</li>', page, flags=re.S)


def test_nothing_needs_attention_says_so(client, auth, maya, make_workshop):
    make_workshop(facilitator=maya, weeks=2)

    page = dashboard(client, auth, maya)

    assert "Nothing needs your attention right now." in page


def test_the_dashboard_leads_with_what_needs_attention(
    client, auth, make_counselor, make_user, make_workshop, make_booking
):
    counselor = make_counselor(approve_first=True)
    asking = book(counselor, make_user(name="The Lee family"))
    full = make_workshop(facilitator=counselor, capacity=2, title="Evening circle").sessions[0]
    make_booking(full.id, seats=2, needs=Needs(childcare_needed=True))
    make_booking(full.id, seats=1, join_waitlist=True)

    page = dashboard(client, auth, counselor)

    attention = page.index("Needs your attention")
    assert attention < page.index("Your workshops") < page.index("Counseling appointments")
    assert "Nothing needs your attention" not in page
    section = page[attention : page.index("Your workshops")]
    assert "The Lee family</strong> asks to meet on" in section
    assert f'href="/manage/counseling/appointments/{asking}"' in section
    assert "Approve or decline" in section
    assert '<span class="badge badge-full">Full</span> 2 of 2 seats taken.' in section
    assert "1 household on the waitlist." in section
    assert re.search(rf'class="button" href="/manage/sessions/{full.id}/roster"[^>]*>See', section)


def test_seats_held_for_the_waitlist_are_told_on_the_dashboard(
    client, auth, maya, make_user, make_workshop, make_booking
):
    session = make_workshop(facilitator=maya, capacity=3).sessions[0]
    leaving = make_user()
    booked = make_booking(session.id, seats=2, family=leaving)
    make_booking(session.id, seats=1)
    make_booking(session.id, seats=2, join_waitlist=True)

    with time_machine.travel(session.starts_at - timedelta(hours=3), tick=False):
        cancel_booking(booked.id, leaving.id, now=utcnow())
        page = dashboard(client, auth, maya)

    assert "2 seats free and held for the waitlist. Give them out from the roster." in page


def test_needs_for_tomorrow_are_counted_on_the_dashboard(
    client, auth, maya, make_workshop, make_booking
):
    tomorrow = make_workshop(facilitator=maya, start=datetime(2026, 12, 1, 18)).sessions[0]
    make_booking(tomorrow.id, needs=Needs(childcare_needed=True))
    make_booking(tomorrow.id, needs=Needs(childcare_needed=True, interpreter_language="Spanish"))
    make_booking(tomorrow.id, needs=Needs(accessibility_needs="Step-free access, please"))

    page = dashboard(client, auth, maya)

    assert "Needs to plan for, today and tomorrow" in page
    assert "<li>Childcare for 2 households</li>" in page
    assert "<li>Spanish interpreter for 1 household</li>" in page
    assert "<li>Access needs from 1 household</li>" in page
    assert "Step-free access" not in page  # the words themselves are on the (audited) roster


def test_a_series_is_one_block_with_its_sessions_inside(
    client, auth, maya, make_workshop, make_booking
):
    mine = make_workshop(facilitator=maya, capacity=8, weeks=3, title="My series")
    make_booking(mine.sessions[0].id, seats=3)

    page = dashboard(client, auth, maya)

    assert page.count("My series") == 1
    assert f'<h3 id="workshop-{mine.id}">My series</h3>' in page
    assert f'href="/manage/workshops/{mine.id}"' in page
    lines = session_lines(page)
    assert len(lines) == 3
    assert "3 of 8 seats taken" in lines[0] and "0 of 8 seats taken" in lines[1]


def test_a_long_series_shows_its_next_sessions_and_links_to_the_rest(
    client, auth, maya, make_workshop
):
    mine = make_workshop(facilitator=maya, weeks=SESSIONS_SHOWN + 2, title="Long series")

    page = dashboard(client, auth, maya)

    assert len(session_lines(page)) == SESSIONS_SHOWN
    assert f"See all {SESSIONS_SHOWN + 2} sessions</a> (2 more to come)" in page
    starts = [s.id for s in mine.sessions[:SESSIONS_SHOWN]]
    assert re.findall(r'id="session-(\d+)-when"', page) == [str(s) for s in starts]


def test_roster_and_change_are_buttons_for_each_session(client, auth, maya, make_workshop):
    session = make_workshop(facilitator=maya).sessions[0]

    (line,) = session_lines(dashboard(client, auth, maya))

    for path, words in ((f"/manage/sessions/{session.id}/roster", "Roster"),
                        (f"/manage/sessions/{session.id}", "Change")):  # fmt: skip
        assert re.search(
            rf'<a class="button button-secondary" href="{path}" '
            rf'aria-describedby="session-{session.id}-when">{words}</a>',
            line,
        )


def test_full_cancelled_and_draft_are_marked(client, auth, maya, make_workshop, make_booking):
    full, cancelled = make_workshop(facilitator=maya, capacity=2, weeks=2).sessions
    make_booking(full.id, seats=2)
    series.cancel_sessions(cancelled.id, scope=series.Scope.ONE, now=NOW)
    draft = make_workshop(facilitator=maya, publish=False, title="Not yet out")

    page = dashboard(client, auth, maya)

    first, second, third = session_lines(page)
    assert '<span class="badge badge-full">Full</span>' in first
    assert '<span class="badge badge-cancelled">Cancelled</span>' in second and "Full" not in second
    assert "is-cancelled" in second
    assert "badge" not in third
    draft_badge = '<span class="badge badge-draft">Draft</span>'
    assert f'<h3 id="workshop-{draft.id}">Not yet out {draft_badge}</h3>' in page


def test_an_admin_sees_every_facilitators_workshops_and_requests(
    client, auth, make_user, make_workshop, make_counselor
):
    admin = make_user(Role.ADMIN)
    counselor = make_counselor(name="Dr Rivera", approve_first=True)
    book(counselor, make_user(name="The Lee family"))
    make_workshop(facilitator=make_user(Role.FACILITATOR, name="Sam Whitfield"), title="Sam's")

    page = dashboard(client, auth, admin)

    assert "Sam&#39;s" in page and "Run by Sam Whitfield" in page
    assert "The Lee family</strong> asks to meet on" in page and " with Dr Rivera." in page


def test_a_facilitator_sees_only_their_own(client, auth, maya, make_user, make_workshop):
    make_workshop(facilitator=maya, title="Mine")
    make_workshop(title="Someone else's workshop")

    page = dashboard(client, auth, maya)

    assert "Mine" in page and "Someone else" not in page and "Run by" not in page


def test_many_workshops_are_paged_soonest_first(client, auth, maya, make_workshop):
    for n in range(WORKSHOPS_PER_PAGE + 1):
        make_workshop(facilitator=maya, start=datetime(2026, 12, 2 + n, 18), title=f"Group {n}")

    first = dashboard(client, auth, maya)
    second = dashboard(client, auth, maya, "/manage?page=2")
    past_the_end = dashboard(client, auth, maya, "/manage?page=9")

    shown = re.findall(r">Group (\d+)</h3>", first)
    assert shown == [str(n) for n in range(WORKSHOPS_PER_PAGE)]
    assert "Page 1 of 2" in first and 'href="/manage?page=2"' in first
    assert re.findall(r">Group (\d+)</h3>", second) == [str(WORKSHOPS_PER_PAGE)]
    assert 'rel="prev" href="/manage"' in second
    assert re.findall(r">Group (\d+)</h3>", past_the_end) == [str(WORKSHOPS_PER_PAGE)]
    assert "Page 2 of 2" in past_the_end
    assert client.get("/manage?page=0").status_code == 404


def test_the_workshop_page_lists_its_sessions_the_same_way(client, auth, maya, make_workshop):
    mine = make_workshop(facilitator=maya, weeks=SESSIONS_SHOWN + 2)

    page = dashboard(client, auth, maya, f"/manage/workshops/{mine.id}")

    assert len(session_lines(page)) == SESSIONS_SHOWN + 2  # every session, on its own page


def test_every_kind_of_item_costs_the_same_statements_however_many_there_are(
    client, auth, db, make_user, make_workshop, make_booking, make_counselor
):
    """No item loads its session, workshop, family or counselor by itself (no lazy loads).

    Workshops meeting sooner fill the first page of the list below, so nothing the items
    show is loaded by the list already.
    """
    admin = make_user(Role.ADMIN)
    counselor = make_counselor(approve_first=True)
    for n in range(WORKSHOPS_PER_PAGE):
        make_workshop(facilitator=admin, start=datetime(2026, 11, 30, 19, n))

    def add_one_of_each(n: int) -> None:
        book(counselor, make_user(), skip=n)
        host = make_user(Role.FACILITATOR)
        full = make_workshop(facilitator=host, capacity=1, start=datetime(2026, 12, 9, 18, n))
        make_booking(full.sessions[0].id)
        make_booking(full.sessions[0].id, join_waitlist=True)
        tomorrow = make_workshop(facilitator=host, start=datetime(2026, 12, 1, 18, n))
        make_booking(tomorrow.sessions[0].id, needs=Needs(childcare_needed=True))

    def statements() -> list[str]:
        db.session.rollback()
        with counting_queries(db) as seen:
            assert client.get("/manage").status_code == 200
        return seen

    auth.login(admin)
    add_one_of_each(0)
    once = statements()
    for n in range(1, 4):
        add_one_of_each(n)
    page = client.get("/manage").get_data(as_text=True)

    assert page.count("Approve or decline") == page.count("See the waitlist") == 4
    assert page.count("See the roster") == 4
    assert len(statements()) == len(once)
