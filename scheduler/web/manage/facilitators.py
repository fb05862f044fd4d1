"""Facilitator pages: sharing a workshop with co-facilitators, and taking them off."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.services import cofacilitators
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import owned_workshop, role_required
from scheduler.web.forms import ConfirmForm
from scheduler.web.manage.forms import CofacilitatorForm
from scheduler.web.manage.routes import _STAFF, bp, workshop_page


@bp.post("/workshops/<int:workshop_id>/facilitators")
@role_required(*_STAFF)
def add_facilitator(workshop_id: int) -> ResponseReturnValue:
    workshop = owned_workshop(workshop_id)
    form = CofacilitatorForm()
    if form.validate_on_submit():
        try:
            added = cofacilitators.add_cofacilitator(
                workshop.id, form.email.data, actor_id=current_user.id, now=utcnow()
            )
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            flash(
                _("%(name)s now runs this workshop too. We emailed them.", name=added.name),
                "success",
            )
            return redirect(
                url_for("manage.workshop", workshop_id=workshop.id, _anchor="facilitators"), 303
            )
    return workshop_page(workshop, share=form, status=422)


@bp.post("/workshops/<int:workshop_id>/facilitators/<int:user_id>/remove")
@role_required(*_STAFF)
def remove_facilitator(workshop_id: int, user_id: int) -> ResponseReturnValue:
    workshop = owned_workshop(workshop_id)
    if ConfirmForm().validate_on_submit():
        try:
            removed = cofacilitators.remove_cofacilitator(
                workshop.id, user_id, actor_id=current_user.id, now=utcnow()
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            if removed.id == current_user.id:
                flash(_("You no longer run “%(title)s”.", title=workshop.title), "success")
                return redirect(url_for("manage.dashboard"), 303)
            flash(_("%(name)s no longer runs this workshop.", name=removed.name), "success")
    return redirect(
        url_for("manage.workshop", workshop_id=workshop.id, _anchor="facilitators"), 303
    )
