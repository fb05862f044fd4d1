"""Rosters: who is coming, what they need, the waitlist in order, CSV, and the audit trail."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import time_machine

from scheduler.csvexport import HEADER, RosterLine, roster_csv
from scheduler.models import AuditEvent, Booking, BookingStatus, Role
from scheduler.services.booking import Needs, cancel_booking
from scheduler.services.rosters import first_name, summarise_needs
from scheduler.services.seats import SeatCount, fill_percent
from scheduler.timeutil import utcnow


def test_roster_shows_needs_summary_bookings_and_waitlist_in_order(
    client, auth, make_user, make_workshop, make_booking, db
):
    owner = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=owner, capacity=4).sessions[0]
    make_booking(
        session.id,
        seats=2,
        family=make_user(name="Lee household"),
        needs=Needs(childcare_needed=True, interpreter_language="spanish"),
    )
    make_booking(
        session.id,
        seats=2,
        family=make_user(name="Okafor family"),
        needs=Needs(
            interpreter_language="Spanish", accessibility_needs="Ramp please", notes="Arriving late"
        ),
    )
    make_booking(session.id, seats=1, family=make_user(name="First waiting"), join_waitlist=True)
    make_booking(session.id, seats=2, family=make_user(name="Second waiting"), join_waitlist=True)
    auth.login(owner)

    page = client.get(f"/manage/sessions/{session.id}/roster").get_data(as_text=True)

    assert "<strong>4</strong> of 4 seats taken, by 2 households" in page
    assert "<strong>1</strong> needs childcare" in page
    assert "Spanish (2)" in page  # languages counted case-insensitively
    assert "Ramp please" in page and "Arriving late" in page
    waitlist = page[page.index("Waitlist, in order") :]
    assert waitlist.index("First waiting") < waitlist.index("Second waiting")


def test_every_roster_view_and_export_is_audited(client, auth, make_user, make_workshop, db):
    owner = make_user(Role.FACILITATOR, name="Maya")
    session = make_workshop(facilitator=owner).sessions[0]
    auth.login(owner)
    client.get(f"/manage/sessions/{session.id}/roster")
    client.get(f"/manage/sessions/{session.id}/roster.csv")

    events = db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.actor_name, e.action, e.subject) for e in events] == [
        ("Maya", "roster.view", f"session:{session.id}"),
        ("Maya", "roster.export", f"session:{session.id}"),
    ]


def test_admin_sees_the_audit_log(client, auth, make_user, make_workshop):
    owner = make_user(Role.FACILITATOR, name="Maya")
    session = make_workshop(facilitator=owner).sessions[0]
    auth.login(owner)
    client.get(f"/manage/sessions/{session.id}/roster")
    client.post("/logout")
    auth.login(make_user(Role.ADMIN))
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Maya" in page and "roster.view" in page


def test_roster_csv_has_the_roster_data(client, auth, make_user, make_workshop, make_booking):
    owner = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=owner, capacity=2).sessions[0]
    make_booking(
        session.id,
        seats=2,
        family=make_user(name="Lee household"),
        needs=Needs(childcare_needed=True, interpreter_language="Tagalog"),
    )
    make_booking(session.id, seats=1, family=make_user(name="Waiting family"), join_waitlist=True)
    auth.login(owner)

    response = client.get(f"/manage/sessions/{session.id}/roster.csv")

    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [(r["household"], r["status"], r["seats"], r["waitlist_position"]) for r in rows] == [
        ("Lee household", "confirmed", "2", ""),
        ("Waiting family", "waitlisted", "1", "1"),
    ]
    assert rows[0]["childcare_needed"] == "yes" and rows[0]["interpreter_language"] == "Tagalog"


def test_csv_cells_cannot_smuggle_spreadsheet_formulas():
    line = RosterLine(
        status="confirmed",
        waitlist_position=None,
        household='=HYPERLINK("http://x")',
        email="a@example.org",
        seats=1,
        childcare_needed=False,
        interpreter_language="+1",
        accessibility_needs="@SUM(A1)",
        notes="-2+3",
        booked_at="Tue",
    )
    data = roster_csv([line]).decode("utf-8-sig")
    row = next(csv.DictReader(io.StringIO(data)))
    assert list(row) == list(HEADER)
    assert row["household"].startswith("'=")
    assert row["interpreter_language"] == "'+1"
    assert row["accessibility_needs"] == "'@SUM(A1)"
    assert row["notes"] == "'-2+3"
    assert data.endswith("\r\n")


def test_needs_summary_adds_up_confirmed_households():
    class Row:
        def __init__(self, childcare, language, access):
            self.childcare_needed = childcare
            self.interpreter_language = language
            self.accessibility_needs = access

    summary = summarise_needs(
        [
            Row(True, "ASL", ""),
            Row(True, " asl ", "Wheelchair"),
            Row(False, "", ""),
        ]
    )
    assert summary.childcare_households == 2
    assert summary.interpreter_languages == {"Asl": 2}
    assert summary.accessibility_notes == ["Wheelchair"]


def test_dashboard_lists_own_upcoming_sessions_with_seats_taken(
    client, auth, make_user, make_workshop, make_booking
):
    owner = make_user(Role.FACILITATOR)
    mine = make_workshop(facilitator=owner, capacity=8, weeks=2, title="My series")
    make_workshop(title="Someone else's workshop")
    make_booking(mine.sessions[0].id, seats=3)
    auth.login(owner)

    page = client.get("/manage").get_data(as_text=True)

    assert page.count("My series") == 1  # one block for the workshop, its sessions inside
    assert "3 of 8 seats taken" in page and "0 of 8 seats taken" in page
    # The bar beside the words: 3 of 8 is 38% wide, and hidden from screen readers.
    assert re.search(r'<svg class="seat-bar"[^>]*aria-hidden="true"[^>]*><rect width="38"', page)
    assert '<rect width="0"' in page
    assert "Someone else" not in page


def test_facilitator_promotes_by_hand_inside_the_cutoff(
    client, auth, make_user, make_workshop, make_booking, db
):
    owner = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=owner, capacity=2).sessions[0]
    leaving = make_user()
    booked = make_booking(session.id, seats=1, family=leaving)
    make_booking(session.id, seats=1)
    big = make_booking(session.id, seats=2, join_waitlist=True)
    small = make_booking(session.id, seats=1, join_waitlist=True)

    with time_machine.travel(session.starts_at - timedelta(hours=3), tick=False):
        cancel_booking(booked.id, leaving.id, now=utcnow())
        auth.login(owner)
        roster = client.get(f"/manage/sessions/{session.id}/roster").get_data(as_text=True)
        assert "1 seat free and held for the waitlist" in roster

        refused = client.post(f"/manage/bookings/{big.id}/promote")
        page = client.get(refused.headers["Location"]).get_data(as_text=True)
        assert "needs 2 seats; free right now: 1 seat" in page
        assert client.post(f"/manage/bookings/{small.id}/promote").status_code == 303

    db.session.rollback()
    assert db.session.get_one(Booking, small.id).status == BookingStatus.CONFIRMED
    assert db.session.get_one(Booking, big.id).status == BookingStatus.WAITLISTED


@pytest.mark.parametrize(
    ("household", "shown"),
    [
        ("Lee household", "Lee"),
        ("The Chen family", "Chen"),
        ("the rivera family", "rivera"),
        ("  Sam   Whitfield ", "Sam"),
        ("Okafor, Ngozi", "Okafor"),
        ("The", "The"),
        ("", "Guest"),
    ],
)
def test_a_printed_sheet_shows_a_households_first_word(household, shown):
    assert first_name(household) == shown


def test_roster_prints_as_a_sign_in_sheet_with_first_names_only(
    client, auth, make_user, make_workshop, make_booking
):
    owner = make_user(Role.FACILITATOR)
    session = make_workshop(facilitator=owner, capacity=6, title="Evening group").sessions[0]
    families = [
        make_user(name="Whitfield household", email="sam.whitfield@example.org"),
        make_user(name="The Chen family", email="chen@example.org"),
    ]
    for family in families:
        make_booking(session.id, seats=2, family=family, needs=Needs(notes="Private note"))
    make_booking(
        session.id,
        seats=3,
        family=make_user(name="Novak family", email="novak@example.org"),
        join_waitlist=True,
    )
    auth.login(owner)

    page = client.get(f"/manage/sessions/{session.id}/roster").get_data(as_text=True)

    start = page.index('<section class="print-only sign-in"')
    sheet = page[start : page.index("</section>", start)]
    names = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td></td></tr>", sheet)
    assert names == [("Chen", "2"), ("Whitfield", "2")]  # alphabetical, confirmed only
    assert "Signature" in sheet and "4 of 6 seats booked" in sheet
    for private in ("@example.org", "household", "family", "Private note", "Novak"):
        assert private not in sheet
    screen = page[page.index('<div class="screen-only">') :]
    assert "sam.whitfield@example.org" in screen  # the screen roster keeps the details


@pytest.mark.parametrize(
    ("part", "whole", "percent"),
    [(0, 8, 0), (3, 8, 38), (8, 8, 100), (9, 8, 100), (1, 500, 1), (499, 500, 99), (2, 0, 0)],
)
def test_seat_bars_never_look_empty_or_full_when_they_are_not(part, whole, percent):
    assert fill_percent(part, whole) == percent


def test_the_public_bar_counts_seats_held_for_the_waitlist_as_taken():
    seats = SeatCount(capacity=10, confirmed=7, waitlist=(2,))  # 3 free, 2 held for the waitlist
    assert (seats.open, seats.unavailable, seats.unavailable_percent) == (1, 9, 90)
    assert seats.confirmed_percent == 70
