"""A counselor moves an appointment to another of their times; the family is told and may
decline the new time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
import time_machine
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    AppointmentStatus,
    AuditEvent,
    CounselingSlot,
    MessageKind,
    OutboxStatus,
    Role,
    User,
)
from scheduler.services import counseling
from scheduler.services.counseling import Rules
from scheduler.services.errors import DomainError
from scheduler.services.reminder_times import offsets_for, reminder_time
from scheduler.timetext import moment_text
from scheduler.timeutil import to_local, utcnow
from tests.support.counseling import PLACE, ZONE, appointment, book, slot_after
from tests.support.feeds import private_feed, token_of, vevents
from tests.support.ics_checks import cross_check
from tests.support.mail import SERVICE_WORDS, calendar_part, outbox, received


@pytest.fixture(autouse=True)
def _a_fixed_today():
    """These tests read as of one fixed day, whatever day they run."""
    with time_machine.travel(datetime(2026, 11, 30, 15, 0, tzinfo=UTC), tick=True):
        yield


def emails_to(server, user: User):
    return [m for m in received(server) if m["To"] == user.email]


def text_of(email) -> str:
    """The plain-text part of an email, as a reader sees it."""
    for part in email.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode("utf-8")
    raise AssertionError("no text part")


def invite_event(email) -> tuple[icalendar.Event, str]:
    body, method = calendar_part(email)
    cross_check(body)
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    return event, method


def starts_of(db, appointment_id: int) -> datetime:
    return appointment(db, appointment_id).slot.starts_at


def move_page(appointment_id: int) -> str:
    return f"/manage/counseling/appointments/{appointment_id}/move"


def decline_path(appointment_id: int) -> str:
    return f"/counseling/appointments/{appointment_id}/decline-move"


# --- the family is told --------------------------------------------------------------


def test_counselor_moves_a_confirmed_appointment_and_the_family_is_told_once_with_an_invite(
    mail_to, make_counselor, make_user, db
):
    counselor = make_counselor()
    family = make_user(timezone="Europe/London")
    appointment_id = book(counselor, family)
    sweep_once()
    (confirmation,) = emails_to(mail_to, family)
    confirmed, _ = invite_event(confirmation)

    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())
    sweep_once()
    sweep_once()

    moved = appointment(db, appointment_id)
    assert moved.status == AppointmentStatus.CONFIRMED
    assert emails_to(mail_to, counselor) == []  # they made the change themselves
    _, notice = emails_to(mail_to, family)
    new_time = moment_text(moved.slot.starts_at, "Europe/London")  # the family's own zone
    subject = f"Hearth: new time for your appointment, {new_time}"
    assert notice["Subject"].split() == subject.split()  # folded and unfolded
    assert not SERVICE_WORDS.search(notice["Subject"])
    text = text_of(notice)
    assert f"Dr Rivera has moved your appointment. It is now on {new_time}." in text
    assert "British Time" in text
    assert "If it doesn't, open your bookings" in text
    assert f"http://localhost/bookings#appointment-{appointment_id}" in text
    event, method = invite_event(notice)
    assert method == "REQUEST" and str(event["status"]) == "CONFIRMED"
    assert event["uid"] == confirmed["uid"] and event["sequence"] > confirmed["sequence"]
    assert event.decoded("dtstart") == moved.slot.starts_at


def test_a_request_the_counselor_moves_stays_waiting_and_its_email_has_no_invite(
    mail_to, make_counselor, make_user, db
):
    counselor = make_counselor(approve_first=True)
    family = make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    mail_to.clear()

    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())
    sweep_once()

    assert appointment(db, appointment_id).status == AppointmentStatus.PENDING
    (notice,) = received(mail_to)
    assert notice["To"] == family.email
    assert not any(p.get_content_type() == "text/calendar" for p in notice.walk())


def test_reminders_follow_the_new_time(make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    old_start = starts_of(db, appointment_id)

    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 6), now=utcnow())

    new_start = starts_of(db, appointment_id)
    assert new_start > old_start
    reminders = outbox(db, kind=MessageKind.REMINDER, appointment_id=appointment_id)
    waiting = sorted(r.due_at for r in reminders if r.status == OutboxStatus.PENDING)
    owner = db.session.get_one(User, family.id)
    expected = sorted(reminder_time(new_start, o, owner.timezone) for o in offsets_for(owner))
    assert waiting == expected and len(waiting) == 2
    assert all(r.status == OutboxStatus.CANCELLED for r in reminders if r.due_at < old_start)


def test_the_move_is_in_the_audit_trail_with_who_made_it(make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    admin = make_user(Role.ADMIN, name="Site admin")
    appointment_id = book(counselor, family)

    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())
    counseling.move_by_counselor(appointment_id, admin, slot_after(counselor, 6), now=utcnow())

    db.session.rollback()
    events = db.session.execute(
        select(AuditEvent.actor_id, AuditEvent.action, AuditEvent.subject).order_by(AuditEvent.id)
    ).all()
    subject = f"appointment:{appointment_id}"
    assert [tuple(e) for e in events] == [
        (counselor.id, "act_for.appointment_move", subject),
        (admin.id, "act_for.appointment_move", subject),
    ]


def test_the_familys_and_counselors_feeds_change_etag_and_show_the_new_time(
    client, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    paths = [f"/calendar/feeds/{token_of(db, user)}.ics" for user in (family, counselor)]
    etags = [client.get(path).headers["ETag"] for path in paths]

    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())

    for path, etag in zip(paths, etags, strict=True):
        response = client.get(path, headers={"If-None-Match": etag})
        assert response.status_code == 200 and response.headers["ETag"] != etag
    body = private_feed(client, db, family).get_data()
    cross_check(body)
    (event,) = vevents(body).values()
    assert event.decoded("dtstart") == starts_of(db, appointment_id)


# --- the family answers ----------------------------------------------------------------


def test_a_family_declines_the_new_time_and_the_counselor_is_told(
    client, auth, mail_to, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user(name="Okafor household")
    appointment_id = book(counselor, family)
    new_slot = slot_after(counselor, 5)
    counseling.move_by_counselor(appointment_id, counselor, new_slot, now=utcnow())
    sweep_once()
    mail_to.clear()
    auth.login(family)

    page = client.get("/bookings").get_data(as_text=True)
    assert "Dr Rivera moved this appointment to the time above." in page
    assert "This new time doesn't work for me" in page
    response = client.post(decline_path(appointment_id))

    assert response.status_code == 303 and response.location.endswith("/bookings")
    assert appointment(db, appointment_id).status == AppointmentStatus.CANCELLED
    assert new_slot in [s.slot.id for s in counseling.open_slots(utcnow())]  # free again
    page = client.get("/bookings").get_data(as_text=True)
    assert "Dr Rivera is told the new time doesn&#39;t work for you" in page
    assert "moved this appointment" not in page
    sweep_once()
    (told,) = emails_to(mail_to, counselor)
    assert told["Subject"] == "Hearth: an appointment was cancelled"
    assert "The new time you gave Okafor household doesn't work for them" in text_of(told)
    (cancelled,) = emails_to(mail_to, family)
    assert invite_event(cancelled)[1] == "CANCEL"


def test_the_family_may_decline_inside_the_cutoff_and_the_counselor_may_move_inside_it(
    make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    rules = Rules(open=True, timezone=ZONE, location=PLACE, change_cutoff_hours=24 * 14)
    counseling.save_rules(counselor.id, rules, now=utcnow())
    with pytest.raises(DomainError) as refused:
        counseling.cancel_by_family(appointment_id, family.id, now=utcnow())
    assert refused.value.code == "past_change_cutoff"

    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())
    counseling.decline_move(appointment_id, family.id, now=utcnow())

    assert appointment(db, appointment_id).status == AppointmentStatus.CANCELLED


def test_a_family_that_moves_it_themselves_has_answered(make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())
    assert appointment(db, appointment_id).move_unanswered(utcnow())

    counseling.move(appointment_id, family.id, slot_after(counselor, 6), now=utcnow())

    assert not appointment(db, appointment_id).move_unanswered(utcnow())
    with pytest.raises(DomainError) as refused:
        counseling.decline_move(appointment_id, family.id, now=utcnow())
    assert "no new time waiting for your answer" in refused.value.message
    assert appointment(db, appointment_id).status == AppointmentStatus.CONFIRMED


def test_an_answered_move_sends_no_stale_notice(mail_to, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    sweep_once()
    mail_to.clear()
    counseling.move_by_counselor(appointment_id, counselor, slot_after(counselor, 5), now=utcnow())
    counseling.move(appointment_id, family.id, slot_after(counselor, 6), now=utcnow())

    sweep_once()

    (rescheduled,) = emails_to(mail_to, family)  # their own move's, not "the counselor moved"
    assert "Dr Rivera has moved" not in text_of(rescheduled)
    skipped = outbox(db, kind=MessageKind.COUNSELOR_MOVED)
    assert [row.status for row in skipped] == [OutboxStatus.CANCELLED]


def test_nothing_to_decline_when_the_counselor_never_moved_it_or_it_started(
    client, auth, make_counselor, make_user, db
):
    counselor, family, stranger = make_counselor(), make_user(), make_user()
    kept = book(counselor, family)
    with pytest.raises(DomainError) as refused:
        counseling.decline_move(kept, family.id, now=utcnow())
    assert refused.value.code == "no_move_to_answer"

    counseling.move_by_counselor(kept, counselor, slot_after(counselor, 5), now=utcnow())
    with pytest.raises(DomainError) as refused:
        counseling.decline_move(kept, stranger.id, now=utcnow())
    assert refused.value.code == "appointment_not_found"
    auth.login(stranger)
    assert client.post(decline_path(kept)).status_code == 404
    auth.logout()
    with time_machine.travel(starts_of(db, kept) + timedelta(minutes=5), tick=False):
        with pytest.raises(DomainError) as refused:
            counseling.decline_move(kept, family.id, now=utcnow())
        assert refused.value.code == "no_move_to_answer"
    assert appointment(db, kept).status == AppointmentStatus.CONFIRMED


# --- what the counselor may not do ---------------------------------------------------------


def test_a_taken_slot_is_refused_with_words(client, auth, make_counselor, make_user, db):
    counselor, family, other = make_counselor(), make_user(), make_user()
    appointment_id = book(counselor, family)
    taken = slot_after(counselor, 5)
    counseling.book_slot(taken, other.id, now=utcnow())
    before = appointment(db, appointment_id).slot_id
    auth.login(counselor)

    response = client.post(move_page(appointment_id), data={"slot_id": str(taken)})

    assert response.status_code == 409
    assert "Someone else just booked this time" in response.get_data(as_text=True)
    assert appointment(db, appointment_id).slot_id == before
    assert outbox(db, kind=MessageKind.COUNSELOR_MOVED) == []


def test_a_past_or_blacked_out_slot_is_refused(make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family, 3)
    earlier = slot_after(counselor, 1)  # open a day ago; past by the time it is asked
    later = slot_after(counselor, 8)
    day_off: date = to_local(db.session.get_one(CounselingSlot, later).starts_at, ZONE).date()
    counseling.add_blackout(counselor.id, day_off, now=utcnow())

    with time_machine.travel(utcnow() + timedelta(days=2), tick=False):
        for slot_id in (earlier, later):
            with pytest.raises(DomainError) as refused:
                counseling.move_by_counselor(appointment_id, counselor, slot_id, now=utcnow())
            assert refused.value.code == "slot_unavailable"
            assert "can't be booked any more" in refused.value.message
    assert outbox(db, kind=MessageKind.COUNSELOR_MOVED) == []


def test_a_started_or_cancelled_appointment_cannot_be_moved(make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    started = book(counselor, family, 2)
    cancelled = book(counselor, family, 3)
    counseling.cancel_by_facilitator(cancelled, counselor, now=utcnow())
    target = slot_after(counselor, 6)

    with pytest.raises(DomainError) as refused:
        counseling.move_by_counselor(cancelled, counselor, target, now=utcnow())
    assert refused.value.code == "appointment_over"
    with time_machine.travel(starts_of(db, started) + timedelta(minutes=1), tick=False):
        with pytest.raises(DomainError) as refused:
            counseling.move_by_counselor(started, counselor, target, now=utcnow())
        assert (
            refused.value.message == "This appointment has already started, so it can't be moved."
        )


def test_another_counselor_cannot_move_it(client, auth, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    other = make_counselor(name="Dr Chen")
    appointment_id = book(counselor, family)
    target = slot_after(counselor, 5)

    with pytest.raises(DomainError) as refused:
        counseling.move_by_counselor(appointment_id, other, target, now=utcnow())
    assert refused.value.code == "appointment_not_found"
    auth.login(other)
    assert client.get(move_page(appointment_id)).status_code == 404
    assert client.post(move_page(appointment_id), data={"slot_id": str(target)}).status_code == 404
    with pytest.raises(DomainError) as refused:  # nor into their own time
        counseling.move_by_counselor(appointment_id, counselor, slot_after(other, 5), now=utcnow())
    assert refused.value.code == "slot_unavailable"
    assert appointment(db, appointment_id).sequence == 0


# --- the pages ---------------------------------------------------------------------------


def test_the_counselor_moves_it_from_the_appointment_page(
    client, auth, make_counselor, make_user, db
):
    counselor, family = make_counselor(), make_user()
    appointment_id = book(counselor, family)
    target = slot_after(counselor, 5)
    auth.login(counselor)

    shown = client.get(f"/manage/counseling/appointments/{appointment_id}").get_data(as_text=True)
    assert move_page(appointment_id) in shown
    page = client.get(move_page(appointment_id))
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f'value="{target}"' in text and "Eastern Time" in text
    assert client.post(move_page(appointment_id), data={}).status_code == 422
    response = client.post(move_page(appointment_id), data={"slot_id": str(target)})

    assert response.status_code == 303
    assert response.location.endswith(f"/manage/counseling/appointments/{appointment_id}")
    assert appointment(db, appointment_id).slot_id == target
    shown = client.get(response.location).get_data(as_text=True)
    assert "We emailed the family the new time" in shown


def test_an_admin_moves_anyones_appointment(client, auth, make_counselor, make_user, db):
    counselor, family = make_counselor(), make_user()
    admin = make_user(Role.ADMIN)
    appointment_id = book(counselor, family)
    with write_transaction():
        db.session.get_one(User, admin.id).timezone = "Europe/London"
    auth.login(admin)

    page = client.get(move_page(appointment_id)).get_data(as_text=True)

    assert "for the counselor" in page  # their time beside the admin's own
    target = slot_after(counselor, 5)
    assert client.post(move_page(appointment_id), data={"slot_id": str(target)}).status_code == 303
    assert appointment(db, appointment_id).slot_id == target
