"""Facilitator pages: dashboard, publishing, changing sessions, rosters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from scheduler.csvexport import roster_csv
from scheduler.models import Role, Workshop, WorkshopSession
from scheduler.services import (
    attendance,
    attention,
    cofacilitators,
    counseling,
    program,
    rosters,
    series,
)
from scheduler.services import booking as booking_service
from scheduler.services.errors import DomainError
from scheduler.services.group_messages import history as group_message_history
from scheduler.services.seats import seat_count
from scheduler.timeutil import utcnow, wall_time
from scheduler.web.access import managed_booking, owned_session, owned_workshop, role_required
from scheduler.web.forms import ConfirmForm
from scheduler.web.headers import private_download
from scheduler.web.manage.attendance_chart import AttendanceView, views_for
from scheduler.web.manage.forms import (
    CancelSessionForm,
    CapacityForm,
    CofacilitatorForm,
    EditDetailsForm,
    RescheduleForm,
    WorkshopForm,
)
from scheduler.web.requests import id_arg
from scheduler.web.trail import shown

bp = Blueprint("manage", __name__, url_prefix="/manage")
_STAFF = (Role.FACILITATOR, Role.ADMIN)


@bp.get("")
@role_required(*_STAFF)
def dashboard() -> str:
    now = utcnow()
    listing = rosters.upcoming_by_workshop(current_user, now=now, page=id_arg("page") or 1)
    appointments = counseling.counselor_appointments(
        current_user, start=now, end=now + timedelta(days=14)
    )
    asks = attention.needs_attention(current_user, now=now)
    insights = views_for(current_user, [b.workshop for b in listing.workshops], now=now)
    page = render_template(
        "manage/dashboard.html",
        attention=asks,
        listing=listing,
        appointments=appointments,
        attendance=insights,
    )
    named = {a.family_id for a in (*asks.requests, *appointments)}
    return shown(page, "dashboard.view", "dashboard", named | _missed(insights.values()))


def _missed(views: Iterable[AttendanceView | None]) -> set[int]:
    """The households an attendance summary names: those who missed two in a row."""
    return {h.id for view in views if view for h in view.stats.missed_twice}


@bp.route("/workshops/new", methods=["GET", "POST"])
@role_required(*_STAFF)
def new_workshop() -> ResponseReturnValue:
    form = WorkshopForm()
    if form.validate_on_submit():
        try:
            workshop = series.create_workshop(
                current_user.id,
                form.details(),
                timezone=form.timezone.data,
                capacity=form.capacity.data,
                first_start=form.starts_at.data,
                duration_minutes=form.duration_minutes.data,
                weeks=form.weeks.data,
                now=utcnow(),
            )
        except DomainError as error:
            form.starts_at.errors.append(error.message)
        else:
            if workshop.is_published:
                flash(_("“%(title)s” is published.", title=workshop.title), "success")
            else:
                flash(_("“%(title)s” is saved as a draft.", title=workshop.title), "success")
            return redirect(url_for("manage.workshop", workshop_id=workshop.id), 303)
    return render_template("manage/new_workshop.html", form=form), 422 if form.errors else 200


@bp.get("/workshops/<int:workshop_id>")
@role_required(*_STAFF)
def workshop(workshop_id: int) -> tuple[str, int]:
    return workshop_page(owned_workshop(workshop_id))


def workshop_page(
    workshop: Workshop, *, share: CofacilitatorForm | None = None, status: int = 200
) -> tuple[str, int]:
    """A workshop's own page: its sessions, and who runs it (``share``: a refused addition)."""
    now = utcnow()
    rows = rosters.upcoming_for(current_user, now=now, workshop_id=workshop.id)
    insights = views_for(current_user, [workshop], now=now).get(workshop.id)
    page = render_template(
        "manage/workshop.html",
        workshop=workshop,
        rows=rows,
        has_history=program.has_history(workshop.id, now=now),
        attendance=insights,
        runners=cofacilitators.runners_of(workshop),
        share_form=share or CofacilitatorForm(),
        remove_form=ConfirmForm(),
        group_messages=group_message_history(workshop.id),
    )
    return shown(page, "workshop.view", f"workshop:{workshop.id}", _missed([insights])), status


@bp.route("/workshops/<int:workshop_id>/edit", methods=["GET", "POST"])
@role_required(*_STAFF)
def edit_workshop(workshop_id: int) -> ResponseReturnValue:
    workshop = owned_workshop(workshop_id)
    form = EditDetailsForm(obj=workshop, publish=workshop.is_published)
    if form.validate_on_submit():
        try:
            series.update_details(workshop.id, form.details(), now=utcnow())
        except DomainError as error:
            form.publish.errors.append(error.message)
        else:
            flash(_("Your changes are saved."), "success")
            return redirect(url_for("manage.workshop", workshop_id=workshop.id), 303)
    return render_template(
        "manage/edit_workshop.html", workshop=workshop, form=form
    ), 422 if form.errors else 200


def _session_page(
    session: WorkshopSession,
    *,
    status: int = 200,
    reschedule: RescheduleForm | None = None,
    capacity: CapacityForm | None = None,
    cancel: CancelSessionForm | None = None,
    affected: list[series.Affected] | None = None,
) -> tuple[str, int]:
    zone = session.workshop.timezone
    page = render_template(
        "manage/session.html",
        session=session,
        seats=seat_count(session),
        reschedule_form=reschedule
        or RescheduleForm(
            starts_at=wall_time(session.starts_at, zone),
            duration_minutes=session.duration_minutes,
        ),
        capacity_form=capacity or CapacityForm(capacity=session.capacity),
        cancel_form=cancel or CancelSessionForm(),
        affected=affected or [],
        changeable=session.is_open(utcnow()),
    )
    named = {a.family_id for a in affected or []}
    return shown(page, "session.capacity_conflict", f"session:{session.id}", named), status


@bp.get("/sessions/<int:session_id>")
@role_required(*_STAFF)
def session(session_id: int) -> tuple[str, int]:
    return _session_page(owned_session(session_id))


@bp.post("/sessions/<int:session_id>/reschedule")
@role_required(*_STAFF)
def reschedule(session_id: int) -> ResponseReturnValue:
    target = owned_session(session_id)
    form = RescheduleForm()
    if form.validate_on_submit():
        try:
            moved = series.reschedule(
                target.id,
                new_start=form.starts_at.data,
                duration_minutes=form.duration_minutes.data,
                scope=series.Scope(form.scope.data),
                now=utcnow(),
            )
        except DomainError as error:
            form.starts_at.errors.append(error.message)
        else:
            flash(
                ngettext("Moved %(num)d session.", "Moved %(num)d sessions.", len(moved)), "success"
            )
            return redirect(url_for("manage.session", session_id=target.id), 303)
    return _session_page(target, status=422, reschedule=form)


@bp.post("/sessions/<int:session_id>/capacity")
@role_required(*_STAFF)
def capacity(session_id: int) -> ResponseReturnValue:
    target = owned_session(session_id)
    form = CapacityForm()
    if form.validate_on_submit():
        try:
            moved = series.change_capacity(
                target.id,
                capacity=form.capacity.data,
                scope=series.Scope(form.scope.data),
                move_to_waitlist=form.move_to_waitlist.data,
                now=utcnow(),
            )
        except series.CapacityConflict as conflict:
            form.capacity.errors.append(conflict.message)
            return _session_page(target, status=409, capacity=form, affected=conflict.affected)
        except DomainError as error:
            form.capacity.errors.append(error.message)
        else:
            if moved:
                done = ngettext(
                    "Seats updated. %(num)d household moved to the waitlist.",
                    "Seats updated. %(num)d households moved to the waitlist.",
                    len(moved),
                )
            else:
                done = _("Seats updated.")
            flash(done, "success")
            return redirect(url_for("manage.session", session_id=target.id), 303)
    return _session_page(target, status=422, capacity=form)


@bp.post("/sessions/<int:session_id>/cancel")
@role_required(*_STAFF)
def cancel_session(session_id: int) -> ResponseReturnValue:
    target = owned_session(session_id)
    form = CancelSessionForm()
    if form.validate_on_submit():
        try:
            cancelled = series.cancel_sessions(
                target.id, scope=series.Scope(form.scope.data), now=utcnow()
            )
        except DomainError as error:
            form.scope.errors.append(error.message)
        else:
            done = ngettext(
                "Cancelled %(num)d session. Booked families see it.",
                "Cancelled %(num)d sessions. Booked families see them.",
                len(cancelled),
            )
            flash(done, "success")
            return redirect(url_for("manage.workshop", workshop_id=target.workshop_id), 303)
    return _session_page(target, status=422, cancel=form)


@bp.get("/sessions/<int:session_id>/roster")
@role_required(*_STAFF)
def roster(session_id: int) -> str:
    target = owned_session(session_id)
    now = utcnow()
    data = rosters.build_roster(target, current_user, action="roster.view", now=now)
    return render_template(
        "manage/roster.html",
        roster=data,
        sign_in=rosters.sign_in_sheet(data),
        promote_form=ConfirmForm(),
        ended=target.ends_at <= now,
        marks_closed=attendance.session_window(target).has_closed(now),
        # Booking, cancelling or changing needs for a household, until the session starts.
        open=target.is_open(now),
    )


@bp.get("/sessions/<int:session_id>/roster.csv")
@role_required(*_STAFF)
def roster_export(session_id: int) -> ResponseReturnValue:
    target = owned_session(session_id)
    data = rosters.build_roster(target, current_user, action="roster.export", now=utcnow())
    filename = f"roster-{target.starts_at:%Y-%m-%d}-session-{target.id}.csv"
    body = roster_csv(rosters.roster_lines(data), rosters.csv_words())
    return private_download(body, "text/csv", filename)


@bp.post("/bookings/<int:booking_id>/promote")
@role_required(*_STAFF)
def promote(booking_id: int) -> ResponseReturnValue:
    booking = managed_booking(booking_id)
    target = booking.session
    if ConfirmForm().validate_on_submit():
        try:
            booking_service.promote_by_hand(booking.id, now=utcnow())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("%(name)s now has a seat.", name=booking.family.staff_name), "success")
    return redirect(url_for("manage.roster", session_id=target.id), 303)


# Routes of this blueprint kept in modules of their own: acting for a household, moving a
# booking, sharing a workshop, and the program over the terms (history, copies, added
# sessions, drafts); check-in at the door.
from scheduler.web.manage import act_for, checkin, facilitators, moves  # noqa: E402, F401
from scheduler.web.manage import group_messages as _group_message_routes  # noqa: E402, F401
from scheduler.web.manage import program as _program_routes  # noqa: E402, F401
