"""Attendance on the facilitator's dashboard and a workshop's page: the totals in words, a
small server-drawn chart with an accessible name, the same numbers in a table, and the
households that missed their last two sessions, linked to their records.

The term is booked on Thursday 1 October 2026 and read on Wednesday 21 October, after
three of its four Tuesday sessions.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from scheduler.models import Role, User, Workshop
from scheduler.services import accounts
from tests.support.attendance import mark_appointment, mark_booking
from tests.support.counseling import book

BOOKED_ON = datetime(2026, 10, 1, 16, 0, tzinfo=UTC)
READ_ON = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
THREE_DAYS_ON = datetime(2026, 10, 4, 16, 0, tzinfo=UTC)
FIRST = datetime(2026, 10, 6, 18, 0)


@pytest.fixture
def maya(make_user) -> User:
    return make_user(Role.FACILITATOR, name="Maya Okafor")


@pytest.fixture
def families(make_user) -> dict[str, User]:
    return {name: make_user(name=f"The {name} family") for name in ("Chen", "Lee", "Diaz")}


@pytest.fixture
def term(maya, families, make_workshop, make_booking) -> Workshop:
    """Four Tuesdays; three held and checked in: 14 seats booked, 11 attended, the Lee
    family absent from the second and the third."""
    with time_machine.travel(BOOKED_ON, tick=False):
        workshop = make_workshop(
            facilitator=maya, capacity=10, weeks=4, start=FIRST, title="Family circle"
        )
        first, second, third, _ = (s.id for s in workshop.sessions)
        marks = [
            (first, "Chen", 3, "attended"),
            (first, "Lee", 2, "late"),
            (second, "Chen", 3, "attended"),
            (second, "Lee", 2, "absent"),
            (third, "Lee", 1, "absent"),
            (third, "Diaz", 3, "attended"),
        ]
        for session_id, name, seats, mark in marks:
            booking = make_booking(session_id, family=families[name], seats=seats)
            mark_booking(booking.id, mark)
    return workshop


def page(client, auth, user: User, path: str = "/manage", on: datetime = READ_ON) -> str:
    with time_machine.travel(on, tick=False):
        auth.login(user)
        response = client.get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def block_of(html: str, workshop: Workshop) -> str:
    start = html.index(f'id="attendance-{workshop.id}"')
    return html[start : html.index("</section>", start)]


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_dashboard_gives_a_workshops_attendance_in_words(client, auth, maya, term):
    block = block_of(page(client, auth, maya), term)

    words = text(block)
    assert "Attendance so far" in words
    assert "3 sessions held" in words and "not checked in" not in words
    assert "14 seats booked" in words and "11 seats attended" in words
    assert "Show rate: 79%" in words


def test_each_session_has_its_numbers_in_a_table_linked_to_its_roster(client, auth, maya, term):
    block = block_of(page(client, auth, maya), term)

    body = block[block.index("<tbody>") :]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    assert [text(row) for row in rows] == [
        "Tue, Oct 6 5 5 100%",
        "Tue, Oct 13 5 3 60%",
        "Tue, Oct 20 4 3 75%",
    ]
    first = term.sessions[0].id
    assert f'<a href="/manage/sessions/{first}/roster">Tue, Oct 6</a>' in block
    assert '<td data-label="Seats attended">3</td>' in block


def test_the_chart_is_an_svg_image_with_a_name_and_a_pair_of_bars_per_session(
    client, auth, maya, term
):
    block = block_of(page(client, auth, maya), term)

    (svg,) = re.findall(r"<svg [^>]*>.*?</svg>", block, flags=re.S)
    chart_id = f"attendance-{term.id}-chart"
    assert 'role="img"' in svg and f'aria-labelledby="{chart_id}"' in svg
    assert (
        f'<title id="{chart_id}">Seats booked and attended at the last 3 sessions '
        "of Family circle</title>"
    ) in svg
    assert len(re.findall(r'<rect class="bar-booked"', svg)) == 3
    assert len(re.findall(r'<rect class="bar-attended"', svg)) == 3
    heights = [float(h) for h in re.findall(r'class="bar-booked"[^>]*height="([\d.]+)"', svg)]
    assert heights == [90.0, 90.0, 72.0]  # 5, 5 and 4 seats, the tallest the full height
    days = re.findall(r'<text class="bar-day"[^>]*>([^<]+)</text>', svg)
    assert days == ["Oct 6", "Oct 13", "Oct 20"]
    assert "Seats booked" in text(block[block.index("<figcaption") :])


def test_a_session_not_checked_in_is_drawn_apart_and_never_counted_as_a_no_show(
    client, auth, maya, term, make_booking
):
    with time_machine.travel(BOOKED_ON, tick=False):
        make_booking(term.sessions[3].id, seats=6)
    fourth_under_way = datetime(2026, 10, 27, 22, 30, tzinfo=UTC)  # began at 6 p.m. in New York

    block = block_of(page(client, auth, maya, on=fourth_under_way), term)

    words = text(block)
    assert "4 sessions held, 1 not checked in yet" in words
    assert "20 seats booked" in words and "11 seats attended" in words
    assert "Show rate: 79% (11 of 14 seats, in the 3 sessions checked in)" in words
    assert 'class="bar-booked is-unmarked"' in block
    assert "Tue, Oct 27 6 Not checked in yet not known" in words
    assert "Not checked in yet" in text(block[block.index("<figcaption") :])


def test_households_that_missed_two_in_a_row_link_to_their_record(
    client, auth, maya, families, term
):
    block = block_of(page(client, auth, maya), term)

    lee = families["Lee"]
    assert "1 household missed their last two sessions:" in text(block)
    assert f'<a href="/manage/households/{lee.id}">The Lee family</a>' in block
    assert "The Chen family" not in block and "The Diaz family" not in block
    with time_machine.travel(READ_ON, tick=False):
        assert client.get(f"/manage/households/{lee.id}").status_code == 200


def test_before_any_session_is_held_the_dashboard_shows_no_attendance(
    client, auth, maya, make_workshop
):
    with time_machine.travel(BOOKED_ON, tick=False):
        make_workshop(facilitator=maya, start=FIRST)

    assert "Attendance so far" not in page(client, auth, maya)


def test_before_any_check_in_the_show_rate_waits_for_one(
    client, auth, maya, make_workshop, make_booking
):
    with time_machine.travel(BOOKED_ON, tick=False):
        workshop = make_workshop(facilitator=maya, weeks=4, start=FIRST)
        make_booking(workshop.sessions[0].id, seats=2)

    words = text(block_of(page(client, auth, maya), workshop))

    assert "3 sessions held, 1 not checked in yet" in words  # the others had nobody booked
    assert "Show rate: not known until a session is checked in." in words


def test_the_workshop_page_keeps_a_finished_terms_attendance(client, auth, maya, term):
    """The dashboard lists workshops with sessions to come; a finished term is on its page."""
    term_over = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    html = page(client, auth, maya, f"/manage/workshops/{term.id}", on=term_over)

    heading = f'<h2 id="attendance-{term.id}" class="attendance-heading">Attendance so far</h2>'
    assert heading in html
    words = text(block_of(html, term))
    assert "4 sessions held" in words and "not checked in" not in words  # nobody booked the 4th
    assert "Show rate: 79%" in words and "Tue, Oct 27 0 0 nobody booked" in words
    assert "Attendance so far" not in page(client, auth, maya, on=term_over)


def test_others_workshops_attendance_is_not_shown_but_an_admin_sees_it(
    client, auth, maya, term, make_user
):
    other = make_user(Role.FACILITATOR)
    assert "Attendance so far" not in page(client, auth, other)
    client.post("/logout")
    admin_page = page(client, auth, make_user(Role.ADMIN))
    assert "Show rate: 79%" in text(block_of(admin_page, term))


def test_attendance_reads_in_spanish(client, auth, maya, term):
    accounts.set_language(maya.id, "es")

    words = text(block_of(page(client, auth, maya), term))

    assert "Asistencia hasta ahora" in words
    assert "3 sesiones realizadas" in words and "14 lugares reservados" in words
    assert "Tasa de asistencia: 79 %" in words
    assert "1 familia faltó a sus dos últimas sesiones:" in words
    assert "mar, 6 oct 5 5 100 %" in words


def test_a_counselors_page_counts_their_past_appointments_by_mark(
    client, auth, make_counselor, make_user
):
    with time_machine.travel(BOOKED_ON, tick=False):
        counselor = make_counselor()
        came, missed, _unmarked = (book(counselor, make_user(), days=1) for _ in range(3))
        mark_appointment(came, "attended", by=counselor)
        mark_appointment(missed, "no_show", by=counselor)

    words = text(page(client, auth, counselor, "/manage/counseling", on=THREE_DAYS_ON))

    assert "Your appointments so far Attended: 1 Did not come: 1 Not marked yet: 1" in words


def test_a_counselor_with_no_past_appointments_sees_no_counts(client, auth, make_counselor):
    with time_machine.travel(BOOKED_ON, tick=False):
        counselor = make_counselor()

    assert "so far" not in page(client, auth, counselor, "/manage/counseling", on=THREE_DAYS_ON)
