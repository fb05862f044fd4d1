"""A counselor marks whether the family came to an appointment, as check-in does for a
session: the same window, the same idempotent POST, JSON for the page's script."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.models import Appointment
from scheduler.models.counseling import AppointmentAttendance
from scheduler.services import attendance, counseling
from scheduler.services.errors import DomainError
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from scheduler.web.access import managed_appointment, role_required
from scheduler.web.counseling.routes import STAFF, manage_bp
from scheduler.web.forms import ConfirmForm, MarkForm
from scheduler.web.limits import by_account, limit
from scheduler.web.requests import wants_json


def appointment_page(found: Appointment, *, status: int = 200, error: str = "") -> tuple[str, int]:
    """The counselor's page of one appointment, with who came when marks are open."""
    now = utcnow()
    counseling.view_appointment(found, current_user, now=now)
    marks = attendance.appointment_window(found)
    zone = current_user.timezone
    return render_template(
        "counseling/appointment.html",
        appointment=found,
        when=counseling.when(found, zone),
        movable=found.is_open(now),
        form=ConfirmForm(),
        mark_form=MarkForm(formdata=None),
        marks_state=marks.state(now) if found.is_confirmed else "",
        marks_opens=moment_text(marks.opens_at, zone),
        marks_closes=moment_text(marks.closes_at, zone),
        error=error,
    ), status


def saved_words(appointment: Appointment) -> str:
    name = appointment.family.staff_name
    if appointment.attendance == AppointmentAttendance.NO_SHOW:
        return _("Saved: %(name)s didn't come.", name=name)
    return _("Saved: %(name)s came.", name=name)


@manage_bp.post("/appointments/<int:appointment_id>/attendance")
@limit("RATELIMIT_ATTENDANCE", key=by_account)
@role_required(*STAFF)
def mark_appointment(appointment_id: int) -> ResponseReturnValue:
    """Save whether the family came; JSON for the page's script, else back to the page."""
    found = managed_appointment(appointment_id)
    form = MarkForm()
    try:
        if not form.validate_on_submit():
            raise DomainError("unknown_appointment_mark")
        attendance.mark_appointment(found.id, form.status.data, acting=current_user, now=utcnow())
    except DomainError as error:
        status = 400 if error.code == "unknown_appointment_mark" else 409
        if wants_json():
            return jsonify(ok=False, message=error.message), status
        return appointment_page(found, status=status, error=error.message)
    words = saved_words(found)
    if wants_json():
        return jsonify(ok=True, mark=found.attendance, message=words)
    flash(words, "success")
    return redirect(url_for("manage_counseling.appointment", appointment_id=found.id), 303)
