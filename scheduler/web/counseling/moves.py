"""Moving an appointment: the family to another open time (up to the cutoff), the counselor
at any time before it starts; the family may decline a time the counselor chose."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug import Response

from scheduler.models import Appointment, Role
from scheduler.services import counseling
from scheduler.services.errors import DomainError
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from scheduler.web.access import managed_appointment, own_appointment, role_required
from scheduler.web.counseling.forms import MoveForm
from scheduler.web.counseling.routes import STAFF, bp, family_action, manage_bp
from scheduler.web.limits import by_account, limit
from scheduler.web.presenters.counseling import days_of
from scheduler.web.trail import shown

#: How far ahead the "change the time" list looks.
MOVE_WINDOW = timedelta(days=42)


def _move_page(
    appointment: Appointment,
    now: datetime,
    move: Callable[[int], object],
    done: Callable[[str], str],
    back: str,
    template: str,
    *,
    audited: bool = False,
    **page: Any,
) -> ResponseReturnValue:
    """The counselor's open times in the next weeks, to move ``appointment`` to.

    ``move(slot_id)`` moves it; then ``done(new time)`` is said and the reader goes
    ``back``. A refusal is shown on the form, in words. ``audited``: staff see the
    family's appointment, so the page is written to the access trail before it goes.
    """
    zone = current_user.timezone
    choices = counseling.open_slots(
        now, facilitator_id=appointment.facilitator_id, end=now + MOVE_WINDOW
    )
    form = MoveForm()
    form.slot_id.choices = [(s.slot.id, moment_text(s.slot.starts_at, zone)) for s in choices]
    status = 200
    if form.validate_on_submit():
        try:
            move(form.slot_id.data)
        except DomainError as error:
            form.slot_id.errors.append(error.message)
            status = 409
        else:
            flash(done(counseling.when(appointment, zone)), "success")
            return redirect(back, 303)
    elif form.errors:
        status = 422
    shown_page = render_template(
        template,
        appointment=appointment,
        current=counseling.when(appointment, zone),
        days=days_of(choices, zone),
        form=form,
        **page,
    )
    if audited:
        subject = f"appointment:{appointment.id}"
        shown(shown_page, "view_appointment", subject, [appointment.family_id], always=True)
    return shown_page, status


@bp.route("/appointments/<int:appointment_id>/move", methods=["GET", "POST"])
@limit("RATELIMIT_COUNSELING", key=by_account)
@role_required(Role.FAMILY)
def move(appointment_id: int) -> ResponseReturnValue:
    """The family moves its appointment, up to the counselor's cutoff."""
    appointment = own_appointment(appointment_id)
    now = utcnow()
    return _move_page(
        appointment,
        now,
        lambda slot_id: counseling.move(appointment.id, current_user.id, slot_id, now=now),
        lambda when: _(
            "Your appointment is now on %(when)s. We sent you an email with the new time.",
            when=when,
        ),
        url_for("family.bookings"),
        "counseling/move.html",
        can_change=counseling.can_change(appointment, now),
        settings=counseling.settings_for(appointment.facilitator_id),
    )


@manage_bp.route("/appointments/<int:appointment_id>/move", methods=["GET", "POST"])
@role_required(*STAFF)
def move_appointment(appointment_id: int) -> ResponseReturnValue:
    """The counselor (or an admin) moves it, any time before it starts."""
    appointment = managed_appointment(appointment_id)
    now = utcnow()
    return _move_page(
        appointment,
        now,
        lambda slot_id: counseling.move_by_counselor(
            appointment.id, current_user, slot_id, now=now
        ),
        lambda when: _(
            "The appointment is now on %(when)s. We emailed the family the new time; "
            "they can tell you if it doesn't work for them.",
            when=when,
        ),
        url_for("manage_counseling.appointment", appointment_id=appointment.id),
        "counseling/manage_move.html",
        audited=True,
        upcoming=appointment.is_open(now),
    )


@bp.post("/appointments/<int:appointment_id>/decline-move")
@role_required(Role.FAMILY)
def decline_move(appointment_id: int) -> Response:
    """The family says the time the counselor moved it to doesn't work: it is cancelled."""
    return family_action(
        appointment_id,
        counseling.decline_move,
        lambda appointment: _(
            "Your appointment is cancelled, and %(counselor)s is told the new time "
            "doesn't work for you. You can book another time whenever you like.",
            counselor=appointment.facilitator.name,
        ),
    )
