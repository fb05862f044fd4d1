"""Erasing a closed household once its grace period is over, table by table.

The account's row stays, as a placeholder named ``ERASED_NAME`` ("Former household"):
its bookings keep their seats and attendance marks, so past rosters, seat counts and
attendance totals still add up. Everything that said who it was, what it needed or
what it wrote goes: its name, address, phone and password; its needs and notes on
every booking and appointment; its sign-ins, emailed links, failed logins and mail;
the name on the audit events it made; the personal facts of the letters it was
issued, which from then on check as "issued, no longer available".

``erase_due`` is called by the daily retention job; each account is erased in its own
transaction, under its row's lock, so one failure leaves the others done.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    ERASED_NAME,
    NO_PASSWORD,
    Appointment,
    AttendanceLetter,
    AuditEvent,
    Booking,
    DataExport,
    EmailLink,
    LoginFailure,
    LoginSession,
    OutboxMessage,
    Role,
    StaffNameChoice,
    User,
)
from scheduler.services.accounts import throttle_key
from scheduler.services.locks import lock


def due(now: datetime) -> list[int]:
    """The closed households whose grace period is over and that are not erased yet."""
    grace = settings.current().account_close_grace
    return list(
        db.session.scalars(
            select(User.id)
            .where(
                User.role == Role.FAMILY,
                User.closed_at <= now - grace,
                User.erased_at.is_(None),
            )
            .order_by(User.id)
        )
    )


def erase_due(now: datetime) -> int:
    """Erase every closed household past its grace period; return how many."""
    erased = 0
    grace = settings.current().account_close_grace
    for user_id in due(now):
        with write_transaction():
            found = lock(User, [user_id])
            user = found[0] if found else None
            # Reopened, or erased by another run, while this one waited for the lock.
            if user is None or user.closed_at is None or user.erased_at is not None:
                continue
            if user.closed_at > now - grace:
                continue
            erase(user, now)
            erased += 1
    return erased


def erase(user: User, now: datetime) -> None:
    """In the caller's transaction, holding the account's row: erase what it was."""
    address = user.email
    _forget_mail(user.id, address)
    _blank_reservations(user.id)
    _strip_letters(user.id)
    db.session.execute(
        update(AuditEvent).where(AuditEvent.actor_id == user.id).values(actor_name=ERASED_NAME)
    )
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    db.session.execute(delete(DataExport).where(DataExport.household_id == user.id))
    _blank_account(user, now)


def _forget_mail(user_id: int, address: str | None) -> None:
    """Its emailed links, failed logins under its address, and the mail it was sent.

    Outbox rows keep no words (an email is worded when it goes out), but they say what
    it was sent and when, and a failed send's error may quote its address.
    """
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.recipient_id == user_id))
    links = EmailLink.user_id == user_id
    if address is not None:
        links = or_(links, EmailLink.email == address, EmailLink.new_email == address)
        db.session.execute(
            delete(LoginFailure).where(LoginFailure.key.startswith(throttle_key(address)))
        )
    db.session.execute(delete(EmailLink).where(links))


def _blank_reservations(user_id: int) -> None:
    """Its needs and notes; the seats, statuses and attendance marks stay."""
    db.session.execute(
        update(Booking)
        .where(Booking.family_id == user_id)
        .values(accessibility_needs="", interpreter_language="", notes="", childcare_needed=False)
    )
    db.session.execute(update(Appointment).where(Appointment.family_id == user_id).values(note=""))


def _strip_letters(user_id: int) -> None:
    """Letters it was issued keep their code (a printed copy still finds its row) and no
    fact about it: checking one says "issued, no longer available"."""
    db.session.execute(
        update(AttendanceLetter)
        .where(AttendanceLetter.family_id == user_id)
        .values(family_id=None, holder_name="", title="", sessions=[])
    )


def _blank_account(user: User, now: datetime) -> None:
    """The placeholder: a neutral name, no way in, no preference of its own."""
    user.name = ERASED_NAME
    user.email = None
    user.phone = ""
    user.password_hash = NO_PASSWORD
    user.active = False
    user.language = None
    user.timezone = "UTC"
    user.descriptive_titles = False
    user.reminders_enabled = False
    user.invite_back = False
    user.reminder_offsets = ""
    user.feed_salt = user.feed_token_hash = user.link_salt = None
    user.email_verified_at = user.last_login_at = None
    user.staff_name_choice, user.alias = StaffNameChoice.FULL, None
    user.erased_at = now
