"""Sign-up, login and logout."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug import Response

from scheduler.services import accounts
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import safe_next
from scheduler.web.auth.forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__)


def _start_session(user: accounts.User, remember: bool) -> None:
    # A fresh session on login: nothing from before (a planted session id) survives.
    session.clear()
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
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
            )
        except DomainError as error:
            form.email.errors.append(error.message)
        else:
            _start_session(user, remember=False)
            flash(f"Welcome, {user.name}. Your account is ready.", "success")
            return redirect(safe_next(request.args.get("next"), url_for("public.index")), 303)
    status = 422 if form.errors else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(
                form.email.data, form.password.data, ip=request.remote_addr, now=utcnow()
            )
        except DomainError as error:
            flash(error.message, "error")
            status = 429 if error.code == "login_throttled" else 401
        else:
            _start_session(user, remember=form.remember.data)
            default = url_for("manage.dashboard") if not user.is_family else url_for("public.index")
            return redirect(safe_next(request.args.get("next"), default), 303)
    elif form.errors:
        status = 422
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You're logged out.", "info")
    return redirect(url_for("public.index"), 303)
