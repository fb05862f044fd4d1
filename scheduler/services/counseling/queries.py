"""Appointments as the pages list and show them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    CounselingSettings,
    CounselingSlot,
    MeetingMode,
    User,
)
from scheduler.services import audit, permissions
from scheduler.timetext import moment_text


def meeting_link(appointment: Appointment, settings: CounselingSettings | None) -> str:
    """The online meeting link the booked family may see: only once it is confirmed."""
    if settings is None or settings.mode != MeetingMode.ONLINE or not appointment.is_confirmed:
        return ""
    return settings.online_url


def _with_slot() -> Select[tuple[Appointment]]:
    return (
        select(Appointment)
        .join(Appointment.slot)
        .options(
            joinedload(Appointment.slot),
            joinedload(Appointment.family),
            joinedload(Appointment.facilitator),
        )
    )


def family_appointments(family_id: int, now: datetime) -> list[Appointment]:
    """A family's appointments from a day ago on (cancelled ones too), soonest first."""
    return list(
        db.session.scalars(
            _with_slot()
            .where(
                Appointment.family_id == family_id,
                CounselingSlot.ends_at > now - timedelta(days=1),
            )
            .order_by(CounselingSlot.starts_at)
        )
    )


def counselor_appointments(
    manager: User, *, start: datetime, end: datetime, held_only: bool = True
) -> list[Appointment]:
    """Appointments with a counselor (admins: everyone's) between two instants."""
    query = _with_slot().where(CounselingSlot.starts_at < end, CounselingSlot.ends_at > start)
    if held_only:
        query = query.where(Appointment.is_active)
    query = query.where(permissions.managed_appointments_clause(manager))
    return list(db.session.scalars(query.order_by(CounselingSlot.starts_at)))


def requests_waiting(manager: User, *, now: datetime) -> list[Appointment]:
    """Requests still waiting for the counselor's answer (admins: everyone's), soonest first."""
    query = _with_slot().where(
        Appointment.status == AppointmentStatus.PENDING,
        CounselingSlot.starts_at > now,
        permissions.managed_appointments_clause(manager),
    )
    return list(db.session.scalars(query.order_by(CounselingSlot.starts_at, Appointment.id)))


def get_for_family(appointment_id: int, family_id: int) -> Appointment | None:
    """The family's own appointment; None for anyone else's, as for one that doesn't exist."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not permissions.owns(family_id, appointment):
        return None
    return appointment


def get_for_manager(appointment_id: int, manager: User) -> Appointment | None:
    """An appointment the manager may handle; None otherwise, as for one that doesn't exist."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not permissions.can_manage_appointment(manager, appointment):
        return None
    return appointment


def view_appointment(appointment: Appointment, viewer: User, *, now: datetime) -> None:
    """Write a counselor's look at a family's appointment to the audit log, before it shows.

    The page names the family and shows its note, so, as with rosters, who saw it is kept.
    """
    audit.record(
        viewer,
        "view_appointment",
        f"appointment:{appointment.id}",
        now=now,
        households=[appointment.family_id],
    )


def when(appointment: Appointment, zone: str) -> str:
    """'Tue, Mar 4, 2026, 2:00 PM Eastern Time' in the reader's zone."""
    return moment_text(appointment.slot.starts_at, zone)
