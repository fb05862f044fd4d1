"""Staff act for a household that phones or walks in: the same seats and waitlist as
self-service, nothing mailed to a household without email, a record it can claim later,
needs changed without losing the seat, and every act in the audit log with its author."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select, text

from scheduler.database import write_transaction
from scheduler.jobs import sweep_once
from scheduler.models import (
    AuditEvent,
    Booking,
    BookingStatus,
    EmailLink,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
    WorkshopSession,
)
from scheduler.services import accounts, email_links, households, needs, series
from scheduler.services.booking import Needs, book_seats, cancel_booking, enroll_series
from scheduler.services.errors import DomainError
from scheduler.services.households import Contact
from scheduler.services.seats import SeatCount, seat_count
from scheduler.services.series import Scope
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow, wall_time
from tests.support import races
from tests.support.mail import SERVICE_WORDS, outbox, received

PHONE = "(555) 010-0427"
NEW = "kettle river orange stone"


@pytest.fixture
def staff(make_user) -> User:
    return make_user(Role.FACILITATOR, name="Rosa, front desk")


@pytest.fixture
def book_by_phone(staff):
    """Staff record a new household (no email unless given) and book it."""

    def book(session_id: int, name: str = "Garcia household", *, seats: int = 1, **kwargs):
        phone, email = kwargs.pop("phone", PHONE), kwargs.pop("email", "")
        return households.book_for_new_household(
            session_id,
            Contact(name=name, phone=phone, email=email),
            seats,
            kwargs.pop("needs", Needs()),
            acting=staff,
            now=utcnow(),
            **kwargs,
        )

    return book


def reload(db, model, record_id: int):
    db.session.rollback()
    return db.session.get_one(model, record_id)


def audit_trail(db) -> list[tuple[int | None, str, str]]:
    db.session.rollback()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.actor_id, e.action, e.subject) for e in events]


def text_of(email) -> str:
    return email.get_body(("plain",)).get_content()


def rows_for(db, recipient_id: int) -> list[OutboxMessage]:
    return outbox(db, recipient_id=recipient_id)


# --- the same seats and waitlist as self-service -----------------------------------


def test_a_household_without_email_booked_by_staff_fills_the_same_seats(
    make_workshop, make_booking, make_user, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=3).sessions[0]
    make_booking(session.id, seats=1)

    done = book_by_phone(session.id, seats=2)

    assert done.booking.status == BookingStatus.CONFIRMED and not done.existing
    household = reload(db, User, done.household.id)
    assert (household.email, household.phone, household.is_household_record) == (None, PHONE, True)
    assert household.created_by_id == staff.id and household.is_family
    assert seat_count(reload(db, Booking, done.booking.id).session) == SeatCount(3, confirmed=3)
    with pytest.raises(DomainError) as full:
        make_booking(session.id, family=make_user())
    assert full.value.code == "full"


def test_staff_and_families_join_one_waitlist_in_the_order_they_asked(
    make_workshop, make_booking, make_user, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=1).sessions[0]
    holder = make_user()
    seat = make_booking(session.id, family=holder)
    first = make_booking(session.id, join_waitlist=True)
    by_phone = book_by_phone(session.id, join_waitlist=True).booking
    last = make_booking(session.id, join_waitlist=True)
    assert by_phone.status == BookingStatus.WAITLISTED

    cancel_booking(seat.id, holder.id, now=utcnow())
    cancel_booking(first.id, first.family_id, now=utcnow())

    assert reload(db, Booking, by_phone.id).status == BookingStatus.CONFIRMED
    assert reload(db, Booking, last.id).status == BookingStatus.WAITLISTED


def test_a_full_session_refuses_staff_too_and_records_no_household(
    make_workshop, make_booking, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=1).sessions[0]
    make_booking(session.id)
    families_before = db.session.scalar(select(func.count()).select_from(User))

    with pytest.raises(DomainError) as refused:
        book_by_phone(session.id)

    assert refused.value.code == "full"
    assert db.session.scalar(select(func.count()).select_from(User)) == families_before
    assert audit_trail(db) == []


def test_one_active_booking_per_session_holds_for_staff_too(make_workshop, make_user, staff, db):
    session = make_workshop(facilitator=staff, capacity=5).sessions[0]
    family = make_user()
    book_seats(session.id, family.id, 1, Needs(), now=utcnow())

    with pytest.raises(DomainError) as refused:
        book_seats(session.id, family.id, 1, Needs(), now=utcnow(), acting=staff)

    assert refused.value.code == "household_already_booked"
    assert "This household already has a booking" in refused.value.message


def test_the_unverified_seat_limit_does_not_apply_when_staff_vouch_for_a_household(
    app, make_workshop, make_user, staff
):
    app.config["UNVERIFIED_SEAT_LIMIT"] = 2
    first, second = make_workshop(facilitator=staff, weeks=2, capacity=6).sessions
    family = make_user()  # never confirmed its address
    book_seats(first.id, family.id, 2, Needs(), now=utcnow())
    with pytest.raises(DomainError) as refused:
        book_seats(second.id, family.id, 2, Needs(), now=utcnow())
    assert refused.value.code == "unverified_seat_limit"

    booking = book_seats(second.id, family.id, 2, Needs(), now=utcnow(), acting=staff)

    assert booking.status == BookingStatus.CONFIRMED and booking.booked_by_id == staff.id


def test_a_facilitator_books_only_into_workshops_they_run_and_admins_anywhere(
    make_workshop, make_user, staff
):
    session = make_workshop(capacity=5).sessions[0]  # another facilitator's
    family = make_user()

    with pytest.raises(DomainError) as refused:
        book_seats(session.id, family.id, 1, Needs(), now=utcnow(), acting=staff)
    assert refused.value.code == "session_not_found"

    admin = make_user(Role.ADMIN)
    assert book_seats(session.id, family.id, 1, Needs(), now=utcnow(), acting=admin).is_confirmed


def test_staff_book_only_for_households_not_for_staff(make_workshop, make_user, staff):
    session = make_workshop(facilitator=staff, capacity=5).sessions[0]
    colleague = make_user(Role.FACILITATOR)

    with pytest.raises(DomainError) as refused:
        book_seats(session.id, colleague.id, 1, Needs(), now=utcnow(), acting=staff)
    assert refused.value.code == "household_not_found"


def test_an_email_that_has_an_account_books_for_that_account_and_records_nobody(
    make_workshop, make_user, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=5).sessions[0]
    family = make_user(name="Okafor household", email="okafor@example.org")
    accounts_before = db.session.scalar(select(func.count()).select_from(User))

    done = book_by_phone(session.id, "Mrs Okafor", email=" OKAFOR@example.org ")

    assert done.existing and done.household.id == family.id
    assert done.booking.family_id == family.id
    assert db.session.scalar(select(func.count()).select_from(User)) == accounts_before
    assert [a for _, a, _ in audit_trail(db)] == ["act_for.book"]


@pytest.mark.parametrize("role", [Role.FACILITATOR, Role.ADMIN])
def test_a_staff_address_is_not_taken_for_a_household(
    make_workshop, make_user, staff, book_by_phone, role
):
    session = make_workshop(facilitator=staff, capacity=5).sessions[0]
    colleague = make_user(role)

    with pytest.raises(DomainError) as refused:
        book_by_phone(session.id, email=colleague.email)
    assert refused.value.code == "email_is_staff"


# --- a whole series in one step, as a household enrolls itself ------------------------


def test_staff_book_a_new_household_without_email_into_every_session_of_a_series(
    make_workshop, staff, book_by_phone, db
):
    sessions = make_workshop(facilitator=staff, weeks=3, capacity=3).sessions

    done = book_by_phone(sessions[1].id, seats=2, whole_series=True)

    household = done.household.id
    assert [b.session_id for b in done.bookings] == [s.id for s in sessions]
    booked = [reload(db, Booking, b.id) for b in done.bookings]
    assert {(b.family_id, b.status, b.seats, b.booked_by_id) for b in booked} == {
        (household, BookingStatus.CONFIRMED, 2, staff.id)
    }
    assert (
        db.session.scalar(
            select(func.count()).select_from(User).where(User.name == "Garcia household")
        )
        == 1
    )
    assert audit_trail(db) == [
        (staff.id, "household.create", f"user:{household}"),
        *[(staff.id, "act_for.book", f"booking:{b.id}") for b in booked],
    ]
    assert rows_for(db, household) == []  # no address: staff tell them


def test_a_full_session_refuses_the_whole_series_in_words_and_records_no_household(
    make_workshop, make_booking, staff, book_by_phone, db
):
    sessions = make_workshop(facilitator=staff, weeks=3, capacity=2).sessions
    make_booking(sessions[2].id, seats=2)
    people_before = db.session.scalar(select(func.count()).select_from(User))

    with pytest.raises(DomainError) as refused:
        book_by_phone(sessions[0].id, whole_series=True)

    assert refused.value.code == "household_series_full"
    full_on = moment_text(sessions[2].starts_at, "America/New_York")
    assert refused.value.message == (
        f"Not every session has 1 seat free ({full_on}), so nothing was booked."
    )
    assert db.session.scalar(select(func.count()).select_from(User)) == people_before
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
    assert audit_trail(db) == []


def test_staff_may_book_a_series_with_the_waitlist_of_its_full_sessions(
    make_workshop, make_booking, make_user, staff, book_by_phone, db
):
    sessions = make_workshop(facilitator=staff, weeks=3, capacity=2).sessions
    make_booking(sessions[1].id, seats=2)

    done = book_by_phone(sessions[0].id, whole_series=True, join_waitlist=True)

    statuses = [reload(db, Booking, b.id).status for b in done.bookings]
    assert statuses == [BookingStatus.CONFIRMED, BookingStatus.WAITLISTED, BookingStatus.CONFIRMED]
    actions = [a for _, a, _ in audit_trail(db)]
    assert actions == ["household.create", "act_for.book", "act_for.book", "act_for.book"]


def test_a_household_with_email_is_mailed_for_each_booking_as_when_it_enrolls_itself(
    make_workshop, make_user, staff, book_by_phone, db
):
    by_staff = make_workshop(facilitator=staff, weeks=3, capacity=5)
    by_itself = make_workshop(facilitator=staff, weeks=3, capacity=5)
    family = make_user()
    enroll_series(by_itself.id, family.id, 1, Needs(), now=utcnow())

    done = book_by_phone(by_staff.sessions[0].id, email="lopez@example.org", whole_series=True)

    def kinds(recipient_id: int) -> list[str]:
        return sorted(r.kind for r in rows_for(db, recipient_id))

    assert kinds(done.household.id) == kinds(family.id)
    assert kinds(family.id).count("confirmed") == 3  # one email per booking, and reminders


def test_a_household_waitlisted_in_a_full_session_of_its_series_is_told_so_by_email(
    make_workshop, make_booking, staff, book_by_phone, db
):
    sessions = make_workshop(facilitator=staff, weeks=2, capacity=1).sessions
    make_booking(sessions[1].id)

    done = book_by_phone(
        sessions[0].id, email="lopez@example.org", whole_series=True, join_waitlist=True
    )

    first, waiting = done.bookings
    told = {(r.booking_id, r.kind) for r in rows_for(db, done.household.id)}
    assert {(first.id, "confirmed"), (waiting.id, "waitlisted")} <= told
    assert (waiting.id, "confirmed") not in told


def test_staff_book_a_series_for_a_known_household_beyond_the_unverified_limit(
    app, make_workshop, make_user, staff
):
    app.config["UNVERIFIED_SEAT_LIMIT"] = 2
    sessions = make_workshop(facilitator=staff, weeks=3, capacity=6).sessions
    family = make_user()  # never confirmed its address
    mine = book_seats(sessions[1].id, family.id, 2, Needs(), now=utcnow())
    with pytest.raises(DomainError) as refused:
        enroll_series(sessions[0].workshop_id, family.id, 2, Needs(), now=utcnow())
    assert refused.value.code == "unverified_seat_limit"

    booked = enroll_series(
        sessions[0].workshop_id, family.id, 2, Needs(), now=utcnow(), acting=staff
    )

    assert [b.session_id for b in booked] == [sessions[0].id, sessions[2].id]  # not again
    assert all(b.is_confirmed and b.booked_by_id == staff.id for b in booked)
    assert mine.booked_by_id is None
    with pytest.raises(DomainError) as again:
        enroll_series(sessions[0].workshop_id, family.id, 2, Needs(), now=utcnow(), acting=staff)
    assert again.value.code == "household_all_booked"
    assert "This household is already booked into every upcoming session" in again.value.message


def test_a_facilitator_books_a_series_only_in_workshops_they_run(make_workshop, make_user, staff):
    workshop = make_workshop(weeks=2)  # another facilitator's
    family = make_user()

    with pytest.raises(DomainError) as refused:
        enroll_series(workshop.id, family.id, 1, Needs(), now=utcnow(), acting=staff)

    assert refused.value.code == "workshop_not_found"


# --- mail: the usual emails, and none for a household without an address -----------


def test_nothing_is_ever_queued_for_a_household_without_email(
    make_workshop, make_booking, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=1).sessions[0]
    holder = make_booking(session.id)
    waiting = book_by_phone(session.id, join_waitlist=True)
    household = waiting.household.id

    cancel_booking(holder.id, holder.family_id, now=utcnow())  # promoted: reminders due
    new_start = wall_time(session.starts_at, "America/New_York") + timedelta(days=1)
    series.reschedule(
        session.id, new_start=new_start, duration_minutes=90, scope=Scope.ONE, now=utcnow()
    )
    series.cancel_sessions(session.id, scope=Scope.ONE, now=utcnow())

    assert reload(db, Booking, waiting.booking.id).status == BookingStatus.CONFIRMED
    assert rows_for(db, household) == []
    assert {r.kind for r in rows_for(db, holder.family_id)} >= {"confirmed", "cancelled"}


def test_the_dispatcher_sends_nothing_to_a_household_that_lost_its_address(
    mail_to, make_workshop, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=3).sessions[0]
    done = book_by_phone(session.id, email="lopez@example.org")
    assert rows_for(db, done.household.id)  # queued while it had an address
    with write_transaction() as transaction:
        transaction.execute(
            text("UPDATE users SET email = NULL WHERE id = :id"), {"id": done.household.id}
        )

    result = sweep_once()

    assert result.sent == 0 and received(mail_to) == []
    statuses = {r.status for r in rows_for(db, done.household.id) if r.kind == "confirmed"}
    assert statuses == {OutboxStatus.CANCELLED}


def test_a_household_with_email_hears_the_team_booked_and_cancelled_for_it(
    mail_to, make_workshop, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff, capacity=3).sessions[0]
    done = book_by_phone(session.id, email="lopez@example.org", seats=2)
    sweep_once()
    cancel_booking(done.booking.id, done.household.id, now=utcnow(), acting=staff)
    sweep_once()

    booked, cancelled = received(mail_to)
    assert booked["To"] == cancelled["To"] == "lopez@example.org"
    for email in (booked, cancelled):
        assert not SERVICE_WORDS.search(email["Subject"])  # discreet as ever
    assert booked["Subject"].startswith("Hearth: your appointment on")
    assert "As you asked, our team booked 2 seats for you on" in text_of(booked)
    assert "As you asked, our team cancelled your booking" in text_of(cancelled)


def test_a_familys_own_booking_reads_as_before(mail_to, make_workshop, make_booking):
    make_booking(make_workshop(capacity=3).sessions[0].id)
    sweep_once()

    (email,) = received(mail_to)
    body = text_of(email)
    assert "You're booked: 1 seat on" in body and "our team" not in body


# --- cancelling and needs for a household --------------------------------------------


def test_staff_cancel_for_a_household_seats_the_waitlist_and_say_who_did_it(
    make_workshop, make_booking, make_user, staff, db
):
    session = make_workshop(facilitator=staff, capacity=1).sessions[0]
    family = make_user()
    seat = make_booking(session.id, family=family)
    waiting = make_booking(session.id, join_waitlist=True)

    promoted = cancel_booking(seat.id, family.id, now=utcnow(), acting=staff)

    assert [b.id for b in promoted] == [waiting.id]
    cancelled = reload(db, Booking, seat.id)
    assert (cancelled.status, cancelled.cancelled_by_id) == (BookingStatus.CANCELLED, staff.id)
    assert audit_trail(db) == [(staff.id, "act_for.cancel", f"booking:{seat.id}")]


def test_another_facilitator_cannot_cancel_for_a_household(
    make_workshop, make_booking, make_user, staff, db
):
    booking = make_booking(make_workshop(facilitator=staff).sessions[0].id)
    stranger = make_user(Role.FACILITATOR)

    with pytest.raises(DomainError) as refused:
        cancel_booking(booking.id, booking.family_id, now=utcnow(), acting=stranger)

    assert refused.value.code == "booking_not_found"
    assert reload(db, Booking, booking.id).status == BookingStatus.CONFIRMED


def test_a_family_changes_its_needs_and_keeps_its_seat(make_workshop, make_booking, db):
    session = make_workshop(capacity=1).sessions[0]
    booking = make_booking(session.id, needs=Needs(notes="First time"))
    waiting = make_booking(session.id, join_waitlist=True)
    queued = len(outbox(db))
    before = reload(db, Booking, booking.id)
    kept = (before.status, before.seats, before.sequence, before.confirmed_at)

    changed = needs.change_needs(
        booking.id,
        booking.family_id,
        Needs(childcare_needed=True, interpreter_language=" Tagalog ", notes="Two kids"),
        now=utcnow(),
    )

    after = reload(db, Booking, booking.id)
    assert [b.id for b in changed] == [booking.id]
    assert (after.status, after.seats, after.sequence, after.confirmed_at) == kept
    assert (after.childcare_needed, after.interpreter_language, after.notes) == (
        True,
        "Tagalog",
        "Two kids",
    )
    assert reload(db, Booking, waiting.id).status == BookingStatus.WAITLISTED
    assert len(outbox(db)) == queued  # nothing to tell anyone
    assert audit_trail(db) == []  # the family's own change


def test_changed_needs_apply_to_the_households_open_bookings_in_that_workshop(
    make_workshop, make_user, db
):
    family = make_user()
    weekly = make_workshop(weeks=3, capacity=5).sessions
    other = make_workshop(capacity=5, title="Another group").sessions[0]
    booked = [book_seats(s.id, family.id, 1, Needs(), now=utcnow()) for s in [*weekly, other]]

    changed = needs.change_needs(
        booked[1].id, family.id, Needs(accessibility_needs="Step-free"), now=utcnow()
    )

    assert [b.id for b in changed] == [b.id for b in booked[:3]]
    access = [reload(db, Booking, b.id).accessibility_needs for b in booked]
    assert access == ["Step-free", "Step-free", "Step-free", ""]


def test_needs_no_longer_change_once_the_session_has_started(make_workshop, make_booking):
    session = make_workshop().sessions[0]
    booking = make_booking(session.id)

    started = session.starts_at + timedelta(minutes=5)
    with time_machine.travel(started, tick=False), pytest.raises(DomainError) as refused:
        needs.change_needs(booking.id, booking.family_id, Needs(), now=utcnow())

    assert refused.value.code == "session_started"


def test_a_family_cannot_change_another_familys_needs(make_workshop, make_booking, make_user):
    booking = make_booking(make_workshop().sessions[0].id)

    with pytest.raises(DomainError) as refused:
        needs.change_needs(booking.id, make_user().id, Needs(notes="x"), now=utcnow())
    assert refused.value.code == "booking_not_found"


# --- the household record, its claim link, and the audit trail --------------------------


def test_a_household_record_without_email_can_never_log_in_or_get_a_reset(
    make_workshop, staff, book_by_phone, db
):
    household = book_by_phone(make_workshop(facilitator=staff).sessions[0].id).household

    for login in ("", "Garcia household", PHONE):
        with pytest.raises(DomainError):
            accounts.authenticate(login, "!", ip=None, now=utcnow())
    accounts.request_password_reset("", utcnow())

    assert accounts.find_by_email("") is None
    assert rows_for(db, household.id) == []


def test_a_household_claims_its_record_with_the_emailed_link(
    mail_to, client, auth, make_workshop, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff).sessions[0]
    household = book_by_phone(session.id).household

    households.send_claim_link(household.id, "Garcia@Example.org", acting=staff, now=utcnow())
    assert sweep_once().sent == 1
    (email,) = received(mail_to)
    assert email["To"] == "garcia@example.org" and not SERVICE_WORDS.search(email["Subject"])
    path = re.search(r"https?://\S+?(/claim/\S+)", text_of(email))[1]

    page = client.get(path)
    assert page.status_code == 200 and "garcia@example.org" in page.get_data(as_text=True)
    claimed = client.post(path, data={"password": NEW, "password_confirm": NEW})

    assert claimed.status_code == 303 and claimed.location.endswith("/bookings")
    bookings_page = client.get("/bookings").get_data(as_text=True)
    assert "Family education" in bookings_page
    now_an_account = reload(db, User, household.id)
    assert not now_an_account.is_household_record and now_an_account.email_verified
    auth.logout()
    assert auth.login("garcia@example.org", NEW).status_code == 303
    assert client.get(path).status_code == 404  # once only
    assert audit_trail(db)[-2:] == [
        (staff.id, "household.claim_link", f"user:{household.id}"),
        (household.id, "household.claimed", f"user:{household.id}"),
    ]


def test_a_claim_link_stops_working_after_a_week(make_workshop, staff, book_by_phone):
    household = book_by_phone(make_workshop(facilitator=staff).sessions[0].id).household
    link = households.send_claim_link(household.id, "g@example.org", acting=staff, now=utcnow())

    token = email_links.link_token(link)
    assert households.claimable(token, utcnow()) is not None
    assert households.claimable(token, utcnow() + timedelta(days=8)) is None


def test_an_address_another_account_has_is_refused_plainly_and_nothing_merges(
    make_workshop, make_user, staff, book_by_phone, db
):
    household = book_by_phone(make_workshop(facilitator=staff).sessions[0].id).household
    family = make_user(email="taken@example.org")

    with pytest.raises(DomainError) as refused:
        households.send_claim_link(household.id, "TAKEN@example.org", acting=staff, now=utcnow())

    assert refused.value.code == "household_email_taken"
    assert "already belongs to another Hearth account" in refused.value.message
    assert reload(db, User, household.id).email is None
    assert reload(db, User, family.id).email == "taken@example.org"
    assert outbox(db, kind=MessageKind.CLAIM) == []


def test_only_staff_who_know_a_household_may_send_its_claim_link(
    make_workshop, make_user, staff, book_by_phone
):
    household = book_by_phone(make_workshop(facilitator=staff).sessions[0].id).household
    stranger, admin = make_user(Role.FACILITATOR), make_user(Role.ADMIN)

    with pytest.raises(DomainError) as refused:
        households.send_claim_link(household.id, "g@example.org", acting=stranger, now=utcnow())
    assert refused.value.code == "household_not_found"
    assert households.send_claim_link(household.id, "g@example.org", acting=admin, now=utcnow())


def test_a_claimed_account_gets_no_claim_link(make_workshop, make_user, staff):
    family = make_user()
    book_seats(
        make_workshop(facilitator=staff).sessions[0].id,
        family.id,
        1,
        Needs(),
        now=utcnow(),
        acting=staff,
    )

    with pytest.raises(DomainError) as refused:
        households.send_claim_link(family.id, "new@example.org", acting=staff, now=utcnow())
    assert refused.value.code == "household_has_account"


def test_every_act_for_is_audited_with_who_did_it(make_workshop, staff, book_by_phone, db):
    session = make_workshop(facilitator=staff, capacity=4).sessions[0]
    done = book_by_phone(session.id)
    household, booking = done.household.id, done.booking.id

    needs.change_needs(booking, household, Needs(childcare_needed=True), now=utcnow(), acting=staff)
    households.send_claim_link(household, "g@example.org", acting=staff, now=utcnow())
    cancel_booking(booking, household, now=utcnow(), acting=staff)

    assert audit_trail(db) == [
        (staff.id, "household.create", f"user:{household}"),
        (staff.id, "act_for.book", f"booking:{booking}"),
        (staff.id, "act_for.needs", f"booking:{booking}"),
        (staff.id, "household.claim_link", f"user:{household}"),
        (staff.id, "act_for.cancel", f"booking:{booking}"),
    ]
    names = set(db.session.scalars(select(AuditEvent.actor_name)))
    assert names == {"Rosa, front desk"}


# --- racing for the last seats ---------------------------------------------------------


@pytest.mark.slow
def test_staff_booking_by_phone_racing_families_for_the_last_seats_never_overfills(
    app, make_workshop, make_booking, make_user, staff, db
):
    session = make_workshop(facilitator=staff, capacity=10).sessions[0]
    for _ in range(7):
        make_booking(session.id)
    families = [make_user().id for _ in range(20)]
    session_id, staff_id = session.id, staff.id

    def told(booking_it) -> str:
        try:
            booking_it()
        except DomainError as error:
            if error.code != "full":
                raise
            return "full"
        return "booked"

    def family_job(family_id: int):
        return lambda: told(lambda: book_seats(session_id, family_id, 1, Needs(), now=utcnow()))

    def phone_job(n: int):
        def job() -> str:
            acting = db.session.get_one(User, staff_id)
            contact = Contact(f"Caller {n}", phone=f"555 01{n:02}")
            return told(
                lambda: households.book_for_new_household(
                    session_id, contact, 1, Needs(), acting=acting, now=utcnow()
                )
            )

        return job

    jobs = [job for n, f in enumerate(families) for job in (family_job(f), phone_job(n))]
    outcomes = races.race(app, jobs, lambda failure: failure)

    assert [o for o in outcomes if o not in ("booked", "full")] == []
    assert outcomes.count("booked") == 3  # exactly the seats that were left
    db.session.rollback()
    assert seat_count(db.session.get_one(WorkshopSession, session_id)).confirmed == 10
    recorded = db.session.scalar(
        select(func.count()).select_from(User).where(User.created_by_id == staff_id)
    )
    phoned_in = db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .where(Booking.booked_by_id == staff_id, Booking.is_active)
    )
    assert recorded == phoned_in  # a caller refused for a full session left no record


def test_a_household_record_with_an_address_may_also_take_itself_over_by_a_reset(
    make_workshop, staff, book_by_phone, db
):
    session = make_workshop(facilitator=staff).sessions[0]
    household = book_by_phone(session.id, email="l@example.org").household.id
    accounts.request_password_reset("l@example.org", utcnow())
    (row,) = outbox(db, kind=MessageKind.PASSWORD_RESET)
    link = db.session.get_one(EmailLink, row.link_id)

    accounts.reset_password(email_links.link_token(link), NEW, utcnow())

    assert not reload(db, User, household).is_household_record
    assert audit_trail(db)[-1] == (household, "household.claimed", f"user:{household}")
