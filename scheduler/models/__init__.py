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
from scheduler.models.data_exports import LIVE_EXPORT_STATUSES, DataExport, DataExportStatus
from scheduler.models.feeds import FeedState
from scheduler.models.group_messages import GroupMessage, GroupMessageRecipient
from scheduler.models.letters import AttendanceLetter, LetterKind, LetterWording
from scheduler.models.outbox import MessageKind, OutboxMessage, OutboxStatus, WorkshopChange
from scheduler.models.people import (
    ERASED_NAME,
    NO_PASSWORD,
    EmailLink,
    LinkPurpose,
    LoginFailure,
    LoginSession,
    Role,
    StaffNameChoice,
    User,
)
from scheduler.models.retention import RetentionRun
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
    "ERASED_NAME",
    "LIVE_EXPORT_STATUSES",
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
    "DataExport",
    "DataExportStatus",
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
    "RetentionRun",
    "Role",
    "SessionKind",
    "SessionStatus",
    "StaffNameChoice",
    "User",
    "Workshop",
    "WorkshopChange",
    "WorkshopFacilitator",
    "WorkshopSession",
    "WorkshopStatus",
]
