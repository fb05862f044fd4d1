"""Friendly error pages (and JSON for the health check)."""

from __future__ import annotations

from flask import Flask, Response, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from scheduler.extensions import db

_TITLES = {
    400: _l("We couldn't read that request"),
    403: _l("This page isn't yours to see"),
    404: _l("We couldn't find that page"),
    405: _l("That didn't work"),
    413: _l("That was too much to send"),
    429: _l("Please slow down"),
    500: _l("Something went wrong on our side"),
}


_DETAILS = {
    429: _l(
        "You did this many times in a short while. Please wait a few minutes and try again. "
        "Nothing was saved this time."
    ),
}


def bad_request(detail: str) -> tuple[str, int]:
    """The 400 page saying in words what was wrong with what was sent."""
    return render_template(
        "errors/error.html", code=400, title=str(_TITLES[400]), detail=detail
    ), 400


def unreadable_date(detail: str, back: tuple[str, str]) -> tuple[str, int]:
    """The 400 page for a ``?start=`` date a page can't read, with a way back."""
    return render_template(
        "errors/error.html",
        code=400,
        title=_("We can't show that date"),
        detail=detail,
        back=back,
    ), 400


def register(app: Flask) -> None:
    """Render every HTTP error with the site's layout and a plain explanation."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_template(
            "errors/error.html",
            code=400,
            title=_("This form expired"),
            detail=_("Please go back, reload the page and try again. Nothing was saved."),
        ), 400

    @app.errorhandler(SecurityError)
    def untrusted_host(error: SecurityError) -> Response:
        # A Host header that isn't Hearth's: no page (its links would name that host).
        return Response(_("This address does not serve Hearth.") + "\n", 400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        return render_template(
            "errors/error.html",
            code=code,
            title=str(_TITLES.get(code, error.name)),
            detail=str(_DETAILS[code]) if code in _DETAILS else None,
        ), code

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_template(
            "errors/error.html",
            code=500,
            title=str(_TITLES[500]),
            detail=_("Your last change may not have been saved. Please try again in a minute."),
        ), 500
