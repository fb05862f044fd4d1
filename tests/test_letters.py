"""Letters of attendance: only sessions marked attended, honest counts, discreet words,
revocable, checkable by code; every issue, check and revocation audited."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from scheduler.config import from_environment
from scheduler.database import write_transaction
from scheduler.models import AttendanceLetter, AuditEvent
from scheduler.models.bookings import Attendance
from scheduler.services import letters, series
from scheduler.services.booking import cancel_booking
from scheduler.services.errors import DomainError
from scheduler.services.letters import PLACEHOLDER_CODE, Verdict
from scheduler.services.letters.facts import new_code, normalise_code
from scheduler.timetext import moment_text
from tests.support.attendance import mark_booking
from tests.support.letters import FACILITATOR, FAMILY, OTHERS, TITLE, took_place

ATTENDED, LATE, ABSENT = Attendance.ATTENDED, Attendance.LATE, Attendance.ABSENT


@pytest.fixture
def program(make_user, make_workshop, make_booking):
    return took_place(make_user, make_workshop, make_booking)


def audit_trail(db) -> list[tuple[int | None, str, str, str]]:
    db.session.rollback()
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.actor_name, e.action, e.subject) for e in events]


def issue(program, indexes=None, *, wording="discreet", now=None):
    chosen = [program.session_ids[i] for i in (indexes or range(len(program.bookings)))]
    return letters.issue(
        program.family.id, session_ids=chosen, wording=wording, now=now or program.after
    )


def test_a_letter_states_the_sessions_attended_of_those_held_with_the_facilitators_name(
    program, db
):
    letter = issue(program)

    assert (letter.attended, letter.out_of) == (6, 6)
    assert letter.holder_name == FAMILY and letter.staff_name == FACILITATOR
    starts = [b.session.starts_at for b in program.bookings]
    assert letter.sessions == [s.isoformat() for s in starts]
    text = letters.letter_text(letters.LetterFacts.of(letter), code=letter.code)
    assert text.statement == f"{FAMILY} attended 6 of 6 sessions of a program at Hearth."
    assert text.staff == f"Facilitator: {FACILITATOR}"


def test_late_counts_as_attended(make_user, make_workshop, make_booking):
    program = took_place(make_user, make_workshop, make_booking, marks=(ATTENDED, LATE))

    assert issue(program).attended == 2


@pytest.mark.parametrize(
    ("mark", "why"),
    [(ABSENT, "marked absent"), (None, "never marked")],
)
def test_a_session_not_marked_as_attended_is_refused(
    make_user, make_workshop, make_booking, mark, why
):
    program = took_place(make_user, make_workshop, make_booking, marks=(ATTENDED, mark))

    with pytest.raises(DomainError) as refused:
        issue(program)

    assert refused.value.code == "letter_not_attended", why


def test_a_session_only_other_households_attended_is_refused(
    program, make_workshop, make_booking, db
):
    theirs = make_workshop(facilitator=program.workshop.facilitator, title="Theirs").sessions[0]
    mark_booking(make_booking(theirs.id, family=program.others[0]).id, now=theirs.starts_at)

    for chosen in ([theirs.id], [program.session_ids[0], theirs.id], [999_999]):
        with pytest.raises(DomainError) as refused:
            letters.issue(
                program.family.id, session_ids=chosen, wording="discreet", now=program.after
            )
        assert refused.value.code == "letter_not_attended"
    assert db.session.scalar(sa.select(sa.func.count(AttendanceLetter.id))) == 0


def test_a_session_still_to_come_is_refused_even_if_marked(program):
    first = program.bookings[0].session

    with pytest.raises(DomainError) as refused:
        issue(program, [0, 1], now=first.starts_at + timedelta(minutes=10))

    assert refused.value.code == "letter_not_attended"


def test_a_cancelled_booking_or_session_is_refused_even_if_it_carries_a_mark(program, db):
    first, second = program.bookings[0], program.bookings[1]
    day_before = first.session.starts_at - timedelta(days=1)
    cancel_booking(first.id, program.family.id, now=day_before)
    series.cancel_sessions(second.session_id, scope=series.Scope.ONE, now=day_before)

    for index in (0, 1):
        with pytest.raises(DomainError) as refused:
            issue(program, [index])
        assert refused.value.code == "letter_not_attended"


def test_one_letter_covers_one_workshop(program, make_workshop, make_booking):
    elsewhere = make_workshop(title="Another group").sessions[0]
    booking = make_booking(elsewhere.id, family=program.family)
    mark_booking(booking.id, now=elsewhere.starts_at)

    with pytest.raises(DomainError) as refused:
        letters.issue(
            program.family.id,
            session_ids=[program.session_ids[0], elsewhere.id],
            wording="discreet",
            now=program.after,
        )

    assert refused.value.code == "letter_mixed"


def test_nothing_chosen_or_a_wording_not_offered_is_refused(program):
    with pytest.raises(DomainError) as nothing:
        letters.issue(program.family.id, session_ids=[], wording="discreet", now=program.after)
    with pytest.raises(DomainError) as wording:
        issue(program, wording="counseling")  # a workshop letter doesn't offer it

    assert (nothing.value.code, wording.value.code) == ("letter_nothing_chosen", "letter_wording")


def test_out_of_counts_every_session_held_that_took_place_and_nothing_else(
    make_user, make_workshop, make_booking, db
):
    # Attended, attended, absent, never marked, cancelled by the family beforehand,
    # then a session still to come when the letter is issued.
    program = took_place(
        make_user,
        make_workshop,
        make_booking,
        marks=(ATTENDED, ATTENDED, ABSENT, None, None, None),
    )
    fifth, sixth = program.bookings[4], program.bookings[5]
    cancel_booking(fifth.id, program.family.id, now=fifth.session.starts_at - timedelta(days=1))
    before_the_last = sixth.session.starts_at - timedelta(hours=1)

    letter = issue(program, [0, 1], now=before_the_last)

    # Two listed, of the four it held a seat in that took place: the miss and the
    # unmarked session count against it; the cancelled and the future ones don't.
    assert (letter.attended, letter.out_of) == (2, 4)


def test_leaving_out_an_attended_session_lowers_the_count_never_raises_it(program):
    letter = issue(program, [0, 2, 4])

    assert (letter.attended, letter.out_of) == (3, 6)


def test_a_waitlisted_booking_never_counts(make_user, make_workshop, make_booking):
    program = took_place(make_user, make_workshop, make_booking, marks=(ATTENDED,))
    full = make_workshop(facilitator=program.workshop.facilitator, capacity=1, title="Small")
    make_booking(full.sessions[0].id)
    make_booking(full.sessions[0].id, family=program.family, join_waitlist=True)

    assert issue(program).out_of == 1


def test_by_default_the_letter_says_nothing_about_the_service(program):
    letter = issue(program)

    text = " ".join(letters.letter_text(letters.LetterFacts.of(letter), code=letter.code).lines())
    assert letter.wording == "discreet" and letter.title == ""
    assert "sessions of a program at Hearth" in text
    for word in ("Addiction", "recovery", "family education", "counseling", "Counselor"):
        assert word.lower() not in text.lower()


@pytest.mark.parametrize(
    ("wording", "says"),
    [
        ("family_education", "6 of 6 sessions of a family education program at Hearth."),
        ("title", f"6 of 6 sessions of “{TITLE}” at Hearth."),
    ],
)
def test_the_family_may_choose_more_specific_words(program, wording, says):
    letter = issue(program, wording=wording)

    facts = letters.LetterFacts.of(letter)
    assert letters.letter_text(facts).statement == f"{FAMILY} attended {says}"


def test_a_letter_keeps_its_facts_when_the_workshop_and_people_change_later(program, db):
    letter = issue(program, wording="title")
    details = series.WorkshopDetails("Renamed group", "", "Room 9", "", publish=True)
    series.update_details(program.workshop.id, details, now=program.after)

    check = letters.check(letter.code, now=program.after)

    assert check.verdict == Verdict.VALID and check.facts is not None
    assert check.facts.title == TITLE
    assert letters.letter_text(check.facts).statement.endswith(f"“{TITLE}” at Hearth.")


def test_the_preview_is_the_letter_but_for_its_code_and_changes_nothing(program, db):
    before = audit_trail(db), db.session.scalar(sa.select(sa.func.count(AttendanceLetter.id)))
    preview = letters.preview(
        program.family.id, session_ids=program.session_ids, wording="discreet", now=program.after
    )
    after = audit_trail(db), db.session.scalar(sa.select(sa.func.count(AttendanceLetter.id)))

    letter = issue(program)

    issued = letters.letter_text(letters.LetterFacts.of(letter), code=letter.code).lines()
    assert before == after
    assert [line.replace(letter.code, PLACEHOLDER_CODE) for line in issued] == preview.lines()


def test_issuing_is_audited_as_the_family(program, db):
    letter = issue(program)

    assert audit_trail(db)[-1] == (
        program.family.id,
        FAMILY,
        "letter.issue",
        f"letter:{letter.id}",
    )


def test_the_family_revokes_its_letter_once_however_often_it_asks(program, db):
    letter = issue(program)

    letters.revoke(letter.id, program.family.id, now=program.after)
    again = letters.revoke(letter.id, program.family.id, now=program.after + timedelta(days=1))

    assert again.revoked_at == program.after
    revocations = [e for e in audit_trail(db) if e[2] == "letter.revoke"]
    assert revocations == [(program.family.id, FAMILY, "letter.revoke", f"letter:{letter.id}")]
    assert letters.check(letter.code, now=program.after).verdict == Verdict.REVOKED


def test_nobody_else_revokes_or_downloads_a_familys_letter(program, db):
    letter = issue(program)
    other = program.others[0]

    with pytest.raises(DomainError) as revoking:
        letters.revoke(letter.id, other.id, now=program.after)
    with pytest.raises(DomainError) as downloading:
        letters.download(letter.id, other.id)

    assert revoking.value.code == downloading.value.code == "letter_not_found"
    assert db.session.get_one(AttendanceLetter, letter.id).revoked_at is None


def test_a_revoked_letter_cannot_be_downloaded(program):
    letter = issue(program)
    letters.revoke(letter.id, program.family.id, now=program.after)

    with pytest.raises(DomainError) as refused:
        letters.download(letter.id, program.family.id)

    assert refused.value.code == "letter_revoked"


def test_a_check_says_valid_with_the_facts_and_each_look_is_audited_without_an_actor(program, db):
    letter = issue(program)
    typed = letter.code.lower().replace("-", " ").replace("0", "o")

    check = letters.check(typed, now=program.after)

    assert check.verdict == Verdict.VALID and check.code == letter.code
    assert check.facts == letters.LetterFacts.of(letter)
    assert audit_trail(db)[-1] == (None, "", "letter.verify", f"letter:{letter.id}")


@pytest.mark.parametrize("typed", ["", "nonsense", "ZZZZ-ZZZZ-ZZZZ-ZZZ", "U" * 16, "A" * 400])
def test_a_code_no_letter_has_is_not_found_and_nothing_is_written(program, db, typed):
    issue(program)
    before = audit_trail(db)

    check = letters.check(typed, now=program.after)

    assert (check.verdict, check.facts) == (Verdict.NOT_FOUND, None)
    assert audit_trail(db) == before


def test_a_made_up_code_of_the_right_shape_is_not_found(program):
    issue(program)

    assert letters.check(new_code(), now=program.after).verdict == Verdict.NOT_FOUND


def test_a_letter_whose_household_is_gone_checks_as_issued_and_no_longer_available(program, db):
    letter = issue(program)
    with write_transaction() as session:  # as an account's deletion will leave it
        session.get_one(AttendanceLetter, letter.id).family_id = None

    check = letters.check(letter.code, now=program.after)

    assert (check.verdict, check.facts) == (Verdict.UNAVAILABLE, None)


def test_codes_are_random_easy_to_type_and_read_back_however_typed():
    codes = {new_code() for _ in range(2000)}

    assert len(codes) == 2000
    assert all(re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", c) for c in codes)
    assert normalise_code(" 7kq2 m9xd-4htr-wb3p ") == "7KQ2-M9XD-4HTR-WB3P"
    assert normalise_code("OIL0-0000-0000-0000") == "0110-0000-0000-0000"
    assert normalise_code("7KQ2-M9XD-4HTR-WB3") is None


def test_no_letter_names_another_household(program):
    letter = issue(program, wording="title")

    text = " ".join(letters.letter_text(letters.LetterFacts.of(letter), code=letter.code).lines())
    assert FAMILY in text
    assert [name for name in OTHERS if name in text] == []


def test_the_organisation_names_itself_and_may_print_no_notice(program, app):
    app.config.update(ORGANISATION_NAME="Riverside Family Center", LETTER_REDISCLOSURE_NOTICE="")

    letter = issue(program)

    text = letters.letter_text(letters.LetterFacts.of(letter), code=letter.code)
    assert text.organisation == "Riverside Family Center" and text.notice == ""
    assert text.statement.endswith("sessions of a program at Riverside Family Center.")
    assert "42 CFR" not in " ".join(text.lines())


def test_by_default_the_letter_carries_the_part_2_notice(program):
    text = letters.letter_text(letters.LetterFacts.of(issue(program)))

    assert text.notice == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def test_a_spanish_speaking_family_gets_its_letter_in_spanish(
    make_user, make_workshop, make_booking
):
    program = took_place(
        make_user, make_workshop, make_booking, marks=(ATTENDED, ATTENDED), language="es"
    )

    letter = issue(program)

    text = letters.letter_text(letters.LetterFacts.of(letter), code=letter.code)
    assert letter.language == "es"
    assert text.statement == f"{FAMILY} asistió a 2 de 2 sesiones de un programa en Hearth."
    assert text.staff == f"Facilitador: {FACILITATOR}"
    zone = program.workshop.timezone
    assert text.sessions == tuple(
        moment_text(b.session.starts_at, zone, locale="es") for b in program.bookings
    )
    assert "hora" in text.sessions[0] and "dic" in text.sessions[0]  # Spanish words, zone
    assert text.notice.startswith("42 CFR part 2 prohibits")  # the rule's own words first
    assert "(La parte 2 del título 42 del CFR" in text.notice


def test_the_notice_and_organisation_come_from_the_environment_and_empty_means_no_notice():
    none = {"LETTER_REDISCLOSURE_NOTICE": ""}
    named = {"ORGANISATION_NAME": "Riverside"}

    assert (from_environment(none), from_environment(named)) == (none, named)
    assert from_environment({}) == {}
