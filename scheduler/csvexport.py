"""CSV files (rosters, a family's own bookings, the audit log): pure, safe in a spreadsheet.

Their words (column titles, yes and no) are given by the caller in the reader's language
(``services.rosters.csv_words``); without them a roster has the field names, in English.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: The fields of a line, in column order; also the English column titles.
HEADER = (
    "status",
    "waitlist_position",
    "household",
    "email",
    "phone",
    "seats",
    "childcare_needed",
    "interpreter_language",
    "accessibility_needs",
    "notes",
    "booked_at",
    "attendance",
    "attended_seats",
    "walk_in",
    "over_capacity",
)

#: Spreadsheets run cells that start with these as formulas (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RosterLine:
    status: str
    waitlist_position: int | None
    household: str
    email: str
    seats: int
    childcare_needed: bool
    interpreter_language: str
    accessibility_needs: str
    notes: str
    booked_at: str
    #: How to reach a household staff recorded (often one without email); else empty.
    #: Last here, so it may be left out; its column follows the email's.
    phone: str = ""
    #: Who came, marked at the door, in words ("attended", "late", "absent"); empty
    #: until marked. How many of the seats came, when it came.
    attendance: str = ""
    attended_seats: int | None = None
    #: Booked at the door; let in beyond the session's capacity (the facilitator's override).
    walk_in: bool = False
    over_capacity: bool = False


@dataclass(frozen=True)
class CsvWords:
    """The words a roster CSV is written with, in its reader's language."""

    #: One title per field of ``HEADER``, in its order.
    header: tuple[str, ...] = HEADER
    yes: str = "yes"
    no: str = "no"


def _cell(value: object, words: CsvWords) -> str:
    text = "" if value is None else str(value)
    if isinstance(value, bool):
        text = words.yes if value else words.no
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def table_csv(
    titles: Sequence[str], rows: Iterable[Sequence[object]], words: CsvWords | None = None
) -> bytes:
    """Return a table as UTF-8 CSV with a BOM, so Excel reads accents correctly.

    Every cell, titles too, is guarded against formula injection; ``words`` gives the
    yes and no that true and false are written as.
    """
    words = words or CsvWords()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(_cell(title, words) for title in titles)
    for row in rows:
        if len(row) != len(titles):
            raise ValueError("a CSV row needs one value per column")
        writer.writerow(_cell(value, words) for value in row)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def roster_csv(lines: Iterable[RosterLine], words: CsvWords | None = None) -> bytes:
    """Return the roster as CSV (:func:`table_csv`), its columns in ``HEADER``'s order."""
    words = words or CsvWords()
    if len(words.header) != len(HEADER):
        raise ValueError("a roster CSV needs one title per column")
    rows = ([getattr(line, name) for name in HEADER] for line in lines)
    return table_csv(words.header, rows, words)
