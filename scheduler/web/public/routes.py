"""Pages anyone can see: upcoming workshops, their calendar, a workshop, the health check."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug import Response

from scheduler.extensions import db
from scheduler.models import Workshop
from scheduler.services import calendar_view, catalog, feeds
from scheduler.timeutil import to_local, utcnow
from scheduler.web.access import can_manage, visible_workshop
from scheduler.web.errors import unreadable_date
from scheduler.web.family.forms import BookingForm, EnrollForm

bp = Blueprint("public", __name__)


def _family_id() -> int | None:
    return current_user.id if current_user.is_authenticated and current_user.is_family else None


@bp.get("/")
def index() -> str:
    listings = catalog.upcoming_workshops(now=utcnow(), family_id=_family_id())
    return render_template(
        "public/index.html",
        listings=listings,
        public_feed_webcal=feeds.webcal(feeds.public_feed_url()),
    )


@bp.get("/calendar")
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
    page = calendar_view.build_calendar(view, start, zone=zone, now=now, family_id=_family_id())
    return render_template("public/calendar.html", cal=page), 200


def _errors_text(form: FlaskForm) -> str | None:
    """Say in one line what was wrong with a form, for when the form itself isn't shown."""
    messages = [
        f"{form[name].label.text}: {' '.join(errors)}"
        for name, errors in form.errors.items()
        if name != "csrf_token"
    ]
    if "csrf_token" in form.errors:
        messages.append("The form expired. Please try again.")
    return " ".join(messages) or None


def render_workshop(
    workshop: Workshop,
    *,
    status: int = 200,
    form_session_id: int | None = None,
    booking_form: BookingForm | None = None,
    enroll_form: EnrollForm | None = None,
    offer_waitlist: bool = False,
    error: str | None = None,
) -> tuple[str, int]:
    """Render a workshop page, with one booking form carrying errors when a POST failed."""
    now = utcnow()
    rows = catalog.workshop_sessions(workshop, now=now, family_id=_family_id())
    forms: dict[int, Any] = {
        row.session.id: (booking_form if row.session.id == form_session_id else BookingForm())
        for row in rows
    }
    bookable_without_mine = [r for r in rows if r.bookable and r.my_booking is None]
    can_enroll = workshop.is_series and len(bookable_without_mine) > 1
    if error is None:
        # A stale tab can post a form this page no longer shows (the household booked that
        # session meanwhile, or one session is left): its errors must still be seen.
        shown = {r.session.id for r in bookable_without_mine}
        if booking_form is not None and form_session_id not in shown:
            error = _errors_text(booking_form)
        elif enroll_form is not None and not can_enroll:
            error = _errors_text(enroll_form)
    return render_template(
        "public/workshop.html",
        workshop=workshop,
        rows=rows,
        forms=forms,
        form_session_id=form_session_id,
        enroll_form=enroll_form or EnrollForm(),
        can_enroll=can_enroll,
        offer_waitlist=offer_waitlist,
        error=error,
        manages=can_manage(workshop),
    ), status


@bp.get("/workshops/<int:workshop_id>")
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
