"""The record of each daily retention run: when it ran and what each step purged."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.timeutil import utcnow


class RetentionRun(Model):
    """One day's purge: its unique day is the claim that keeps a second dispatcher from
    running the same day's purge again."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The UTC day the run is for; only one run a day (two dispatchers race for it).
    day: Mapped[date] = mapped_column(Date, unique=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None while the run is going, or if it stopped half-way (the next day's catches up).
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How many rows each step purged, by step name: {"audit_events": 12, ...}.
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
