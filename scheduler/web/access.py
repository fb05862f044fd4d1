"""Who may see what: one decorator for roles, one loader per owned thing.

The loaders answer 404, never 403, for what isn't the user's: other people's things
don't exist for them. Whether it is theirs is :mod:`scheduler.services.permissions`'s
to say, the same predicates the services ask.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user, login_required

from scheduler.extensions import db
from scheduler.models import Appointment, Booking, User, Workshop, WorkshopSession
from scheduler.services import households, permissions

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: str) -> Callable[[F], F]:
    """Send anonymous visitors to log in, and answer 403 to the wrong role."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def _viewer() -> User | None:
    """The logged-in user, or None for a visitor."""
    return current_user if current_user.is_authenticated else None


def _viewer_id() -> int | None:
    viewer = _viewer()
    return viewer.id if viewer is not None else None


def can_manage(workshop: Workshop) -> bool:
    """Tell whether the current user runs this workshop (its facilitator, or an admin)."""
    return permissions.can_manage_workshop(_viewer(), workshop)


def owned_workshop(workshop_id: int) -> Workshop:
    """Load a workshop the current user manages, or 404 (other people's don't exist)."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or not can_manage(workshop):
        abort(404)
    return workshop


def owned_session(session_id: int) -> WorkshopSession:
    """Load a session of a workshop the current user manages, or 404."""
    session = db.session.get(WorkshopSession, session_id)
    if session is None or not can_manage(session.workshop):
        abort(404)
    return session


def own_booking(booking_id: int) -> Booking:
    """Load one of the current household's bookings, or 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.owns(_viewer_id(), booking):
        abort(404)
    return booking


def visible_workshop(workshop_id: int) -> Workshop:
    """Load a published workshop, or a draft its facilitator is previewing; else 404."""
    workshop = db.session.get(Workshop, workshop_id)
    if workshop is None or not permissions.can_see_workshop(_viewer(), workshop):
        abort(404)
    return workshop


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` only when it is a path on this site (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or any(c in target for c in "\r\n\t\\")
    ):
        return default
    return target


def managed_booking(booking_id: int) -> Booking:
    """Load a booking in a session the current user manages, or 404."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not permissions.can_manage_booking(_viewer(), booking):
        abort(404)
    return booking


def own_appointment(appointment_id: int) -> Appointment:
    """Load one of the current household's counseling appointments, or 404."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not permissions.owns(_viewer_id(), appointment):
        abort(404)
    return appointment


def managed_appointment(appointment_id: int) -> Appointment:
    """Load an appointment with the current counselor (admins: anyone's), or 404."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not permissions.can_manage_appointment(_viewer(), appointment):
        abort(404)
    return appointment


def managed_household(household_id: int) -> User:
    """Load a household the current staff member may look after (see ``households``), or 404."""
    household = db.session.get(User, household_id)
    if household is None or not households.may_look_after(_viewer(), household):
        abort(404)
    return household
