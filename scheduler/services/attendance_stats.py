"""Who came, added up for the people who run the sessions: per workshop and per session.

Marks are written at the door (``services/attendance.py``); this module only reads them.
Two things keep the numbers honest:

- A session nobody has checked in yet is *not* a session nobody came to. The show rate
  is taken over the sessions that have at least one mark, and how many sessions are
  still unmarked is said beside it. In a session that was checked in, a household left
  without a mark counts as booked and not attended: the facilitator was at the door.
- A household "missed two in a row" only on two explicit absences: its two most recent
  marked sessions of the workshop, among those it was booked into, both say absent.

Everything is counted by the database in a constant number of statements, however many
sessions and bookings there are (``tests/test_page_queries.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, select

from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CounselingSlot,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.models.bookings import CAME, Attendance
from scheduler.models.counseling import AppointmentAttendance
from scheduler.services import permissions

#: Sessions each workshop's chart and table show, the most recent ones: a term's worth
#: fits a phone screen. The totals count every session held.
RECENT_SESSIONS = 8


@dataclass(frozen=True)
class SessionAttendance:
    """One session held: the seats booked, and how many came once it was checked in."""

    session_id: int
    starts_at: datetime
    #: Seats of the confirmed bookings (walk-ins included: they booked at the door).
    booked: int
    #: Seats that came (marked attended or late); 0 until the session is checked in.
    attended: int
    #: Whether anyone was marked: until then ``attended`` says nothing.
    marked: bool

    @property
    def to_check_in(self) -> bool:
        """Booked, and nobody marked yet (a session nobody booked has nobody to check in)."""
        return not self.marked and self.booked > 0

    @property
    def show_rate(self) -> float | None:
        """Attended ÷ booked once checked in; None before, or with nobody booked."""
        return self.attended / self.booked if self.marked and self.booked else None


@dataclass(frozen=True)
class MissedHousehold:
    """A household whose two most recent marks in a workshop both say absent."""

    id: int
    #: The name staff see it by (``User.staff_name``), never more than it chose.
    name: str


@dataclass(frozen=True)
class WorkshopAttendance:
    """A workshop's sessions held so far (started, not cancelled), added up."""

    workshop_id: int
    #: Sessions held; ``marked`` of them have been checked in, ``unmarked`` had bookings
    #: but nobody marked yet (the rest had nobody booked: nothing to check in).
    held: int
    marked: int
    unmarked: int
    #: Seats booked in every session held.
    booked: int
    #: Seats booked in the sessions checked in: what the show rate is taken over.
    booked_in_marked: int
    attended: int
    #: The most recent sessions held (at most ``RECENT_SESSIONS``), oldest first.
    recent: list[SessionAttendance]
    #: Households that missed their last two sessions, by name.
    missed_twice: list[MissedHousehold] = field(default_factory=list)

    @property
    def show_rate(self) -> float | None:
        """Seats attended ÷ seats booked, over the sessions checked in; None before any."""
        return self.attended / self.booked_in_marked if self.booked_in_marked else None


def _held(now: datetime) -> list[ColumnElement[bool]]:
    """Sessions that count: started by ``now`` and not cancelled."""
    return [WorkshopSession.starts_at <= now, WorkshopSession.status != SessionStatus.CANCELLED]


def by_workshop(
    viewer: User, workshop_ids: Sequence[int], *, now: datetime, recent: int = RECENT_SESSIONS
) -> dict[int, WorkshopAttendance]:
    """Add up attendance for the workshops ``viewer`` runs (admins: any) among ``workshop_ids``.

    A workshop with no session held yet is left out. Two statements, whatever the number
    of workshops, sessions or bookings.
    """
    if not workshop_ids:
        return {}
    sessions = _session_rows(viewer, workshop_ids, now=now, recent=recent)
    missed = _missed_twice(viewer, workshop_ids, now=now)
    return {
        workshop_id: _added_up(workshop_id, rows, missed.get(workshop_id, []))
        for workshop_id, rows in sessions.items()
    }


def _added_up(
    workshop_id: int, rows: list[Row[Any]], missed: list[MissedHousehold]
) -> WorkshopAttendance:
    """One workshop from its session rows, each of which carries the workshop's totals."""
    totals = rows[0]
    return WorkshopAttendance(
        workshop_id=workshop_id,
        held=int(totals.held),
        marked=int(totals.marked_sessions),
        unmarked=int(totals.unmarked_sessions),
        booked=int(totals.total_booked),
        booked_in_marked=int(totals.booked_in_marked),
        attended=int(totals.total_attended),
        recent=[
            SessionAttendance(
                session_id=row.session_id,
                starts_at=row.starts_at,
                booked=int(row.booked),
                attended=int(row.attended),
                marked=row.marks > 0,
            )
            for row in rows
        ],
        missed_twice=missed,
    )


def _session_rows(
    viewer: User, workshop_ids: Sequence[int], *, now: datetime, recent: int
) -> dict[int, list[Row[Any]]]:
    """Each workshop's most recent sessions held, oldest first, each row with its
    workshop's totals (window sums over every session held, before the most recent are
    picked)."""
    came = Booking.attendance.in_(CAME)
    per_session = (
        select(
            WorkshopSession.workshop_id.label("workshop_id"),
            WorkshopSession.id.label("session_id"),
            WorkshopSession.starts_at.label("starts_at"),
            func.coalesce(func.sum(Booking.seats), 0).label("booked"),
            func.coalesce(
                func.sum(case((came, func.coalesce(Booking.attended_seats, Booking.seats)))), 0
            ).label("attended"),
            func.count(Booking.attendance).label("marks"),
        )
        .select_from(WorkshopSession)
        .join(Workshop, Workshop.id == WorkshopSession.workshop_id)
        .outerjoin(
            Booking,
            and_(
                Booking.session_id == WorkshopSession.id,
                Booking.status == BookingStatus.CONFIRMED,
            ),
        )
        .where(
            WorkshopSession.workshop_id.in_(workshop_ids),
            *_held(now),
            permissions.managed_workshops_clause(viewer),
        )
        .group_by(WorkshopSession.workshop_id, WorkshopSession.id, WorkshopSession.starts_at)
        .subquery()
    )
    s = per_session.c
    whole = s.workshop_id
    checked_in = s.marks > 0
    ranked = select(
        s.workshop_id,
        s.session_id,
        s.starts_at,
        s.booked,
        s.attended,
        s.marks,
        func.row_number()
        .over(partition_by=s.workshop_id, order_by=(s.starts_at.desc(), s.session_id.desc()))
        .label("place"),
        func.count().over(partition_by=whole).label("held"),
        func.sum(case((checked_in, 1), else_=0)).over(partition_by=whole).label("marked_sessions"),
        func.sum(case((and_(~checked_in, s.booked > 0), 1), else_=0))
        .over(partition_by=whole)
        .label("unmarked_sessions"),
        func.sum(s.booked).over(partition_by=whole).label("total_booked"),
        func.sum(case((checked_in, s.booked), else_=0))
        .over(partition_by=whole)
        .label("booked_in_marked"),
        func.sum(s.attended).over(partition_by=whole).label("total_attended"),
    ).subquery()
    rows = db.session.execute(
        select(ranked)
        .where(ranked.c.place <= recent)
        .order_by(ranked.c.workshop_id, ranked.c.starts_at, ranked.c.session_id)
    )
    found: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in rows:
        found[row.workshop_id].append(row)
    return found


def _missed_twice(
    viewer: User, workshop_ids: Sequence[int], *, now: datetime
) -> dict[int, list[MissedHousehold]]:
    """Households whose two most recent marked sessions of a workshop both say absent."""
    marks = (
        select(
            WorkshopSession.workshop_id.label("workshop_id"),
            Booking.family_id.label("family_id"),
            Booking.attendance.label("attendance"),
            func.row_number()
            .over(
                partition_by=(WorkshopSession.workshop_id, Booking.family_id),
                order_by=(WorkshopSession.starts_at.desc(), WorkshopSession.id.desc()),
            )
            .label("place"),
        )
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .where(
            WorkshopSession.workshop_id.in_(workshop_ids),
            *_held(now),
            Booking.status == BookingStatus.CONFIRMED,
            Booking.attendance.is_not(None),
            permissions.managed_workshops_clause(viewer),
        )
        .subquery()
    )
    absent = func.sum(case((marks.c.attendance == Attendance.ABSENT, 1), else_=0))
    # Staff see each household by the name it chose (and in that order); grouped by
    # the columns that name is made of, so every backend accepts the expression.
    staff_name = User.staff_name.label("staff_name")
    rows = db.session.execute(
        select(marks.c.workshop_id, User.id, staff_name)
        .join(User, User.id == marks.c.family_id)
        .where(marks.c.place <= 2)
        .group_by(marks.c.workshop_id, User.id, User.name, User.staff_name_choice, User.alias)
        .having(absent == 2)
        .order_by(marks.c.workshop_id, staff_name, User.id)
    )
    found: dict[int, list[MissedHousehold]] = defaultdict(list)
    for workshop_id, household_id, name in rows:
        found[workshop_id].append(MissedHousehold(household_id, name))
    return found


@dataclass(frozen=True)
class CounselingAttendance:
    """A counselor's confirmed appointments whose time has come, by their mark."""

    attended: int
    no_show: int
    unmarked: int

    @property
    def held(self) -> int:
        return self.attended + self.no_show + self.unmarked


def counselor_counts(counselor_id: int, *, now: datetime) -> CounselingAttendance:
    """Count a counselor's own past appointments: came, didn't come, not marked yet."""
    rows = db.session.execute(
        select(Appointment.attendance, func.count())
        .join(Appointment.slot)
        .where(
            Appointment.facilitator_id == counselor_id,
            Appointment.status == AppointmentStatus.CONFIRMED,
            CounselingSlot.starts_at <= now,
        )
        .group_by(Appointment.attendance)
    )
    counts = {mark: int(count) for mark, count in rows}
    return CounselingAttendance(
        attended=counts.get(AppointmentAttendance.ATTENDED, 0),
        no_show=counts.get(AppointmentAttendance.NO_SHOW, 0),
        unmarked=counts.get(None, 0),
    )
