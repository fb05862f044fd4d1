"""Roster CSV: a pure builder, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

HEADER = (
    "status",
    "waitlist_position",
    "household",
    "email",
    "seats",
    "childcare_needed",
    "interpreter_language",
    "accessibility_needs",
    "notes",
    "booked_at",
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


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if isinstance(value, bool):
        text = "yes" if value else "no"
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def roster_csv(lines: Iterable[RosterLine]) -> bytes:
    """Return the roster as UTF-8 CSV with a BOM, so Excel reads accents correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for line in lines:
        writer.writerow(_cell(getattr(line, name)) for name in HEADER)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
