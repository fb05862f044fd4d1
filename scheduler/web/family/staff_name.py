"""The account page's choice of how staff see a household: full name, first name, alias."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug import Response

from scheduler.models import Role
from scheduler.services import household_names
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import role_required
from scheduler.web.family.forms import StaffNameForm
from scheduler.web.family.routes import account_page, bp
from scheduler.web.limits import by_account, limit


@bp.post("/account/staff-name")
@limit("RATELIMIT_STAFF_NAME", key=by_account)
@role_required(Role.FAMILY)
def choose_staff_name() -> Response | tuple[str, int]:
    form = StaffNameForm(family=current_user)
    if not form.validate_on_submit():
        return account_page(staff_name_form=form, status=422)
    try:
        shown = household_names.choose(
            current_user.id, form.staff_name_choice.data or "", form.alias.data, now=utcnow()
        )
    except DomainError as error:
        field = form.staff_name_choice if error.code == "staff_name_unknown" else form.alias
        field.errors = [error.message]
        return account_page(staff_name_form=form, status=422)
    flash(_("Saved. Staff now see you as “%(name)s”.", name=shown), "success")
    return redirect(url_for("family.account", _anchor="staff-name"), 303)
