"""Sign-up, login and logout, password reset, address confirmation, joining by an
invitation and moving an account to a new address."""

from __future__ import annotations

import math

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug import Response

from scheduler.i18n import current_language
from scheduler.models import LinkPurpose
from scheduler.services import accounts, email_links, households, invitations, profile, sessions
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import safe_next
from scheduler.web.auth.forms import (
    AcceptInvitationForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from scheduler.web.forms import ConfirmForm
from scheduler.web.limits import limit

bp = Blueprint("auth", __name__)


def _start_session(user: accounts.User, remember: bool) -> None:
    # A fresh session on login: nothing from before (a planted session id) survives.
    session.clear()
    login_user(sessions.start(user, remember=remember, now=utcnow()), remember=remember)


def _end_session() -> None:
    """Log this browser out: its sign-in ends on the server, and its cookies go."""
    if current_user.is_authenticated:
        sessions.end(current_user.get_id())
    logout_user()
    session.clear()


@bp.route("/register", methods=["GET", "POST"])
@limit("RATELIMIT_SIGNUP")
def register() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("public.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = accounts.register_family(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                timezone=form.timezone.data,
                # Signed up while reading Spanish: the mail that follows is Spanish too.
                language=current_language(),
            )
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            if user is not None:
                _start_session(user, remember=False)
            # The same words for a taken address (its owner is emailed instead), so the
            # page never tells who has an account.
            flash(
                _(
                    "Welcome, %(name)s. We sent an email to %(email)s: the link in it "
                    "confirms your address. If this address already has an account, the "
                    "email says how to log in instead.",
                    name=form.name.data.strip(),
                    email=accounts.normalise_email(form.email.data),
                ),
                "success",
            )
            return redirect(safe_next(request.args.get("next"), url_for("public.index")), 303)
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@limit("RATELIMIT_LOGIN_FAILURES", failures_only=True)
def login() -> Response | tuple[str, int, dict[str, str]]:
    form = LoginForm()
    status = 200
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data, form.password.data, ip=request.remote_addr, now=utcnow()
            )
        except DomainError as error:
            flash(error.message, "error")
            status = 429 if error.code == "login_throttled" else 401
            if status == 429:
                headers["Retry-After"] = str(math.ceil(error.params["seconds"]))
        else:
            _start_session(user, remember=form.remember.data)
            default = url_for("manage.dashboard") if not user.is_family else url_for("public.index")
            return redirect(safe_next(request.args.get("next"), default), 303)
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status, headers


@bp.post("/logout")
def logout() -> Response:
    _end_session()
    flash(_("You're logged out."), "info")
    return redirect(url_for("public.index"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limit("RATELIMIT_PASSWORD_RESET")
def forgot_password() -> Response | tuple[str, int] | str:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, utcnow())
        # The same answer whether or not the address has an account: no one learns who uses Hearth.
        flash(
            _(
                "If %(email)s has a Hearth account, an email with a link to choose a new "
                "password is on its way. The link works for one hour. Check your spam "
                "folder too.",
                email=form.email.data,
            ),
            "success",
        )
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | tuple[str, int] | str:
    if email_links.find(token, LinkPurpose.PASSWORD_RESET, utcnow()) is None:
        return render_template("auth/link_unusable.html", forgot=True), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(token, form.password.data, utcnow())
        except DomainError:  # used in another tab a moment ago
            return render_template("auth/link_unusable.html", forgot=True), 404
        _end_session()
        flash(
            _(
                "Your password is changed, and every device that was logged in is logged "
                "out. Log in with the new password."
            ),
            "success",
        )
        return redirect(url_for("auth.login"), 303)
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.get("/email/confirm/<token>")
def confirm_email(token: str) -> Response | tuple[str, int]:
    # A GET on purpose: the click in the email is the proof; it changes nothing else.
    try:
        user = email_links.verify_email(token, utcnow())
    except DomainError:
        return render_template("auth/link_unusable.html", forgot=False), 404
    flash(_("Thank you: %(email)s is confirmed.", email=user.email), "success")
    target = "family.account" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target), 303)


@bp.route("/claim/<token>", methods=["GET", "POST"])
@limit("RATELIMIT_PASSWORD_RESET")
def claim(token: str) -> Response | tuple[str, int] | str:
    """A household staff recorded chooses its password: the record becomes its account."""
    household = households.claimable(token, utcnow())
    if household is None:
        return render_template("auth/link_unusable.html", claim=True), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = households.claim(token, form.password.data, now=utcnow())
        except DomainError:  # used in another tab a moment ago
            return render_template("auth/link_unusable.html", claim=True), 404
        _end_session()  # whoever was logged in on this browser, it is the household now
        _start_session(user, remember=False)
        flash(
            _(
                "Welcome, %(name)s. Your account is ready, with your bookings below. Next "
                "time, log in with %(email)s and your new password.",
                name=user.name,
                email=user.email,
            ),
            "success",
        )
        return redirect(url_for("family.bookings"), 303)
    return render_template(
        "auth/claim.html", form=form, household=household
    ), 422 if form.errors else 200


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limit("RATELIMIT_PASSWORD_RESET")
def accept_invitation(token: str) -> Response | tuple[str, int] | str:
    invited = invitations.invitee(token, utcnow())
    if invited is None:
        return render_template("auth/link_unusable.html", invite=True), 404
    form = AcceptInvitationForm(email=invited.email or "", name=invited.name)
    if form.validate_on_submit():
        try:
            user = invitations.accept(
                token, password=form.password.data, timezone=form.timezone.data, now=utcnow()
            )
        except DomainError as error:
            if error.code != "invalid_zone":  # used in another tab a moment ago
                return render_template("auth/link_unusable.html", invite=True), 404
            form.timezone.errors = [error.message]
        else:
            _start_session(user, remember=False)
            flash(
                _("Welcome, %(name)s. Your password is set and you're logged in.", name=user.name),
                "success",
            )
            return redirect(url_for("manage.dashboard"), 303)
    status = 422 if form.errors else 200
    return render_template("auth/invite.html", form=form, invited=invited), status


@bp.route("/email/change/<token>", methods=["GET", "POST"])
def change_email(token: str) -> Response | tuple[str, int] | str:
    # The GET only asks: mail systems open links to check them, and must not change
    # anyone's address.
    link = profile.pending_change(token, utcnow())
    if link is None:
        return render_template("auth/link_unusable.html", forgot=False), 404
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            user = profile.confirm_email_change(token, now=utcnow())
        except DomainError:
            return render_template("auth/link_unusable.html", forgot=False), 404
        flash(
            _("Done: your account's email address is now %(email)s.", email=user.email), "success"
        )
        target = "family.account" if current_user.is_authenticated else "auth.login"
        return redirect(url_for(target), 303)
    return render_template("auth/email_change.html", form=form, new_email=link.new_email)
