"""The calendar builder as it was before the fragment cache, kept as the yardstick.

It puts every component in one icalendar ``Calendar`` and serializes it in one
``to_ical`` call, so whatever :func:`scheduler.ics.build_calendar` reuses or assembles,
its bytes must equal these.
"""

from __future__ import annotations

from collections.abc import Iterable

from scheduler import ics
from scheduler.vtimezone import vtimezone


def reference_calendar(events: Iterable[ics.CalendarEvent], info: ics.CalendarInfo) -> bytes:
    """Build the body the way ``build_calendar`` did before it cached anything."""
    events = sorted(events, key=lambda e: (e.starts_at, e.uid))
    calendar = ics._calendar(info)
    for zone, first_year, last_year in ics._zone_spans(e for e in events if ics._zoned(e)):
        calendar.add_component(vtimezone(zone, first_year, last_year))
    for item in events:
        calendar.add_component(ics._vevent(item))
    return calendar.to_ical()
