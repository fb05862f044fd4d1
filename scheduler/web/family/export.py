"""A family's copy of its data: ask for it, see where it stands, download it by its link."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from scheduler.models import Role
from scheduler.services import data_export
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import role_required
from scheduler.web.family.routes import bp
from scheduler.web.forms import ConfirmForm
from scheduler.web.headers import private_download
from scheduler.web.limits import by_account, limit


def export_panel() -> dict[str, Any]:
    """What the account page's section on the copy shows (``_account_export.html``)."""
    return {
        "export": data_export.latest(current_user.id, utcnow()),
        "export_form": ConfirmForm(),
    }


@bp.get("/account/export")
@role_required(Role.FAMILY)
def export_page() -> ResponseReturnValue:
    return render_template("family/export.html", **export_panel())


@bp.post("/account/export")
@limit("RATELIMIT_DATA_EXPORT", key=by_account)
@role_required(Role.FAMILY)
def request_export() -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("family.export_page"), 303)
    try:
        data_export.request_export(current_user.id, utcnow())
    except DomainError as error:
        return render_template("family/export.html", error=error.message, **export_panel()), 409
    flash(
        _("We are making your copy. We'll email you when it is ready to download."),
        "success",
    )
    return redirect(url_for("family.account", _anchor="export"), 303)


@bp.get("/account/export/<int:export_id>/<token>.zip")
def download_export(export_id: int, token: str) -> ResponseReturnValue:
    """The zip, for its family signed in with the link; anyone else finds nothing here.

    Someone not signed in (the family opening its email on another device) is asked to
    log in and then brought to the copy's page, which has the link: the token itself is
    never put in the login page's address, where logs would keep it.
    """
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=url_for("family.export_page")))
    if current_user.role != Role.FAMILY:
        abort(404)
    try:
        copy = data_export.download(export_id, token, current_user.id, utcnow())
    except DomainError as error:
        if error.code == "data_export_expired":
            back = (_("Ask for a new copy"), "family.export_page")
            return render_template(
                "errors/error.html", code=410, title=error.message, detail=None, back=back
            ), 410
        abort(404)
    return private_download(copy.content, "application/zip", copy.filename)
