"""A household's seats in one session, confirmed or on the waitlist."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    Text,
    and_,
    false,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime, status_in
from scheduler.models.workshops import WorkshopSession
from scheduler.timeutil import utcnow

if TYPE_CHECKING:
    from scheduler.models.people import User


class Attendance(StrEnum):
    """Who came, marked at the door. Late still came: it counts as attended."""

    ATTENDED = "attended"
    LATE = "late"
    ABSENT = "absent"


#: Marks that say the household came (its ``attended_seats`` say how many of it).
CAME = (Attendance.ATTENDED, Attendance.LATE)


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


#: A booking in one of these holds seats or a place in line: it counts against the
#: session's capacity and the household's limits, and only one per session is allowed.
ACTIVE_BOOKING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)
_ACTIVE = status_in(ACTIVE_BOOKING_STATUSES)


def _open_sql(cls: type[Booking], now: datetime) -> ColumnElement[bool]:
    return and_(cls.status.in_(ACTIVE_BOOKING_STATUSES), WorkshopSession.starts_at > now)


class Booking(Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status"),
        CheckConstraint("attendance IN ('attended', 'late', 'absent')", name="attendance"),
        CheckConstraint(
            "attended_seats IS NULL OR (attended_seats >= 1 AND attended_seats <= seats)",
            name="attended_seats",
        ),
        # One active booking per household and session, even against a stale form.
        Index(
            "uq_bookings_active_family_session",
            "session_id",
            "family_id",
            unique=True,
            sqlite_where=text(_ACTIVE),
            postgresql_where=text(_ACTIVE),
        ),
        Index("ix_bookings_session_status", "session_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("workshop_sessions.id", ondelete="RESTRICT"))
    family_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    seats: Mapped[int]
    status: Mapped[str] = mapped_column(String(20))
    accessibility_needs: Mapped[str] = mapped_column(Text, default="")
    childcare_needed: Mapped[bool] = mapped_column(default=False)
    #: Language the household needs an interpreter for; empty when none.
    interpreter_language: Mapped[str] = mapped_column(String(80), default="")
    #: Private note from the household to the facilitator.
    notes: Mapped[str] = mapped_column(Text, default="")
    #: When the household asked. Its place in the waitlist is its id: the order in which
    #: bookings were recorded under the session's lock, which a clock can't promise.
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The staff member who booked for the household (by phone or at the door); None
    #: when the household booked itself. Its emails say the team booked it for them.
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The staff member who cancelled for the household; None when it cancelled itself
    #: (or is still booked).
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: Who came (:class:`Attendance`), marked by staff at or after the session; None
    #: until marked.
    attendance: Mapped[str | None] = mapped_column(String(10))
    #: How many of the booking's seats came, when it came (attended or late).
    attended_seats: Mapped[int | None] = mapped_column()
    attendance_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    #: Booked by staff at the door when the session began.
    walk_in: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Let in beyond the session's capacity because the facilitator overrode it.
    over_capacity: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Bumped on every change of status; with the session's, the calendar SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Indexed: the public pages' version reads the newest one (services/page_versions.py).
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )

    session: Mapped[WorkshopSession] = relationship()
    family: Mapped[User] = relationship(foreign_keys=[family_id])

    @hybrid_property
    def is_active(self) -> bool:
        """Confirmed or waitlisted; in a query, the same test as SQL."""
        return self.status in ACTIVE_BOOKING_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(ACTIVE_BOOKING_STATUSES)

    def _is_open(self, now: datetime) -> bool:
        return self.is_active and self.session.starts_at > now

    #: Active, in a session that hasn't started: the household can still leave it. In a
    #: query it is SQL (:func:`_open_sql`), and the query must join ``Booking.session``.
    is_open = hybrid_method(_is_open, _open_sql)

    @property
    def is_confirmed(self) -> bool:
        return self.status == BookingStatus.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == BookingStatus.WAITLISTED

    @property
    def is_cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED
