"""Response headers that keep pages private and hard to abuse."""

from __future__ import annotations

from flask import Flask, Response
from flask_login import current_user

#: Only our own files; no inline script, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def register(app: Flask) -> None:
    """Add security headers to every response."""

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        # Links out (an online meeting) must not tell the other site where people came from.
        headers.setdefault("Referrer-Policy", "same-origin")
        # A shared family computer or a proxy must not keep someone's bookings or a roster.
        if current_user.is_authenticated and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-store"
            headers.add("Vary", "Cookie")
        return response
