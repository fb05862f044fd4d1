"""No secret from a URL reaches a log: feed, reset, confirmation and unsubscribe tokens.

Found by a probe: reset, email-confirmation and unsubscribe tokens appeared in clear in
the access log (only feed tokens were redacted).
"""

from __future__ import annotations

import logging
import re

from gunicorn import glogging

from scheduler.logs import GunicornLogger, redact

SECRET = "Zq9secretTOKENvalue0123456789abcdef"


def _paths_with_tokens(app) -> list[str]:
    """A path for every route that takes a secret ``<token>``."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "<token>" in rule.rule:
            path = rule.rule.replace("<token>", SECRET)
            paths.append(re.sub(r"<int:[a-z_]+>", "42", path))
    return paths


def test_every_route_with_a_token_is_redacted(app):
    paths = _paths_with_tokens(app)
    assert len(paths) >= 4  # feeds, reset, confirmation, unsubscribe
    for path in paths:
        line = f'127.0.0.1 - - "GET {path}?x=1 HTTP/1.1" 200 -'
        assert SECRET not in redact(line), path
        assert "[token]" in redact(line)


def test_the_development_servers_log_never_writes_a_token(app, caplog):
    with caplog.at_level(logging.INFO):
        for path in _paths_with_tokens(app):
            logging.getLogger("werkzeug").info('"POST %s HTTP/1.1" 303', path)
    assert SECRET not in caplog.text
    assert caplog.text.count("[token]") == len(_paths_with_tokens(app))


def test_gunicorns_access_log_never_writes_a_token(app, monkeypatch):
    written: list[dict] = []

    def write(self, resp, req, environ, request_time):
        written.append(environ)

    # Catch what our logger hands gunicorn's own access() to write.
    monkeypatch.setattr(glogging.Logger, "access", write)
    logger = GunicornLogger.__new__(GunicornLogger)  # no gunicorn config needed
    for path in _paths_with_tokens(app):
        logger.access(None, None, {"RAW_URI": path, "PATH_INFO": path, "REQUEST_URI": path}, 0)
    assert len(written) == len(_paths_with_tokens(app))
    assert not any(SECRET in str(environ) for environ in written)
