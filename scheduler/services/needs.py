"""Needs after booking: a household, or staff for it, changes what it told the facilitator.

Childcare, an interpreter, access needs and notes change as a family's week does. The
seat is never at stake: no status changes, no booking is made or cancelled, no email is
queued; the facilitator's roster shows the new needs. A household books a series with
its needs said once, and My bookings shows them once for the workshop, so a change
applies to every booking the household still holds in that workshop's sessions to come.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Booking, User, WorkshopSession
from scheduler.services import audit, permissions
from scheduler.services.booking import Needs
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock_sessions


def _alike(booking: Booking, now: datetime) -> list[Booking]:
    """The household's open bookings in the workshop of ``booking``, soonest first."""
    return list(
        db.session.scalars(
            select(Booking)
            .join(Booking.session)
            .where(
                Booking.family_id == booking.family_id,
                WorkshopSession.workshop_id == booking.session.workshop_id,
                Booking.is_open(now),
            )
            .order_by(WorkshopSession.starts_at, Booking.id)
            .execution_options(populate_existing=True)
        )
    )


def sharing_needs(booking: Booking, now: datetime) -> list[Booking]:
    """The bookings a change of ``booking``'s needs applies to (itself included, if open)."""
    return _alike(booking, now)


def change_needs(
    booking_id: int, family_id: int, needs: Needs, *, now: datetime, acting: User | None = None
) -> list[Booking]:
    """Save a household's new needs on its open bookings in the booking's workshop.

    ``family_id`` is the household; ``acting`` the staff member changing them for it
    (who must run the workshop), written to the audit trail. Until the session starts.
    Returns the bookings changed.
    """
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_change_booking(family_id, booking, acting):
        raise DomainError("booking_not_found")
    with write_transaction():
        lock_sessions(b.session_id for b in _alike(booking, now))
        booking = db.session.get_one(Booking, booking_id, populate_existing=True)
        if booking.is_cancelled:
            raise DomainError("booking_cancelled")
        if not booking.is_open(now):
            raise DomainError("session_started")
        changed = _alike(booking, now)
        for each in changed:
            each.accessibility_needs = needs.accessibility_needs.strip()
            each.childcare_needed = needs.childcare_needed
            each.interpreter_language = needs.interpreter_language.strip()
            each.notes = needs.notes.strip()
            each.updated_at = now
        if acting is not None:
            audit.add(
                acting,
                "act_for.needs",
                f"booking:{booking.id}",
                now=now,
                households=[booking.family_id],
            )
    return changed


def shown_to_staff(booking: Booking, viewer: User, *, now: datetime) -> list[Booking]:
    """:func:`sharing_needs` for a staff member's page of a household's needs, audited."""
    audit.record(
        viewer, "needs.view", f"booking:{booking.id}", now=now, households=[booking.family_id]
    )
    return _alike(booking, now)
