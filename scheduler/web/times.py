"""Times on pages, worded for whoever is reading (see ``scheduler.timetext``)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_login import current_user

from scheduler.timetext import TimeText, time_text
from scheduler.timeutil import utcnow


def viewer_zone() -> str | None:
    """The signed-in reader's own zone; None for a visitor, whose zone we don't know."""
    return current_user.timezone if current_user.is_authenticated else None


def reader_time(instant: datetime, place_zone: str, role: str | None = None) -> TimeText:
    """An instant for this page's reader: in their zone with ``place_zone``'s time after it
    (``role`` says whose that is, the facilitator's unless told), or, for a visitor, in
    ``place_zone`` alone.
    """
    if role is None:
        # Translators: follows the other party's time: "6:00 PM Central Time for the facilitator".
        role = _("for the facilitator")
    mine = viewer_zone()
    return time_text(
        instant,
        mine or place_zone,
        now=utcnow(),
        other_zone=place_zone if mine else None,
        other_role=role,
    )
