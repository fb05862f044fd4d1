"""No family can take every time or every seat, and requests don't wait forever.

Found by a probe: a new, unconfirmed family booked all 58 open counseling slots of both
demo counselors in one second (21 confirmed, 37 waiting for approval, 37 emails to the
counselor), and /counseling then showed nothing. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.jobs import sweep_once
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    MessageKind,
    OutboxMessage,
    Role,
    User,
)
from scheduler.services import counseling
from scheduler.services.booking import Needs, book_seats, enroll_series
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from tests.support import races
from tests.support.app import PASSWORD
from tests.support.counseling import slot_after
from tests.support.mail import received


def _try_every_open_slot(family_id: int) -> list[str]:
    """What the probe did: ask for every open time, soonest first."""
    answers = []
    for found in counseling.open_slots(utcnow()):
        try:
            counseling.book_slot(found.slot.id, family_id, now=utcnow())
        except DomainError as error:
            answers.append(error.code)
        else:
            answers.append("booked")
    return answers


def _outbox(kind: str, recipient_id: int | None = None) -> int | None:
    query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
    if recipient_id is not None:
        query = query.where(OutboxMessage.recipient_id == recipient_id)
    return db.session.scalar(query)


def test_one_family_cannot_take_every_counseling_time(
    client,
    make_counselor,
    make_user,
):
    confirms = make_counselor(name="Dr Rivera")
    approves = make_counselor(name="Dr Chen", approve_first=True)
    greedy, other = make_user(), make_user()
    open_before = len(counseling.open_slots(utcnow()))
    assert open_before > 40

    answers = _try_every_open_slot(greedy.id)

    # Two upcoming with the counselor who confirms at once; one request waiting with
    # the one who approves first; every other try said no, plainly.
    assert answers.count("booked") == 3
    assert set(answers) == {"booked", "appointment_limit", "request_limit"}
    assert _outbox(MessageKind.APPROVAL_NEEDED, approves.id) == 1
    held = db.session.scalars(select(Appointment).where(Appointment.family_id == greedy.id)).all()
    assert sorted((a.facilitator_id, a.status) for a in held) == sorted(
        [
            (confirms.id, AppointmentStatus.CONFIRMED),
            (confirms.id, AppointmentStatus.CONFIRMED),
            (approves.id, AppointmentStatus.PENDING),
        ]
    )
    # Everyone else still finds times to book.
    assert len(counseling.open_slots(utcnow())) == open_before - 3
    client.post("/login", data={"email": other.email, "password": PASSWORD})
    assert 'class="slot"' in client.get("/counseling").get_data(as_text=True)


def test_the_limit_is_said_plainly_on_the_page(
    client,
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(name="Dr Rivera"), make_user()
    client.post("/login", data={"email": family.email, "password": PASSWORD})
    for skip in range(2):
        booked = client.post(f"/counseling/slots/{slot_after(counselor, skip=skip)}/book")
        assert booked.status_code == 303
    refused = client.post(f"/counseling/slots/{slot_after(counselor, skip=2)}/book")
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    assert "You already hold as many upcoming appointments with Dr Rivera" in page
    assert "(2)" in page


def test_each_counselor_sets_their_own_limits(
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(max_upcoming=4), make_user()
    answers = []
    for skip in range(5):
        try:
            counseling.book_slot(slot_after(counselor, skip=skip), family.id, now=utcnow())
            answers.append("booked")
        except DomainError as error:
            answers.append(error.code)
    assert answers == ["booked"] * 4 + ["appointment_limit"]


def test_a_past_appointment_no_longer_counts(
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(), make_user()
    for skip in range(2):
        counseling.book_slot(slot_after(counselor, 3, skip=skip), family.id, now=utcnow())
    later = slot_after(counselor, 6)
    with pytest.raises(DomainError, match="as many upcoming"):
        counseling.book_slot(later, family.id, now=utcnow())
    # Once both are over, the family books again.
    after_them = utcnow() + timedelta(days=5)
    assert counseling.book_slot(later, family.id, now=after_them).status == "confirmed"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_upcoming_per_family", "0", "from 1 to 20"),
        ("max_requests_per_family", "11", "from 1 to 10"),
        ("request_expiry_hours", "2", "from 12 to 336"),
    ],
)
def test_a_counselor_gets_a_plain_message_for_a_limit_out_of_range(
    client, make_user, field, value, message
):
    counselor = make_user(Role.FACILITATOR)
    client.post("/login", data={"email": counselor.email, "password": PASSWORD})
    form = {"open": "y", "timezone": "America/New_York", "kind": "family", "mode": "in_person"}
    form |= {"slot_minutes": "50", "buffer_minutes": "10", "min_notice_hours": "24"}
    form |= {"horizon_days": "28", "change_cutoff_hours": "24", field: value}
    response = client.post("/manage/counseling", data=form)
    assert response.status_code == 422
    assert f"Enter a whole number {message}" in response.get_data(as_text=True)
    assert counseling.settings_for(counselor.id) is None  # nothing saved


# --- requests that wait too long ------------------------------------------------------


def test_a_request_not_answered_in_time_expires_and_the_family_is_told(
    mail_to,
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(name="Dr Chen", approve_first=True), make_user()
    booked_at = utcnow()
    slot_id = slot_after(counselor, 5)
    request = counseling.book_slot(slot_id, family.id, now=booked_at)

    assert counseling.expire_requests(booked_at + timedelta(hours=71)) == 0
    assert counseling.expire_requests(booked_at + timedelta(hours=73)) == 1
    assert counseling.expire_requests(booked_at + timedelta(hours=74)) == 0  # once

    db.session.rollback()
    expired = db.session.get(Appointment, request.id)
    assert expired.status == AppointmentStatus.DECLINED
    assert counseling.open_slot(slot_id, booked_at + timedelta(hours=73)) is not None
    with time_machine.travel(booked_at + timedelta(hours=74), tick=False):
        sweep_once()
    told = [m for m in received(mail_to) if m["To"] == family.email]
    assert told[-1]["Subject"].startswith("Hearth: ") and "is not available" in told[-1]["Subject"]
    body = told[-1].get_body(("plain",)).get_content()
    assert "Dr Chen couldn't answer your request" in body
    assert "the time is free again" in body


def test_each_counselor_chooses_how_long_requests_wait(
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(approve_first=True), make_user()
    settings = counseling.settings_for(counselor.id)
    rules = counseling.Rules(
        **{f.name: getattr(settings, f.name) for f in fields(counseling.Rules)}
    )
    counseling.save_rules(counselor.id, replace(rules, request_expiry_hours=24), now=utcnow())
    booked_at = utcnow()
    counseling.book_slot(slot_after(counselor, 5), family.id, now=booked_at)
    assert counseling.expire_requests(booked_at + timedelta(hours=23)) == 0
    assert counseling.expire_requests(booked_at + timedelta(hours=25)) == 1


def test_an_approved_request_never_expires(
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(approve_first=True), make_user()
    booked_at = utcnow()
    request = counseling.book_slot(slot_after(counselor, 5), family.id, now=booked_at)
    counseling.approve(request.id, counselor, now=booked_at + timedelta(hours=1))
    assert counseling.expire_requests(booked_at + timedelta(days=30)) == 0


# --- one family booking many at once ---------------------------------------------------


def test_many_bookings_sent_at_once_by_one_family_stop_at_the_limit(
    app,
    make_counselor,
    make_user,
):
    counselor, family = make_counselor(), make_user()
    slot_ids = [slot_after(counselor, skip=n) for n in range(12)]
    now = utcnow()

    def job(slot_id: int) -> Callable[[], str]:
        def book() -> str:
            try:
                counseling.book_slot(slot_id, family.id, now=now)
            except DomainError as error:
                return error.code
            return "booked"

        return book

    outcomes = races.race(app, [job(s) for s in slot_ids], lambda told: told)

    assert outcomes.count("booked") == 2, outcomes
    assert set(outcomes) == {"booked", "appointment_limit"}


# --- workshop seats before the address is confirmed --------------------------------------


def test_an_unconfirmed_household_holds_a_bounded_number_of_seats(
    app, make_user, make_workshop, db
):
    limit = app.config["UNVERIFIED_SEAT_LIMIT"]
    family = make_user()
    series = make_workshop(weeks=8, capacity=10)
    single = make_workshop(capacity=10)
    now = utcnow()

    booked = enroll_series(series.id, family.id, 1, Needs(), now=now)  # 8 seats
    assert len(booked) == 8
    book_seats(single.sessions[0].id, family.id, limit - 8, Needs(), now=now)
    other = make_workshop(capacity=10)
    with pytest.raises(DomainError) as refused:
        book_seats(other.sessions[0].id, family.id, 1, Needs(), now=now)
    assert refused.value.code == "unverified_seat_limit"
    assert f"up to {limit} seats" in refused.value.message
    assert "confirm your email address" in refused.value.message

    # Confirming the address lifts it.
    with write_transaction() as session:
        session.get_one(User, family.id).email_verified_at = now
    assert book_seats(other.sessions[0].id, family.id, 1, Needs(), now=now).seats == 1


def test_a_series_that_would_pass_the_limit_is_refused_whole(make_user, make_workshop, db):
    family = make_user()
    series = make_workshop(weeks=7, capacity=10)
    with pytest.raises(DomainError, match="up to 12 seats"):
        enroll_series(series.id, family.id, 2, Needs(), now=utcnow())  # 14 seats
    assert not db.session.scalars(select(Booking).where(Booking.family_id == family.id)).all()


def test_the_seat_limit_is_said_plainly_on_the_booking_page(client, make_user, make_workshop):
    family = make_user()
    workshop = make_workshop(weeks=3, capacity=10)
    client.post("/login", data={"email": family.email, "password": PASSWORD})
    for session in workshop.sessions[:2]:
        assert client.post(f"/sessions/{session.id}/book", data={"seats": 6}).status_code == 303
    refused = client.post(f"/sessions/{workshop.sessions[2].id}/book", data={"seats": 1})
    assert refused.status_code in (409, 422)
    assert "Until you confirm your email address" in refused.get_data(as_text=True)
