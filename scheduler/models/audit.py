"""Who looked at or exported whose data, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.timeutil import utcnow


class AuditEvent(Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Kept as a name too, so the trail survives an account being removed.
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor_name: Mapped[str] = mapped_column(String(120))
    #: What happened, e.g. ``roster.view`` or ``roster.export``.
    action: Mapped[str] = mapped_column(String(60))
    #: What it happened to, e.g. ``session:12``.
    subject: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Every household whose data the event showed or touched (a roster: all on it).
    household_links: Mapped[list[AuditEventHousehold]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="raise"
    )


class AuditEventHousehold(Model):
    """One household an audit event showed or touched: what a family's trail reads."""

    __tablename__ = "audit_event_households"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("audit_events.id", ondelete="CASCADE"), primary_key=True
    )
    #: Goes with the account: a family's trail is its own data.
    household_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
