"""Counseling pages: families find and book a slot; counselors set their availability."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug import Response

from scheduler.models import Appointment, Role
from scheduler.services import attendance as attendance_service
from scheduler.services import attendance_stats, calendar_view, counseling
from scheduler.services.errors import DomainError
from scheduler.timetext import day_text, local_day_text
from scheduler.timeutil import to_local, utcnow
from scheduler.web.access import managed_appointment, own_appointment, role_required
from scheduler.web.counseling.forms import (
    EVERY_WEEKDAY,
    BlackoutForm,
    BookSlotForm,
    RulesForm,
    SlotFilterForm,
    WindowForm,
)
from scheduler.web.errors import unreadable_date
from scheduler.web.forms import ConfirmForm
from scheduler.web.limits import by_account, limit
from scheduler.web.presenters.counseling import (
    WeekView,
    days_of,
    held_appointments,
    slot_view,
)
from scheduler.web.trail import shown

bp = Blueprint("counseling", __name__, url_prefix="/counseling")
manage_bp = Blueprint("manage_counseling", __name__, url_prefix="/manage/counseling")
STAFF = (Role.FACILITATOR, Role.ADMIN)


def _reader_zone(fallback: str) -> str:
    return current_user.timezone if current_user.is_authenticated else fallback


def _open_slot(slot_id: int, now: datetime) -> counseling.OpenSlot:
    """The slot if a family can book it now; 404 otherwise (taken, past, withdrawn)."""
    found = counseling.open_slot(slot_id, now)
    if found is None:
        abort(404)
    return found


# --- families ------------------------------------------------------------------------


#: One page of open times is a week: what a request loads doesn't grow with the horizon.
PAGE = timedelta(days=7)


def _local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


@bp.get("")
def index() -> tuple[str, int]:
    """One week of open times, filtered as the address asks, by day and counselor."""
    now = utcnow()
    form = SlotFilterForm(formdata=request.args)
    form.offer(counseling.open_counselors())
    only, unknown = form.chosen()
    if current_user.is_authenticated:
        zone = current_user.timezone
    else:
        soonest = counseling.next_open(now)
        zone = soonest.settings.timezone if soonest else "UTC"
    today = to_local(now, zone).date()
    try:
        first = max(calendar_view.parse_start(request.args.get("start"), today), today)
    except ValueError as error:
        return unreadable_date(str(error), back=(_("See the open times"), "counseling.index"))
    start, end = _local_midnight(first, zone), _local_midnight(first + PAGE, zone)
    slots = counseling.open_slots(now, start=start, end=end, only=only)
    later = counseling.next_open(now, after=end, only=only)
    later_day = to_local(later.slot.starts_at, zone).date() if later else None
    week = WeekView(
        first_day=day_text(first),
        last_day=day_text(first + PAGE - timedelta(days=1)),
        earlier=max(first - PAGE, today).isoformat() if first > today else None,
        later=later_day.isoformat() if later_day else None,
        later_day=day_text(later_day) if later_day else None,
    )
    mine = current_user.is_authenticated and current_user.is_family
    return render_template(
        "counseling/index.html",
        days=days_of(slots, zone),
        zone=zone,
        week=week,
        form=form,
        unknown=unknown,
        chosen=form.args(),
        held=held_appointments(current_user.id, zone, now) if mine else [],
    ), 200


def _slot_page(slot_id: int, form: BookSlotForm) -> str:
    """One open slot, in the reader's time, with its booking form (errors and all)."""
    found = _open_slot(slot_id, utcnow())
    zone = _reader_zone(found.settings.timezone)
    return render_template(
        "counseling/slot.html",
        found=found,
        view=slot_view(found, zone),
        day=local_day_text(found.slot.starts_at, zone),
        form=form,
    )


@bp.get("/slots/<int:slot_id>")
def slot(slot_id: int) -> str:
    return _slot_page(slot_id, BookSlotForm())


@bp.post("/slots/<int:slot_id>/book")
@limit("RATELIMIT_COUNSELING", key=by_account)
@role_required(Role.FAMILY)
def book(slot_id: int) -> ResponseReturnValue:
    form = BookSlotForm()
    if not form.validate_on_submit():
        return _slot_page(slot_id, form), 422
    try:
        appointment = counseling.book_slot(
            slot_id, current_user.id, note=form.note.data or "", now=utcnow()
        )
    except DomainError as error:
        if error.code == "slot_not_found":
            abort(404)
        flash(error.message, "error")
        return render_template("counseling/taken.html", message=error.message), 409
    when = counseling.when(appointment, current_user.timezone)
    if appointment.is_pending:
        flash(
            _(
                "Your request for %(when)s is in. %(counselor)s confirms first "
                "appointments; we'll email you. The time is held for you.",
                when=when,
                counselor=appointment.facilitator.name,
            ),
            "success",
        )
    else:
        flash(
            _("You're booked: %(when)s. We sent you an email with the details.", when=when),
            "success",
        )
    return redirect(url_for("family.bookings"), 303)


def family_action(
    appointment_id: int,
    act: Callable[..., Appointment],
    done: Callable[[Appointment], str],
) -> Response:
    """A family's button on its own appointment: do it, say how it went, back to bookings."""
    appointment = own_appointment(appointment_id)
    if ConfirmForm().validate_on_submit():
        try:
            act(appointment.id, current_user.id, now=utcnow())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(done(appointment), "success")
    return redirect(url_for("family.bookings"), 303)


@bp.post("/appointments/<int:appointment_id>/cancel")
@role_required(Role.FAMILY)
def cancel(appointment_id: int) -> Response:
    return family_action(
        appointment_id,
        counseling.cancel_by_family,
        lambda _appointment: _("Your appointment is cancelled. We sent you an email."),
    )


# --- counselors ------------------------------------------------------------------------


def _availability_page(rules_form: RulesForm, status: int = 200) -> tuple[str, int]:
    now = utcnow()
    settings = counseling.settings_for(current_user.id)
    zone = settings.timezone if settings else current_user.timezone
    windows = counseling.windows_for(current_user.id)
    upcoming = counseling.counselor_appointments(
        current_user, start=now, end=now + timedelta(days=60)
    )
    to_mark = attendance_service.appointments_to_mark(current_user, now)
    page = render_template(
        "counseling/manage.html",
        rules_form=rules_form,
        window_form=WindowForm(),
        blackout_form=BlackoutForm(),
        confirm_form=ConfirmForm(),
        settings=settings,
        windows=windows,
        every=EVERY_WEEKDAY,
        blackouts=counseling.blackouts_for(current_user.id),
        upcoming=upcoming,
        to_mark=to_mark,
        zone=zone,
        open_count=len(counseling.open_slots(now, facilitator_id=current_user.id)),
        attendance=attendance_stats.counselor_counts(current_user.id, now=now),
    )
    named = {a.family_id for a in (*upcoming, *to_mark)}
    return shown(page, "counseling.list_view", "counseling", named), status


@manage_bp.route("", methods=["GET", "POST"])
@role_required(*STAFF)
def availability() -> ResponseReturnValue:
    settings = counseling.settings_for(current_user.id)
    form = RulesForm(obj=settings) if settings else RulesForm(timezone=current_user.timezone)
    if form.validate_on_submit():
        try:
            counseling.save_rules(current_user.id, form.rules(), now=utcnow())
        except DomainError as error:
            form.online_url.errors.append(error.message)
            return _availability_page(form, 422)
        flash(_("Your counseling settings are saved."), "success")
        return redirect(url_for("manage_counseling.availability"), 303)
    return _availability_page(form, 422 if form.errors else 200)


@manage_bp.post("/windows")
@role_required(*STAFF)
def add_window() -> ResponseReturnValue:
    form = WindowForm()
    if form.validate_on_submit():
        try:
            counseling.add_window(
                current_user.id,
                weekday=int(form.weekday.data) if form.weekday.data else None,
                day=form.day.data,
                starts=form.starts.data,
                ends=form.ends.data,
                now=utcnow(),
            )
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for("manage_counseling.availability", _anchor="hours"), 303)
        flash(_("Your hours are added."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(map(str, errors)), "error")
    return redirect(url_for("manage_counseling.availability", _anchor="hours"), 303)


def _remove(remover: Callable[..., None], item_id: int, done: str, anchor: str) -> Response:
    """Remove hours or a day off of the counselor's own; anyone else's is not found."""
    if ConfirmForm().validate_on_submit():
        try:
            remover(current_user.id, item_id, now=utcnow())
        except DomainError:
            abort(404)
        flash(done, "success")
    return redirect(url_for("manage_counseling.availability", _anchor=anchor), 303)


@manage_bp.post("/windows/<int:window_id>/delete")
@role_required(*STAFF)
def remove_window(window_id: int) -> Response:
    done = _("Those hours are removed. Appointments already booked stay.")
    return _remove(counseling.remove_window, window_id, done, "hours")


@manage_bp.post("/blackouts")
@role_required(*STAFF)
def add_blackout() -> Response:
    form = BlackoutForm()
    if form.validate_on_submit():
        counseling.add_blackout(current_user.id, form.day.data, now=utcnow())
        flash(_("No slots that day. Appointments already booked stay."), "success")
    else:
        for errors in form.errors.values():
            flash(" ".join(map(str, errors)), "error")
    return redirect(url_for("manage_counseling.availability", _anchor="days-off"), 303)


@manage_bp.post("/blackouts/<int:blackout_id>/delete")
@role_required(*STAFF)
def remove_blackout(blackout_id: int) -> Response:
    done = _("That day is open again.")
    return _remove(counseling.remove_blackout, blackout_id, done, "days-off")


@manage_bp.get("/appointments/<int:appointment_id>")
@role_required(*STAFF)
def appointment(appointment_id: int) -> tuple[str, int]:
    return attendance.appointment_page(managed_appointment(appointment_id))


def _staff_action(appointment_id: int, action: str) -> Response:
    managed_appointment(appointment_id)
    if ConfirmForm().validate_on_submit():
        do = {
            "approve": (counseling.approve, _("Approved. The family gets a confirmation.")),
            "decline": (counseling.decline, _("Declined. The family is told; the time is free.")),
            "cancel": (counseling.cancel_by_facilitator, _("Cancelled. The family is told.")),
        }[action]
        try:
            do[0](appointment_id, current_user, now=utcnow())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(do[1], "success")
    return redirect(url_for("manage_counseling.appointment", appointment_id=appointment_id), 303)


@manage_bp.post("/appointments/<int:appointment_id>/approve")
@role_required(*STAFF)
def approve(appointment_id: int) -> Response:
    return _staff_action(appointment_id, "approve")


@manage_bp.post("/appointments/<int:appointment_id>/decline")
@role_required(*STAFF)
def decline(appointment_id: int) -> Response:
    return _staff_action(appointment_id, "decline")


@manage_bp.post("/appointments/<int:appointment_id>/cancel")
@role_required(*STAFF)
def cancel_appointment(appointment_id: int) -> Response:
    return _staff_action(appointment_id, "cancel")


from scheduler.web.counseling import attendance, moves  # noqa: E402, F401
