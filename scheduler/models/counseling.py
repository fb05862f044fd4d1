"""Counseling: a facilitator's availability rules, the slots made from them, appointments."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    and_,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime, status_in
from scheduler.timeutil import utcnow

if TYPE_CHECKING:
    from scheduler.models.people import User


class SessionKind(StrEnum):
    FAMILY = "family"
    INDIVIDUAL = "individual"


class MeetingMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"


class AppointmentAttendance(StrEnum):
    ATTENDED = "attended"
    NO_SHOW = "no_show"


class AppointmentStatus(StrEnum):
    #: Asked for, waiting for the counselor's approval; the slot is held.
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    #: The counselor said no to a first appointment; the slot is free again.
    DECLINED = "declined"


#: An appointment in one of these holds its slot: nobody else can book it, and it
#: counts against the family's limits with the counselor.
ACTIVE_APPOINTMENT_STATUSES = (AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED)
_HOLDS_SLOT = status_in(ACTIVE_APPOINTMENT_STATUSES)
#: Hours before an appointment a family can still change it, until the counselor says.
DEFAULT_CHANGE_CUTOFF_HOURS = 24


class CounselingSettings(Model):
    """One counselor's rules for the slots they offer; the windows say when."""

    __tablename__ = "counseling_settings"
    __table_args__ = (
        CheckConstraint("slot_minutes BETWEEN 10 AND 480", name="slot_minutes"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 240", name="buffer_minutes"),
        CheckConstraint("kind IN ('family', 'individual')", name="kind"),
        CheckConstraint("mode IN ('in_person', 'online')", name="mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    #: Families see slots only while this is on.
    open: Mapped[bool] = mapped_column(default=False)
    #: IANA zone the windows and blackout dates are read in.
    timezone: Mapped[str] = mapped_column(String(64))
    slot_minutes: Mapped[int] = mapped_column(default=50)
    buffer_minutes: Mapped[int] = mapped_column(default=10)
    min_notice_hours: Mapped[int] = mapped_column(default=24)
    horizon_days: Mapped[int] = mapped_column(default=28)
    kind: Mapped[str] = mapped_column(String(20), default=SessionKind.FAMILY)
    mode: Mapped[str] = mapped_column(String(20), default=MeetingMode.IN_PERSON)
    location: Mapped[str] = mapped_column(String(300), default="")
    #: Shown only to the family booked into a slot, and to the counselor.
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: A family's first appointment with this counselor waits for approval.
    approve_first: Mapped[bool] = mapped_column(default=False)
    #: Families can cancel or move an appointment until this many hours before it.
    change_cutoff_hours: Mapped[int] = mapped_column(default=DEFAULT_CHANGE_CUTOFF_HOURS)
    #: How to reach the counselor after the cutoff (phone, email), shown to the family.
    contact: Mapped[str] = mapped_column(String(300), default="")
    #: Requests one family may have waiting for this counselor's approval at once.
    max_requests_per_family: Mapped[int] = mapped_column(default=1, server_default="1")
    #: Upcoming appointments (confirmed or requested) one family may hold with them.
    max_upcoming_per_family: Mapped[int] = mapped_column(default=2, server_default="2")
    #: A request not approved within this many hours expires; the family is told.
    request_expiry_hours: Mapped[int] = mapped_column(default=72, server_default="72")
    #: When the slots were last made from the rules (the horizon moves every day).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    facilitator: Mapped[User] = relationship()


class AvailabilityWindow(Model):
    """Hours a counselor is free: every week on ``weekday``, or once on ``day``."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("ends > starts", name="ends_after_start"),
        CheckConstraint("(weekday IS NULL) <> (day IS NULL)", name="weekly_or_one_off"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: 0 = Monday ... 6 = Sunday, for a weekly window.
    weekday: Mapped[int | None]
    #: The local date of a one-off window.
    day: Mapped[date | None] = mapped_column(Date)
    starts: Mapped[time] = mapped_column(Time)
    ends: Mapped[time] = mapped_column(Time)


class BlackoutDate(Model):
    """A local date with no counseling slots (holiday, training day)."""

    __tablename__ = "blackout_dates"
    __table_args__ = (Index("uq_blackout_dates_day", "facilitator_id", "day", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)


class CounselingSlot(Model):
    """One bookable time of one counselor, made from their rules."""

    __tablename__ = "counseling_slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index("uq_counseling_slots_start", "facilitator_id", "starts_at", unique=True),
        Index("ix_counseling_slots_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: False when the rules no longer offer it; a slot with an appointment stays anyway.
    offered: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    facilitator: Mapped[User] = relationship()


def _open_sql(cls: type[Appointment], now: datetime) -> ColumnElement[bool]:
    return and_(cls.status.in_(ACTIVE_APPOINTMENT_STATUSES), CounselingSlot.starts_at > now)


class Appointment(Model):
    """A family's booking of one counseling slot."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'cancelled', 'declined')", name="status"
        ),
        CheckConstraint("attendance IN ('attended', 'no_show')", name="attendance"),
        # Two families can never hold the same slot: the database refuses the second.
        Index(
            "uq_appointments_slot_held",
            "slot_id",
            unique=True,
            sqlite_where=text(_HOLDS_SLOT),
            postgresql_where=text(_HOLDS_SLOT),
        ),
        Index("ix_appointments_family_id", "family_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slot_id: Mapped[int] = mapped_column(ForeignKey("counseling_slots.id", ondelete="RESTRICT"))
    family_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    #: Private note from the family to the counselor.
    note: Mapped[str] = mapped_column(Text, default="")
    #: Bumped on every change of time or status: the calendar SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When it was first confirmed: a family known to the counselor skips approval.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the counselor (or an admin) last moved it to another time; cleared when the
    #: family answers by moving it themselves. Until then, and until it starts, the
    #: family may say the new time doesn't work (:meth:`move_unanswered`).
    moved_by_counselor_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: Whether the family came (:class:`AppointmentAttendance`), marked by the counselor
    #: or an admin; None until marked.
    attendance: Mapped[str | None] = mapped_column(String(10))
    attendance_marked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendance_marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    slot: Mapped[CounselingSlot] = relationship()
    family: Mapped[User] = relationship(foreign_keys=[family_id])
    facilitator: Mapped[User] = relationship(foreign_keys=[facilitator_id])

    @hybrid_property
    def is_active(self) -> bool:
        """Pending or confirmed: it holds its slot. In a query, the same test as SQL."""
        return self.status in ACTIVE_APPOINTMENT_STATUSES

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls) -> ColumnElement[bool]:
        return cls.status.in_(ACTIVE_APPOINTMENT_STATUSES)

    def _is_open(self, now: datetime) -> bool:
        return self.is_active and self.slot.starts_at > now

    #: Active, and its time hasn't come yet. In a query it is SQL (:func:`_open_sql`),
    #: and the query must join ``Appointment.slot``.
    is_open = hybrid_method(_is_open, _open_sql)

    def change_deadline(self, settings: CounselingSettings | None) -> datetime:
        """Until when the family may cancel or move it themselves.

        The cutoff is the counselor's (``settings`` must be theirs), so callers pass the
        settings they have already loaded; before any are saved the default applies.
        """
        assert settings is None or settings.facilitator_id == self.facilitator_id
        hours = settings.change_cutoff_hours if settings else DEFAULT_CHANGE_CUTOFF_HOURS
        return self.slot.starts_at - timedelta(hours=hours)

    def move_unanswered(self, now: datetime) -> bool:
        """Whether the counselor moved it and the family may still say no to the new time."""
        return self.moved_by_counselor_at is not None and self._is_open(now)

    @property
    def is_confirmed(self) -> bool:
        return self.status == AppointmentStatus.CONFIRMED

    @property
    def is_pending(self) -> bool:
        return self.status == AppointmentStatus.PENDING
