"""Private feeds are versioned by counters: every change a feed shows moves its ETag.

A private feed's 304 is answered from a few counters read by primary key
(``services/feeds/changes.py`` bumps them as each transaction commits). These tests
state, change by change, whose feed must be fetched again, and that what concerns
nobody in a feed leaves its ETag alone, so polls stay cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from scheduler.models import Role, User
from scheduler.services import accounts, counseling, profile, series
from scheduler.services.booking import cancel_booking
from scheduler.services.series import Scope, WorkshopDetails
from scheduler.timeutil import utcnow
from tests.support.counseling import book, slot_after
from tests.support.feeds import counting_queries, later, reads_only_counters, token_of


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=True):
        yield


class Feeds:
    """Each person's private feed as their calendar app last fetched it."""

    def __init__(self, client, db) -> None:
        self.client, self.db = client, db
        self.seen: dict[int, tuple[str, bytes]] = {}

    def fetch(self, *users: User) -> None:
        for user in users:
            response = self.client.get(self._path(user))
            self.seen[user.id] = (response.headers["ETag"], response.get_data())

    def refetched(self, user: User) -> bool:
        """Poll with the ETag last given: True when the feed came back anew.

        A feed answered 304 must really be unchanged: its body is compared too.
        """
        etag, body = self.seen[user.id]
        response = self.client.get(self._path(user), headers={"If-None-Match": etag})
        if response.status_code == 304:
            assert self.client.get(self._path(user)).get_data() == body, "stale 304"
            return False
        assert response.status_code == 200 and response.headers["ETag"] != etag
        return True

    def _path(self, user: User) -> str:
        return f"/calendar/feeds/{token_of(self.db, user)}.ics"


@pytest.fixture
def feeds(client, db) -> Feeds:
    return Feeds(client, db)


@pytest.fixture
def world(make_user, make_workshop, make_booking) -> dict[str, User | int]:
    """A family booked in one facilitator's session; another facilitator, another family."""
    host, other_host = make_user(Role.FACILITATOR), make_user(Role.FACILITATOR)
    family, other_family = make_user(), make_user()
    workshop = make_workshop(facilitator=host, capacity=2, weeks=2)
    elsewhere = make_workshop(facilitator=other_host, weeks=1)
    booking = make_booking(workshop.sessions[0].id, family=family)
    return {
        "host": host,
        "other_host": other_host,
        "family": family,
        "other_family": other_family,
        "workshop": workshop.id,
        "session": workshop.sessions[0].id,
        "later_session": workshop.sessions[1].id,
        "elsewhere": elsewhere.sessions[0].id,
        "booking": booking.id,
    }


def test_a_booking_reaches_the_familys_and_the_hosts_feeds_only(feeds, world, make_booking):
    feeds.fetch(world["family"], world["host"], world["other_host"])
    make_booking(world["later_session"], family=world["family"])
    assert feeds.refetched(world["family"]) and feeds.refetched(world["host"])
    assert not feeds.refetched(world["other_host"])


def test_another_familys_booking_moves_the_hosts_seats_taken_not_this_familys_feed(
    feeds, world, make_booking
):
    feeds.fetch(world["family"], world["host"])
    make_booking(world["session"], family=world["other_family"])
    assert feeds.refetched(world["host"])  # "Seats taken: 2 of 2"
    assert not feeds.refetched(world["family"])


def test_a_booking_elsewhere_leaves_both_feeds_alone(feeds, world, make_booking):
    feeds.fetch(world["family"], world["host"])
    make_booking(world["elsewhere"], family=world["other_family"])
    assert not feeds.refetched(world["family"]) and not feeds.refetched(world["host"])


def test_a_cancelled_booking_and_the_promotion_it_makes_reach_every_feed_concerned(
    feeds, world, make_booking
):
    filler = accounts.create_user(
        email="filler@example.org", name="Filler", password="x" * 16, role=Role.FAMILY
    )
    make_booking(world["session"], family=filler)
    waiting = world["other_family"]
    make_booking(world["session"], family=waiting, join_waitlist=True)
    feeds.fetch(world["family"], world["host"], waiting)

    cancel_booking(world["booking"], world["family"].id, now=utcnow())

    assert feeds.refetched(world["family"]) and feeds.refetched(world["host"])
    assert feeds.refetched(waiting)  # from the waitlist to a seat


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(
            lambda w: series.reschedule(
                w["session"],
                new_start=(utcnow() + timedelta(days=9)).replace(tzinfo=None, microsecond=0),
                duration_minutes=60,
                scope=Scope.ONE,
                now=utcnow(),
            ),
            id="moved",
        ),
        pytest.param(
            lambda w: series.cancel_sessions(w["session"], scope=Scope.ONE, now=utcnow()),
            id="cancelled",
        ),
        pytest.param(
            lambda w: series.update_details(
                w["workshop"],
                WorkshopDetails(
                    title="Family evenings",
                    description="About recovery",
                    location="Room 7",
                    online_url="",
                    publish=True,
                ),
                now=utcnow(),
            ),
            id="renamed-and-moved-rooms",
        ),
    ],
)
def test_a_facilitators_change_reaches_the_booked_familys_feed(
    feeds, world, change: Callable[[dict], object]
):
    feeds.fetch(world["family"], world["host"])
    change(world)
    assert feeds.refetched(world["family"]) and feeds.refetched(world["host"])


def test_a_new_capacity_reaches_the_hosts_feed(feeds, world):
    feeds.fetch(world["host"])
    series.change_capacity(
        world["session"], capacity=6, scope=Scope.ONE, move_to_waitlist=False, now=utcnow()
    )
    assert feeds.refetched(world["host"])


def test_choosing_descriptive_titles_reaches_ones_own_feed(feeds, world):
    family = world["family"]
    feeds.fetch(family)
    accounts.update_settings(family.id, timezone=family.timezone, descriptive_titles=True)
    assert feeds.refetched(family)


def test_a_renamed_facilitator_gets_a_calendar_with_the_new_name(feeds, world):
    host = world["host"]
    feeds.fetch(host)
    profile.change_name(host.id, "Dr Ana Ruiz", now=utcnow())
    assert feeds.refetched(host)


def test_a_renamed_counselor_reaches_the_families_who_see_their_name(
    feeds, make_counselor, make_user
):
    counselor, family = make_counselor(), make_user()
    accounts.update_settings(family.id, timezone=family.timezone, descriptive_titles=True)
    book(counselor, family)
    feeds.fetch(family)
    profile.change_name(counselor.id, "Dr Sam Okafor", now=utcnow())
    assert feeds.refetched(family)  # "Family counseling with Dr Sam Okafor"


def test_an_appointment_move_reaches_both_feeds_and_no_one_elses(
    feeds, world, make_counselor, make_user
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    feeds.fetch(family, counselor, world["family"])
    counseling.move(appointment_id, family.id, slot_after(counselor, 5), now=utcnow())
    assert feeds.refetched(family) and feeds.refetched(counselor)
    assert not feeds.refetched(world["family"])


def test_last_modified_moves_forward_with_a_booking(client, db, world, make_booking):
    family = world["family"]
    path = f"/calendar/feeds/{token_of(db, family)}.ics"
    with later():
        stamp = client.get(path).headers["Last-Modified"]
    with later(4):
        make_booking(world["later_session"], family=family)
    with later(6):
        assert client.get(path, headers={"If-Modified-Since": stamp}).status_code == 200


def test_a_poll_without_if_none_match_gets_the_kept_body_without_building_it(client, db, world):
    """Many calendar apps poll without If-None-Match: the body of a version is kept."""
    path = f"/calendar/feeds/{token_of(db, world['family'])}.ics"
    first = client.get(path)
    db.session.rollback()
    with counting_queries(db) as statements:
        again = client.get(path)
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert len(statements) == 2 and reads_only_counters(statements[1])  # token, counters
