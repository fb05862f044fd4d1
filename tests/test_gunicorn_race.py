"""The last seats, raced for over HTTP through production's server.

The concurrency suites race threads through the services; this one races 40 families'
browsers through gunicorn (two processes of four threads), cookies, CSRF and all, for
the last 5 seats, on each database.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from scheduler.models import Booking, BookingStatus, Role
from tests.support.app import PASSWORD, csrf_token_from
from tests.support.gunicorn import Browser, gunicorn

FAMILIES = 40
SEATS = 5


def test_forty_families_racing_for_the_last_five_seats_get_five(
    app, db, make_user, make_workshop, make_booking, database_url, tmp_path
):
    session = make_workshop(capacity=SEATS + 3).sessions[0]
    for _ in range(3):  # the session is nearly full already
        make_booking(session.id, family=make_user(verified=True))
    families = [make_user(Role.FAMILY, verified=True) for _ in range(FAMILIES)]
    db.session.commit()

    with gunicorn(database_url, tmp_path / "gunicorn.log") as base:
        browsers = [Browser(base) for _ in families]
        tokens = []
        for browser, family in zip(browsers, families, strict=True):
            browser.log_in(family.email, PASSWORD)
            tokens.append(csrf_token_from(browser.get(f"/workshops/{session.workshop_id}").body))
        start = threading.Barrier(FAMILIES)

        def book(n: int) -> int:
            start.wait()
            form = {"csrf_token": tokens[n], "seats": "1"}
            return browsers[n].post(f"/sessions/{session.id}/book", form).status

        with ThreadPoolExecutor(FAMILIES) as pool:
            statuses = list(pool.map(book, range(FAMILIES)))

    assert sorted(statuses) == [303] * SEATS + [409] * (FAMILIES - SEATS)
    db.session.rollback()
    taken = db.session.scalar(
        select(func.sum(Booking.seats)).where(
            Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED
        )
    )
    assert taken == SEATS + 3
    racers = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.session_id == session.id,
            Booking.family_id.in_([f.id for f in families]),
        )
    )
    assert racers == SEATS  # the others were told "full" and left no booking behind
