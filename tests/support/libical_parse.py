"""Parse iCalendar bodies with libical (Evolution's and GNOME Calendar's engine).

Run by Debian's system Python, which has libical's GObject bindings (python3-gi and
gir1.2-ical-3.0); tests/support/libical.py calls it the way tests/support/icaljs.py
calls node. Reads a JSON list of bodies on stdin and prints, for each, what libical
understood.

Times are converted to UTC by libical from the VTIMEZONEs in each body: libical looks
a TZID up in the calendar's own VTIMEZONE components before its built-in zones.
"""

from __future__ import annotations

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

UTC = ICalGLib.Timezone.get_utc_timezone()


def _utc(moment: ICalGLib.Time) -> str:
    return moment.convert_to_zone(UTC).as_ical_string()


def parse(text: str) -> dict[str, list]:
    """Return {"events": [...], "errors": [...]} for one body."""
    calendar = ICalGLib.Component.new_from_string(text)
    if calendar is None or calendar.isa() != ICalGLib.ComponentKind.VCALENDAR_COMPONENT:
        return {"events": [], "errors": ["not a VCALENDAR"]}
    events, errors = [], []
    vevent = calendar.get_first_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
    while vevent is not None:
        uid = vevent.get_uid()
        start, end = vevent.get_dtstart(), vevent.get_dtend()
        for name, moment in (("DTSTART", start), ("DTEND", end)):
            if moment.is_null_time() or moment.get_timezone() is None:
                errors.append(f"{uid}: {name} {moment.as_ical_string()} has no known zone")
        events.append(
            {
                "uid": uid,
                "start_utc": _utc(start),
                "end_utc": _utc(end),
                "sequence": vevent.get_sequence(),
                "location": vevent.get_location(),
            }
        )
        vevent = calendar.get_next_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
    return {"events": events, "errors": errors}


if __name__ == "__main__":
    bodies = json.load(sys.stdin)
    json.dump([parse(body) for body in bodies], sys.stdout)
    sys.stdout.write("\n")
