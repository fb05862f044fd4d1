"""Facilitator pages for the program over the terms: past sessions, copying a workshop for
a new term, adding a session, deleting a draft. Routes on the manage blueprint."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from scheduler.models import Role, Workshop
from scheduler.services import program
from scheduler.services.errors import DomainError
from scheduler.timetext import moment_text, weekday_name, zone_name
from scheduler.timeutil import utcnow
from scheduler.web.access import owned_workshop, role_required
from scheduler.web.forms import ConfirmForm
from scheduler.web.manage.forms import AddSessionForm, DuplicateForm, HistoryFilterForm
from scheduler.web.manage.routes import bp
from scheduler.web.requests import id_arg

_STAFF = (Role.FACILITATOR, Role.ADMIN)


@bp.get("/history")
@role_required(*_STAFF)
def history() -> tuple[str, int]:
    """Sessions that have ended, newest first, filtered as the address asks."""
    now = utcnow()
    page = id_arg("page") or 1
    form = HistoryFilterForm(formdata=request.args)
    form.offer(program.history_workshops(current_user, now=now))
    if not form.validate():
        return render_template(
            "manage/history.html", form=form, unknown=[], listing=None, chosen={}
        ), 400
    only, unknown = form.chosen()
    listing = program.past_sessions(current_user, now=now, only=only, page=page)
    return render_template(
        "manage/history.html", form=form, unknown=unknown, listing=listing, chosen=form.args()
    ), 200


def _duplicate_page(workshop: Workshop, form: DuplicateForm) -> tuple[str, int]:
    now = utcnow()
    plan = program.copy_plan(workshop, now=now)
    if plan.weekday is not None:
        form.first_day.description = _(
            "A %(weekday)s, as the first session was. Times stay the same in %(zone)s.",
            weekday=weekday_name(plan.weekday),
            zone=zone_name(workshop.timezone, now),
        )
    return render_template(
        "manage/duplicate.html", workshop=workshop, form=form, plan=plan
    ), 422 if form.errors else 200


@bp.route("/workshops/<int:workshop_id>/duplicate", methods=["GET", "POST"])
@role_required(*_STAFF)
def duplicate_workshop(workshop_id: int) -> ResponseReturnValue:
    workshop = owned_workshop(workshop_id)
    form = DuplicateForm(
        title=workshop.title, first_day=program.copy_plan(workshop, now=utcnow()).suggested_day
    )
    if form.validate_on_submit():
        try:
            copy = program.duplicate_workshop(
                workshop.id,
                by=current_user.id,
                first_day=form.first_day.data,
                title=form.title.data,
                now=utcnow(),
            )
        except DomainError as error:
            form.first_day.errors.append(error.message)
        else:
            done = ngettext(
                "The copy is saved as a draft, with %(num)d session. "
                "Check it, then publish it in Edit details.",
                "The copy is saved as a draft, with %(num)d sessions. "
                "Check them, then publish it in Edit details.",
                len(copy.sessions),
            )
            flash(done, "success")
            return redirect(url_for("manage.workshop", workshop_id=copy.id), 303)
    return _duplicate_page(workshop, form)


@bp.route("/workshops/<int:workshop_id>/sessions/new", methods=["GET", "POST"])
@role_required(*_STAFF)
def add_session(workshop_id: int) -> ResponseReturnValue:
    workshop = owned_workshop(workshop_id)
    plan = program.next_session_plan(workshop, now=utcnow())
    form = AddSessionForm(
        starts_at=plan.starts_at, duration_minutes=plan.duration_minutes, capacity=plan.capacity
    )
    if form.validate_on_submit():
        try:
            added = program.add_session(
                workshop.id,
                by=current_user.id,
                starts_at=form.starts_at.data,
                duration_minutes=form.duration_minutes.data,
                capacity=form.capacity.data,
                now=utcnow(),
            )
        except DomainError as error:
            form.starts_at.errors.append(error.message)
        else:
            when = moment_text(added.starts_at, workshop.timezone)
            if workshop.is_published:
                done = _("Session added for %(when)s. Families can book it now.", when=when)
            else:
                done = _("Session added for %(when)s. Families see it once you publish.", when=when)
            flash(done, "success")
            return redirect(url_for("manage.workshop", workshop_id=workshop.id), 303)
    return render_template(
        "manage/add_session.html", workshop=workshop, form=form
    ), 422 if form.errors else 200


@bp.route("/workshops/<int:workshop_id>/delete", methods=["GET", "POST"])
@role_required(*_STAFF)
def delete_workshop(workshop_id: int) -> ResponseReturnValue:
    """GET asks to confirm (or says why it can't be); POST deletes the draft."""
    workshop = owned_workshop(workshop_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            title = program.delete_draft(workshop.id, by=current_user.id)
        except DomainError as error:
            return render_template(
                "manage/delete_workshop.html", workshop=workshop, form=form, refusal=error.message
            ), 409
        flash(_("“%(title)s” is deleted.", title=title), "success")
        return redirect(url_for("manage.dashboard"), 303)
    refusal = program.why_kept(workshop)
    return render_template(
        "manage/delete_workshop.html",
        workshop=workshop,
        form=form,
        refusal=refusal.message if refusal else None,
    ), 200
