"""A workshop's attendance as staff pages show it: a small bar chart drawn on the server
(a pair of bars per session, seats booked beside seats attended) and the same numbers
worded for a table, so the picture is never the only way to read them.

The chart is plain SVG geometry computed here, in the units of its ``viewBox``: the
template only places what it is given (and the page's CSP allows no inline styles).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_skeleton
from babel.numbers import format_percent

from scheduler.i18n import current_language
from scheduler.models import User, Workshop
from scheduler.services import attendance_stats
from scheduler.services.attendance_stats import SessionAttendance, WorkshopAttendance
from scheduler.timeutil import to_local

#: Width of one session's pair of bars, and the room above them for their numbers and
#: below them for the day, in viewBox units; a phone shows them about one to one.
COLUMN = 40
BAR = 14
TOP = 16
PLOT = 90
BOTTOM = 18
#: A chart is never narrower than this many columns, so one session's bars stay bars.
FEWEST_COLUMNS = 4
#: Drawn at this many pixels per viewBox unit when there is room; smaller on a phone.
SCALE = 1.25


@dataclass(frozen=True)
class Bar:
    """One bar: where it stands, and the number it shows above itself."""

    x: float
    y: float
    width: float
    height: float
    value: int

    @property
    def label_x(self) -> float:
        return self.x + self.width / 2

    @property
    def label_y(self) -> float:
        return self.y - 4


@dataclass(frozen=True)
class Column:
    """A session held: its bars, and its numbers in words for the table."""

    session_id: int
    #: "Oct 6" under the bars; "Tue, Oct 6" in the table (the workshop's own day).
    day: str
    date: str
    booked: Bar
    #: None until the session is checked in: no bar at all, rather than a bar of nothing
    #: (a session nobody booked has a bar of nothing: nobody was missing).
    attended: Bar | None
    #: Booked, and nobody marked yet: drawn dashed, said in words.
    to_check_in: bool
    #: "80%", or None until checked in (or with nobody booked).
    show_rate: str | None
    day_x: float


@dataclass(frozen=True)
class AttendanceView:
    """A workshop's attendance, drawn and worded."""

    stats: WorkshopAttendance
    columns: list[Column]
    #: "79%" over the sessions checked in; None before any is.
    show_rate: str | None
    width: int
    height: int
    baseline: int

    @property
    def pixel_width(self) -> int:
        return round(self.width * SCALE)

    @property
    def pixel_height(self) -> int:
        return round(self.height * SCALE)

    @property
    def has_unmarked(self) -> bool:
        """Whether a session drawn is not checked in yet (the legend then says how it looks)."""
        return any(column.to_check_in for column in self.columns)


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a whole percentage in the reader's language, halves up."""
    exact = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return str(format_percent(exact / 100, locale=current_language()))


def _rate(attended: int, booked: int, counted: bool) -> str | None:
    return percent(attended, booked) if counted and booked else None


def _bar(x: float, value: int, tallest: int) -> Bar:
    height = PLOT * value / tallest if tallest else 0
    return Bar(x=x, y=TOP + PLOT - height, width=BAR, height=height, value=value)


def _column(n: int, session: SessionAttendance, zone: str, tallest: int) -> Column:
    left = n * COLUMN + (COLUMN - 2 * BAR - 2) / 2
    local, locale = to_local(session.starts_at, zone), current_language()
    return Column(
        session_id=session.session_id,
        day=str(format_skeleton("MMMd", local, locale=locale)),
        date=str(format_skeleton("MMMEd", local, locale=locale)),
        booked=_bar(left, session.booked, tallest),
        attended=(None if session.to_check_in else _bar(left + BAR + 2, session.attended, tallest)),
        to_check_in=session.to_check_in,
        show_rate=_rate(session.attended, session.booked, session.marked),
        day_x=n * COLUMN + COLUMN / 2,
    )


def view_of(stats: WorkshopAttendance, zone: str) -> AttendanceView:
    """Draw and word one workshop's attendance; ``zone`` is the workshop's."""
    tallest = max((s.booked for s in stats.recent), default=0)
    columns = [_column(n, s, zone, tallest) for n, s in enumerate(stats.recent)]
    return AttendanceView(
        stats=stats,
        columns=columns,
        show_rate=_rate(stats.attended, stats.booked_in_marked, bool(stats.marked)),
        width=COLUMN * max(len(columns), FEWEST_COLUMNS),
        height=TOP + PLOT + BOTTOM,
        baseline=TOP + PLOT,
    )


def views_for(
    viewer: User, workshops: Iterable[Workshop], *, now: datetime
) -> dict[int, AttendanceView]:
    """The attendance of each of ``workshops`` that has held a session, by workshop id."""
    zones = {w.id: w.timezone for w in workshops}
    found = attendance_stats.by_workshop(viewer, list(zones), now=now)
    return {wid: view_of(stats, zones[wid]) for wid, stats in found.items()}
