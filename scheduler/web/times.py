"""Times on pages, worded for whoever is reading (see ``scheduler.timetext``)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import current_user

from scheduler.timetext import TimeText, time_text
from scheduler.timeutil import utcnow


def viewer_zone() -> str | None:
    """The signed-in reader's own zone; None for a visitor, whose zone we don't know."""
    return current_user.timezone if current_user.is_authenticated else None


#: Whose the other time is, by the name pages pass: a whole phrase with a slot for the
#: time, so a language can put it where it goes.
ROLES = {
    # Translators: the other party's time, shown after the reader's own.
    "facilitator": _l("%(time)s for the facilitator"),
    "workshop": _l("%(time)s at the workshop"),
    "counselor": _l("%(time)s for the counselor"),
}


def reader_time(instant: datetime, place_zone: str, role: str = "facilitator") -> TimeText:
    """An instant for this page's reader: in their zone with ``place_zone``'s time after it
    (``role`` names whose that is, one of ``ROLES``), or, for a visitor, in ``place_zone``
    alone.
    """
    mine = viewer_zone()
    return time_text(
        instant,
        mine or place_zone,
        now=utcnow(),
        other_zone=place_zone if mine else None,
        other_role=str(ROLES[role]),
    )
