"""Public pages kept rendered for visitors who aren't signed in.

The home page, the calendar and the workshop pages are the same for every visitor who
isn't signed in, and are read far more often than they change: each is rendered once
per version of what it shows (``services.page_versions``) and served from memory
until that changes. Signed-in people see their own bookings on these pages, so theirs
are always rendered; so is a page with a message to show (a flash) or one whose
rendering touched the session. Each worker keeps its own copies, bounded in bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import wraps
from typing import Any

from flask import Response, make_response, request, session
from flask_login import current_user

from scheduler.i18n import current_language
from scheduler.services import page_versions
from scheduler.timeutil import utcnow

#: Bytes of pages a worker keeps; the least recently served go first.
MAX_BYTES = 8 * 1024 * 1024


class KeptBodies:
    """Response bodies by key, least recently served dropped first past ``max_bytes``.

    Safe for a worker's threads. A body over a quarter of the budget is not kept.
    """

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        self._pages: OrderedDict[Hashable, bytes] = OrderedDict()
        self._bytes = 0

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            body = self._pages.get(key)
            if body is not None:
                self._pages.move_to_end(key)
            return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self._max_bytes // 4:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            self._bytes += len(body) - (len(old) if old else 0)
            self._pages[key] = body
            while self._bytes > self._max_bytes:
                _, dropped = self._pages.popitem(last=False)
                self._bytes -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0


_pages = KeptBodies(MAX_BYTES)
clear = _pages.clear


def _for_anyone() -> bool:
    """Whether this request would see the page every signed-out visitor sees."""
    return not current_user.is_authenticated and "_flashes" not in session


def kept_page(
    version: Callable[[], Hashable],
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Serve a view's page from memory for signed-out visitors while ``version()`` stays."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Response:
            if not _for_anyone():
                return make_response(view(*args, **kwargs))
            # The whole address is in the key, query string and all: each search, filter
            # and page of the home page is kept apart (tests/test_public_filters.py).
            key = (request.full_path, current_language(), version())
            body = _pages.get(key)
            if body is not None:
                return Response(body, mimetype="text/html")
            response = make_response(view(*args, **kwargs))
            # A page whose rendering wrote to the session (a CSRF token, say) is that
            # visitor's: it is not kept.
            if response.status_code == 200 and not session.modified:
                _pages.put(key, response.get_data())
            return response

        return wrapped

    return decorator


#: The home page, the calendar and the workshop pages: kept per version of what they
#: show (workshops, names, seats taken, the minute).
public_page = kept_page(lambda: page_versions.public_pages(utcnow()))
