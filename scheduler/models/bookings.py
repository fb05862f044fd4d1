"""A household's seats in one session, confirmed or on the waitlist."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.timeutil import utcnow

if TYPE_CHECKING:
    from scheduler.models.people import User
    from scheduler.models.workshops import WorkshopSession


class BookingStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


_ACTIVE = "status IN ('confirmed', 'waitlisted')"


class Booking(Model):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status"),
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
    #: Bumped on every change of status; with the session's, the calendar SEQUENCE.
    sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[WorkshopSession] = relationship()
    family: Mapped[User] = relationship()

    @property
    def is_confirmed(self) -> bool:
        return self.status == BookingStatus.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == BookingStatus.WAITLISTED

    @property
    def is_cancelled(self) -> bool:
        return self.status == BookingStatus.CANCELLED
