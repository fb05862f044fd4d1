"""Publishing and changing workshops: single sessions and weekly series."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from scheduler import i18n, settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Booking,
    BookingStatus,
    SessionStatus,
    Workshop,
    WorkshopChange,
    WorkshopSession,
    WorkshopStatus,
)
from scheduler.services import notices, notify
from scheduler.services.errors import DomainError
from scheduler.services.lifecycle import transition
from scheduler.services.locks import lock, lock_sessions
from scheduler.services.seats import seat_count
from scheduler.services.waitlist import promote_waitlisted
from scheduler.timetext import moment_text
from scheduler.timeutil import to_utc, wall_time, weekly

#: The longest series one form may create; a longer programme is a second series.
MAX_WEEKS = 52


class Scope(StrEnum):
    """Which sessions of a series a change applies to."""

    ONE = "one"
    FOLLOWING = "following"


@dataclass(frozen=True)
class WorkshopDetails:
    title: str
    description: str
    location: str
    online_url: str
    publish: bool
    #: The language the sessions are held in; None: DEFAULT_LANGUAGE for a new workshop,
    #: unchanged for an edit.
    language: str | None = None
    #: Whether households marked absent are invited back by email; None: on for a new
    #: workshop, unchanged for an edit.
    invite_back_absent: bool | None = None


def _language(details: WorkshopDetails, default: str) -> str:
    """The workshop's language from the form, one Hearth speaks."""
    language = details.language or default
    if not i18n.is_language(language):
        raise DomainError("unknown_language")
    return language


@dataclass(frozen=True)
class Affected:
    """A household that a change would move, named so the facilitator can call them."""

    booking_id: int
    family_name: str
    seats: int
    when: str
    #: Whose booking it is: naming them is a look at their data (the access trail).
    family_id: int = 0


def no_such_time(error: ValueError) -> DomainError:
    """Say, in the reader's language, why a local time can't be used."""
    if "does not exist" in str(error):
        detail = _("That time does not exist on that day where the workshop is: the clocks change")
    else:
        detail = _("That date is too far ahead for the calendar")
    return DomainError("time_does_not_exist", detail=detail)


def utc_or_error(local: datetime, zone: str) -> datetime:
    try:
        return to_utc(local, zone)
    except ValueError as error:
        raise no_such_time(error) from error


def create_workshop(
    facilitator_id: int,
    details: WorkshopDetails,
    *,
    timezone: str,
    capacity: int,
    first_start: datetime,
    duration_minutes: int,
    weeks: int,
    now: datetime,
) -> Workshop:
    """Create a workshop with ``weeks`` weekly sessions at the same local wall time."""
    try:
        starts = weekly(first_start, weeks, timezone)
    except ValueError as error:
        raise no_such_time(error) from error
    if starts[0] <= now:
        raise DomainError("start_in_past")
    language = _language(details, settings.current().default_language)
    length = timedelta(minutes=duration_minutes)
    with write_transaction() as session:
        workshop = add_workshop(
            session, facilitator_id, details, timezone=timezone, language=language, now=now
        )
        session.add_all(
            new_session(workshop.id, start, length=length, capacity=capacity, now=now)
            for start in starts
        )
    return workshop


def add_workshop(
    session: Session,
    facilitator_id: int,
    details: WorkshopDetails,
    *,
    timezone: str,
    language: str,
    now: datetime,
) -> Workshop:
    """Add a workshop, published or a draft as ``details`` say, in the caller's transaction."""
    workshop = Workshop(
        facilitator_id=facilitator_id,
        title=details.title.strip(),
        description=details.description.strip(),
        location=details.location.strip(),
        online_url=details.online_url.strip(),
        timezone=timezone,
        language=language,
        status=WorkshopStatus.PUBLISHED if details.publish else WorkshopStatus.DRAFT,
        invite_back_absent=details.invite_back_absent is not False,
        created_at=now,
        updated_at=now,
    )
    session.add(workshop)
    session.flush()
    return workshop


def new_session(
    workshop_id: int, start: datetime, *, length: timedelta, capacity: int, now: datetime
) -> WorkshopSession:
    """A session of a workshop, from ``start`` for ``length``, for the caller to add."""
    return WorkshopSession(
        workshop_id=workshop_id,
        starts_at=start,
        ends_at=start + length,
        capacity=capacity,
        created_at=now,
        updated_at=now,
    )


def has_bookings(workshop_id: int, *, active_only: bool = True) -> bool:
    """Tell whether households hold seats in the workshop (or ever did: ``active_only=False``)."""
    booked = (
        exists()
        .where(Booking.session_id == WorkshopSession.id)
        .where(WorkshopSession.workshop_id == workshop_id)
    )
    if active_only:
        booked = booked.where(Booking.is_active)
    return bool(db.session.scalar(select(booked)))


def _told_changes(workshop: Workshop, details: WorkshopDetails) -> set[WorkshopChange]:
    """Which of the details households are told about when they change, change here."""
    now_said = {
        WorkshopChange.TITLE: workshop.title,
        WorkshopChange.PLACE: workshop.location,
        WorkshopChange.LINK: workshop.online_url,
    }
    new = {
        WorkshopChange.TITLE: details.title.strip(),
        WorkshopChange.PLACE: details.location.strip(),
        WorkshopChange.LINK: details.online_url.strip(),
    }
    return {change for change, value in new.items() if value != now_said[change]}


def update_details(workshop_id: int, details: WorkshopDetails, *, now: datetime) -> Workshop:
    """Change what a workshop says. A new title, place or link is a change to every
    upcoming session (calendars get a higher SEQUENCE), and each household booked or
    waitlisted in one is told, once."""
    with write_transaction():
        (workshop,) = lock(Workshop, [workshop_id])
        if not details.publish and workshop.is_published and has_bookings(workshop.id):
            raise DomainError("unpublish_with_bookings")
        changes = _told_changes(workshop, details)
        workshop.title = details.title.strip()
        workshop.description = details.description.strip()
        workshop.location = details.location.strip()
        workshop.online_url = details.online_url.strip()
        workshop.language = _language(details, workshop.language)
        if details.invite_back_absent is not None:
            workshop.invite_back_absent = details.invite_back_absent
        workshop.status = WorkshopStatus.PUBLISHED if details.publish else WorkshopStatus.DRAFT
        workshop.updated_at = now
        for session in workshop.sessions:
            if changes and session.starts_at > now:
                session.sequence += 1
            session.updated_at = now
        db.session.flush()
        notices.workshop_changed([s for s in workshop.sessions if s.is_open(now)], changes, now)
    return workshop


def _in_scope(session: WorkshopSession, scope: Scope, now: datetime) -> list[int]:
    """Return ids of the not-yet-started, scheduled sessions a change covers."""
    if scope is Scope.ONE:
        return [session.id]
    return [
        s.id
        for s in session.workshop.sessions
        if s.starts_at >= session.starts_at and s.is_open(now)
    ]


def _editable(session_id: int) -> WorkshopSession:
    session = db.session.get(WorkshopSession, session_id)
    if session is None:
        raise DomainError("session_not_found")
    return session


def _check_changeable(session: WorkshopSession, now: datetime) -> None:
    if session.is_cancelled:
        raise DomainError("session_cancelled")
    if session.starts_at <= now:
        raise DomainError("session_started")


def reschedule(
    session_id: int,
    *,
    new_start: datetime,
    duration_minutes: int,
    scope: Scope,
    now: datetime,
) -> list[WorkshopSession]:
    """Move one session, or it and every later one by the same shift of local wall time.

    Shifting wall times (not instants) keeps a series at its local hour across DST.
    Each household booked or waitlisted in a moved session is told once, whatever the
    number of its sessions that moved, and its reminders move with them.
    """
    anchor = _editable(session_id)
    zone = anchor.workshop.timezone
    shift = new_start - wall_time(anchor.starts_at, zone)
    length = timedelta(minutes=duration_minutes)
    with write_transaction():
        sessions = lock_sessions(_in_scope(anchor, scope, now))
        moved = []
        for session in sessions:
            _check_changeable(session, now)
            start = utc_or_error(wall_time(session.starts_at, zone) + shift, zone)
            if start <= now:
                raise DomainError("start_in_past")
            if (start, start + length) != (session.starts_at, session.ends_at):
                session.starts_at, session.ends_at = start, start + length
                session.sequence += 1
                session.updated_at = now
                moved.append(session)
        db.session.flush()
        notices.workshop_changed(moved, {WorkshopChange.TIME}, now)
    return moved


def _overflow(session: WorkshopSession, capacity: int, zone: str) -> list[Affected]:
    """Return the latest confirmed bookings that no longer fit in ``capacity`` seats."""
    count = seat_count(session)
    excess = count.confirmed - capacity
    affected: list[Affected] = []
    if excess <= 0:
        return affected
    latest_first = db.session.scalars(
        select(Booking)
        .where(Booking.session_id == session.id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.id.desc())
    )
    for booking in latest_first:
        if excess <= 0:
            break
        affected.append(
            Affected(
                booking.id,
                booking.family.staff_name,
                booking.seats,
                moment_text(session.starts_at, zone),
                booking.family_id,
            )
        )
        excess -= booking.seats
    return affected


class CapacityConflict(DomainError):
    """Lowering capacity would unseat households; carries who, for the confirm step."""

    def __init__(self, affected: list[Affected], booked: int, capacity: int, when: str) -> None:
        super().__init__("capacity_below_booked", booked=booked, capacity=capacity, when=when)
        self.affected = affected


def change_capacity(
    session_id: int, *, capacity: int, scope: Scope, move_to_waitlist: bool, now: datetime
) -> list[Affected]:
    """Set the seats of one session or the rest of a series.

    Never drops below the seats already booked silently: without ``move_to_waitlist``
    it raises CapacityConflict naming the households affected; with it, those move to the
    front of the waitlist. Added seats go to the waitlist straight away.
    """
    anchor = _editable(session_id)
    zone = anchor.workshop.timezone
    with write_transaction():
        sessions = lock_sessions(_in_scope(anchor, scope, now))
        moved: list[Affected] = []
        for session in sessions:
            _check_changeable(session, now)
            affected = _overflow(session, capacity, zone)
            if affected and not move_to_waitlist:
                raise CapacityConflict(
                    affected,
                    seat_count(session).confirmed,
                    capacity,
                    moment_text(session.starts_at, zone),
                )
            for item in affected:
                booking = db.session.get_one(Booking, item.booking_id)
                transition(booking, BookingStatus.WAITLISTED, now)
            moved.extend(affected)
            if session.capacity != capacity:
                session.capacity = capacity
                session.updated_at = now
            db.session.flush()
            promote_waitlisted(session, now)
    return moved


def cancel_sessions(session_id: int, *, scope: Scope, now: datetime) -> list[WorkshopSession]:
    """Cancel one session or the rest of a series; bookings stay so families see it."""
    anchor = _editable(session_id)
    with write_transaction():
        sessions = lock_sessions(_in_scope(anchor, scope, now))
        for session in sessions:
            _check_changeable(session, now)
        _cancel(sessions, now)
    return sessions


def cancel_open_sessions(session_ids: list[int], *, now: datetime) -> list[WorkshopSession]:
    """In the caller's write transaction: cancel those of these sessions still to come
    (a departing facilitator's); booked families are told, as by ``cancel_sessions``."""
    sessions = [s for s in lock_sessions(session_ids) if s.is_open(now)]
    _cancel(sessions, now)
    return sessions


def _cancel(sessions: list[WorkshopSession], now: datetime) -> None:
    for session in sessions:
        session.status = SessionStatus.CANCELLED
        session.cancelled_at = now
        session.sequence += 1
        session.updated_at = now
        notify.session_cancelled(session, now)
