"""Appointments: booking a slot, moving it (the family or the counselor), and every change
of status."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    CounselingSettings,
    CounselingSlot,
    User,
)
from scheduler.services import audit, notify, permissions
from scheduler.services.counseling.rules import SHORTEST_EXPIRY, Rules
from scheduler.services.counseling.settings import settings_for
from scheduler.services.counseling.slots import bookable, clashes, workshop_busy
from scheduler.services.errors import DomainError
from scheduler.services.lifecycle import transition
from scheduler.services.locks import lock, lock_family, lock_settings


def _lock_slots(*slot_ids: int) -> dict[int, CounselingSlot]:
    """Lock slots by id (in id order, so two movers can't deadlock); refuse a missing one."""
    slots = {slot.id: slot for slot in lock(CounselingSlot, slot_ids)}
    if set(slot_ids) - set(slots):
        raise DomainError("slot_not_found")
    return slots


def _check_free(slot: CounselingSlot, now: datetime, *, ignore: int | None = None) -> None:
    """Raise unless ``slot`` can be booked now (under its lock)."""
    settings = settings_for(slot.facilitator_id)
    if settings is None or not bookable(slot, settings, now):
        raise DomainError("slot_unavailable")
    holder = db.session.scalar(
        select(Appointment.id).where(Appointment.slot_id == slot.id, Appointment.is_active)
    )
    if holder is not None and holder != ignore:
        raise DomainError("slot_taken")
    busy = workshop_busy(
        slot.facilitator_id, slot.starts_at - timedelta(days=1), slot.ends_at + timedelta(days=1)
    )
    if clashes(slot, settings, busy):
        raise DomainError("slot_unavailable")


def _first_with(family_id: int, facilitator_id: int) -> bool:
    """Tell whether the counselor has never confirmed an appointment with this family.

    A request the family withdrew, or one that was declined, doesn't make them known.
    """
    seen = db.session.scalar(
        select(Appointment.id).where(
            Appointment.family_id == family_id,
            Appointment.facilitator_id == facilitator_id,
            Appointment.confirmed_at.is_not(None),
        )
    )
    return seen is None


def _check_family_limits(
    settings: CounselingSettings, family_id: int, *, pending: bool, now: datetime
) -> None:
    """Refuse a booking past what one family may hold with this counselor.

    Runs under the family's row lock, so two bookings sent at once count each other.
    """
    held = db.session.execute(
        select(Appointment.status, func.count())
        .join(Appointment.slot)
        .where(
            Appointment.family_id == family_id,
            Appointment.facilitator_id == settings.facilitator_id,
            Appointment.is_open(now),
        )
        .group_by(Appointment.status)
    ).all()
    counts = {status: count for status, count in held}
    name = settings.facilitator.name
    if sum(counts.values()) >= settings.max_upcoming_per_family:
        raise DomainError("appointment_limit", count=settings.max_upcoming_per_family, name=name)
    waiting = counts.get(AppointmentStatus.PENDING, 0)
    if pending and waiting >= settings.max_requests_per_family:
        raise DomainError("request_limit", count=settings.max_requests_per_family, name=name)


def book_slot(slot_id: int, family_id: int, *, note: str = "", now: datetime) -> Appointment:
    """Book a slot for a family: confirmed, or pending when a first visit needs approval."""
    try:
        with write_transaction() as session:
            lock_family(family_id)
            facilitator_id = session.scalar(
                select(CounselingSlot.facilitator_id).where(CounselingSlot.id == slot_id)
            )
            if facilitator_id is not None:
                lock_settings(facilitator_id, shared=True)
            slot = _lock_slots(slot_id)[slot_id]
            _check_free(slot, now)
            settings = settings_for(slot.facilitator_id)
            assert settings is not None  # _check_free made sure
            pending = settings.approve_first and _first_with(family_id, slot.facilitator_id)
            _check_family_limits(settings, family_id, pending=pending, now=now)
            appointment = Appointment(
                slot_id=slot.id,
                family_id=family_id,
                facilitator_id=slot.facilitator_id,
                status=AppointmentStatus.PENDING if pending else AppointmentStatus.CONFIRMED,
                kind=settings.kind,
                note=note.strip(),
                created_at=now,
                updated_at=now,
                confirmed_at=None if pending else now,
            )
            session.add(appointment)
            session.flush()
            notify.appointment_booked(appointment, now)
    except IntegrityError as error:  # the database's own guard against a double booking
        raise DomainError("slot_taken") from error
    return appointment


def _lock_appointment(appointment_id: int) -> Appointment | None:
    found = lock(Appointment, [appointment_id])
    return found[0] if found else None


def _own(appointment_id: int, family_id: int) -> Appointment:
    appointment = _lock_appointment(appointment_id)
    if appointment is None or not permissions.owns(family_id, appointment):
        raise DomainError("appointment_not_found")
    return appointment


def change_deadline(appointment: Appointment) -> datetime:
    """Until when the family may cancel or move it themselves, by its counselor's cutoff."""
    return appointment.change_deadline(settings_for(appointment.facilitator_id))


def can_change(appointment: Appointment, now: datetime) -> bool:
    return appointment.is_active and now < change_deadline(appointment)


def _check_changeable(appointment: Appointment, now: datetime) -> None:
    if not appointment.is_active:
        raise DomainError("appointment_over")
    settings = settings_for(appointment.facilitator_id)
    if now >= appointment.change_deadline(settings):
        contact = (settings.contact if settings else "") or appointment.facilitator.email
        raise DomainError("past_change_cutoff", name=appointment.facilitator.name, contact=contact)


def _lock_move(appointment: Appointment, new_slot_id: int) -> CounselingSlot:
    """After the appointment's lock: the counselor's settings, then the old and new slots."""
    lock_settings(appointment.facilitator_id, shared=True)
    return _lock_slots(appointment.slot_id, new_slot_id)[new_slot_id]


def _move_to(appointment: Appointment, new_slot: CounselingSlot, now: datetime) -> None:
    """Put the appointment in another free slot of its counselor's, under both slots' locks.

    One step: it never holds none or two.
    """
    if new_slot.id == appointment.slot_id:
        raise DomainError("same_slot")
    if new_slot.facilitator_id != appointment.facilitator_id:
        raise DomainError("slot_unavailable")
    _check_free(new_slot, now)
    appointment.slot_id = new_slot.id
    appointment.sequence += 1
    appointment.updated_at = now
    db.session.flush()
    db.session.refresh(appointment, ["slot"])


def move(appointment_id: int, family_id: int, new_slot_id: int, *, now: datetime) -> Appointment:
    """The family moves its appointment to another open slot, up to the counselor's cutoff.

    It answers a move the counselor made, if one waits for an answer.
    """
    try:
        with write_transaction():
            appointment = _own(appointment_id, family_id)
            new_slot = _lock_move(appointment, new_slot_id)
            _check_changeable(appointment, now)
            _move_to(appointment, new_slot, now)
            appointment.moved_by_counselor_at = None
            notify.appointment_moved(appointment, now)
    except IntegrityError as error:
        raise DomainError("slot_taken") from error
    return appointment


def expire_requests(now: datetime) -> int:
    """Let requests the counselor didn't answer in time go, and tell each family.

    The time is freed for others; a family can't be left holding it, or waiting, forever.
    """
    waiting = db.session.scalars(
        select(Appointment.id).where(
            Appointment.status == AppointmentStatus.PENDING,
            Appointment.created_at <= now - SHORTEST_EXPIRY,
        )
    ).all()
    expired = 0
    for appointment_id in waiting:
        with write_transaction():
            appointment = _lock_appointment(appointment_id)
            if appointment is None or not appointment.is_pending:
                continue  # decided a moment ago
            settings = settings_for(appointment.facilitator_id)
            hours = settings.request_expiry_hours if settings else Rules.request_expiry_hours
            if appointment.created_at + timedelta(hours=hours) > now:
                continue
            transition(appointment, AppointmentStatus.DECLINED, now, expired=True)
            expired += 1
    return expired


def cancel_by_family(appointment_id: int, family_id: int, *, now: datetime) -> Appointment:
    """Cancel an appointment, up to the counselor's cutoff."""
    with write_transaction():
        appointment = _own(appointment_id, family_id)
        _check_changeable(appointment, now)
        appointment.moved_by_counselor_at = None  # the counselor hears of a plain cancel
        transition(appointment, AppointmentStatus.CANCELLED, now, by_family=True)
    return appointment


def decline_move(appointment_id: int, family_id: int, *, now: datetime) -> Appointment:
    """The family says the time the counselor moved it to doesn't work: it is cancelled,
    and the counselor told why.

    Only while that move waits for the family's answer, until the appointment starts,
    whatever the cutoff: the counselor may move it at any time.
    """
    with write_transaction():
        appointment = _own(appointment_id, family_id)
        if not appointment.move_unanswered(now):
            raise DomainError("no_move_to_answer")
        transition(appointment, AppointmentStatus.CANCELLED, now, by_family=True)
    return appointment


def _managed(appointment_id: int, manager: User) -> Appointment:
    appointment = _lock_appointment(appointment_id)
    if appointment is None or not permissions.can_manage_appointment(manager, appointment):
        raise DomainError("appointment_not_found")
    return appointment


def approve(appointment_id: int, manager: User, *, now: datetime) -> Appointment:
    """Confirm a first appointment that was waiting for the counselor."""
    return _answer(appointment_id, manager, AppointmentStatus.CONFIRMED, now)


def decline(appointment_id: int, manager: User, *, now: datetime) -> Appointment:
    """Say no to a waiting request; the slot is free again."""
    return _answer(appointment_id, manager, AppointmentStatus.DECLINED, now)


def _answer(
    appointment_id: int, manager: User, answer: AppointmentStatus, now: datetime
) -> Appointment:
    """The counselor's yes or no to a request; one already answered can't be again."""
    with write_transaction():
        appointment = _managed(appointment_id, manager)
        if not appointment.is_pending:
            raise DomainError("not_pending")
        transition(appointment, answer, now)
    return appointment


def move_by_counselor(
    appointment_id: int, manager: User, new_slot_id: int, *, now: datetime
) -> Appointment:
    """The counselor (or an admin) moves an upcoming appointment to another of the
    counselor's open slots; its status stays as it was.

    Any time before it starts, whatever the family's cutoff, but never into a taken, past
    or withdrawn slot. The family is told and may say the new time doesn't work
    (:func:`decline_move`); the move is in the audit trail with who made it.
    """
    try:
        with write_transaction():
            appointment = _managed(appointment_id, manager)
            new_slot = _lock_move(appointment, new_slot_id)
            if not appointment.is_active:
                raise DomainError("appointment_over")
            if not appointment.is_open(now):
                raise DomainError("appointment_started")
            _move_to(appointment, new_slot, now)
            appointment.moved_by_counselor_at = now
            notify.appointment_moved(appointment, now, by_counselor=True)
            audit.add(
                manager,
                "act_for.appointment_move",
                f"appointment:{appointment.id}",
                now=now,
                households=[appointment.family_id],
            )
    except IntegrityError as error:
        raise DomainError("slot_taken") from error
    return appointment


def cancel_by_facilitator(appointment_id: int, manager: User, *, now: datetime) -> Appointment:
    """The counselor (or an admin) cancels; the family is told, whatever the cutoff."""
    with write_transaction():
        appointment = _managed(appointment_id, manager)
        if not appointment.is_active:
            raise DomainError("appointment_over")
        transition(appointment, AppointmentStatus.CANCELLED, now)
    return appointment


def close_practice(facilitator_id: int, *, now: datetime) -> list[Appointment]:
    """In the caller's write transaction: a counselor who leaves takes no more bookings,
    and each upcoming appointment with them is cancelled (the family is told).

    Appointments are locked before the counselor's settings, as every mover does; those
    booked while this waited for the settings are found again once it holds them.
    """
    cancelled = _cancel_upcoming(facilitator_id, now)
    settings = settings_for(facilitator_id)
    if settings is not None:
        lock_settings(facilitator_id)
        settings.open = False
    return cancelled + _cancel_upcoming(facilitator_id, now)


def upcoming_with(facilitator_id: int, now: datetime) -> list[int]:
    """The ids of a counselor's appointments still to come, pending or confirmed."""
    return list(
        db.session.scalars(
            select(Appointment.id)
            .join(Appointment.slot)
            .where(Appointment.facilitator_id == facilitator_id, Appointment.is_open(now))
        )
    )


def _cancel_upcoming(facilitator_id: int, now: datetime) -> list[Appointment]:
    locked = lock(Appointment, upcoming_with(facilitator_id, now))
    appointments = [a for a in locked if a.is_open(now)]  # not cancelled a moment ago
    for appointment in appointments:
        transition(appointment, AppointmentStatus.CANCELLED, now)
    return appointments
