"""The facilitator's program over the terms: past sessions, a copy of a workshop for a
new term, one more session, and deleting a draft nobody booked.

Each change asks ``permissions`` whether the person may manage the workshop, under the
workshop's lock, as the web layer's loader did before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from math import ceil

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import contains_eager

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import User, Workshop, WorkshopFacilitator, WorkshopSession
from scheduler.services import permissions, series
from scheduler.services.calendar_view import local_midnight
from scheduler.services.catalog import PageNumbers
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock, lock_sessions
from scheduler.services.seats import SeatCount, seat_counts
from scheduler.services.series import WorkshopDetails, utc_or_error
from scheduler.timeutil import wall_time

#: Past sessions on a page of the history: a phone screen or two.
PER_PAGE = 25


@dataclass(frozen=True)
class HistoryFilter:
    """Which past sessions to list: one workshop's, and those between two local days."""

    workshop_id: int | None = None
    #: Days in the reader's zone, both included.
    first_day: date | None = None
    last_day: date | None = None


@dataclass(frozen=True)
class PastSession:
    session: WorkshopSession
    seats: SeatCount


@dataclass(frozen=True)
class HistoryPage(PageNumbers):
    """One page of past sessions, newest first, and where it stands among the others."""

    rows: list[PastSession]
    page: int
    pages: int
    #: Past sessions the filter finds, on every page.
    total: int


@dataclass(frozen=True)
class WorkshopChoice:
    """A workshop that has past sessions, for the history's filter."""

    id: int
    title: str
    timezone: str
    #: Its first session: two terms of one workshop often share a title.
    first_start: datetime


def _past(viewer: User, now: datetime) -> list[ColumnElement[bool]]:
    return [WorkshopSession.ends_at <= now, permissions.managed_workshops_clause(viewer)]


def history_workshops(viewer: User, *, now: datetime) -> list[WorkshopChoice]:
    """List the workshops with past sessions this person runs (admins: all), by title."""
    first = func.min(WorkshopSession.starts_at)
    rows = db.session.execute(
        select(Workshop.id, Workshop.title, Workshop.timezone, first)
        .join(WorkshopSession)
        .where(*_past(viewer, now))
        .group_by(Workshop.id, Workshop.title, Workshop.timezone)
        .order_by(Workshop.title, first, Workshop.id)
    )
    return [WorkshopChoice(*row) for row in rows]


def past_sessions(
    viewer: User,
    *,
    now: datetime,
    only: HistoryFilter = HistoryFilter(),
    page: int = 1,
    per_page: int = PER_PAGE,
) -> HistoryPage:
    """List a page of the sessions that have ended in the workshops this person runs
    (admins: everyone's), newest first, with their seats; cancelled ones too.

    The days are read in the viewer's own zone. A page past the end (an old link) is
    the last page. Three statements at any size: the page, its count if past the end,
    the seats.
    """
    where = _past(viewer, now)
    if only.workshop_id is not None:
        where.append(WorkshopSession.workshop_id == only.workshop_id)
    if only.first_day is not None:
        where.append(WorkshopSession.starts_at >= local_midnight(only.first_day, viewer.timezone))
    if only.last_day is not None:
        after = only.last_day + timedelta(days=1)
        where.append(WorkshopSession.starts_at < local_midnight(after, viewer.timezone))
    page = max(page, 1)
    sessions, total = _history_page(where, page, per_page)
    pages = max(1, ceil(total / per_page))
    if page > pages:
        page = pages
        sessions, total = _history_page(where, page, per_page)
    counts = seat_counts(sessions)
    return HistoryPage([PastSession(s, counts[s.id]) for s in sessions], page, pages, total)


def _history_page(
    where: list[ColumnElement[bool]], page: int, per_page: int
) -> tuple[list[WorkshopSession], int]:
    """One page of past sessions and how many there are in all."""
    found = db.session.execute(
        select(WorkshopSession, func.count().over().label("total"))
        .join(WorkshopSession.workshop)
        .options(contains_eager(WorkshopSession.workshop).joinedload(Workshop.facilitator))
        .where(*where)
        .order_by(WorkshopSession.starts_at.desc(), WorkshopSession.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if found:
        return [row[0] for row in found], found[0].total
    if page == 1:
        return [], 0
    # Past the end the window has no row to carry the total: ask for it alone.
    counted = select(func.count()).select_from(WorkshopSession).join(Workshop).where(*where)
    return [], db.session.scalar(counted) or 0


def _managed(workshop_id: int, by: int, *, shared: bool = False) -> Workshop:
    """Lock a workshop the person may manage; anyone else's doesn't exist for them."""
    found = lock(Workshop, [workshop_id], shared=shared)
    if not found or not permissions.can_manage_workshop(db.session.get(User, by), found[0]):
        raise DomainError("workshop_not_found")
    return found[0]


def _shifted(instant: datetime, zone: str, days: timedelta) -> datetime:
    """The same wall-clock time ``days`` later in ``zone``: 6 PM stays 6 PM across DST."""
    try:
        wall = wall_time(instant, zone) + days
    except OverflowError as error:
        raise series.no_such_time(ValueError("outside the calendar")) from error
    return utc_or_error(wall, zone)


@dataclass(frozen=True)
class CopyPlan:
    """What copying a workshop would take, for the page that asks for the new date."""

    #: The sessions copied, in time order: every one not cancelled.
    sessions: list[WorkshopSession]
    #: Cancelled sessions, left out.
    skipped: int
    #: The first session's day of the week (0 is Monday), which the copy's first keeps.
    weekday: int | None
    #: The first such day after the workshop's last session and today: the next term.
    suggested_day: date | None


def copy_plan(workshop: Workshop, *, now: datetime) -> CopyPlan:
    """Say what a copy of ``workshop`` would hold, and suggest the day it could start."""
    kept = [s for s in workshop.sessions if not s.is_cancelled]
    if not kept:
        return CopyPlan([], len(workshop.sessions), None, None)
    zone = workshop.timezone
    first = wall_time(kept[0].starts_at, zone).date()
    last = wall_time(workshop.sessions[-1].starts_at, zone).date()
    after = max(last, wall_time(now, zone).date())
    weeks = (after - first).days // 7 + 1
    suggested = first + timedelta(weeks=weeks)
    return CopyPlan(kept, len(workshop.sessions) - len(kept), first.weekday(), suggested)


@dataclass(frozen=True)
class SessionPlan:
    """What the form for one more session starts from: the series' next week."""

    #: Wall time in the workshop's zone; None for a workshop without sessions.
    starts_at: datetime | None
    duration_minutes: int
    capacity: int


def next_session_plan(workshop: Workshop, *, now: datetime) -> SessionPlan:
    """Suggest a session a week after the last one (or the first week still to come),
    as long and with as many seats."""
    kept = [s for s in workshop.sessions if not s.is_cancelled] or workshop.sessions
    if not kept:
        return SessionPlan(None, 90, 12)
    last, zone = kept[-1], workshop.timezone
    wall = wall_time(last.starts_at, zone) + timedelta(weeks=1)
    today = wall_time(now, zone)
    if wall <= today:
        wall += timedelta(weeks=(today - wall).days // 7 + 1)
    return SessionPlan(wall, last.duration_minutes, last.capacity)


def has_history(workshop_id: int, *, now: datetime) -> bool:
    """Tell whether any session of the workshop has ended (its history has something)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    WorkshopSession.workshop_id == workshop_id, WorkshopSession.ends_at <= now
                )
            )
        )
    )


def duplicate_workshop(
    workshop_id: int, *, by: int, first_day: date, title: str | None = None, now: datetime
) -> Workshop:
    """Copy a workshop for a new term, as a draft whose first session is on ``first_day``.

    The copy has the same details and the same pattern of sessions: each at its wall
    time in the workshop's zone, the same number of days after the first, with its
    length and seats, and the same facilitators (whoever copies it leads it instead of
    a lead whose account is switched off). Cancelled sessions and bookings are not
    copied. ``first_day`` must fall on the first session's day of the week, so every
    session keeps its day.
    """
    with write_transaction() as session:
        original = _managed(workshop_id, by, shared=True)
        zone = original.timezone
        kept = [s for s in original.sessions if not s.is_cancelled]
        if not kept:
            raise DomainError("nothing_to_copy")
        first_wall = wall_time(kept[0].starts_at, zone)
        if first_day.weekday() != first_wall.weekday():
            raise DomainError("copy_other_weekday", weekday=first_wall.weekday())
        days = first_day - first_wall.date()
        starts = [_shifted(s.starts_at, zone, days) for s in kept]
        if starts[0] <= now:
            raise DomainError("start_in_past")
        details = WorkshopDetails(
            title=(title or "").strip() or original.title,
            description=original.description,
            location=original.location,
            online_url=original.online_url,
            publish=False,
            invite_back_absent=original.invite_back_absent,
        )
        # Its lead leads the copy; one who has left since hands it to whoever copies it.
        lead = original.facilitator_id if original.facilitator.is_active else by
        copy = series.add_workshop(
            session, lead, details, timezone=zone, language=original.language, now=now
        )
        # Those who run it together this term run the copy together too.
        session.add_all(
            WorkshopFacilitator(
                workshop_id=copy.id, user_id=shared.user_id, added_at=now, added_by_id=by
            )
            for shared in original.cofacilitators
            if shared.user_id != lead and shared.user.is_active
        )
        session.add_all(
            series.new_session(
                copy.id, start, length=s.ends_at - s.starts_at, capacity=s.capacity, now=now
            )
            for s, start in zip(kept, starts, strict=True)
        )
    return copy


def add_session(
    workshop_id: int,
    *,
    by: int,
    starts_at: datetime,
    duration_minutes: int,
    capacity: int,
    now: datetime,
) -> WorkshopSession:
    """Add one session to a workshop at the wall time ``starts_at`` in its zone.

    A published workshop shows it at once: the public feed's counter moves with the new
    row (``feeds.changes``), and the public pages' version with it.
    """
    with write_transaction() as session:
        # Shared: a draft's deletion, which locks it, must not lose a session added meanwhile.
        workshop = _managed(workshop_id, by, shared=True)
        start = utc_or_error(starts_at, workshop.timezone)
        if start <= now:
            raise DomainError("start_in_past")
        added = series.new_session(
            workshop.id,
            start,
            length=timedelta(minutes=duration_minutes),
            capacity=capacity,
            now=now,
        )
        session.add(added)
    return added


def why_kept(workshop: Workshop) -> DomainError | None:
    """Why a workshop can't be deleted, or None when it can: a draft nobody ever booked."""
    if workshop.is_published:
        return DomainError("delete_published")
    if series.has_bookings(workshop.id, active_only=False):
        return DomainError("delete_with_bookings")
    return None


def delete_draft(workshop_id: int, *, by: int) -> str:
    """Delete a draft nobody ever booked, with its sessions; return its title.

    A published workshop, or one with any booking (even cancelled), is kept: families
    may have seen it, and a booking is part of someone's record.
    """
    with write_transaction() as session:
        workshop = _managed(workshop_id, by)
        sessions = lock_sessions(s.id for s in workshop.sessions)
        refusal = why_kept(workshop)
        if refusal is not None:
            raise refusal
        title = workshop.title
        for doomed in sessions:
            session.delete(doomed)
        session.flush()
        session.delete(workshop)
    return title
