"""Queue emails in the outbox, inside the transaction of the change that causes them.

Nothing here sends anything: the dispatcher does, after commit. Every row has an
idempotency key made from the record and its version, so running the same change
twice (a retried request, a double click) can never queue the same email twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from scheduler.database import insert_on_conflict
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    EmailLink,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
    User,
    WorkshopSession,
)
from scheduler.services.reminder_times import offsets_for, reminder_time


def _insert(rows: Iterable[dict[str, Any]]) -> None:
    """Insert outbox rows, silently keeping the existing one when a key is already queued.

    All of a change's rows go in one statement with their values as parameters, so it
    is compiled once per process and its shape is the same for one row or ten.
    """
    rows = _addressed(list(rows))
    if not rows:
        return
    statement = insert_on_conflict(OutboxMessage.__table__, tuple(rows[0]), '"key"')
    db.session.connection().execute(statement, rows)


def _addressed(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows whose recipient has an email address: a household staff recorded without
    one is told nothing by mail (staff tell it by phone), so nothing is queued for it."""
    if not rows:
        return rows
    ids = {row["recipient_id"] for row in rows}
    unreachable = set(
        db.session.scalars(select(User.id).where(User.id.in_(ids), User.email.is_(None)))
    )
    return [row for row in rows if row["recipient_id"] not in unreachable]


def _message(
    kind: str,
    key: str,
    recipient_id: int,
    due: datetime,
    now: datetime,
    *,
    version: int | None = None,
    **refs: int | None,
) -> dict[str, Any]:
    """One outbox row; ``version`` is the record's sequence it was queued at, if it has one."""
    return {
        "key": key,
        "kind": kind,
        "recipient_id": recipient_id,
        "booking_id": refs.get("booking_id"),
        "session_id": refs.get("session_id"),
        "link_id": refs.get("link_id"),
        "appointment_id": refs.get("appointment_id"),
        "workshop_id": refs.get("workshop_id"),
        "version": version,
        "due_at": due,
        "not_before": due,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
    }


def _row(
    kind: str, key: str, booking: Booking, due: datetime, now: datetime, version: int
) -> dict[str, Any]:
    return _message(
        kind,
        key,
        booking.family_id,
        due,
        now,
        version=version,
        booking_id=booking.id,
        session_id=booking.session_id,
    )


def _told(booking: Booking, kind: MessageKind, version: int, now: datetime) -> dict[str, Any]:
    """The row that tells a family what happened to its booking."""
    return _row(kind, f"booking:{booking.id}:{kind}:{version}", booking, now, now, version)


def _tell(booking: Booking, kind: MessageKind, version: int, now: datetime) -> None:
    _insert([_told(booking, kind, version, now)])


def _reminders(
    family_id: int,
    starts_at: datetime,
    record: str,
    version: int,
    now: datetime,
    **refs: int | None,
) -> list[dict[str, Any]]:
    """A family's reminder rows for one start time, skipping offsets already past.

    The key names the record and its version, so a moved start queues anew.
    """
    family = db.session.get_one(User, family_id)
    rows = []
    for offset in offsets_for(family):
        due = reminder_time(starts_at, offset, family.timezone)
        if due <= now:
            continue  # no "in 48 hours" reminder one hour before
        minutes = int(offset.total_seconds() // 60)
        key = f"{record}:reminder:{minutes}m:s{version}"
        rows.append(
            _message(MessageKind.REMINDER, key, family_id, due, now, version=version, **refs)
        )
    return rows


def _booking_reminders(booking: Booking, now: datetime) -> list[dict[str, Any]]:
    session = booking.session
    return _reminders(
        booking.family_id,
        session.starts_at,
        f"booking:{booking.id}",
        session.sequence,
        now,
        booking_id=booking.id,
        session_id=booking.session_id,
    )


def schedule_reminders(booking: Booking, now: datetime) -> None:
    """Queue the family's reminders for a confirmed booking."""
    _insert(_booking_reminders(booking, now))


def _withdraw_reminders(*where: Any) -> None:
    """Cancel the pending reminders that match ``where``: they must not go out any more."""
    db.session.execute(
        update(OutboxMessage)
        .where(
            *where,
            OutboxMessage.kind == MessageKind.REMINDER,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
    )


def cancel_pending_reminders(booking_ids: Iterable[int]) -> None:
    """Withdraw reminders that have not gone out yet."""
    ids = list(booking_ids)
    if ids:
        _withdraw_reminders(OutboxMessage.booking_id.in_(ids))


def cancel_family_reminders(family_id: int) -> None:
    """Withdraw every pending reminder of one family (they turned reminders off)."""
    _withdraw_reminders(OutboxMessage.recipient_id == family_id)


def withdraw_all_to(recipient_id: int) -> None:
    """Withdraw every email still waiting to go to one account (it was closed)."""
    waiting = OutboxMessage.status == OutboxStatus.PENDING
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient_id == recipient_id, waiting)
        .values(status=OutboxStatus.CANCELLED)
    )


def restore_reminders(
    family_id: int, bookings: list[Booking], appointments: list[Appointment], now: datetime
) -> None:
    """Queue reminders again for what a family holds, now they are on again. The ones
    withdrawn when they were turned off, never sent, make way: their keys would stop
    the new rows."""
    held = or_(
        OutboxMessage.booking_id.in_([b.id for b in bookings]),
        OutboxMessage.appointment_id.in_([a.id for a in appointments]),
    )
    withdrawn = (OutboxMessage.status == OutboxStatus.CANCELLED, OutboxMessage.sent_at.is_(None))
    db.session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.recipient_id == family_id,
            OutboxMessage.kind == MessageKind.REMINDER,
            *withdrawn,
            held,
        )
    )
    _insert([row for b in bookings for row in _booking_reminders(b, now)])
    for appointment in appointments:
        schedule_appointment_reminders(appointment, now)


def booking_created(booking: Booking, now: datetime) -> None:
    """A new booking: confirm it (with reminders) or say the family is on the waitlist."""
    db.session.flush()
    if booking.status == BookingStatus.CONFIRMED:
        confirmation = _told(booking, MessageKind.CONFIRMED, booking.sequence, now)
        _insert([confirmation, *_booking_reminders(booking, now)])
    else:
        _tell(booking, MessageKind.WAITLISTED, booking.sequence, now)


def status_changed(booking: Booking, old: str, now: datetime, *, moved: bool = False) -> None:
    """A booking moved between confirmed, waitlisted and cancelled.

    ``moved``: it was cancelled because it moved to another session; the move tells the
    family in one email (``notices.booking_moved``), so only its reminders go here.
    """
    new = booking.status
    if new == BookingStatus.CONFIRMED and old == BookingStatus.WAITLISTED:
        promotion = _told(booking, MessageKind.PROMOTED, booking.sequence, now)
        _insert([promotion, *_booking_reminders(booking, now)])
    elif new == BookingStatus.CANCELLED:
        if not moved:
            _tell(booking, MessageKind.CANCELLED, booking.sequence, now)
        cancel_pending_reminders([booking.id])
    elif new == BookingStatus.WAITLISTED and old == BookingStatus.CONFIRMED:
        _tell(booking, MessageKind.WAITLISTED, booking.sequence, now)
        cancel_pending_reminders([booking.id])


def _active_bookings(session: WorkshopSession) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking).where(
                Booking.session_id == session.id,
                Booking.is_active,
            )
        )
    )


def session_cancelled(session: WorkshopSession, now: datetime) -> None:
    """Tell every booked family the session is off, and withdraw their reminders."""
    bookings = _active_bookings(session)
    cancel_pending_reminders(b.id for b in bookings)
    _insert(_told(b, MessageKind.SESSION_CANCELLED, session.sequence, now) for b in bookings)


def link_issued(link: EmailLink, now: datetime) -> None:
    """Email a link now: a password reset, an address check, an invitation, a new address."""
    _insert([_message(link.purpose, f"link:{link.id}", link.user_id, now, now, link_id=link.id)])


def signup_attempted(user: User, now: datetime) -> None:
    """Tell an account's owner someone tried to sign up with their address; once a day."""
    key = f"signup-attempt:{user.id}:{now.date().isoformat()}"
    _insert([_message(MessageKind.SIGNUP_ATTEMPT, key, user.id, now, now)])


def account_notice(
    kind: MessageKind, recipient_id: int, key: str, now: datetime, link_id: int | None = None
) -> None:
    """Tell someone of a change to their account's address, or a try to take theirs."""
    _insert([_message(kind, key, recipient_id, now, now, link_id=link_id)])


def digest_due(facilitator_id: int, day: date, now: datetime) -> None:
    """Queue one facilitator's morning digest for ``day``; a second call changes nothing."""
    key = f"digest:{facilitator_id}:{day.isoformat()}"
    _insert([_message(MessageKind.DIGEST, key, facilitator_id, now, now)])


def cofacilitator_added(workshop_id: int, user_id: int, now: datetime) -> None:
    """Tell a facilitator a workshop is now shared with them."""
    key = f"cofacilitator:{workshop_id}:{user_id}:{now.isoformat()}"
    _insert(
        [_message(MessageKind.COFACILITATOR_ADDED, key, user_id, now, now, workshop_id=workshop_id)]
    )


# --- counseling appointments -------------------------------------------------------


def _appointment_row(
    kind: str, appointment: Appointment, recipient_id: int, now: datetime
) -> dict[str, Any]:
    version = appointment.sequence
    key = f"appointment:{appointment.id}:{kind}:{version}:{recipient_id}"
    return _message(
        kind, key, recipient_id, now, now, version=version, appointment_id=appointment.id
    )


def schedule_appointment_reminders(appointment: Appointment, now: datetime) -> None:
    """Queue a family's reminders for a confirmed appointment, as for a booking."""
    _insert(
        _reminders(
            appointment.family_id,
            appointment.slot.starts_at,
            f"appointment:{appointment.id}",
            appointment.sequence,
            now,
            appointment_id=appointment.id,
        )
    )


def cancel_appointment_reminders(appointment_id: int) -> None:
    """Withdraw an appointment's reminders that have not gone out yet."""
    _withdraw_reminders(OutboxMessage.appointment_id == appointment_id)


def appointment_booked(appointment: Appointment, now: datetime) -> None:
    """Confirm a new appointment, or tell both sides it waits for approval."""
    if appointment.status == AppointmentStatus.CONFIRMED:
        _insert([_appointment_row(MessageKind.CONFIRMED, appointment, appointment.family_id, now)])
        schedule_appointment_reminders(appointment, now)
    else:
        _insert(
            [
                _appointment_row(
                    MessageKind.AWAITING_APPROVAL, appointment, appointment.family_id, now
                ),
                _appointment_row(
                    MessageKind.APPROVAL_NEEDED, appointment, appointment.facilitator_id, now
                ),
            ]
        )


def _tell_counselor(appointment: Appointment, now: datetime) -> None:
    """A family moved or cancelled: the counselor hears it too, not only from the calendar."""
    _insert(
        [_appointment_row(MessageKind.FAMILY_CHANGED, appointment, appointment.facilitator_id, now)]
    )


def appointment_moved(
    appointment: Appointment, now: datetime, *, by_counselor: bool = False
) -> None:
    """Tell the family the new time and move its reminders; tell the counselor when the
    family moved it (when the counselor did, the family's email says it may decline)."""
    cancel_appointment_reminders(appointment.id)
    kind = MessageKind.COUNSELOR_MOVED if by_counselor else MessageKind.RESCHEDULED
    _insert([_appointment_row(kind, appointment, appointment.family_id, now)])
    if not by_counselor:
        _tell_counselor(appointment, now)
    if appointment.status == AppointmentStatus.CONFIRMED:
        schedule_appointment_reminders(appointment, now)


def appointment_status_changed(
    appointment: Appointment,
    old: str,
    now: datetime,
    *,
    by_family: bool = False,
    expired: bool = False,
) -> None:
    """Approved, declined (or expired) or cancelled: tell the family (and the counselor
    when the family cancelled), and handle reminders."""
    new = appointment.status
    if new == AppointmentStatus.CONFIRMED and old == AppointmentStatus.PENDING:
        _insert([_appointment_row(MessageKind.CONFIRMED, appointment, appointment.family_id, now)])
        schedule_appointment_reminders(appointment, now)
    elif new == AppointmentStatus.DECLINED:
        kind = MessageKind.REQUEST_EXPIRED if expired else MessageKind.DECLINED
        _insert([_appointment_row(kind, appointment, appointment.family_id, now)])
    elif new == AppointmentStatus.CANCELLED:
        cancel_appointment_reminders(appointment.id)
        _insert([_appointment_row(MessageKind.CANCELLED, appointment, appointment.family_id, now)])
        if by_family:
            _tell_counselor(appointment, now)


def appointment_details_changed(appointment: Appointment, now: datetime) -> None:
    """Tell the family the place or link changed, with an updated invite."""
    _insert(
        [_appointment_row(MessageKind.DETAILS_CHANGED, appointment, appointment.family_id, now)]
    )


# --- for the queuing modules beside this one (services/notices.py) --------------------
#: The one insert, row shape and reminder rows every outbox row goes through.
insert_rows = _insert
message_row = _message
booking_reminders = _booking_reminders
