"""Typed SQLAlchemy models, one module per aggregate."""

from scheduler.models.audit import AuditEvent
from scheduler.models.bookings import Booking, BookingStatus
from scheduler.models.outbox import MessageKind, OutboxMessage, OutboxStatus
from scheduler.models.people import EmailLink, LinkPurpose, LoginFailure, Role, User
from scheduler.models.workshops import SessionStatus, Workshop, WorkshopSession, WorkshopStatus

__all__ = [
    "AuditEvent",
    "Booking",
    "BookingStatus",
    "EmailLink",
    "LinkPurpose",
    "LoginFailure",
    "MessageKind",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "SessionStatus",
    "User",
    "Workshop",
    "WorkshopSession",
    "WorkshopStatus",
]
