"""Pages that show families' data, written to the access trail before they leave.

A page built from several services (the dashboard, a list of appointments) is rendered
first, with every record fresh, then the look is recorded with the households the page
names, and only then is the page sent: nothing reaches the browser unless its trail is
written (recording first would expire every record loaded, and reload each one).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from flask_login import current_user

from scheduler.services import audit
from scheduler.timeutil import utcnow

Page = TypeVar("Page")


def shown(
    page: Page, action: str, subject: str, households: Iterable[int], *, always: bool = False
) -> Page:
    """Record that ``page`` shows ``households`` (nothing when it names none, unless
    ``always``), then return it to be sent."""
    ids = set(households)
    if ids or always:
        audit.record(current_user, action, subject, now=utcnow(), households=ids)
    return page
