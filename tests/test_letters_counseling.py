"""Letters of attendance for counseling: appointments with one counselor, marked attended."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scheduler.models import Appointment
from scheduler.models.counseling import AppointmentAttendance
from scheduler.services import letters
from scheduler.services.errors import DomainError
from tests.support.attendance import mark_appointment, mark_booking
from tests.support.counseling import book

ATTENDED, NO_SHOW = AppointmentAttendance.ATTENDED, AppointmentAttendance.NO_SHOW


@pytest.fixture
def visits(make_counselor, make_user, db):
    """Three appointments with Dr Rivera: two attended, one missed; another family came too."""
    counselor = make_counselor(name="Dr Rivera", max_upcoming=5)
    family = make_user(name="Ana Muñoz")
    ids = [book(counselor, family, days=3 + day) for day in range(3)]
    other = book(counselor, make_user(name="Brennan household"), days=3, skip=1)
    appointments = [db.session.get_one(Appointment, i) for i in [*ids, other]]
    for appointment, mark in zip(
        appointments, (ATTENDED, ATTENDED, NO_SHOW, ATTENDED), strict=True
    ):
        mark_appointment(appointment.id, mark, now=appointment.slot.starts_at)
    after = appointments[2].slot.ends_at + timedelta(hours=1)
    return counselor, family, ids, other, after


def test_a_counseling_letter_says_appointments_and_no_more_by_default(visits):
    _, family, ids, _, after = visits

    letter = letters.issue(family.id, appointment_ids=ids[:2], wording="discreet", now=after)

    text = letters.letter_text(letters.LetterFacts.of(letter), code=letter.code)
    assert (letter.kind, letter.attended, letter.out_of) == ("counseling", 2, 3)
    assert text.statement == "Ana Muñoz attended 2 of 3 appointments at Hearth."
    assert text.staff == "Staff member: Dr Rivera"
    assert "counsel" not in " ".join(text.lines()).lower()


def test_a_family_may_say_counseling_appointments(visits):
    _, family, ids, _, after = visits

    letter = letters.issue(family.id, appointment_ids=ids[:2], wording="counseling", now=after)

    text = letters.letter_text(letters.LetterFacts.of(letter))
    assert text.statement == "Ana Muñoz attended 2 of 3 counseling appointments at Hearth."
    assert text.staff == "Counselor: Dr Rivera"


@pytest.mark.parametrize("which", ["missed", "another family's"])
def test_a_missed_or_another_familys_appointment_is_refused(visits, which):
    _, family, ids, other, after = visits
    chosen = ids[2] if which == "missed" else other

    with pytest.raises(DomainError) as refused:
        letters.issue(family.id, appointment_ids=[chosen], wording="discreet", now=after)

    assert refused.value.code == "letter_not_attended"


def test_one_letter_covers_one_counselor_and_never_workshops_too(
    visits, make_counselor, make_workshop, make_booking, db
):
    _, family, ids, _, after = visits
    elsewhere = db.session.get_one(
        Appointment, book(make_counselor(name="Dr Okafor"), family, days=4)
    )
    mark_appointment(elsewhere.id, now=elsewhere.slot.starts_at)
    session = make_workshop().sessions[0]
    mark_booking(make_booking(session.id, family=family).id, now=session.starts_at)
    later = max(after, elsewhere.slot.ends_at, session.ends_at) + timedelta(hours=1)

    with pytest.raises(DomainError) as two_counselors:
        letters.issue(
            family.id, appointment_ids=[ids[0], elsewhere.id], wording="discreet", now=later
        )
    with pytest.raises(DomainError) as with_a_session:
        letters.issue(
            family.id,
            appointment_ids=[ids[0]],
            session_ids=[session.id],
            wording="discreet",
            now=later,
        )

    assert two_counselors.value.code == with_a_session.value.code == "letter_mixed"


def test_the_family_sees_each_counselor_as_one_choice(visits):
    counselor, family, ids, _, after = visits

    (group,) = letters.attended_groups(family.id, now=after)

    assert (group.kind, group.key, group.name, group.out_of) == (
        "counseling",
        counselor.id,
        "Dr Rivera",
        3,
    )
    assert [a.id for a in group.attended] == ids[:2]
