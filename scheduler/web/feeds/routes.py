"""Calendar feeds and downloads, answered 304 from a cheap version when nothing changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import Blueprint, Response, abort, request
from werkzeug.http import parse_date

from scheduler.models import Role
from scheduler.services import feeds
from scheduler.timeutil import utcnow
from scheduler.web.access import own_appointment, own_booking, role_required
from scheduler.web.page_cache import KeptBodies
from scheduler.web.requests import id_arg

bp = Blueprint("feeds", __name__)

#: A private feed is one person's: no shared cache may keep it.
PRIVATE_CACHE = "private, max-age=300"
#: The public feed may sit in a CDN or proxy for a while.
PUBLIC_CACHE = "public, max-age=900"
#: Bodies of the feed versions last served, by path and ETag (which names everything
#: in them), for the polls that come without If-None-Match. Bounded per worker: the
#: public feed of 10,000 sessions is 4 MB.
_bodies = KeptBodies(24 * 1024 * 1024)
clear = _bodies.clear


def _not_modified(version: feeds.FeedVersion, now: datetime) -> bool:
    """Apply RFC 9110: If-None-Match wins; If-Modified-Since only when it is absent.

    If-None-Match compares weakly: a proxy that compressed the body may hand the
    client ``W/"…"``, which still names this version.
    """
    if request.if_none_match:
        return request.if_none_match.contains_weak(version.etag.strip('"'))
    since = parse_date(request.headers.get("If-Modified-Since"))
    return since is not None and version.last_modified <= since and version.last_modified <= now


def _calendar_response(
    version: feeds.FeedVersion,
    build: Callable[[], bytes],
    *,
    filename: str,
    cache_control: str,
    now: datetime,
) -> Response:
    """Answer 304 from the version alone, or build the body; headers the same either way."""
    if _not_modified(version, now):
        response = Response(status=304)
    else:
        # Many calendar apps poll without If-None-Match: the body of a version is kept.
        key = (request.path, version.etag)
        body = _bodies.get(key)
        if body is None:
            body = build()
            _bodies.put(key, body)
        response = Response(body, mimetype="text/calendar")
        response.headers["Content-Type"] = "text/calendar; charset=utf-8"
        response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["ETag"] = version.etag
    # Within the second of the newest change, a later change could share this date and
    # be missed by If-Modified-Since; only a completed second is given as Last-Modified.
    if version.last_modified <= now:
        response.last_modified = version.last_modified
    response.headers["Cache-Control"] = cache_control
    return response


@bp.get("/calendar/workshops.ics")
def public_feed() -> Response:
    now = utcnow()
    facilitator = id_arg("facilitator")
    return _calendar_response(
        feeds.public_version(now, facilitator),
        lambda: feeds.public_calendar(now, facilitator),
        filename="hearth-workshops.ics",
        cache_control=PUBLIC_CACHE,
        now=now,
    )


@bp.get("/calendar/feeds/<token>.ics")
def private_feed(token: str) -> Response:
    user = feeds.user_for_token(token)
    if user is None:
        abort(404)
    now = utcnow()
    return _calendar_response(
        feeds.private_version(user, now),
        lambda: feeds.private_calendar(user, now),
        filename="hearth.ics",
        cache_control=PRIVATE_CACHE,
        now=now,
    )


@bp.get("/bookings/<int:booking_id>.ics")
@role_required(Role.FAMILY)
def booking_download(booking_id: int) -> Response:
    booking = own_booking(booking_id)
    return _download(feeds.booking_calendar(booking), f"hearth-{booking.id}.ics")


def _download(body: bytes, filename: str) -> Response:
    """One calendar file to save: never cached, since it is one household's."""
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/counseling/appointments/<int:appointment_id>.ics")
@role_required(Role.FAMILY)
def appointment_download(appointment_id: int) -> Response:
    appointment = own_appointment(appointment_id)
    body = feeds.appointment_calendar(appointment)
    return _download(body, f"hearth-appointment-{appointment.id}.ics")
