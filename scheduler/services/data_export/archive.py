"""The zip a family downloads: a pure builder from its gathered contents to bytes.

No database and no Flask: the words are already in the contents, in the family's
language. The files carry the moment the copy was made, so the same contents always
give the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scheduler.csvexport import CsvWords, table_csv
from scheduler.ics import CalendarEvent, CalendarInfo, build_calendar

#: The files in every copy, in the order they are written.
FILES = ("README.txt", "data.json", "bookings.csv", "calendar.ics")


@dataclass(frozen=True)
class Contents:
    """A family's data, gathered and worded (``contents.gather``), ready for its zip."""

    #: data.json, as plain values.
    data: dict[str, Any]
    #: bookings.csv's rows, one value per title of ``csv_words.header``.
    booking_rows: list[list[object]]
    #: The titles of bookings.csv and its yes and no, in the family's language.
    csv_words: CsvWords
    #: The family's own calendar, past items included.
    events: list[CalendarEvent]
    #: README.txt, in the family's language.
    readme: str


def zip_bytes(contents: Contents, *, made_at: datetime) -> bytes:
    """Write the family's zip: README.txt, data.json, bookings.csv and calendar.ics."""
    files = {
        "README.txt": contents.readme.replace("\n", "\r\n").encode("utf-8"),
        "data.json": json.dumps(contents.data, ensure_ascii=False, indent=2).encode("utf-8"),
        "bookings.csv": table_csv(
            contents.csv_words.header, contents.booking_rows, contents.csv_words
        ),
        "calendar.ics": build_calendar(contents.events, CalendarInfo(name="Hearth")),
    }
    stamp = made_at.astimezone(UTC).timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in FILES:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue()
