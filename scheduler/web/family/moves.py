"""A household moving its booking to another session of the workshop (a make-up)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.models import Role
from scheduler.services import moves
from scheduler.services.errors import DomainError
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from scheduler.web.access import own_booking, role_required
from scheduler.web.family.routes import bp
from scheduler.web.forms import MoveBookingForm
from scheduler.web.limits import by_account, limit
from scheduler.web.presenters.workshops import booked_text


@bp.route("/bookings/<int:booking_id>/move", methods=["GET", "POST"])
@limit("RATELIMIT_BOOKING", key=by_account)
@role_required(Role.FAMILY)
def move(booking_id: int) -> ResponseReturnValue:
    """Choose another open session of the workshop; a full one offers its waitlist too."""
    booking = own_booking(booking_id)
    now = utcnow()
    form = MoveBookingForm()
    status, full = 200, None
    if form.validate_on_submit():
        target = form.session_id.data
        try:
            if form.join_waitlist.data == "1":
                joined = moves.wait_for_seat(booking.id, target, family_id=current_user.id, now=now)
                flash(booked_text([joined]), "success")
            else:
                moved = moves.move_booking(booking.id, target, actor=current_user, now=now)
                when = moment_text(moved.session.starts_at, current_user.timezone)
                flash(
                    _("Your booking is moved to %(when)s. We sent you an email.", when=when),
                    "success",
                )
        except DomainError as error:
            form.session_id.errors.append(error.message)
            status = 409
            full = target if error.code == "move_target_full" else None
        else:
            return redirect(url_for("family.bookings"), 303)
    elif form.errors:
        status = 422
    return render_template(
        "family/move.html",
        booking=booking,
        choices=moves.choices(booking, now),
        can_move=moves.family_can_move(booking, now),
        form=form,
        full=full,
    ), status
