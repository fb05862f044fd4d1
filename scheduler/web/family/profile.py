"""The account page's own forms, for every role: name, email address and password."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug import Response

from scheduler.services import accounts, profile
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.family.forms import EmailChangeForm, NameForm, PasswordChangeForm
from scheduler.web.family.routes import account_page, bp
from scheduler.web.limits import by_account, limit


@bp.post("/account/name")
@login_required
def change_name() -> Response | tuple[str, int]:
    form = NameForm()
    if not form.validate_on_submit():
        return account_page(name_form=form, status=422)
    if profile.change_name(current_user.id, form.name.data, now=utcnow()):
        flash(_("Your name is saved."), "success")
    return redirect(url_for("family.account", _anchor="you"), 303)


@bp.post("/account/email")
@limit("RATELIMIT_CURRENT_PASSWORD", key=by_account, failures_only=True)
@login_required
def change_email() -> Response | tuple[str, int]:
    form = EmailChangeForm()
    if not form.validate_on_submit():
        return account_page(email_form=form, status=422)
    try:
        profile.request_email_change(
            current_user.id, form.email.data, form.password.data, now=utcnow()
        )
    except DomainError as error:
        field = form.password if error.code == "wrong_password" else form.email
        field.errors = [error.message]
        return account_page(email_form=form, status=429 if error.code == "too_many_links" else 422)
    # The same words whether or not another account has this address (its owner is
    # told instead): the page never tells who uses Hearth.
    flash(
        _(
            "We sent a link to %(email)s. Your address changes when you open it; until "
            "then it stays %(current)s. The link works for 24 hours. If it doesn't "
            "arrive, check the spelling and your spam folder.",
            email=accounts.normalise_email(form.email.data),
            current=current_user.email,
        ),
        "success",
    )
    return redirect(url_for("family.account", _anchor="you"), 303)


@bp.post("/account/password")
@limit("RATELIMIT_CURRENT_PASSWORD", key=by_account, failures_only=True)
@login_required
def change_password() -> Response | tuple[str, int]:
    form = PasswordChangeForm(email=current_user.email, name=current_user.name)
    if not form.validate_on_submit():
        return account_page(password_form=form, status=422)
    try:
        profile.change_password(
            current_user.id,
            form.current_password.data,
            form.password.data,
            keep_sign_in=current_user.get_id(),
            now=utcnow(),
        )
    except DomainError as error:
        form.current_password.errors = [error.message]
        return account_page(password_form=form, status=422)
    flash(
        _(
            "Your password is changed. You stay logged in here; every other phone or "
            "computer is logged out."
        ),
        "success",
    )
    return redirect(url_for("family.account", _anchor="you"), 303)
