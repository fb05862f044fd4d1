"""Admin pages for accounts: the list, one account, inviting, roles, switching off and on."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug import Response

from scheduler import settings
from scheduler.extensions import db
from scheduler.models import Role, User
from scheduler.services import account_admin, closing, invitations
from scheduler.services.account_admin import AccountState
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import role_required
from scheduler.web.admin.forms import AccountSearchForm, DeactivateForm, InviteForm, RoleForm
from scheduler.web.admin.routes import bp
from scheduler.web.forms import ConfirmForm
from scheduler.web.limits import by_account, limit
from scheduler.web.requests import id_arg
from scheduler.web.trail import shown


def _account(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _list_page(
    *, invite_form: InviteForm | None = None, status: int = 200, existing: Any = None
) -> tuple[str, int]:
    """The list of accounts as the address asks, with the invitation form."""
    search = AccountSearchForm(request.args)
    asked = search.validate()  # a filter no form offers is said so, and ignored
    filters = search.filters() if asked else {}
    listing = account_admin.search(
        text=filters.get("q", ""),
        role=filters.get("role"),
        state=AccountState(filters["state"]) if "state" in filters else None,
        page=id_arg("page") or 1,
    )
    page = render_template(
        "admin/accounts.html",
        search=search,
        listing=listing,
        filters=filters,
        invite_form=invite_form or InviteForm(),
        existing=existing,
        invite_hours=int(settings.current().invite_link_lifetime.total_seconds() // 3600),
        state_of=account_admin.state_of,
    )
    families = [u.id for u in listing.accounts if u.is_family]
    return shown(page, "account.list_view", "accounts", families), (status if asked else 422)


@bp.get("/accounts")
@role_required(Role.ADMIN)
def accounts() -> tuple[str, int]:
    return _list_page()


@bp.post("/accounts/invite")
@limit("RATELIMIT_INVITE", key=by_account)
@role_required(Role.ADMIN)
def invite() -> Response | tuple[str, int]:
    form = InviteForm()
    if not form.validate_on_submit():
        return _list_page(invite_form=form, status=422)
    try:
        user = invitations.invite(
            current_user.id,
            email=form.email.data,
            name=form.name.data,
            role=form.role.data,
            now=utcnow(),
        )
    except DomainError as error:
        if error.code != "account_exists":
            form.role.errors = [error.message]
            return _list_page(invite_form=form, status=422)
        # Admins may know who has an account: say so, and lead to it.
        return _list_page(invite_form=form, status=409, existing=error)
    hours = int(settings.current().invite_link_lifetime.total_seconds() // 3600)
    flash(
        ngettext(
            "We emailed an invitation to %(email)s. Its link works for %(num)d hour.",
            "We emailed an invitation to %(email)s. Its link works for %(num)d hours.",
            hours,
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.account", user_id=user.id), 303)


def _account_page(user: User, *, status: int = 200, **forms: Any) -> tuple[str, int]:
    """One account: what it is, and what an admin can do with it."""
    now = utcnow()
    successors = account_admin.successors(user.id)
    page = render_template(
        "admin/account.html",
        user=user,
        state=account_admin.state_of(user),
        upcoming=account_admin.upcoming_of(user.id, now),
        successors=successors,
        is_self=user.id == current_user.id,
        reopen_until=closing.reopen_until(user),
        close_grace_days=settings.current().account_close_grace.days,
        role_form=forms.get("role_form") or RoleForm(role=user.role),
        deactivate_form=forms.get("deactivate_form") or DeactivateForm(successors=successors),
        button_form=ConfirmForm(),
        error=forms.get("error"),
    )
    return shown(page, "account.view", f"user:{user.id}", [user.id], always=True), status


@bp.get("/accounts/<int:user_id>")
@role_required(Role.ADMIN)
def account(user_id: int) -> tuple[str, int]:
    return _account_page(_account(user_id))


@bp.post("/accounts/<int:user_id>/role")
@role_required(Role.ADMIN)
def change_role(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return _account_page(user, status=422, role_form=form)
    try:
        changed = account_admin.change_role(current_user.id, user.id, form.role.data, now=utcnow())
    except DomainError as error:
        return _account_page(user, status=409, role_form=form, error=error.message)
    if changed:
        flash(_("%(name)s's role is changed.", name=user.staff_name), "success")
    return redirect(url_for("admin.account", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    form = DeactivateForm(successors=account_admin.successors(user.id))
    if not form.validate_on_submit():
        return _account_page(user, status=422, deactivate_form=form)
    try:
        done = account_admin.deactivate(
            current_user.id,
            user.id,
            upon=form.chosen(),
            successor_id=form.successor.data or None,
            now=utcnow(),
        )
    except DomainError as error:
        return _account_page(user, status=409, deactivate_form=form, error=error.message)
    flash(_deactivated_text(user.staff_name, done), "success")
    return redirect(url_for("admin.account", user_id=user.id), 303)


def _deactivated_text(name: str, done: account_admin.Deactivated) -> str:
    said = [_("%(name)s's account is switched off. Every sign-in has ended.", name=name)]
    if done.handed_over:
        said.append(
            ngettext(
                "%(num)d workshop was handed over.",
                "%(num)d workshops were handed over.",
                done.handed_over,
            )
        )
    if done.sessions_cancelled:
        said.append(
            ngettext(
                "%(num)d session was cancelled, and the families were told.",
                "%(num)d sessions were cancelled, and the families were told.",
                done.sessions_cancelled,
            )
        )
    if done.appointments_cancelled:
        said.append(
            ngettext(
                "%(num)d counseling appointment was cancelled, and the family was told.",
                "%(num)d counseling appointments were cancelled, and the families were told.",
                done.appointments_cancelled,
            )
        )
    return " ".join(said)


@bp.post("/accounts/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    if not ConfirmForm().validate_on_submit():
        return _account_page(user, status=422)
    try:
        account_admin.reactivate(current_user.id, user.id, now=utcnow())
    except DomainError as error:
        return _account_page(user, status=409, error=error.message)
    flash(_("%(name)s's account is switched on again.", name=user.staff_name), "success")
    return redirect(url_for("admin.account", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/close")
@role_required(Role.ADMIN)
def close(user_id: int) -> Response | tuple[str, int]:
    """Close a household's account on its request: the same as closing it itself."""
    user = _account(user_id)
    if not ConfirmForm().validate_on_submit():
        return _account_page(user, status=422)
    try:
        closing.close_for(current_user.id, user.id, now=utcnow())
    except DomainError as error:
        return _account_page(user, status=409, error=error.message)
    flash(
        _(
            "%(name)s's account is closed. Its upcoming bookings and appointments are "
            "cancelled, and it was emailed a link to open it again.",
            name=user.staff_name,
        ),
        "success",
    )
    return redirect(url_for("admin.account", user_id=user.id), 303)


@bp.post("/accounts/<int:user_id>/invite")
@limit("RATELIMIT_INVITE", key=by_account)
@role_required(Role.ADMIN)
def send_invitation_again(user_id: int) -> Response | tuple[str, int]:
    user = _account(user_id)
    if not ConfirmForm().validate_on_submit():
        return _account_page(user, status=422)
    try:
        sent = invitations.send_again(current_user.id, user.id, now=utcnow())
    except DomainError as error:
        return _account_page(user, status=409, error=error.message)
    if not sent:
        return _account_page(user, status=429, error=DomainError("too_many_links").message)
    flash(
        _(
            "We emailed a new invitation to %(email)s. The older link no longer works.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.account", user_id=user.id), 303)
