"""Workshops and their sessions (a single workshop has one session, a series several)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.timeutil import utcnow

if TYPE_CHECKING:
    from scheduler.models.people import User


class WorkshopStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Workshop(Model):
    __tablename__ = "workshops"
    __table_args__ = (CheckConstraint("status IN ('draft', 'published')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Street address or room; empty for online-only workshops.
    location: Mapped[str] = mapped_column(String(300), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    #: IANA zone the sessions are held in; wall times of a series are kept in it.
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default=WorkshopStatus.DRAFT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    facilitator: Mapped[User] = relationship()
    sessions: Mapped[list[WorkshopSession]] = relationship(
        back_populates="workshop", order_by="WorkshopSession.starts_at"
    )

    @property
    def is_published(self) -> bool:
        return self.status == WorkshopStatus.PUBLISHED

    @property
    def is_series(self) -> bool:
        return len(self.sessions) > 1


class WorkshopSession(Model):
    """One meeting of a workshop: the unit families book seats in."""

    __tablename__ = "workshop_sessions"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('scheduled', 'cancelled')", name="status"),
        Index("ix_workshop_sessions_starts_at", "starts_at"),
        # A workshop's sessions in time order: its page, and each one's next session.
        Index("ix_workshop_sessions_workshop_starts", "workshop_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Seats in the room; bookings hold seats, not people records.
    capacity: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=SessionStatus.SCHEDULED)
    #: Bumped on every change of time, place or status (calendar clients need it).
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    workshop: Mapped[Workshop] = relationship(back_populates="sessions")

    @property
    def is_cancelled(self) -> bool:
        return self.status == SessionStatus.CANCELLED

    def is_open(self, now: datetime) -> bool:
        """Scheduled and not started: it can still be booked, changed or cancelled."""
        return not self.is_cancelled and self.starts_at > now

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)
