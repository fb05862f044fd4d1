"""A household closes its account, or an admin closes it on its request; reopening it.

Closing takes effect at once and goes through the same rules as everything else: each
booking and appointment still to come is cancelled by ``lifecycle.transition`` (the
waitlist is seated, the counselor told, the facilitators read it in their digest), the
account is switched off (``accounts.switch_off``: every sign-in, the calendar link and
the links in old emails die), and every email still waiting for it is withdrawn. One
email goes to it: a link that opens it again for ACCOUNT_CLOSE_GRACE_DAYS. After that
``erasure.erase_due`` (the daily retention job) erases what it was.

Locks: the account's row first (with the acting admin's, in id order), then the
sessions of its bookings, then its appointments, the order every service starting from
a household takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    DataExport,
    LinkPurpose,
    User,
    WorkshopSession,
)
from scheduler.services import accounts, audit, email_links, notify
from scheduler.services.account_admin import acting_admin
from scheduler.services.errors import DomainError
from scheduler.services.lifecycle import transition
from scheduler.services.locks import lock, lock_family, lock_sessions
from scheduler.services.passwords import verify_password
from scheduler.services.waitlist import promote_waitlisted


@dataclass(frozen=True)
class Closed:
    """What closing an account cancelled."""

    bookings: int
    appointments: int
    #: Waitlisted households seated in the places it left.
    promoted: int


def close(family_id: int, password: str, *, now: datetime) -> Closed:
    """The household closes its own account, after typing its password again.

    A wrong password changes nothing (``wrong_password``).
    """
    found = db.session.get(User, family_id)
    # Slow on purpose, and outside the write lock: as every password check is.
    if found is None or not verify_password(found.password_hash, password):
        raise DomainError("wrong_password")
    with write_transaction():
        lock_family(family_id)
        user = db.session.get_one(User, family_id)
        return _close(user, user, now)


def close_for(admin_id: int, user_id: int, *, now: datetime) -> Closed:
    """An admin closes a household's account on its request (by phone, by letter)."""
    with write_transaction():
        admin, (found,) = acting_admin(admin_id, user_id)
        if found is None:
            raise DomainError("account_not_found")
        return _close(found, admin, now)


def _close(user: User, actor: User, now: datetime) -> Closed:
    """In the caller's transaction, holding the account's row: close it."""
    if not user.is_family:
        raise DomainError("not_a_household")
    if user.is_closed:
        raise DomainError("already_closed")
    # Reopening switches the account on: one an admin switched off stays off.
    if not user.active:
        raise DomainError("switched_off_first")
    bookings, promoted = _cancel_bookings(user.id, actor, now)
    appointments = _cancel_appointments(user.id, now)
    # Its own emails about what was just cancelled go with every other one still waiting:
    # the one email it gets is the one below.
    notify.withdraw_all_to(user.id)
    accounts.switch_off(user, now)
    # A copy of its data it asked for goes too: its link must die with the others.
    db.session.execute(delete(DataExport).where(DataExport.household_id == user.id))
    user.closed_at = now
    if user.email is not None:
        email_links.issue(db.session(), user, LinkPurpose.REOPEN, now)
    audit.add(actor, "account.close", f"user:{user.id}", households=[user.id], now=now)
    return Closed(bookings, appointments, promoted)


def _cancel_bookings(family_id: int, actor: User, now: datetime) -> tuple[int, int]:
    """Cancel the household's bookings still to come and seat each session's waitlist."""
    held = select(Booking.session_id).join(Booking.session)
    session_ids = db.session.scalars(
        held.where(Booking.family_id == family_id, Booking.is_open(now))
    ).all()
    cancelled = promoted = 0
    for session in lock_sessions(session_ids):
        booking = db.session.scalar(
            select(Booking)
            .where(Booking.session_id == session.id, Booking.family_id == family_id)
            .where(Booking.is_active)
            .execution_options(populate_existing=True)
        )
        if booking is None or session.starts_at <= now:
            continue  # cancelled, or begun, while this waited for the lock
        if actor.id != family_id:
            booking.cancelled_by_id = actor.id
        transition(booking, BookingStatus.CANCELLED, now)
        cancelled += 1
        promoted += len(promote_waitlisted(session, now))
    return cancelled, promoted


def _cancel_appointments(family_id: int, now: datetime) -> int:
    """Cancel its appointments still to come; each counselor is told, as for any cancel."""
    ids = db.session.scalars(
        select(Appointment.id)
        .join(Appointment.slot)
        .where(Appointment.family_id == family_id, Appointment.is_open(now))
    ).all()
    cancelled = 0
    for appointment in lock(Appointment, ids):
        if not appointment.is_open(now):
            continue
        appointment.moved_by_counselor_at = None
        transition(appointment, AppointmentStatus.CANCELLED, now, by_family=True)
        cancelled += 1
    return cancelled


def reopenable(token: str, now: datetime) -> User | None:
    """The closed account this emailed link still opens, or None (for the GET page)."""
    link = email_links.find(token, LinkPurpose.REOPEN, now)
    return db.session.get(User, link.user_id) if link else None


def reopen(token: str, *, now: datetime) -> User:
    """Open a closed account again with its emailed link, within the grace period.

    It logs in with the password it had; what closing cancelled stays cancelled, and
    its calendar link is made again on its account page.
    """
    with write_transaction() as session:
        _, found = email_links.take(session, token, LinkPurpose.REOPEN, now)
        user = lock(User, [found.id])[0]
        user.closed_at = None
        user.active = True
        audit.add(user, "account.reopen", f"user:{user.id}", households=[user.id], now=now)
    return user


def reopen_until(user: User) -> datetime | None:
    """Until when a closed account can be reopened; None: open, or erased already."""
    if user.closed_at is None or user.erased_at is not None:
        return None
    return user.closed_at + settings.current().account_close_grace


def cancelled_when_closed(user: User) -> list[WorkshopSession]:
    """The sessions whose bookings closing the account cancelled, for the reopen page."""
    if user.closed_at is None:
        return []
    return list(
        db.session.scalars(
            select(WorkshopSession)
            .join(Booking, Booking.session_id == WorkshopSession.id)
            .where(
                Booking.family_id == user.id,
                Booking.status == BookingStatus.CANCELLED,
                Booking.cancelled_at == user.closed_at,
            )
            .order_by(WorkshopSession.starts_at)
        )
    )
