"""The outbox: every email is first a row, written with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.timeutil import utcnow


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class MessageKind(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"
    SESSION_CANCELLED = "session_cancelled"
    REMINDER = "reminder"
    DIGEST = "digest"
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of email, not a password)
    VERIFY_EMAIL = "verify_email"
    #: To a household staff recorded: its link to set a password and take its record over.
    CLAIM = "claim"
    #: Counseling: the family's request waits for the counselor (to the family) ...
    AWAITING_APPROVAL = "awaiting_approval"
    #: ... and the counselor is asked to approve it (to the counselor).
    APPROVAL_NEEDED = "approval_needed"
    DECLINED = "declined"
    #: The counselor changed the place, the meeting link or in person/online.
    DETAILS_CHANGED = "details_changed"
    #: To the counselor: a family moved or cancelled its appointment.
    FAMILY_CHANGED = "family_changed"
    #: To the family: the counselor didn't answer its request in time; the time is free.
    REQUEST_EXPIRED = "request_expired"
    #: To the family: the counselor moved its appointment; the new time may be declined.
    COUNSELOR_MOVED = "counselor_moved"
    #: To an account's owner: someone tried to sign up with their address.
    SIGNUP_ATTEMPT = "signup_attempt"
    #: An admin's invitation to join as staff, with its link (to the invitee).
    INVITE = "invite"
    #: To a new address someone asked for: its link confirms the change.
    CHANGE_EMAIL = "change_email"
    #: To the old address, once the account's address changed.
    EMAIL_CHANGED = "email_changed"
    #: To an account's owner: someone asked to move another account to their address.
    ADDRESS_IN_USE = "address_in_use"
    #: To the family: its booking moved to another session of the same workshop (one
    #: email for the new seat and the old one given up).
    MOVED = "moved"
    #: To a household: the place, online link, title or time of a workshop it is booked
    #: or waitlisted in changed (one email per household and change, whatever the
    #: number of its sessions).
    WORKSHOP_CHANGED = "workshop_changed"
    #: To a facilitator: someone shared a workshop with them (co-facilitator).
    COFACILITATOR_ADDED = "cofacilitator_added"
    #: To a household marked absent: the workshop's next sessions, once the one it
    #: missed is over (one per booking, withdrawn if the mark changes to came).
    INVITE_BACK = "invite_back"
    #: To a household: a facilitator's message to the group of a session or a series
    #: it is booked in (one email per household, however many of its sessions).
    GROUP_MESSAGE = "group_message"
    #: To a family: the copy of its data it asked for is built; the email has its link.
    #: Handling it builds the copy (``services/data_export``), once, before wording it.
    DATA_EXPORT = "data_export"
    #: To a household that closed its account: what was cancelled, and the link that
    #: reopens it within the grace period (the one email a closed account gets).
    REOPEN = "reopen"


class WorkshopChange(StrEnum):
    """What a workshop change notice says changed, in the order it says it."""

    TITLE = "title"
    PLACE = "location"
    LINK = "online_url"
    TIME = "time"


class OutboxMessage(Model):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')", name="status"),
        Index("ix_outbox_messages_due", "status", "not_before"),
        Index("ix_outbox_messages_booking_id", "booking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Idempotency key: the same change can never queue the same email twice.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"))
    #: The session of the message's booking; for a move, the session it left.
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshop_sessions.id", ondelete="CASCADE")
    )
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    #: The workshop a message about a whole workshop is about (being made its co-facilitator).
    workshop_id: Mapped[int | None] = mapped_column(
        ForeignKey("workshops.id", ondelete="CASCADE"), index=True
    )
    #: The message to a group this email carries (``group_messages``).
    group_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("group_messages.id", ondelete="CASCADE"), index=True
    )
    #: The copy of a family's data this email says is ready (``data_exports``).
    data_export_id: Mapped[int | None] = mapped_column(
        ForeignKey("data_exports.id", ondelete="CASCADE"), index=True
    )
    #: The emailed link a message carries (reset, verification, invitation, new address),
    #: or that a change-of-address notice is about.
    link_id: Mapped[int | None] = mapped_column(ForeignKey("email_links.id", ondelete="CASCADE"))
    #: The sequence of the booking, session or appointment the message is about, as it
    #: was when queued: a message can tell it was overtaken by a later change (the key
    #: names it too, but only to keep the same change from queuing twice). None for
    #: messages about no versioned record: emailed links, digests, sign-up attempts.
    version: Mapped[int | None] = mapped_column()
    #: What a workshop change notice is about (``WorkshopChange`` values, space-separated:
    #: "location time"), kept as it was when queued: the records keep only the new values.
    #: Empty for every other message.
    changes: Mapped[str] = mapped_column(String(100), default="", server_default="")
    #: When the message is meant to go out (a reminder's moment, or "now").
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Earliest next attempt: the due time, pushed back after each failure.
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    #: Which dispatcher holds the row, and until when (a dead one's lease runs out).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
