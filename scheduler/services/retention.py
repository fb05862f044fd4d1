"""The daily purge: what Hearth no longer needs is cleared or deleted, as the settings say.

The purge is a list of named steps (:data:`STEPS`); each reads its limit from the
settings and returns how many rows it cleared or deleted. A step works through its rows
in batches of :data:`BATCH`, each batch in its own write transaction, so a large table
never holds one long transaction (or SQLite's write lock) for the whole purge, and
bookings go on being made between batches.

Two dispatchers may start the same day's purge at once: the run is claimed by its day
(``retention_runs.day`` is unique; the loser does nothing). Each step is idempotent
anyway (it only touches rows that still need it, re-checked in the statement that
changes them) and counts what its statements changed, never what it meant to change, so
even two runs at once could not count a row twice.

Needs and notes are cleared with bulk ``update()`` statements, which the feeds' change
counters (``feeds.changes``) don't see: no feed shows needs or notes, so none changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, delete, exists, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from scheduler import settings
from scheduler.database import insert_on_conflict, write_transaction
from scheduler.extensions import db
from scheduler.models import (
    ERASED_NAME,
    NO_PASSWORD,
    Appointment,
    AttendanceLetter,
    AuditEvent,
    Booking,
    CounselingSlot,
    EmailLink,
    FeedState,
    GroupMessage,
    LoginFailure,
    LoginSession,
    OutboxMessage,
    OutboxStatus,
    RetentionRun,
    Role,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import erasure, locks
from scheduler.services.feeds.changes import own
from scheduler.timeutil import utcnow

log = logging.getLogger(__name__)

#: Rows changed per transaction: small enough that no writer waits long behind a batch.
BATCH = 500
#: Emailed links made this recently count towards the hourly limit (email_links.issue).
_LINK_COUNTING = timedelta(hours=1)


#: What a run purged: rows per step name; None for a step that failed.
Counts = dict[str, int | None]


@dataclass(frozen=True)
class Step:
    """One kind of data purged: its name (the key of a run's counts) and what does it."""

    name: str
    #: Purges what is due at ``now``; returns how many rows it cleared or deleted.
    purge: Callable[[datetime], int]


def _changed(result: Any) -> int:
    """How many rows a statement changed (what it did, not what it was meant to do)."""
    return max(cast(CursorResult[Any], result).rowcount, 0)


def _in_batches(
    key: InstrumentedAttribute[int],
    due: ColumnElement[bool],
    apply: Callable[[Session, list[int]], int],
) -> int:
    """Apply ``apply`` to the rows ``due`` picks, BATCH ids at a time, one transaction each.

    Ids are taken in order from where the last batch stopped, so a row ``apply`` chose
    to leave (it changed in between) is never picked again and the loop always ends.
    """
    total, after = 0, 0
    while True:
        with write_transaction() as session:
            ids = list(
                session.scalars(select(key).where(due, key > after).order_by(key).limit(BATCH))
            )
            if ids:
                total += apply(session, ids)
        if len(ids) < BATCH:
            return total
        after = ids[-1]


def _clear(model: Any, due: ColumnElement[bool], **blank: Any) -> int:
    """Set the columns in ``blank`` on the rows ``due`` picks, in batches; count them."""

    def apply(session: Session, ids: list[int]) -> int:
        statement = update(model).where(model.id.in_(ids), due).values(**blank)
        return _changed(session.execute(statement.execution_options(synchronize_session=False)))

    return _in_batches(model.id, due, apply)


def _delete(model: Any, due: ColumnElement[bool]) -> int:
    """Delete the rows ``due`` picks, in batches; count them."""

    def apply(session: Session, ids: list[int]) -> int:
        statement = delete(model).where(model.id.in_(ids), due)
        return _changed(session.execute(statement.execution_options(synchronize_session=False)))

    return _in_batches(model.id, due, apply)


# --- the steps --------------------------------------------------------------------------


def clear_booking_needs(now: datetime) -> int:
    """Clear what households told the facilitator of sessions that ended long enough ago.

    Childcare is cleared too: it says the household has young children, and nothing
    counts it once the session is over. The seats, status and attendance stay (rosters
    and letters still add up); ``updated_at`` stays, as nothing the household did changed.
    """
    ended = select(WorkshopSession.id).where(
        WorkshopSession.ends_at < now - settings.current().retention_needs
    )
    due = and_(
        Booking.session_id.in_(ended),
        or_(
            Booking.accessibility_needs != "",
            Booking.interpreter_language != "",
            Booking.notes != "",
            Booking.childcare_needed.is_(True),
        ),
    )
    return _clear(
        Booking,
        due,
        accessibility_needs="",
        interpreter_language="",
        notes="",
        childcare_needed=False,
        updated_at=Booking.updated_at,
    )


def clear_appointment_notes(now: datetime) -> int:
    """Clear the family's note on counseling appointments that ended long enough ago."""
    ended = select(CounselingSlot.id).where(
        CounselingSlot.ends_at < now - settings.current().retention_needs
    )
    due = and_(Appointment.slot_id.in_(ended), Appointment.note != "")
    return _clear(Appointment, due, note="", updated_at=Appointment.updated_at)


def clear_group_message_words(now: datetime) -> int:
    """Blank the words of old messages to a group; who they went to, and when, stay.

    A message still waiting to go out to someone keeps its words until it has gone.
    """
    waiting = exists().where(
        OutboxMessage.group_message_id == GroupMessage.id,
        OutboxMessage.status == OutboxStatus.PENDING,
    )
    due = and_(
        GroupMessage.created_at < now - settings.current().retention_messages,
        or_(GroupMessage.body != "", GroupMessage.subject != ""),
        ~waiting,
    )
    return _clear(GroupMessage, due, body="", subject="")


def clear_outbox_errors(now: datetime) -> int:
    """Clear the error text of old outbox rows (it may quote an address or a server's
    words); the delivery record (kind, recipient, times, status, attempts) stays.

    The outbox stores no bodies: every email is worded when it is sent.
    """
    due = and_(
        OutboxMessage.created_at < now - settings.current().retention_messages,
        OutboxMessage.last_error != "",
        OutboxMessage.status != OutboxStatus.PENDING,
    )
    return _clear(OutboxMessage, due, last_error="")


def delete_audit_events(now: datetime) -> int:
    """Delete entries of the access trail older than its retention."""
    return _delete(AuditEvent, AuditEvent.created_at < now - settings.current().retention_audit)


def _unconfirmed(cutoff: datetime) -> ColumnElement[bool]:
    """Family accounts people made themselves, never confirmed, unused since ``cutoff``,
    and holding nothing: no booking, appointment or letter (cancelled ones count)."""
    return and_(
        User.role == Role.FAMILY,
        User.email_verified_at.is_(None),
        # Not a household staff recorded (it has no password until claimed), nor an invitee.
        User.created_by_id.is_(None),
        ~User.password_hash.startswith(NO_PASSWORD),
        User.invited_at.is_(None),
        # A closed account waits out its grace period; the erasure step takes it after.
        User.closed_at.is_(None),
        User.created_at < cutoff,
        or_(User.last_login_at.is_(None), User.last_login_at < cutoff),
        ~exists().where(Booking.family_id == User.id),
        ~exists().where(Appointment.family_id == User.id),
        ~exists().where(AttendanceLetter.family_id == User.id),
        # Staff records (an account once staff, its role changed) are kept by their FKs.
        ~exists().where(Workshop.facilitator_id == User.id),
        ~exists().where(Appointment.facilitator_id == User.id),
    )


def delete_unconfirmed_accounts(now: datetime) -> int:
    """Delete self-made family accounts never confirmed and never used to book anything.

    Each account's row is locked first, as booking locks it before writing, and the
    accounts are picked again under the lock: one that booked meanwhile stays. Its
    sign-ins, links and queued mail go with it (``ON DELETE CASCADE``).
    """
    due = _unconfirmed(now - settings.current().retention_unconfirmed)

    def apply(session: Session, ids: list[int]) -> int:
        locks.lock(User, ids)
        still = list(session.scalars(select(User.id).where(User.id.in_(ids), due)))
        if not still:
            return 0
        session.execute(delete(FeedState).where(FeedState.name.in_([own(i) for i in still])))
        # Its entries on the trail outlive it (actor_id goes NULL); its name must not.
        names = update(AuditEvent).where(AuditEvent.actor_id.in_(still))
        session.execute(names.values(actor_name=ERASED_NAME))
        statement = delete(User).where(User.id.in_(still))
        return _changed(session.execute(statement.execution_options(synchronize_session=False)))

    return _in_batches(User.id, due, apply)


def delete_dead_links(now: datetime) -> int:
    """Delete emailed links used or run out long enough ago.

    Sent emails that carried one keep their delivery record (the link is taken off them);
    a link whose email is still waiting to go is left for the sender to drop.
    """
    cutoff = now - settings.current().retention_links
    waiting = exists().where(
        OutboxMessage.link_id == EmailLink.id, OutboxMessage.status == OutboxStatus.PENDING
    )
    due = and_(
        or_(EmailLink.expires_at < cutoff, EmailLink.used_at < cutoff),
        EmailLink.created_at < now - _LINK_COUNTING,
        ~waiting,
    )

    def apply(session: Session, ids: list[int]) -> int:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.link_id.in_(ids), OutboxMessage.status != OutboxStatus.PENDING)
            .values(link_id=None)
            .execution_options(synchronize_session=False)
        )
        statement = delete(EmailLink).where(EmailLink.id.in_(ids), due)
        return _changed(session.execute(statement.execution_options(synchronize_session=False)))

    return _in_batches(EmailLink.id, due, apply)


def delete_ended_sign_ins(now: datetime) -> int:
    """Delete sign-ins that ended (SIGN_IN_HOURS, or "Keep me logged in"'s duration)."""
    return _delete(LoginSession, LoginSession.expires_at <= now)


def delete_old_login_failures(now: datetime) -> int:
    """Delete failed logins older than the throttle remembers them (LOGIN_FAILURE_MEMORY_HOURS)."""
    return _delete(
        LoginFailure, LoginFailure.failed_at < now - settings.current().login_failure_memory
    )


#: The purge, in order. Each name is the key of its count in ``retention_runs.counts``
#: and of its words on the admin page.
STEPS: list[Step] = [
    Step("booking_needs", clear_booking_needs),
    Step("appointment_notes", clear_appointment_notes),
    Step("group_message_words", clear_group_message_words),
    Step("outbox_errors", clear_outbox_errors),
    Step("audit_events", delete_audit_events),
    Step("unconfirmed_accounts", delete_unconfirmed_accounts),
    Step("email_links", delete_dead_links),
    Step("sign_ins", delete_ended_sign_ins),
    Step("login_failures", delete_old_login_failures),
    # Households that closed their account, once its grace period is over.
    Step("closed_accounts", erasure.erase_due),
]


# --- the runs ----------------------------------------------------------------------------


def _claim(day: date, now: datetime) -> int | None:
    """Record the day's run; None when another process recorded it first."""
    table = RetentionRun.__table__
    with write_transaction() as session:
        inserted = session.execute(
            insert_on_conflict(table, ("day", "ran_at", "counts"), '"day"'),
            {"day": day, "ran_at": now, "counts": {}},
        )
        if not _changed(inserted):
            return None
        return session.scalars(select(RetentionRun.id).where(RetentionRun.day == day)).one()


def _record(run_id: int, counts: Counts, finished_at: datetime | None) -> None:
    with write_transaction() as session:
        session.execute(
            update(RetentionRun)
            .where(RetentionRun.id == run_id)
            .values(counts=dict(counts), finished_at=finished_at)
        )


def purge(now: datetime, steps: list[Step] | None = None, *, run_id: int | None = None) -> Counts:
    """Run every step once; return each one's count (None: it failed, and was logged).

    The steps after a failed one still run, so one broken step never keeps the others
    from purging. With ``run_id`` the counts are recorded after each step, so a run cut
    short still shows what it did.
    """
    counts: Counts = {}
    for step in STEPS if steps is None else steps:
        try:
            counts[step.name] = step.purge(now)
        except Exception:
            log.exception("retention step %s failed", step.name)
            counts[step.name] = None
        if run_id is not None:
            _record(run_id, counts, None)
    return counts


def run_daily(now: datetime, steps: list[Step] | None = None) -> RetentionRun | None:
    """Run the day's purge once, whoever asks first; None when it already ran that day."""
    run_id = _claim(now.date(), now)
    if run_id is None:
        return None
    counts = purge(now, steps, run_id=run_id)
    _record(run_id, counts, utcnow())
    db.session.expire_all()
    return db.session.get_one(RetentionRun, run_id)


def recent_runs(limit: int = 14) -> list[RetentionRun]:
    """The latest runs, newest first (two weeks of daily runs)."""
    return list(
        db.session.scalars(select(RetentionRun).order_by(RetentionRun.day.desc()).limit(limit))
    )


@dataclass(frozen=True)
class Periods:
    """How long each kind of data is kept, in days, for the privacy and admin pages."""

    needs: int
    messages: int
    audit: int
    unconfirmed: int
    links: int
    #: Days a closed account can be reopened before it is erased.
    close_grace: int
    #: Hours the link to a family's copy of its data works.
    export_hours: int


def periods() -> Periods:
    """The retention settings as the pages say them."""
    current = settings.current()
    return Periods(
        needs=current.retention_needs.days,
        messages=current.retention_messages.days,
        audit=current.retention_audit.days,
        unconfirmed=current.retention_unconfirmed.days,
        links=current.retention_links.days,
        close_grace=current.account_close_grace.days,
        export_hours=int(current.data_export_lifetime.total_seconds() // 3600),
    )
