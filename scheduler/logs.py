"""Logging that never writes a secret from a URL: every token in a path is a bearer secret.

Private feeds, password-reset, address-confirmation, change-of-address, claim and
invitation links, one-click unsubscribe links and letters of attendance' codes all carry
their secret in the path (a code typed into ``/proof`` in the query), and
access logs write paths. This is the one place that knows those paths; tests/test_logs.py
checks it against every route that takes a ``<token>``, so a new secret route can't be
forgotten here.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask

#: The part of each secret-bearing path before its token.
SECRET_PATHS = (
    r"/calendar/feeds/",
    r"/password/reset/",
    r"/email/confirm/",
    r"/email/change/",
    r"/claim/",
    r"/invite/",
    r"/reminders/off/\d+/",
    # A letter of attendance's code, in its link or typed into the form.
    r"/proof/",
    r"/proof\?code=",
    # A family's copy of its data.
    r"/account/export/\d+/",
    # The link that reopens a closed account.
    r"/account/reopen/",
)
TOKEN_IN_PATH = re.compile(rf"({'|'.join(SECRET_PATHS)})[^/.\s?\"]+")


def redact(text: str) -> str:
    """Replace every token in a path or log line with a placeholder."""
    return TOKEN_IN_PATH.sub(r"\1[token]", text)


class RedactTokens(logging.Filter):
    """Rewrite log records so a secret token never reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_IN_PATH.search(message):
            record.msg, record.args = redact(message), None
        return True


def install(app: Flask) -> None:
    """Redact tokens in the development server's access log and the app's own log."""
    for logger in (logging.getLogger("werkzeug"), app.logger):
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())


try:  # gunicorn is a production dependency, but the app must import without it
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover
    _GunicornLogger = object


class GunicornLogger(_GunicornLogger):
    """gunicorn's logger with tokens taken out of the access log (gunicorn.conf.py)."""

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        environ = dict(environ)
        for key in ("RAW_URI", "PATH_INFO", "REQUEST_URI"):
            if isinstance(environ.get(key), str):
                environ[key] = redact(environ[key])
        super().access(resp, req, environ, request_time)
