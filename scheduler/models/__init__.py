"""Typed SQLAlchemy models, one module per aggregate (docs/architecture.md)."""

from scheduler.models.audit import AuditEvent, AuditEventHousehold
from scheduler.models.bookings import ACTIVE_BOOKING_STATUSES, Booking, BookingStatus
from scheduler.models.counseling import (
    ACTIVE_APPOINTMENT_STATUSES,
    Appointment,
    AppointmentStatus,
    AvailabilityWindow,
    BlackoutDate,
    CounselingSettings,
    CounselingSlot,
    MeetingMode,
    SessionKind,
)
from scheduler.models.feeds import FeedState
from scheduler.models.group_messages import GroupMessage, GroupMessageRecipient
from scheduler.models.letters import AttendanceLetter, LetterKind, LetterWording
from scheduler.models.outbox import MessageKind, OutboxMessage, OutboxStatus, WorkshopChange
from scheduler.models.people import (
    NO_PASSWORD,
    EmailLink,
    LinkPurpose,
    LoginFailure,
    LoginSession,
    Role,
    User,
)
from scheduler.models.workshops import (
    SessionStatus,
    Workshop,
    WorkshopFacilitator,
    WorkshopSession,
    WorkshopStatus,
)

__all__ = [
    "ACTIVE_APPOINTMENT_STATUSES",
    "ACTIVE_BOOKING_STATUSES",
    "NO_PASSWORD",
    "Appointment",
    "AppointmentStatus",
    "AttendanceLetter",
    "AuditEvent",
    "AuditEventHousehold",
    "AvailabilityWindow",
    "BlackoutDate",
    "Booking",
    "BookingStatus",
    "CounselingSettings",
    "CounselingSlot",
    "EmailLink",
    "FeedState",
    "GroupMessage",
    "GroupMessageRecipient",
    "LetterKind",
    "LetterWording",
    "LinkPurpose",
    "LoginFailure",
    "LoginSession",
    "MeetingMode",
    "MessageKind",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "SessionKind",
    "SessionStatus",
    "User",
    "Workshop",
    "WorkshopChange",
    "WorkshopFacilitator",
    "WorkshopSession",
    "WorkshopStatus",
]
