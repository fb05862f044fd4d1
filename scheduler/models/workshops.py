"""Workshops and their sessions (a single workshop has one session, a series several),
and the facilitators who share a workshop with the one who made it."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

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


def fold(text: str) -> str:
    """Text as search compares it: case and accents aside ("Recuperación" → "recuperacion")."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if not unicodedata.combining(c))


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
    #: The language the sessions are held in (a code Hearth speaks: "en", "es").
    language: Mapped[str] = mapped_column(String(16), default="en", server_default="en")
    #: Title and description as the public list's search compares them (``fold``),
    #: kept in step by ``_searchable``: the same matches on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: After a session, households marked absent get one gentle email inviting them back.
    invite_back_absent: Mapped[bool] = mapped_column(default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    #: The lead: who made the workshop. Co-facilitators are in ``cofacilitators``.
    facilitator: Mapped[User] = relationship()
    sessions: Mapped[list[WorkshopSession]] = relationship(
        back_populates="workshop", order_by="WorkshopSession.starts_at"
    )
    #: Loaded when asked (a facilitator who isn't the lead opens the workshop).
    cofacilitators: Mapped[list[WorkshopFacilitator]] = relationship(
        back_populates="workshop",
        order_by="WorkshopFacilitator.added_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @validates("title", "description")
    def _searchable(self, key: str, value: str | None) -> str | None:
        words = {"title": self.title, "description": self.description, key: value}
        self.search_text = fold("\n".join(w for w in (words["title"], words["description"]) if w))
        return value

    @property
    def is_published(self) -> bool:
        return self.status == WorkshopStatus.PUBLISHED

    @property
    def is_series(self) -> bool:
        return len(self.sessions) > 1

    @property
    def runner_ids(self) -> set[int]:
        """Everyone who runs the workshop: the lead and the co-facilitators."""
        return {self.facilitator_id, *(c.user_id for c in self.cofacilitators)}


class WorkshopFacilitator(Model):
    """A facilitator who shares a workshop with its lead, with the same rights."""

    __tablename__ = "workshop_facilitators"

    workshop_id: Mapped[int] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who shared the workshop with them (None once that account is gone).
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    workshop: Mapped[Workshop] = relationship(back_populates="cofacilitators")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


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
