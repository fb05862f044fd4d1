"""A family asks for a letter of attendance from its pages, downloads a real PDF, and
anyone holding it checks it by its link; the family can take it back (issue 17,
acceptance 3: the PDF read back by pypdf, an independent reader)."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from pypdf import PdfReader

from scheduler.extensions import db as _db
from scheduler.logs import redact
from scheduler.models import Appointment, AttendanceLetter, AuditEvent
from scheduler.models.bookings import Attendance
from scheduler.services.letters.facts import new_code
from scheduler.timetext import moment_text
from scheduler.timeutil import to_local
from tests.support.app import AuthActions
from tests.support.attendance import mark_appointment
from tests.support.counseling import book
from tests.support.letters import FACILITATOR, FAMILY, OTHERS, took_place

ATTENDED, ABSENT = Attendance.ATTENDED, Attendance.ABSENT


@pytest.fixture
def program(make_user, make_workshop, make_booking):
    """Six weekly sessions; the family came to five (absent at the fourth)."""
    marks = (ATTENDED, ATTENDED, ATTENDED, ABSENT, ATTENDED, ATTENDED)
    return took_place(make_user, make_workshop, make_booking, marks=marks)


@pytest.fixture
def after(program):
    with time_machine.travel(program.after, tick=False):
        yield program.after


def page(response) -> str:
    return response.get_data(as_text=True)


def squash(text: str) -> str:
    """Text with every run of spaces (line breaks, no-break spaces) as one space."""
    return re.sub(r"\s+", " ", text)


def pdf_text(content: bytes) -> str:
    """Every word the PDF holds, as an independent reader extracts it, on one line."""
    reader = PdfReader(io.BytesIO(content))
    return squash(" ".join(p.extract_text() for p in reader.pages))


def ask_for_letter(client, session_ids: list[int], wording: str = "discreet") -> AttendanceLetter:
    response = client.post(
        "/account/proofs", data={"session_ids": [str(i) for i in session_ids], "wording": wording}
    )
    assert response.status_code == 303, page(response)
    letter_id = int(urlsplit(response.location).fragment.removeprefix("letter-"))
    _db.session.rollback()
    return _db.session.get_one(AttendanceLetter, letter_id)


def test_a_family_gets_a_real_pdf_that_names_it_its_sessions_and_code_and_no_one_else(
    program, after, client, auth, db
):
    auth.login(program.family)
    chosen = [b for i, b in enumerate(program.bookings) if i != 3]  # the five it came to

    assert "Ask for a letter of attendance" in page(client.get("/bookings"))
    choices = page(client.get("/account/proofs"))
    preview = client.get(
        "/account/proofs/preview",
        query_string={"session_ids": [b.session_id for b in chosen], "wording": "discreet"},
    )
    letter = ask_for_letter(client, [b.session_id for b in chosen])
    download = client.get(f"/account/proofs/{letter.id}.pdf")

    assert "5 of 6" in choices
    assert preview.status_code == 200
    assert f"{FAMILY} attended 5 of 6 sessions of a program at Hearth." in page(preview)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    day = to_local(letter.created_at, program.workshop.timezone).date()
    assert download.headers["Content-Disposition"] == f'attachment; filename="letter-{day}.pdf"'
    assert "no-store" in download.headers["Cache-Control"]
    text = pdf_text(download.data)
    assert FAMILY in text and FACILITATOR in text and letter.code in text
    zone = program.workshop.timezone
    for booking in chosen:
        assert squash(moment_text(booking.session.starts_at, zone, locale="en")) in text
    missed = squash(moment_text(program.bookings[3].session.starts_at, zone, locale="en"))
    assert missed not in text
    assert [name for name in OTHERS if name in text] == []
    assert "42 CFR part 2 prohibits unauthorized use or disclosure of these records." in text
    assert f"http://localhost/proof/{letter.code}" in text


def test_the_letters_link_answers_valid_then_revoked_and_a_made_up_code_not_found(
    program, after, app, client, auth
):
    auth.login(program.family)
    letter = ask_for_letter(client, program.session_ids[:2])
    checker = app.test_client()  # whoever the family hands the letter to

    valid = checker.get(f"/proof/{letter.code}")
    client.post(f"/account/proofs/{letter.id}/revoke", data={"confirm": "y"})
    revoked = checker.get(f"/proof/{letter.code}")
    made_up = checker.get(f"/proof/{new_code()}")

    assert valid.status_code == 200
    assert "This letter is valid" in page(valid)
    assert f"{FAMILY} attended 2 of 6 sessions of a program at Hearth." in page(valid)
    assert revoked.status_code == 410 and "This letter was taken back" in page(revoked)
    assert FAMILY not in page(revoked)
    assert made_up.status_code == 404 and "No letter has this code" in page(made_up)
    assert client.get(f"/account/proofs/{letter.id}.pdf").status_code == 410


def test_the_check_page_says_nothing_more_keeps_out_of_search_and_caches(
    program, after, app, client, auth
):
    auth.login(program.family)
    letter = ask_for_letter(client, program.session_ids[:1])

    response = app.test_client().get(f"/proof/{letter.code}")

    html = page(response)
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert "no-store" in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex' in html
    assert re.findall(r'href="(/[^"]*)"', html) == ["/static/hearth.css", "/proof"]
    assert "<nav" not in html and "Log in" not in html


def test_the_check_form_takes_a_code_however_it_is_typed(program, after, app, client, auth):
    auth.login(program.family)
    letter = ask_for_letter(client, program.session_ids[:1])
    checker = app.test_client()
    typed = letter.code.lower().replace("-", " ")

    form = checker.get("/proof")
    found = checker.get("/proof", query_string={"code": typed})
    junk = checker.get("/proof", query_string={"code": "not a code"})

    assert form.status_code == 200 and 'name="code"' in page(form)
    assert found.status_code == 303 and found.location.endswith(f"/proof/{letter.code}")
    assert junk.status_code == 422 and "16 letters and numbers" in page(junk)


def test_checks_are_audited_without_anyone_signed_in_and_worded_on_the_audit_page(
    program, after, app, client, auth, db, make_user
):
    auth.login(program.family)
    letter = ask_for_letter(client, program.session_ids[:1])
    app.test_client().get(f"/proof/{letter.code}")
    auth.logout()
    auth.login(make_user("admin"))

    shown = page(client.get("/admin/audit"))

    db.session.rollback()
    events = db.session.execute(sa.select(AuditEvent.actor_id, AuditEvent.action)).all()
    assert (None, "letter.verify") in events and (program.family.id, "letter.issue") in events
    assert "Checked a letter of attendance by its code" in shown
    assert "Someone not signed in" in shown and "Asked for a letter of attendance" in shown


def test_another_family_can_neither_download_nor_take_back_a_letter(
    program, after, app, client, auth, db
):
    auth.login(program.family)
    letter = ask_for_letter(client, program.session_ids[:1])
    other = app.test_client()
    AuthActions(other).login(program.others[0])

    download = other.get(f"/account/proofs/{letter.id}.pdf")
    revoke = other.post(f"/account/proofs/{letter.id}/revoke", data={"confirm": "y"})
    listed = page(other.get("/account/proofs"))

    assert download.status_code == revoke.status_code == 404
    assert letter.code not in listed and FAMILY not in listed
    db.session.rollback()
    assert db.session.get_one(AttendanceLetter, letter.id).revoked_at is None


def test_asking_for_a_session_it_missed_or_nothing_says_why_and_makes_nothing(
    program, after, client, auth, db
):
    auth.login(program.family)
    missed = program.session_ids[3]

    nothing = client.get("/account/proofs/preview", query_string={"wording": "discreet"})
    absent = client.get("/account/proofs/preview", query_string={"session_ids": missed})
    junk = client.post("/account/proofs", data={"session_ids": "abc"})
    refused = client.post("/account/proofs", data={"session_ids": missed})

    assert nothing.status_code == 422 and "Tick at least one session" in page(nothing)
    assert absent.status_code == 409 and "marked as attending" in page(absent)
    assert junk.status_code == 422 and "Choose sessions from the list" in page(junk)
    assert refused.status_code == 409
    assert db.session.scalar(sa.select(sa.func.count(AttendanceLetter.id))) == 0


def test_taking_a_letter_back_asks_first(program, after, client, auth, db):
    auth.login(program.family)
    letter = ask_for_letter(client, program.session_ids[:1])

    unticked = client.post(f"/account/proofs/{letter.id}/revoke", data={})

    assert unticked.status_code == 422 and "Tick the box" in page(unticked)
    db.session.rollback()
    assert db.session.get_one(AttendanceLetter, letter.id).revoked_at is None


def test_a_spanish_letter_prints_accented_names_and_spanish_words(
    make_user, make_workshop, make_booking, client, auth
):
    program = took_place(
        make_user, make_workshop, make_booking, marks=(ATTENDED, ATTENDED), language="es"
    )
    with time_machine.travel(program.after, tick=False):
        auth.login(program.family)
        letter = ask_for_letter(client, program.session_ids)
        text = pdf_text(client.get(f"/account/proofs/{letter.id}.pdf").data)

    assert f"{FAMILY} asistió a 2 de 2 sesiones de un programa en Hearth." in text
    first = program.bookings[0].session.starts_at
    assert squash(moment_text(first, program.workshop.timezone, locale="es")) in text
    assert "Código de verificación" in text


def test_checking_letters_is_rate_limited(program, make_app, after):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PROOF_CHECKS="3 per minute")
    checker = limited.test_client()
    code = new_code()

    answers = [checker.get(f"/proof/{code}").status_code for _ in range(4)]

    assert answers == [404, 404, 404, 429]


def test_asking_for_letters_is_rate_limited(program, make_app, after):
    limited = make_app(RATELIMIT_ENABLED=True, RATELIMIT_PROOF_LETTERS="2 per hour")
    client = limited.test_client()
    AuthActions(client).login(program.family)
    data = {"session_ids": str(program.session_ids[0]), "wording": "discreet"}

    answers = [client.post("/account/proofs", data=data).status_code for _ in range(3)]

    assert answers == [303, 303, 429]


def test_a_letter_a_minute_before_the_last_session_counts_only_what_took_place(
    program, client, auth
):
    last = program.bookings[-1].session
    with time_machine.travel(last.starts_at - timedelta(minutes=1), tick=False):
        auth.login(program.family)
        letter = ask_for_letter(client, program.session_ids[:2])

    assert (letter.attended, letter.out_of) == (2, 5)


def test_a_code_never_reaches_a_log_in_its_link_or_typed_into_the_form():
    lines = [
        '127.0.0.1 - - "GET /proof/7KQ2-M9XD-4HTR-WB3P HTTP/1.1" 200 -',
        '127.0.0.1 - - "GET /proof?code=7kq2+m9xd+4htr+wb3p HTTP/1.1" 303 -',
    ]

    assert [("7KQ2" in redact(line).upper(), "[token]" in redact(line)) for line in lines] == [
        (False, True),
        (False, True),
    ]
    assert redact('"GET /proof HTTP/1.1" 200') == '"GET /proof HTTP/1.1" 200'


def test_the_page_offers_a_letter_per_workshop_and_per_counselor_each_with_its_words(
    program, make_counselor, client, auth, db
):
    counselor = make_counselor(name="Dr Rivera")
    appointment = db.session.get_one(Appointment, book(counselor, program.family, days=3))
    mark_appointment(appointment.id, now=appointment.slot.starts_at)
    with time_machine.travel(program.after, tick=False):
        auth.login(program.family)
        html = page(client.get("/account/proofs"))
        preview = client.get(
            "/account/proofs/preview",
            query_string={"appointment_ids": appointment.id, "wording": "counseling"},
        )

    assert "Appointments with Dr Rivera" in html and "“Counseling appointments”" in html
    assert html.count("“Sessions of a family education program”") == 1
    assert f"{FAMILY} attended 1 of 1 counseling appointment at Hearth." in page(preview)
    assert "Counselor: Dr Rivera" in page(preview)
