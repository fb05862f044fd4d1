"""Calendar feeds over HTTP: content, change semantics, 304s, privacy, query counts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import delete

from scheduler.database import write_transaction
from scheduler.logs import redact
from scheduler.models import FeedState, Role, User
from scheduler.services import series
from scheduler.services.booking import Needs, cancel_booking
from scheduler.services.series import Scope
from scheduler.timeutil import utcnow, wall_time
from tests.support.feeds import (
    counting_queries,
    later,
    private_feed,
    reads_only_counters,
    token_of,
    vevents,
)
from tests.support.ics_checks import cross_check

# --- the public feed ---------------------------------------------------------------


def test_public_feed_lists_published_sessions_once_each(client, make_workshop):
    workshop = make_workshop(weeks=3, title="Understanding addiction")
    make_workshop(publish=False, title="Secret draft")

    response = client.get("/calendar/workshops.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="hearth-workshops.ics"' in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"].startswith("public")
    body = response.get_data()
    instants = cross_check(body)
    assert [i.start for i in instants] == [s.starts_at for s in workshop.sessions]
    assert b"Secret draft" not in body
    # One event per session: only the VTIMEZONE's onsets recur.
    assert all("rrule" not in e for e in vevents(body).values())
    assert all(str(e["summary"]) == "Understanding addiction" for e in vevents(body).values())


def test_public_feed_names_no_attendees(client, make_workshop, make_booking, make_user):
    session = make_workshop().sessions[0]
    family = make_user(name="Quiet household", email="quiet@example.org")
    make_booking(session.id, family=family)
    body = client.get("/calendar/workshops.ics").get_data()
    assert b"Quiet household" not in body and b"quiet@example.org" not in body
    assert b"ATTENDEE" not in body and b"ORGANIZER" not in body


def test_public_feed_can_be_filtered_by_facilitator(client, make_workshop, make_user):
    maya = make_user(Role.FACILITATOR)
    make_workshop(facilitator=maya, title="Maya's group")
    make_workshop(title="Another group")
    body = client.get(f"/calendar/workshops.ics?facilitator={maya.id}").get_data()
    assert [str(e["summary"]) for e in vevents(body).values()] == ["Maya's group"]


def test_rescheduling_keeps_uid_and_raises_sequence(client, make_workshop, db):
    session = make_workshop().sessions[0]
    before = vevents(client.get("/calendar/workshops.ics").get_data())
    series.reschedule(
        session.id,
        new_start=wall_time(session.starts_at, "America/New_York") + timedelta(hours=1),
        duration_minutes=60,
        scope=Scope.ONE,
        now=utcnow(),
    )
    after = vevents(client.get("/calendar/workshops.ics").get_data())

    assert before.keys() == after.keys()
    (uid,) = after
    assert after[uid]["sequence"] > before[uid]["sequence"]
    assert after[uid].decoded("dtstart") - before[uid].decoded("dtstart") == timedelta(hours=1)


def test_cancelled_session_stays_cancelled_until_its_day_has_passed(client, make_workshop):
    session = make_workshop().sessions[0]
    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())

    cancelled = next(iter(vevents(client.get("/calendar/workshops.ics").get_data()).values()))
    assert str(cancelled["status"]) == "CANCELLED" and cancelled["sequence"] == 1
    assert str(cancelled["summary"]).startswith("Cancelled:")

    with time_machine.travel(session.ends_at + timedelta(days=1), tick=False):
        assert vevents(client.get("/calendar/workshops.ics").get_data()) == {}


def test_public_feed_keeps_recent_past_sessions(client, make_workshop):
    session = make_workshop().sessions[0]
    with time_machine.travel(session.ends_at + timedelta(days=7), tick=False):
        assert len(vevents(client.get("/calendar/workshops.ics").get_data())) == 1
    with time_machine.travel(session.ends_at + timedelta(days=45), tick=False):
        assert vevents(client.get("/calendar/workshops.ics").get_data()) == {}


# --- conditional requests -----------------------------------------------------------


def test_repeated_request_with_etag_gets_304_without_a_body(client, make_workshop):
    make_workshop(weeks=2)
    first = client.get("/calendar/workshops.ics")
    etag = first.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")

    again = client.get("/calendar/workshops.ics", headers={"If-None-Match": etag})

    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag


@pytest.mark.parametrize("feed", ["public", "private"])
def test_the_current_etag_sent_back_as_a_weak_validator_gets_304(
    client, make_workshop, make_user, make_booking, db, feed
):
    family = make_user()
    make_booking(make_workshop(weeks=2).sessions[0].id, family=family)
    url = "/calendar/workshops.ics" if feed == "public" else None
    get = (
        (lambda **kw: client.get(url, **kw))
        if url
        else (lambda **kw: client.get(f"/calendar/feeds/{token_of(db, family)}.ics", **kw))
    )
    etag = get().headers["ETag"]

    # RFC 9110 13.1.2: If-None-Match uses the weak comparison, as proxies that
    # compress a body hand clients the weak form of its tag.
    for header in (f"W/{etag}", f'"other", W/{etag}', "*"):
        again = get(headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.get_data() == b""
    assert get(headers={"If-None-Match": 'W/"other"'}).status_code == 200


@pytest.mark.parametrize(
    "change", ["reschedule", "cancel", "capacity", "details", "new", "publish", "unpublish"]
)
def test_any_visible_change_changes_the_etag(client, make_workshop, change):
    workshop = make_workshop(weeks=2, publish=change != "publish")
    session = workshop.sessions[0]
    etag = client.get("/calendar/workshops.ics").headers["ETag"]
    now = utcnow()
    if change == "reschedule":
        series.reschedule(
            session.id,
            new_start=wall_time(session.starts_at, "America/New_York") + timedelta(days=1),
            duration_minutes=90,
            scope=Scope.ONE,
            now=now,
        )
    elif change == "cancel":
        series.cancel_sessions(session.id, scope=Scope.ONE, now=now)
    elif change == "capacity":  # not shown in this feed; a re-sent feed harms no one
        series.change_capacity(
            session.id, capacity=9, scope=Scope.ONE, move_to_waitlist=False, now=now
        )
    elif change == "details":
        series.update_details(
            workshop.id,
            series.WorkshopDetails(
                title="New title", description="", location="Room 1", online_url="", publish=True
            ),
            now=now,
        )
    elif change in ("publish", "unpublish"):
        series.update_details(
            workshop.id,
            series.WorkshopDetails(
                title=workshop.title,
                description=workshop.description,
                location=workshop.location,
                online_url=workshop.online_url,
                publish=change == "publish",
            ),
            now=now,
        )
    else:
        make_workshop()

    response = client.get("/calendar/workshops.ics", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_if_modified_since_is_honoured_only_until_the_next_change(client, make_workshop):
    session = make_workshop().sessions[0]
    with later():
        first = client.get("/calendar/workshops.ics")
        stamp = first.headers["Last-Modified"]
        assert (
            client.get("/calendar/workshops.ics", headers={"If-Modified-Since": stamp}).status_code
            == 304
        )
        series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())
        assert (
            client.get("/calendar/workshops.ics", headers={"If-Modified-Since": stamp}).status_code
            == 200
        )


def test_no_last_modified_is_promised_inside_the_second_of_a_change(client, make_workshop):
    make_workshop()
    with time_machine.travel(utcnow(), tick=False):
        response = client.get("/calendar/workshops.ics")
    assert "Last-Modified" not in response.headers  # a later change could share it
    assert "ETag" in response.headers


def test_etag_wins_over_if_modified_since(client, make_workshop):
    make_workshop()
    with later():
        first = client.get("/calendar/workshops.ics")
        response = client.get(
            "/calendar/workshops.ics",
            headers={
                "If-None-Match": '"something-else"',
                "If-Modified-Since": first.headers["Last-Modified"],
            },
        )
    assert response.status_code == 200


def test_304_path_loads_no_events(client, make_workshop, make_user, make_booking, db):
    make_workshop(weeks=3)
    family = make_user()
    make_booking(make_workshop().sessions[0].id, family=family)
    public_etag = client.get("/calendar/workshops.ics").headers["ETag"]
    token = token_of(db, family)
    private_etag = client.get(f"/calendar/feeds/{token}.ics").headers["ETag"]

    with counting_queries(db) as public:
        assert (
            client.get(
                "/calendar/workshops.ics", headers={"If-None-Match": public_etag}
            ).status_code
            == 304
        )
    with counting_queries(db) as private:
        assert (
            client.get(
                f"/calendar/feeds/{token}.ics", headers={"If-None-Match": private_etag}
            ).status_code
            == 304
        )

    # One primary-key read of the feed's counter: no aggregate, no events.
    assert len(public) == 1 and reads_only_counters(public[0])
    # The token lookup, then one primary-key read of counters: nothing selects the events.
    assert len(private) == 2 and reads_only_counters(private[1])


def test_feed_queries_do_not_grow_with_the_number_of_events(
    client, make_workshop, make_user, make_booking, db
):
    family, owner = make_user(verified=True), make_user(Role.FACILITATOR)

    def queries_for_feeds() -> list[int]:
        counts = []
        for path in (
            "/calendar/workshops.ics",
            f"/calendar/feeds/{token_of(db, family)}.ics",
            f"/calendar/feeds/{token_of(db, owner)}.ics",
        ):
            with counting_queries(db) as statements:
                assert client.get(path).status_code == 200
            counts.append(len(statements))
        return counts

    workshop = make_workshop(facilitator=owner, weeks=2)
    make_booking(workshop.sessions[0].id, family=family)
    few = queries_for_feeds()
    bigger = make_workshop(facilitator=owner, weeks=12)
    for session in bigger.sessions:
        make_booking(session.id, family=family)
        make_booking(session.id)
    assert queries_for_feeds() == few


# --- private feeds ------------------------------------------------------------------


def test_family_feed_is_discreet_by_default(client, make_workshop, make_user, make_booking, db):
    family = make_user()
    workshop = make_workshop(title="Family addiction education")
    make_booking(workshop.sessions[0].id, family=family, seats=2)

    response = private_feed(client, db, family)

    assert response.status_code == 200
    assert response.headers["Cache-Control"].startswith("private")
    body = response.get_data()
    cross_check(body)
    (booked,) = vevents(body).values()
    assert str(booked["summary"]) == "Hearth appointment"
    assert b"addiction" not in body.lower() and b"Room 1" not in body
    assert "2 seats" in str(booked["description"])


def test_family_can_choose_descriptive_titles(
    client, auth, make_workshop, make_user, make_booking, db
):
    family = make_user()
    workshop = make_workshop(title="Family education")
    make_booking(workshop.sessions[0].id, family=family)
    auth.login(family)
    client.post(
        "/account",
        data={"name": family.name, "timezone": "America/New_York", "descriptive_titles": "y"},
    )

    (booked,) = vevents(private_feed(client, db, family).get_data()).values()
    assert str(booked["summary"]) == "Family education"
    assert str(booked["location"]) == "Room 1"


def test_family_feed_follows_booking_changes(client, make_workshop, make_user, make_booking, db):
    family = make_user()
    session = make_workshop(capacity=1).sessions[0]
    holder = make_user()
    held = make_booking(session.id, family=holder)
    waiting = make_booking(session.id, family=family, join_waitlist=True)

    (entry,) = vevents(private_feed(client, db, family).get_data()).values()
    assert str(entry["status"]) == "TENTATIVE" and "waitlist" in str(entry["summary"])

    cancel_booking(held.id, holder.id, now=utcnow())  # the family is promoted
    (promoted,) = vevents(private_feed(client, db, family).get_data()).values()
    assert str(promoted["status"]) == "CONFIRMED"
    assert promoted["sequence"] > entry["sequence"] and promoted["uid"] == entry["uid"]

    cancel_booking(waiting.id, family.id, now=utcnow())
    (cancelled,) = vevents(private_feed(client, db, family).get_data()).values()
    assert str(cancelled["status"]) == "CANCELLED"
    assert cancelled["sequence"] > promoted["sequence"]


def test_family_feed_shows_facilitator_changes(client, make_workshop, make_user, make_booking, db):
    family = make_user()
    session = make_workshop().sessions[0]
    make_booking(session.id, family=family)
    before = next(iter(vevents(private_feed(client, db, family).get_data()).values()))
    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())
    after = next(iter(vevents(private_feed(client, db, family).get_data()).values()))
    assert str(after["status"]) == "CANCELLED" and after["sequence"] > before["sequence"]


def test_facilitator_feed_has_own_sessions_with_seats_taken(
    client, make_workshop, make_user, make_booking, db
):
    owner = make_user(Role.FACILITATOR)
    mine = make_workshop(facilitator=owner, capacity=8, weeks=2, title="My group")
    make_workshop(title="Not mine")
    make_booking(mine.sessions[0].id, seats=3, family=make_user(name="Lee household"))

    body = private_feed(client, db, owner).get_data()

    cross_check(body)
    entries = sorted(vevents(body).values(), key=lambda e: e.decoded("dtstart"))
    assert [str(e["summary"]) for e in entries] == ["My group", "My group"]
    assert "Seats taken: 3 of 8" in str(entries[0]["description"])
    assert b"Lee household" not in body


def test_booking_download_is_the_owners_only(client, auth, make_workshop, make_user, make_booking):
    family, stranger = make_user(), make_user()
    booking = make_booking(make_workshop().sessions[0].id, family=family)
    auth.login(family)
    download = client.get(f"/bookings/{booking.id}.ics")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    cross_check(download.get_data())
    client.post("/logout")
    auth.login(stranger)
    assert client.get(f"/bookings/{booking.id}.ics").status_code == 404


def test_unknown_revoked_and_foreign_tokens_reveal_nothing(client, auth, make_user, db):
    family, other = make_user(), make_user()
    old = token_of(db, family)
    assert private_feed(client, db, family).status_code == 200

    auth.login(family)
    assert client.post("/account/feed/reset").status_code == 303
    new = token_of(db, family)
    assert new != old and len(new) >= 32  # ≥128 bits of hex
    revoked = client.get(f"/calendar/feeds/{old}.ics")
    assert revoked.status_code == 404 and b"BEGIN:VCALENDAR" not in revoked.get_data()
    assert client.get(f"/calendar/feeds/{new}.ics").status_code == 200
    assert client.get("/calendar/feeds/" + "0" * 43 + ".ics").status_code == 404
    # Another household's token opens only that household's calendar, never this one's.
    assert token_of(db, other) != new
    stored = db.session.get_one(User, family.id)
    assert new not in (stored.feed_salt, stored.feed_token_hash)  # only a hash is kept


def test_deactivated_account_feed_is_gone(client, make_user, db):
    family = make_user()
    token = token_of(db, family)
    db.session.get_one(User, family.id).active = False
    db.session.commit()
    assert client.get(f"/calendar/feeds/{token}.ics").status_code == 404


def test_account_page_shows_feed_link_and_how_to(client, auth, make_user, db):
    family = make_user()
    auth.login(family)
    page = client.get("/account").get_data(as_text=True)
    token = token_of(db, family)
    assert f"http://localhost/calendar/feeds/{token}.ics" in page
    assert f"webcal://localhost/calendar/feeds/{token}.ics" in page
    for app_name in ("Google Calendar", "Apple Calendar", "Outlook"):
        assert app_name in page


WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.mark.parametrize("role", [Role.FAMILY, Role.FACILITATOR])
def test_account_page_without_a_feed_token_writes_nothing_and_offers_one(
    client, auth, make_user, db, role
):
    person = make_user(role)
    auth.login(person)
    with write_transaction() as session:  # an account from before feeds, missed somehow
        tokenless = session.get_one(User, person.id)
        tokenless.feed_salt = tokenless.feed_token_hash = None

    with counting_queries(db) as statements:
        page = client.get("/account").get_data(as_text=True)

    assert [s for s in statements if s.lstrip().upper().startswith(WRITES)] == []
    assert token_of(db, person) is None
    assert "/calendar/feeds/" not in page and "Make my calendar link" in page

    made = client.post("/account/feed/reset", follow_redirects=True).get_data(as_text=True)
    token = token_of(db, person)
    assert token is not None and "Your calendar link is ready" in made
    assert f"http://localhost/calendar/feeds/{token}.ics" in made
    assert private_feed(client, db, person).status_code == 200


def test_account_page_with_a_feed_token_writes_nothing(client, auth, make_user, db):
    family = make_user()
    auth.login(family)
    with counting_queries(db) as statements:
        assert client.get("/account").status_code == 200
    assert [s for s in statements if s.lstrip().upper().startswith(WRITES)] == []


def test_listing_pages_link_the_feeds(client, auth, make_user, make_workshop, make_booking):
    family = make_user()
    booking = make_booking(make_workshop().sessions[0].id, family=family)
    assert "webcal://localhost/calendar/workshops.ics" in client.get("/").get_data(as_text=True)
    auth.login(family)
    page = client.get("/bookings").get_data(as_text=True)
    assert f"/bookings/{booking.id}.ics" in page and "/account#calendar" in page


def test_tokens_never_reach_the_logs(client, make_user, db, caplog):
    token = token_of(db, make_user())
    assert redact(f'"GET /calendar/feeds/{token}.ics HTTP/1.1" 200') == (
        '"GET /calendar/feeds/[token].ics HTTP/1.1" 200'
    )
    with caplog.at_level(logging.INFO):
        logging.getLogger("werkzeug").info('"GET /calendar/feeds/%s.ics HTTP/1.1" 200', token)
    assert token not in caplog.text and "[token]" in caplog.text


def test_feed_needs_no_login_but_needs_the_token(
    client, make_user, make_booking, make_workshop, db
):
    family = make_user()
    make_booking(make_workshop().sessions[0].id, family=family, needs=Needs(notes="private"))
    body = private_feed(client, db, family).get_data()
    assert b"private" not in body  # notes to the facilitator stay out of calendars


def test_each_token_opens_only_its_own_households_bookings(
    client, make_workshop, make_user, make_booking, db
):
    session = make_workshop(capacity=5).sessions[0]
    a, b = make_user(), make_user()
    booking_a = make_booking(session.id, family=a)
    booking_b = make_booking(session.id, family=b)

    feed_a = vevents(private_feed(client, db, a).get_data())
    feed_b = vevents(private_feed(client, db, b).get_data())

    assert list(feed_a) == [f"booking-{booking_a.id}@localhost"]
    assert list(feed_b) == [f"booking-{booking_b.id}@localhost"]


def test_a_database_without_the_feed_counter_gets_one_at_the_first_change(
    client, make_workshop, db
):
    with write_transaction() as session:
        session.execute(delete(FeedState))
    etag = client.get("/calendar/workshops.ics").headers["ETag"]

    make_workshop()

    db.session.rollback()
    assert db.session.get_one(FeedState, "public").counter == 1
    assert client.get("/calendar/workshops.ics").headers["ETag"] != etag


def test_bookings_leave_the_public_feed_counter_alone(make_workshop, make_booking, db):
    """Families booking at once must not queue on the one counter row, nor re-send the feed."""
    workshop = make_workshop(capacity=1)
    db.session.rollback()
    before = db.session.get_one(FeedState, "public").counter

    first = make_booking(workshop.sessions[0].id)
    make_booking(workshop.sessions[0].id, join_waitlist=True)
    cancel_booking(first.id, first.family_id, now=utcnow())  # and the waitlist is seated

    db.session.rollback()
    assert db.session.get_one(FeedState, "public").counter == before
