"""Check-in at the door, from a phone: who came, and households that walk in.

Each mark is one small POST. Without JavaScript the page posts its form and comes back to
the household's row; with it (static/checkin.js) the same endpoint answers JSON, and the
page queues each mark and sends it again until it arrives: marks are idempotent.
"""

from __future__ import annotations

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from scheduler.models import Booking, User, WorkshopSession
from scheduler.models.bookings import Attendance
from scheduler.services import attendance, households, rosters, walk_ins
from scheduler.services.errors import DomainError, seats_text
from scheduler.services.seats import seat_count
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from scheduler.web.access import managed_booking, owned_session, role_required
from scheduler.web.forms import MarkForm
from scheduler.web.limits import by_account, limit
from scheduler.web.manage.household_forms import (
    HouseholdSearchForm,
    WalkInForm,
    household_lookup,
)
from scheduler.web.manage.routes import _STAFF, bp
from scheduler.web.requests import wants_json

#: Refusals that are about what was sent (400); the others are rules saying no now (409).
_BAD_INPUT = frozenset({"unknown_mark", "seats_came_range"})


def _state(session: WorkshopSession, marks: attendance.MarkWindow) -> str:
    """Where the session's check-in stands: cancelled, not_yet, open or closed."""
    return "cancelled" if session.is_cancelled else marks.state(utcnow())


def tally_words(tally: attendance.Tally, booked: int) -> str:
    """The check-in's counts in a line: came, late, absent, not marked, seats that came."""
    return (
        _(
            "Came: %(came)d · Late: %(late)d · Absent: %(absent)d · Not marked yet: %(unmarked)d",
            came=tally.came,
            late=tally.late,
            absent=tally.absent,
            unmarked=tally.unmarked,
        )
        + " · "
        + ngettext(
            "%(came)d of %(num)d seat came",
            "%(came)d of %(num)d seats came",
            booked,
            came=tally.seats_came,
        )
    )


def _page(
    target: WorkshopSession,
    *,
    status: int = 200,
    walk_in: WalkInForm | None = None,
    **shown: Any,
) -> tuple[str, int]:
    data = rosters.build_roster(target, current_user, action="roster.view", now=utcnow())
    marks = attendance.session_window(target)
    shown.setdefault("search", HouseholdSearchForm(formdata=None))
    return render_template(
        "manage/check_in.html",
        roster=data,
        state=_state(target, marks),
        opens=moment_text(marks.opens_at, marks.zone),
        closes=moment_text(marks.closes_at, marks.zone),
        tally=tally_words(attendance.tally(data.confirmed), data.seats.confirmed),
        mark_form=MarkForm(formdata=None),
        walk_in=walk_in or WalkInForm(formdata=None),
        **shown,
    ), status


def _not_searching() -> bool:
    return not request.args.get("q")


@bp.get("/sessions/<int:session_id>/attendance")
@limit("RATELIMIT_ACT_FOR", key=by_account, methods=("GET",), exempt_when=_not_searching)
@role_required(*_STAFF)
def check_in(session_id: int) -> tuple[str, int]:
    """The session's households with a button for each mark; the walk-in search and form."""
    target = owned_session(session_id)
    now = utcnow()
    search, found, chosen = household_lookup(target.id, now)
    form = WalkInForm(formdata=None, household_id=str(chosen.id) if chosen else "")
    return _page(target, walk_in=form, search=search, found=found, chosen=chosen)


def saved_words(name: str, marked: attendance.Marked, seats: int) -> str:
    """What a saved mark says, to the eye and to a screen reader."""
    if marked.mark == Attendance.ABSENT:
        return _("Saved: %(name)s is absent.", name=name)
    late = marked.mark == Attendance.LATE
    if seats == 1:
        return (
            _("Saved: %(name)s came late.", name=name)
            if late
            else _("Saved: %(name)s came.", name=name)
        )
    if late:
        return ngettext(
            "Saved: %(name)s came late, %(came)d of %(num)d seat.",
            "Saved: %(name)s came late, %(came)d of %(num)d seats.",
            seats,
            name=name,
            came=marked.seats,
        )
    return ngettext(
        "Saved: %(name)s came, %(came)d of %(num)d seat.",
        "Saved: %(name)s came, %(came)d of %(num)d seats.",
        seats,
        name=name,
        came=marked.seats,
    )


@bp.post("/bookings/<int:booking_id>/attendance")
@limit("RATELIMIT_ATTENDANCE", key=by_account)
@role_required(*_STAFF)
def mark(booking_id: int) -> ResponseReturnValue:
    """Save one household's mark; JSON for the page's script, else back to its row."""
    booking = managed_booking(booking_id)
    form = MarkForm()
    if not form.validate_on_submit():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        return _refused(booking, " ".join(problems), 400)
    try:
        marked = attendance.mark_booking(
            booking.id, form.status.data, seats=form.seats(), acting=current_user, now=utcnow()
        )
    except DomainError as error:
        return _refused(booking, error.message, 400 if error.code in _BAD_INPUT else 409)
    words = saved_words(booking.family.staff_name, marked, booking.seats)
    if wants_json():
        tally = attendance.session_tally(booking.session_id)
        return jsonify(
            ok=True,
            mark=marked.mark,
            seats=marked.seats,
            message=words,
            summary=tally_words(tally, seat_count(booking.session).confirmed),
        )
    flash(words, "success")
    return redirect(_row(booking), 303)


def _row(booking: Booking) -> str:
    anchor = f"booking-{booking.id}"
    return url_for("manage.check_in", session_id=booking.session_id, _anchor=anchor)


def _refused(booking: Booking, message: str, status: int) -> ResponseReturnValue:
    if wants_json():
        return jsonify(ok=False, message=message), status
    return _page(booking.session, status=status, error=message, error_row=booking.id)


@bp.post("/sessions/<int:session_id>/walk-in")
@limit("RATELIMIT_ACT_FOR", key=by_account)
@role_required(*_STAFF)
def walk_in(session_id: int) -> ResponseReturnValue:
    """Add a household at the door and mark it came; over capacity only when overridden."""
    target = owned_session(session_id)
    now = utcnow()
    form = WalkInForm()
    chosen_id = form.chosen_id()
    chosen = households.chosen(chosen_id, current_user, now=now) if chosen_id else None
    if chosen_id is not None and chosen is None:
        form.household_id.data = ""
        form.name.errors = [_("We couldn't find that household. Search again, or record them.")]
        return _page(target, status=422, walk_in=form)
    if not form.validate_on_submit():
        return _page(target, status=422, walk_in=form, chosen=chosen)
    try:
        booking = walk_ins.walk_in(
            target.id,
            form.seats.data,
            acting=current_user,
            now=now,
            household_id=chosen.id if chosen else None,
            contact=None if chosen else form.contact(),
            override=form.let_in(),
        )
    except DomainError as error:
        return _page(
            target,
            status=409,
            walk_in=form,
            chosen=chosen,
            walk_in_error=error.message,
            offer_override=error.code in walk_ins.OVERRIDABLE,
        )
    flash(_walked_in_words(booking.family, booking), "success")
    return redirect(_row(booking), 303)


def _walked_in_words(household: User, booking: Booking) -> str:
    done = _(
        "Added %(name)s at the door: %(seats)s, marked as came.",
        name=household.staff_name,
        seats=seats_text(booking.seats),
    )
    if booking.over_capacity:
        done += " " + _("This is over the session's capacity, as you chose.")
    return done
