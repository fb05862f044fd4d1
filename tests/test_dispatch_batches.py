"""The dispatcher words a claimed batch at once, and still sends each row once, as it is."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import time_machine
from sqlalchemy import func, select, update

from scheduler.database import write_transaction
from scheduler.mail import WireEmail
from scheduler.models import Booking, OutboxMessage, OutboxStatus, User
from scheduler.services import series
from scheduler.services.booking import cancel_booking
from scheduler.services.dispatch import send_due
from scheduler.services.series import WorkshopDetails
from scheduler.timeutil import utcnow
from tests.support.feeds import counting_queries
from tests.support.mail import outbox


class Recorder:
    """A transport that keeps what it is given, and runs ``before`` ahead of each send."""

    def __init__(self, before: Callable[[int, Any], None] | None = None) -> None:
        self.sent: list[EmailMessage] = []
        self.before = before

    def send(self, email: WireEmail | EmailMessage) -> None:
        if self.before is not None:
            self.before(len(self.sent), email)
        if isinstance(email, WireEmail):
            email = message_from_bytes(email.data, policy=policy.default)  # type: ignore[assignment]
        self.sent.append(email)  # type: ignore[arg-type]


def book_families(make_workshop, make_booking, count: int, **workshop: Any) -> list[Booking]:
    session = make_workshop(capacity=count, **workshop).sessions[0]
    return [make_booking(session.id) for _ in range(count)]


def reminders_due(bookings: list[Booking]):
    """Travel to 47 hours before the session: each booking's 48-hour reminder is due."""
    return time_machine.travel(bookings[0].session.starts_at - timedelta(hours=47), tick=False)


def sweep(transport: Recorder) -> tuple[int, int, int]:
    result = send_due(transport, now=utcnow(), worker="tester")
    return result.sent, result.failed, result.skipped


def statements_to_send(db, make_workshop, make_booking, count: int) -> int:
    book_families(make_workshop, make_booking, count)
    with counting_queries(db) as statements:
        assert sweep(Recorder()) == (count, 0, 0)
    return len(statements)


def test_a_batch_reads_what_its_emails_say_once_and_each_email_costs_one_or_two_statements(
    app, make_workshop, make_booking, db
):
    counts = [statements_to_send(db, make_workshop, make_booking, n) for n in (3, 13, 23)]

    # Per email: recording the send before it and re-checking it (two statements, or one
    # on PostgreSQL). Everything else (claims, the rows, bookings, sessions, workshops,
    # families) is read once a batch, however many emails it holds.
    per_email = (counts[1] - counts[0]) / 10
    assert counts[2] - counts[1] == counts[1] - counts[0], counts
    assert per_email == (1 if db.engine.dialect.name == "postgresql" else 2), counts


def test_each_send_is_recorded_before_the_next_one_starts(app, make_workshop, make_booking, db):
    book_families(make_workshop, make_booking, 6)
    seen_sent: list[int] = []

    def count_sent(position: int, email: Any) -> None:
        with db.engine.connect() as other:  # what a dispatcher taking over would read
            seen_sent.append(
                other.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.SENT)
                )
            )

    assert sweep(Recorder(count_sent)) == (6, 0, 0)
    # Killed during any send, the dispatcher leaves only that one message unrecorded.
    assert seen_sent == [0, 1, 2, 3, 4, 5]


def test_a_reminder_withdrawn_while_its_batch_is_sent_does_not_go_out(
    app, make_workshop, make_booking, db
):
    bookings = book_families(make_workshop, make_booking, 4)
    sweep(Recorder())  # the confirmations
    last = bookings[-1]

    def cancel_the_last(position: int, email: Any) -> None:
        if position == 1:  # its reminder was worded with the batch, and not sent yet
            cancel_booking(last.id, last.family_id, now=utcnow())

    with reminders_due(bookings):
        transport = Recorder(cancel_the_last)
        # Three reminders, and the cancellation's own notice (due when it was queued).
        assert sweep(transport) == (4, 0, 1)

    family = db.session.get_one(User, last.family_id)
    (notice,) = [email for email in transport.sent if email["To"] == family.email]
    assert notice["Subject"].startswith("Hearth: cancelled")
    reminders = outbox(db, booking_id=last.id, kind="reminder")
    assert [(r.status, r.sent_at) for r in reminders] == [("cancelled", None)] * 2


def test_an_email_whose_records_changed_after_wording_is_worded_again(
    app, make_workshop, make_booking, db
):
    bookings = book_families(make_workshop, make_booking, 3, title="Family evening")
    sweep(Recorder())
    moved, renamed = bookings[1], bookings[2]
    with write_transaction():
        db.session.get_one(User, renamed.family_id).descriptive_titles = True

    def change(position: int, email: Any) -> None:
        if position == 0:
            with write_transaction():
                family = db.session.get_one(User, moved.family_id)
                family.email = "new-address@example.org"
            workshop = db.session.get_one(Booking, renamed.id).session.workshop
            series.update_details(
                workshop.id,
                WorkshopDetails(
                    title="Family evening, new title",
                    description=workshop.description,
                    location=workshop.location,
                    online_url=workshop.online_url,
                    publish=True,
                ),
                now=utcnow(),
            )

    with reminders_due(bookings):
        transport = Recorder(change)
        # The three reminders, and the new title's notice to each household.
        assert sweep(transport) == (6, 0, 0)

    _, second, third = [email for email in transport.sent if "reminder" in email["Subject"]]
    assert second["To"] == "new-address@example.org"  # not the address it was worded for
    assert "Family evening, new title" in third["Subject"]


def test_a_refused_recipient_fails_only_its_own_row(app, make_workshop, make_booking, db):
    bookings = book_families(make_workshop, make_booking, 4)
    refused = db.session.get_one(User, bookings[2].family_id).email

    def refuse(position: int, email: Any) -> None:
        if email.recipient == refused:
            raise smtplib.SMTPRecipientsRefused({refused: (550, b"no such mailbox")})

    assert sweep(Recorder(refuse)) == (3, 1, 0)

    rows = {row.booking_id: row for row in outbox(db, kind="confirmed")}
    failed = rows.pop(bookings[2].id)
    assert (failed.status, failed.attempts, failed.claimed_by) == ("pending", 1, None)
    assert "SMTPRecipientsRefused" in failed.last_error and failed.not_before > failed.due_at
    assert [(r.status, r.attempts, r.last_error) for r in rows.values()] == [("sent", 1, "")] * 3


def test_an_email_that_can_never_be_built_fails_alone_and_is_not_retried(
    app, make_workshop, make_booking, db
):
    bookings = book_families(make_workshop, make_booking, 3)
    with write_transaction() as session:  # an address no mail server would take
        session.execute(
            update(User).where(User.id == bookings[1].family_id).values(email="no address")
        )

    assert sweep(Recorder()) == (2, 0, 1)

    (unbuildable,) = outbox(db, booking_id=bookings[1].id, kind="confirmed")
    assert unbuildable.status == "failed" and unbuildable.last_error.startswith("ValueError")
    assert sweep(Recorder()) == (0, 0, 0)
