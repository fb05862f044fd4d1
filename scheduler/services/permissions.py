"""Who may touch what, in one place: the web layer's loaders and the services ask the same.

Predicates on what is loaded, no request: a family is known by its account id (it
touches only its own bookings and appointments), a manager by its role too (an admin
manages everything, a facilitator the workshops and counseling they run). ``None`` is
a visitor who hasn't logged in: they own and manage nothing.

A workshop is run by its lead (``facilitator_id``, who made it) and its co-facilitators
(``workshop_facilitators``), all with the same rights; a counseling appointment by its
counselor alone. Asking about a workshop a facilitator doesn't lead loads its
co-facilitators once (a family or a visitor never needs them).

The ``*_clause`` functions say the same in SQL, for lists filtered in the query.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Subquery, exists, or_, select, true, union_all
from sqlalchemy.orm import QueryableAttribute

from scheduler.models import (
    Appointment,
    AttendanceLetter,
    Booking,
    User,
    Workshop,
    WorkshopFacilitator,
)


def owns(family_id: int | None, reservation: Booking | Appointment | AttendanceLetter) -> bool:
    """Tell whether the reservation (or a letter of attendance) is this family's own."""
    return family_id is not None and reservation.family_id == family_id


def _runs(user: User | None, facilitator_id: int) -> bool:
    return user is not None and (user.is_admin or facilitator_id == user.id)


def can_manage_workshop(user: User | None, workshop: Workshop) -> bool:
    """Tell whether the user runs this workshop (its lead or a co-facilitator), or is an admin."""
    if user is None or user.is_family:
        return False
    return _runs(user, workshop.facilitator_id) or user.id in workshop.runner_ids


def can_manage_booking(user: User | None, booking: Booking) -> bool:
    """Bookings are managed by whoever runs the workshop they are in."""
    return can_manage_workshop(user, booking.session.workshop)


def can_change_booking(family_id: int, booking: Booking, acting: User | None = None) -> bool:
    """A household's own booking, changed by itself, or for it by staff who run its workshop."""
    if not owns(family_id, booking):
        return False
    return acting is None or can_manage_booking(acting, booking)


def can_look_after_household(
    user: User | None, household: User, *, recorded_or_booked_by_them: bool
) -> bool:
    """Staff may look after a household record (its email, its claim link): an admin any
    household, a facilitator one they recorded or one booked into a workshop they run."""
    if user is None or not household.is_family:
        return False
    return user.is_admin or (user.is_facilitator and recorded_or_booked_by_them)


def can_manage_appointment(user: User | None, appointment: Appointment) -> bool:
    """Tell whether the user is the appointment's counselor, or an admin."""
    return _runs(user, appointment.facilitator_id)


def can_see_workshop(user: User | None, workshop: Workshop) -> bool:
    """Published workshops are public; a draft only to those who run it (a preview)."""
    return workshop.is_published or can_manage_workshop(user, workshop)


def _runs_clause(user: User, facilitator_id: QueryableAttribute[int]) -> ColumnElement[bool]:
    return true() if user.is_admin else facilitator_id == user.id


def runs_workshop_clause(user_id: int) -> ColumnElement[bool]:
    """SQL for "this person runs the workshop", lead or co-facilitator, whatever their role
    (a digest, a private feed); the query must have ``Workshop`` in it."""
    return or_(
        Workshop.facilitator_id == user_id,
        exists().where(
            WorkshopFacilitator.workshop_id == Workshop.id, WorkshopFacilitator.user_id == user_id
        ),
    )


def managed_workshops_clause(user: User) -> ColumnElement[bool]:
    """SQL for :func:`can_manage_workshop`; the query must have ``Workshop`` in it."""
    return true() if user.is_admin else runs_workshop_clause(user.id)


def workshop_runners() -> Subquery:
    """A subquery of (``workshop_id``, ``user_id``): each workshop with each person who runs
    it, the lead and every co-facilitator (whose sessions keep them busy, say)."""
    return union_all(
        select(Workshop.id.label("workshop_id"), Workshop.facilitator_id.label("user_id")),
        select(WorkshopFacilitator.workshop_id, WorkshopFacilitator.user_id),
    ).subquery("runners")


def managed_appointments_clause(user: User) -> ColumnElement[bool]:
    """SQL for :func:`can_manage_appointment`."""
    return _runs_clause(user, Appointment.facilitator_id)


def can_manage_accounts(user: User | None) -> bool:
    """Only an active admin invites, changes roles, switches accounts off and on."""
    return user is not None and user.is_admin and user.is_active
