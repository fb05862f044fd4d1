"""Staff moving a household's booking to another session of the workshop (a make-up)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.services import moves
from scheduler.services.errors import DomainError
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from scheduler.web.access import managed_booking, role_required
from scheduler.web.forms import MoveBookingForm
from scheduler.web.manage.act_for import told
from scheduler.web.manage.routes import _STAFF, bp
from scheduler.web.trail import shown


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@role_required(*_STAFF)
def move_booking(booking_id: int) -> ResponseReturnValue:
    """Move a booking at any time, out of a session that is over or cancelled too."""
    booking = managed_booking(booking_id)
    source_id, household = booking.session_id, booking.family
    now = utcnow()
    form = MoveBookingForm()
    status, full = 200, None
    if form.validate_on_submit():
        try:
            moved = moves.move_booking(
                booking.id, form.session_id.data, actor=current_user, now=now
            )
        except DomainError as error:
            form.session_id.errors.append(error.message)
            status = 409
            full = form.session_id.data if error.code == "move_target_full" else None
        else:
            when = moment_text(moved.session.starts_at, current_user.timezone)
            done = _("%(name)s is moved to %(when)s.", name=household.staff_name, when=when)
            flash(f"{done} {told(household)}", "success")
            return redirect(url_for("manage.roster", session_id=source_id), 303)
    elif form.errors:
        status = 422
    page = render_template(
        "manage/move.html",
        booking=booking,
        choices=moves.choices(booking, now),
        form=form,
        full=full,
    )
    return shown(page, "booking.move_view", f"booking:{booking.id}", [household.id]), status
