"""Pages anyone can see: upcoming workshops, their calendar, a workshop, the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug import Response

from scheduler.extensions import db
from scheduler.services import calendar_view, catalog, feeds
from scheduler.timeutil import to_local, utcnow
from scheduler.web.access import visible_workshop
from scheduler.web.errors import unreadable_date
from scheduler.web.page_cache import public_page
from scheduler.web.presenters.workshops import family_id, render_workshop
from scheduler.web.requests import id_arg

bp = Blueprint("public", __name__)


@bp.get("/")
@public_page
def index() -> str:
    listing = catalog.upcoming_workshops(
        now=utcnow(), family_id=family_id(), page=id_arg("page") or 1
    )
    return render_template(
        "public/index.html",
        listing=listing,
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
        return unreadable_date(str(error), back=("See this month's calendar", "public.calendar"))
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
