"""A household closes its account (its password typed again), and reopens it with the
emailed link within the grace period."""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug import Response

from scheduler import settings
from scheduler.models import Role
from scheduler.services import closing
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import role_required
from scheduler.web.family.forms import CloseAccountForm
from scheduler.web.family.routes import bp
from scheduler.web.forms import ConfirmForm
from scheduler.web.limits import by_account, limit


@bp.route("/account/delete", methods=["GET", "POST"])
@limit("RATELIMIT_CURRENT_PASSWORD", key=by_account, failures_only=True)
@role_required(Role.FAMILY)
def close_account() -> Response | tuple[str, int]:
    """Ask first, then close: what it does is said on the page before the button."""
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            closing.close(current_user.id, form.password.data, now=utcnow())
        except DomainError as error:
            form.password.errors = [error.message]
        else:
            logout_user()
            session.clear()
            flash(
                _(
                    "Your account is closed and you are logged out. We emailed you a link "
                    "that opens it again, if you change your mind."
                ),
                "success",
            )
            return redirect(url_for("public.index"), 303)
    status = 422 if form.errors else 200
    grace_days = settings.current().account_close_grace.days
    return render_template("family/close.html", form=form, grace_days=grace_days), status


@bp.route("/account/reopen/<token>", methods=["GET", "POST"])
@limit("RATELIMIT_PASSWORD_RESET")
def reopen_account(token: str) -> Response | tuple[str, int]:
    """The emailed link: a GET only asks (mail systems open links), a POST reopens."""
    household = closing.reopenable(token, utcnow())
    if household is None:
        return render_template("auth/link_unusable.html", reopen=True), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            closing.reopen(token, now=utcnow())
        except DomainError:  # used in another tab a moment ago
            return render_template("auth/link_unusable.html", reopen=True), 404
        flash(
            _(
                "Your account is open again. Log in with your email address and password. "
                "Bookings that were cancelled when you closed it stay cancelled."
            ),
            "success",
        )
        return redirect(url_for("auth.login"), 303)
    return render_template(
        "family/reopen.html",
        form=form,
        household=household,
        cancelled=closing.cancelled_when_closed(household),
    ), 200
