"""Response headers that keep pages private and hard to abuse."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

#: Only our own files; no inline script, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


#: Browsers come back over HTTPS only, for two years, once they have seen Hearth over it.
HSTS = "max-age=63072000"


def private_download(body: bytes, mimetype: str, filename: str) -> Response:
    """A file of someone's data (a roster, a letter, a copy, the audit log) to save, never
    kept by a shared computer or a proxy."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
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
        # A shared family computer or a proxy must not keep someone's bookings or a
        # roster, nor a page whose address is a secret (reset and confirmation links).
        secret_page = bool(request.view_args and "token" in request.view_args)
        if (current_user.is_authenticated or secret_page) and "Cache-Control" not in headers:
            headers["Cache-Control"] = "private, no-store"
            headers.add("Vary", "Cookie")
        if secret_page:
            headers["Referrer-Policy"] = "no-referrer"
        if app.config["BASE_URL"].startswith("https://"):
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
