"""Feeds through the app after every change that alters an event: never a stale fragment.

Each test fetches a feed (filling the fragment cache), changes something, and fetches
again: the body must differ from before and equal a build from an empty cache. The
clock stands still throughout, so a change can't hide behind a new LAST-MODIFIED: the
cache must see the change itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine

from scheduler import ics
from scheduler.database import write_transaction
from scheduler.models import SessionStatus, User, Workshop, WorkshopSession
from scheduler.services import accounts, series
from scheduler.services.series import Scope, WorkshopDetails
from scheduler.timeutil import utcnow, wall_time
from tests.support.counseling import book
from tests.support.feeds import private_feed, vevents

PUBLIC = "/calendar/workshops.ics"


@pytest.fixture(autouse=True)
def still_clock():
    with time_machine.travel(utcnow().replace(microsecond=0), tick=False):
        ics.clear_caches()
        yield
    ics.clear_caches()


def refetched(fetch: Callable[[], bytes], before: bytes) -> tuple[bytes, int]:
    """Fetch after a change, check it, and say how many events came from the cache.

    It must equal a build from an empty cache, and differ from the body before.
    """
    hits = ics._fragment.cache_info().hits
    after = fetch()
    reused = ics._fragment.cache_info().hits - hits
    ics.clear_caches()
    assert after == fetch(), "a stale fragment was served"
    assert after != before, "the change did not reach the feed"
    return after, reused


def public(client) -> Callable[[], bytes]:
    return lambda: client.get(PUBLIC).get_data()


def edit(workshop: Workshop, **changes: str) -> None:
    details = {
        "title": workshop.title,
        "description": workshop.description,
        "location": workshop.location,
        "online_url": workshop.online_url,
        "publish": True,
        **changes,
    }
    series.update_details(workshop.id, WorkshopDetails(**details), now=utcnow())


def write(model: type, record_id: int, **values: object) -> None:
    """Change a row directly, for changes no service makes yet (the cache can't tell)."""
    with write_transaction() as session:
        row = session.get_one(model, record_id)
        for name, value in values.items():
            setattr(row, name, value)


# --- the public feed: a workshop edit reaches every session -----------------------------


def test_a_renamed_workshop_reaches_every_cached_event(client, make_workshop):
    workshop = make_workshop(weeks=3, title="Family education")
    make_workshop(title="Another group")  # untouched: served from the cache
    before = public(client)()

    edit(workshop, title="Family education, renamed; evenings")
    after, reused = refetched(public(client), before)

    summaries = [str(e["summary"]) for e in vevents(after).values()]
    assert summaries.count("Family education, renamed; evenings") == 3
    assert reused == 1


@pytest.mark.parametrize(
    ("change", "shows"),
    [
        ({"description": "Bring a friend, if you like."}, "Bring a friend, if you like."),
        ({"location": "Community centre, hall B"}, "Community centre, hall B"),
        ({"online_url": "https://meet.example.org/hearth"}, "Room 1 · Online"),
    ],
    ids=["description", "place", "online-link"],
)
def test_a_workshop_edit_reaches_every_cached_event(client, make_workshop, change, shows):
    workshop = make_workshop(weeks=2)
    before = public(client)()

    edit(workshop, **change)
    after, _ = refetched(public(client), before)

    field = "description" if "description" in change else "location"
    assert [str(e[field]) for e in vevents(after).values()] == [shows, shows]


def test_a_moved_session_is_rebuilt_and_its_neighbours_reused(client, make_workshop):
    session, *rest = make_workshop(weeks=3).sessions
    was = session.starts_at
    before = public(client)()

    series.reschedule(
        session.id,
        new_start=wall_time(session.starts_at, "America/New_York") + timedelta(hours=2),
        duration_minutes=60,
        scope=Scope.ONE,
        now=utcnow(),
    )
    after, reused = refetched(public(client), before)

    moved = vevents(after)[f"session-{session.id}@localhost"]
    assert moved.decoded("dtstart") - was == timedelta(hours=2)
    assert reused == len(rest)


def test_a_cancelled_and_an_uncancelled_session_are_rebuilt(client, make_workshop):
    session = make_workshop().sessions[0]
    first = public(client)()

    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())
    cancelled, _ = refetched(public(client), first)
    (event,) = vevents(cancelled).values()
    assert str(event["status"]) == "CANCELLED" and event["sequence"] == 1

    # No service takes a cancellation back yet; a fix in the database must show anyway.
    write(WorkshopSession, session.id, status=SessionStatus.SCHEDULED, cancelled_at=None)
    restored, _ = refetched(public(client), cancelled)
    (event,) = vevents(restored).values()
    assert str(event["status"]) == "CONFIRMED" and event["sequence"] == 1


def test_a_sequence_bump_alone_reaches_the_feed(client, make_workshop):
    session = make_workshop().sessions[0]
    before = public(client)()

    write(WorkshopSession, session.id, sequence=4)
    after, _ = refetched(public(client), before)

    assert next(iter(vevents(after).values()))["sequence"] == 4


def test_a_workshop_moved_to_another_zone_gets_new_times_and_vtimezone(client, make_workshop):
    workshop = make_workshop(weeks=2)
    before = public(client)()
    assert b"TZID:America/New_York" in before

    write(Workshop, workshop.id, timezone="Europe/London")
    after, _ = refetched(public(client), before)

    assert b"TZID:Europe/London" in after and b"America/New_York" not in after


def test_a_new_base_url_reaches_every_uid_and_link(app, client, make_workshop):
    make_workshop(weeks=2)
    before = public(client)()

    app.config["BASE_URL"] = "https://families.example.org"
    after, reused = refetched(public(client), before)

    assert all(uid.endswith("@families.example.org") for uid in vevents(after))
    assert all(
        str(e["url"]).startswith("https://families.example.org/") for e in vevents(after).values()
    )
    assert reused == 0


# --- private feeds: wording chosen by their reader ----------------------------------------


def test_descriptive_titles_switched_on_and_off_reach_a_familys_cached_events(
    client, db, make_user, make_workshop, make_booking
):
    family = make_user()
    make_booking(make_workshop(title="Family education").sessions[0].id, family=family)

    def feed() -> bytes:
        return private_feed(client, db, family).get_data()

    neutral = feed()

    def choose(descriptive: bool) -> None:
        accounts.update_settings(
            family.id, timezone=family.timezone, descriptive_titles=descriptive
        )

    choose(True)
    descriptive, _ = refetched(feed, neutral)
    assert [str(e["summary"]) for e in vevents(descriptive).values()] == ["Family education"]
    choose(False)
    back, _ = refetched(feed, descriptive)
    assert back == neutral


def test_a_booking_reaches_the_hosting_facilitators_cached_events(
    client, db, make_user, make_workshop, make_booking
):
    workshop = make_workshop(weeks=2)
    facilitator = db.session.get_one(User, workshop.facilitator_id)

    def feed() -> bytes:
        return private_feed(client, db, facilitator).get_data()

    before = feed()
    make_booking(workshop.sessions[0].id, seats=2)
    after, reused = refetched(feed, before)

    assert b"Seats taken: 2 of 5." in after
    assert reused == 1


def test_one_appointment_worded_for_the_family_and_the_counselor_keeps_both(
    client, db, make_user, make_counselor
):
    counselor = make_counselor(name="Dr Lee")
    family = make_user(name="The Okafors")
    book(counselor, family)

    def family_feed() -> bytes:
        return private_feed(client, db, family).get_data()

    def counselor_feed() -> bytes:
        return private_feed(client, db, counselor).get_data()

    # The same UID, two wordings: both stay cached side by side, each right for its reader.
    bodies = [family_feed(), counselor_feed(), family_feed(), counselor_feed()]
    assert bodies[0] == bodies[2] and bodies[1] == bodies[3] and bodies[0] != bodies[1]
    ics.clear_caches()
    assert [family_feed(), counselor_feed()] == bodies[:2]
