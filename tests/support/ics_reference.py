"""The calendar builder as it was before the fragment cache, kept as the yardstick.

It builds every VEVENT as icalendar objects, puts every component in one icalendar
``Calendar`` and serializes it in one ``to_ical`` call: whatever
:func:`scheduler.ics.build_calendar` writes itself, reuses or assembles, its bytes must
equal these.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC
from zoneinfo import ZoneInfo

from icalendar import Event

from scheduler import ics
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus
from scheduler.vtimezone import vtimezone


def reference_vevent(item: CalendarEvent) -> Event:
    """The VEVENT as icalendar objects, exactly as ``ics.py`` made it before."""
    zone = ZoneInfo(item.timezone) if ics._zoned(item) else UTC
    event = Event()
    event.add("uid", item.uid)
    event.add("dtstamp", ics._utc(item.last_modified))
    event.add("last-modified", ics._utc(item.last_modified))
    event.add("sequence", item.sequence)
    event.add("dtstart", item.starts_at.astimezone(zone))
    event.add("dtend", item.ends_at.astimezone(zone))
    event.add("summary", item.summary)
    if item.description:
        event.add("description", item.description)
    if item.location:
        event.add("location", item.location)
    if item.url:
        event.add("url", item.url)
    event.add("status", item.status.value)
    if item.organizer:
        event.add("organizer", f"mailto:{item.organizer}", parameters={"CN": "Hearth"})
    if item.attendee:
        event.add(
            "attendee",
            f"mailto:{item.attendee}",
            parameters={"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "ACCEPTED", "RSVP": "FALSE"},
        )
    event.add("transp", "TRANSPARENT" if item.status is EventStatus.CANCELLED else "OPAQUE")
    return event


def reference_calendar(events: Iterable[CalendarEvent], info: CalendarInfo) -> bytes:
    """Build the body the way ``build_calendar`` did before it cached anything."""
    events = sorted(events, key=lambda e: (e.starts_at, e.uid))
    calendar = ics._calendar(info)
    for zone, first_year, last_year in ics._zone_spans(e for e in events if ics._zoned(e)):
        calendar.add_component(vtimezone(zone, first_year, last_year))
    for item in events:
        calendar.add_component(reference_vevent(item))
    return calendar.to_ical()
