"""Pages anyone can see: upcoming workshops, their calendar, a workshop, the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug import Response

from scheduler import i18n
from scheduler.extensions import csrf, db
from scheduler.services import accounts, calendar_view, catalog, feeds
from scheduler.timeutil import to_local, utcnow
from scheduler.web.access import safe_next, visible_workshop
from scheduler.web.errors import bad_request, unreadable_date
from scheduler.web.page_cache import public_page
from scheduler.web.presenters.workshops import family_id, render_workshop
from scheduler.web.public.forms import ListingFilterForm
from scheduler.web.requests import id_arg

bp = Blueprint("public", __name__)


@bp.post("/language")
# No CSRF token: the switcher is on every page, and a token would make each signed-out
# visitor's page their own, so none could be kept rendered (web/page_cache.py). A forged
# post from another site carries no session cookie (SameSite=Lax), so at worst it
# changes which language a visitor's browser shows.
@csrf.exempt
def choose_language() -> Response | tuple[str, int]:
    """Read Hearth in another language: kept in a cookie, and on the account if signed in."""
    code = request.form.get("language", "")
    if not i18n.is_language(code):
        return bad_request(_("We don't have that language. Please choose one from the list."))
    response = redirect(safe_next(request.form.get("next"), "/"), 303)
    response.set_cookie(
        i18n.COOKIE,
        code,
        max_age=i18n.COOKIE_DAYS * 24 * 3600,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    if current_user.is_authenticated:
        accounts.set_language(current_user.id, code)
    return response


@bp.get("/")
@public_page
def index() -> str:
    # Kept pages are keyed by the whole address (web/page_cache.py), so a visitor is
    # only ever served the page of the filters they asked for.
    form = ListingFilterForm(formdata=request.args)
    only, notes = form.chosen()
    listing = catalog.upcoming_workshops(
        now=utcnow(), family_id=family_id(), page=id_arg("page") or 1, only=only
    )
    return render_template(
        "public/index.html",
        listing=listing,
        form=form,
        notes=notes,
        chosen=form.args(),
        public_feed_webcal=feeds.webcal(feeds.public_feed_url()),
    )


@bp.get("/calendar")
@public_page
def calendar() -> tuple[str, int]:
    now = utcnow()
    zone = calendar_view.viewer_zone(
        current_user.timezone if current_user.is_authenticated else None, now=now
    )
    view = calendar_view.parse_view(request.args.get("view"))
    try:
        start = calendar_view.parse_start(request.args.get("start"), to_local(now, zone).date())
    except ValueError as error:
        return unreadable_date(str(error), back=(_("See this month's calendar"), "public.calendar"))
    page = calendar_view.build_calendar(view, start, zone=zone, now=now, family_id=family_id())
    return render_template("public/calendar.html", cal=page), 200


@bp.get("/workshops/<int:workshop_id>")
@public_page
def workshop(workshop_id: int) -> tuple[str, int]:
    return render_workshop(visible_workshop(workshop_id))


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


from scheduler.web.public import privacy, proofs  # noqa: E402, F401  (their routes are on this blueprint)
