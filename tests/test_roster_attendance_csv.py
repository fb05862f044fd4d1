"""The roster CSV after a session: each household's mark in words, the seats that came,
whether it walked in, and whether the facilitator let it in over capacity.

The session is booked on Thursday 1 October 2026 and exported the next week.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from scheduler.csvexport import HEADER, RosterLine, roster_csv
from scheduler.models import Role, User, WorkshopSession
from scheduler.services import accounts
from tests.support.attendance import mark_booking

BOOKED_ON = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
EXPORTED_ON = datetime(2026, 10, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def maya(make_user) -> User:
    return make_user(Role.FACILITATOR, name="Maya Okafor")


@pytest.fixture
def session(maya, make_user, make_workshop, make_booking) -> WorkshopSession:
    """Tuesday 6 October: three households marked, one walked in over capacity, one waiting."""
    with time_machine.travel(BOOKED_ON, tick=False):
        session = make_workshop(
            facilitator=maya, capacity=6, start=datetime(2026, 10, 6, 18, 0)
        ).sessions[0]
        marks = [("Chen", 3, "attended", 2), ("Lee", 1, "late", None), ("Diaz", 1, "absent", None)]
        for name, seats, mark, came in marks:
            booking = make_booking(
                session.id, family=make_user(name=f"The {name} family"), seats=seats
            )
            mark_booking(booking.id, mark, seats=came)
        walked_in = make_booking(session.id, family=make_user(name="The Park family"))
        mark_booking(walked_in.id, "attended", walk_in=True, over_capacity=True)
        make_booking(
            session.id, family=make_user(name="The Novak family"), seats=2, join_waitlist=True
        )
    return session


def exported(client, auth, user: User, session: WorkshopSession) -> list[dict[str, str]]:
    with time_machine.travel(EXPORTED_ON, tick=False):
        auth.login(user)
        response = client.get(f"/manage/sessions/{session.id}/roster.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def test_the_roster_csv_has_each_households_mark_and_the_seats_that_came(
    client, auth, maya, session
):
    rows = exported(client, auth, maya, session)

    columns = ("household", "seats", "attendance", "attended_seats", "walk_in", "over_capacity")
    assert [tuple(row[c] for c in columns) for row in rows] == [
        ("The Chen family", "3", "attended", "2", "no", "no"),
        ("The Lee family", "1", "late", "1", "no", "no"),
        ("The Diaz family", "1", "absent", "", "no", "no"),
        ("The Park family", "1", "attended", "1", "yes", "yes"),
        ("The Novak family", "2", "", "", "no", "no"),  # waiting: never at the door
    ]
    assert list(rows[0]) == list(HEADER)
    assert list(HEADER)[-4:] == ["attendance", "attended_seats", "walk_in", "over_capacity"]


def test_before_check_in_the_attendance_cells_are_empty(
    client, auth, maya, make_workshop, make_booking
):
    with time_machine.travel(BOOKED_ON, tick=False):
        session = make_workshop(facilitator=maya, start=datetime(2026, 10, 6, 18, 0)).sessions[0]
        make_booking(session.id, seats=2)

    (row,) = exported(client, auth, maya, session)

    assert (row["attendance"], row["attended_seats"], row["walk_in"]) == ("", "", "no")


def test_the_marks_and_their_titles_are_in_the_readers_language(client, auth, maya, session):
    accounts.set_language(maya.id, "es")

    rows = exported(client, auth, maya, session)

    titles = ["asistencia", "lugares presentes", "llegó sin reserva", "por encima del cupo"]
    assert list(rows[0])[-4:] == titles
    marks = [row["asistencia"] for row in rows]
    assert marks == ["asistió", "llegó tarde", "no asistió", "asistió", ""]
    assert rows[3]["llegó sin reserva"] == rows[3]["por encima del cupo"] == "sí"


def test_attendance_cells_cannot_smuggle_spreadsheet_formulas():
    line = RosterLine(
        status="confirmed",
        waitlist_position=None,
        household="Lee",
        email="",
        seats=1,
        childcare_needed=False,
        interpreter_language="",
        accessibility_needs="",
        notes="",
        booked_at="Tue",
        attendance="=cmd|' /C calc'!A0",
        attended_seats=1,
    )

    row = next(csv.DictReader(io.StringIO(roster_csv([line]).decode("utf-8-sig"))))

    assert row["attendance"] == "'=cmd|' /C calc'!A0"
    assert (row["attended_seats"], row["walk_in"], row["over_capacity"]) == ("1", "no", "no")


def test_a_marked_household_whose_name_is_a_formula_stays_text(
    client, auth, maya, make_user, make_workshop, make_booking
):
    with time_machine.travel(BOOKED_ON, tick=False):
        session = make_workshop(facilitator=maya, start=datetime(2026, 10, 6, 18, 0)).sessions[0]
        family = make_user(name='=HYPERLINK("http://example.org","Lee")')
        mark_booking(make_booking(session.id, family=family).id, "attended")

    (row,) = exported(client, auth, maya, session)

    assert row["household"] == '\'=HYPERLINK("http://example.org","Lee")'
    assert (row["attendance"], row["attended_seats"]) == ("attended", "1")
