"""Messages a facilitator writes to the households of a session or a whole series, and
the record of which households each one was for."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.models.workshops import Workshop, WorkshopSession
from scheduler.timeutil import utcnow

if TYPE_CHECKING:
    from scheduler.models.people import User


class GroupMessage(Model):
    """One message to a group, as it was sent: the history on the workshop's page."""

    __tablename__ = "group_messages"
    __table_args__ = (
        CheckConstraint("recipient_count >= 0", name="recipient_count"),
        # The workshop's history, newest first.
        Index("ix_group_messages_workshop_created", "workshop_id", "created_at"),
        # The hourly limit counts one author's messages since a moment.
        Index("ix_group_messages_author_created", "author_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id", ondelete="CASCADE"))
    #: The one session it is about; None: every session of the workshop still to come.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE"), index=True
    )
    #: Who wrote it (None once that account is gone; ``author_name`` stays).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(120))
    #: The facilitator's own subject line; empty: the discreet default.
    subject: Mapped[str] = mapped_column(String(100), default="")
    #: The facilitator's words, plain text.
    body: Mapped[str] = mapped_column(Text)
    #: Households on the waitlist were written to as well as those with seats.
    include_waitlist: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Replies go to the author's address (Reply-To), not to the no-reply sender.
    reply_to_author: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The subject names the workshop, for families who chose descriptive wording only.
    show_title: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: How many households it was for (with an email address or not).
    recipient_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    workshop: Mapped[Workshop] = relationship()
    session: Mapped[WorkshopSession | None] = relationship()
    author: Mapped[User | None] = relationship()

    @property
    def is_for_series(self) -> bool:
        return self.session_id is None


class GroupMessageRecipient(Model):
    """A household a message was for: My bookings shows it the messages it was sent.

    Kept apart from the outbox, whose rows are about sending (and may be cleared once
    sent), and written for households without an email address too.
    """

    __tablename__ = "group_message_recipients"

    message_id: Mapped[int] = mapped_column(
        ForeignKey("group_messages.id", ondelete="CASCADE"), primary_key=True
    )
    household_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
