"""How far each shared calendar feed has changed, kept so a poll can be answered cheaply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime


class FeedState(Model):
    """A counter bumped by every transaction that changes what a feed shows.

    Calendar apps poll the public feed all day; its ETag is built from this row (a
    primary-key read), not from an aggregate over every upcoming session.
    """

    __tablename__ = "feed_states"

    #: Which feed: ``public`` (all published workshops, and each facilitator's part).
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    counter: Mapped[int] = mapped_column(default=0, server_default="0")
    #: When what the feed shows last changed (its Last-Modified).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
