"""What a facilitator needs to run a session: who is coming and what they need."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_date, format_time
from flask_babel import gettext as _
from flask_babel import pgettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from scheduler.csvexport import CsvWords, RosterLine
from scheduler.extensions import db
from scheduler.i18n import current_language
from scheduler.models import ERASED_NAME, Booking, BookingStatus, User, Workshop, WorkshopSession
from scheduler.models.bookings import CAME, Attendance
from scheduler.services import audit, permissions
from scheduler.services.catalog import PageNumbers, page_of_nexts
from scheduler.services.household_names import shown_name
from scheduler.services.seats import SeatCount, seat_count, seat_counts
from scheduler.services.waitlist import promotes_automatically
from scheduler.timeutil import to_local


@dataclass(frozen=True)
class NeedsSummary:
    """The needs of confirmed households, added up so the facilitator can prepare."""

    childcare_households: int
    interpreter_languages: dict[str, int]
    accessibility_notes: list[str]

    @property
    def is_empty(self) -> bool:
        """Nobody asked for anything: nothing to prepare."""
        return not (
            self.childcare_households or self.interpreter_languages or self.accessibility_notes
        )


@dataclass(frozen=True)
class Roster:
    session: WorkshopSession
    seats: SeatCount
    confirmed: list[Booking]
    waitlist: list[Booking]
    needs: NeedsSummary
    #: False inside the cutoff, where freed seats wait for a promotion by hand.
    promotes_automatically: bool


def summarise_needs(bookings: list[Booking]) -> NeedsSummary:
    """Add up childcare, interpreter languages and accessibility notes."""
    languages = Counter(
        b.interpreter_language.strip().title() for b in bookings if b.interpreter_language.strip()
    )
    return NeedsSummary(
        childcare_households=sum(1 for b in bookings if b.childcare_needed),
        interpreter_languages=dict(sorted(languages.items())),
        accessibility_notes=[b.accessibility_needs for b in bookings if b.accessibility_needs],
    )


def build_roster(session: WorkshopSession, viewer: User, *, action: str, now: datetime) -> Roster:
    """Collect a session's roster, writing the view or export to the audit log first,
    with every household on it."""
    on_it = db.session.scalars(
        select(Booking.family_id).where(Booking.session_id == session.id, Booking.is_active)
    )
    audit.record(viewer, action, f"session:{session.id}", now=now, households=on_it)
    bookings = list(
        db.session.scalars(
            select(Booking)
            .options(joinedload(Booking.family))
            .where(
                Booking.session_id == session.id,
                Booking.is_active,
            )
            .order_by(Booking.id)
        )
    )
    confirmed = [b for b in bookings if b.is_confirmed]
    return Roster(
        session=session,
        seats=seat_count(session),
        confirmed=confirmed,
        waitlist=[b for b in bookings if b.is_waitlisted],
        needs=summarise_needs(confirmed),
        promotes_automatically=promotes_automatically(session, now),
    )


@dataclass(frozen=True)
class SignInLine:
    """One household on a printed sign-in sheet: a first name, never an email address."""

    first_name: str
    seats: int


def first_name(household: str) -> str:
    """Return the word a printed sheet shows for a household: the first of its name.

    A paper sheet lies on a table where anyone can read it, so it carries no more than
    that. A leading "The" is skipped, so "The Chen family" signs in as "Chen".
    """
    words = [w.strip(",.;:") for w in household.split()]
    words = [w for w in words if w]
    if len(words) > 1 and words[0].casefold() == "the":
        words = words[1:]
    return words[0] if words else _("Guest")


def _sheet_name(name: str) -> str:
    """A household's first name; an erased one's placeholder whole ("Former household")."""
    return shown_name(name) if name == ERASED_NAME else first_name(name)


def sign_in_sheet(roster: Roster) -> list[SignInLine]:
    """List the confirmed households by first name, alphabetically, for a printed sheet."""
    lines = [SignInLine(_sheet_name(b.family.staff_name), b.seats) for b in roster.confirmed]
    return sorted(lines, key=lambda line: (line.first_name.casefold(), line.first_name))


def csv_words() -> CsvWords:
    """The roster CSV's column titles and yes/no, in the current language."""
    return CsvWords(
        header=(
            pgettext("roster CSV column", "status"),
            pgettext("roster CSV column", "waitlist_position"),
            pgettext("roster CSV column", "household"),
            pgettext("roster CSV column", "email"),
            pgettext("roster CSV column", "phone"),
            pgettext("roster CSV column", "seats"),
            pgettext("roster CSV column", "childcare_needed"),
            pgettext("roster CSV column", "interpreter_language"),
            pgettext("roster CSV column", "accessibility_needs"),
            pgettext("roster CSV column", "notes"),
            pgettext("roster CSV column", "booked_at"),
            pgettext("roster CSV column", "attendance"),
            pgettext("roster CSV column", "attended_seats"),
            pgettext("roster CSV column", "walk_in"),
            pgettext("roster CSV column", "over_capacity"),
        ),
        yes=pgettext("roster CSV cell", "yes"),
        no=pgettext("roster CSV cell", "no"),
    )


def _status_word(status: str) -> str:
    """A booking's status as a roster CSV cell says it."""
    if status == BookingStatus.CONFIRMED:
        return pgettext("roster CSV cell", "confirmed")
    if status == BookingStatus.WAITLISTED:
        return pgettext("roster CSV cell", "waitlisted")
    return str(status)  # a roster holds active bookings only


def _attendance_word(mark: str | None) -> str:
    """A booking's attendance mark as a roster CSV cell says it; empty until marked."""
    words = {
        Attendance.ATTENDED: pgettext("roster CSV cell", "attended"),
        Attendance.LATE: pgettext("roster CSV cell", "late"),
        Attendance.ABSENT: pgettext("roster CSV cell", "absent"),
    }
    return words[Attendance(mark)] if mark else ""


def _booked_at(instant: datetime, zone: str) -> str:
    """ "Tue 4 Mar 2026, 6:00 PM EST", with the day and month in the current language."""
    local, locale = to_local(instant, zone), current_language()
    day = format_date(local, "EEE d MMM y", locale=locale)
    clock = format_time(local, "short", locale=locale).replace("\u202f", " ")  # as format_local
    return f"{day}, {clock} {local.tzname() or zone}"


def roster_lines(roster: Roster) -> list[RosterLine]:
    """Flatten a roster into export lines: confirmed first, then the waitlist in order.

    Statuses, attendance marks and times are worded in the current language, as
    ``csv_words`` is.
    """
    zone = roster.session.workshop.timezone
    positions = {b.id: place for place, b in enumerate(roster.waitlist, start=1)}
    return [
        RosterLine(
            status=_status_word(b.status),
            waitlist_position=positions.get(b.id),
            household=shown_name(b.family.staff_name),
            email=b.family.email or "",
            phone=b.family.phone,
            seats=b.seats,
            childcare_needed=b.childcare_needed,
            interpreter_language=b.interpreter_language,
            accessibility_needs=b.accessibility_needs,
            notes=b.notes,
            booked_at=_booked_at(b.created_at, zone),
            attendance=_attendance_word(b.attendance),
            # A mark without a count means the whole booking came (as attendance_stats counts).
            attended_seats=(b.attended_seats or b.seats) if b.attendance in CAME else None,
            walk_in=b.walk_in,
            over_capacity=b.over_capacity,
        )
        for b in roster.confirmed + roster.waitlist
    ]


@dataclass(frozen=True)
class DashboardRow:
    session: WorkshopSession
    seats: SeatCount


def upcoming_for(
    facilitator: User, *, now: datetime, workshop_id: int | None = None
) -> list[DashboardRow]:
    """List sessions not yet ended that this person runs (admins: everyone's)."""
    query = (
        select(WorkshopSession)
        .join(Workshop)
        .options(joinedload(WorkshopSession.workshop))
        .where(WorkshopSession.ends_at > now)
        .order_by(WorkshopSession.starts_at)
    )
    query = query.where(permissions.managed_workshops_clause(facilitator))
    if workshop_id is not None:
        query = query.where(WorkshopSession.workshop_id == workshop_id)
    sessions = list(db.session.scalars(query))
    counts = seat_counts(sessions)
    return [DashboardRow(s, counts[s.id]) for s in sessions]


#: Workshops on a page of the dashboard, and the sessions shown for each: a phone screen
#: or two, however many there are. A workshop's own page lists all its sessions.
WORKSHOPS_PER_PAGE = 10
SESSIONS_SHOWN = 4


@dataclass(frozen=True)
class WorkshopSessions:
    """One workshop on the dashboard: its next sessions, and how many are still to come."""

    workshop: Workshop
    rows: list[DashboardRow]
    #: Sessions not yet ended, those shown included (cancelled ones too: they are shown).
    upcoming: int

    @property
    def more(self) -> int:
        """Sessions still to come that the dashboard leaves to the workshop's page."""
        return self.upcoming - len(self.rows)


@dataclass(frozen=True)
class WorkshopsPage(PageNumbers):
    """One page of the dashboard's workshops, and where it stands among the others."""

    workshops: list[WorkshopSessions]
    page: int
    pages: int


def upcoming_by_workshop(
    manager: User,
    *,
    now: datetime,
    page: int = 1,
    per_page: int = WORKSHOPS_PER_PAGE,
    shown: int = SESSIONS_SHOWN,
) -> WorkshopsPage:
    """List a page of the workshops this person runs (admins: everyone's), soonest first.

    Each comes with its next ``shown`` sessions and how many it has to come. The
    database groups, counts and picks those sessions, so the page runs the same
    statements however many there are: the page of workshops, their sessions, their seats.
    """
    found, page, pages = page_of_nexts(
        [WorkshopSession.ends_at > now, permissions.managed_workshops_clause(manager)],
        page,
        per_page,
    )
    if not found:
        return WorkshopsPage([], page, pages)
    place = (
        func.row_number()
        .over(
            partition_by=WorkshopSession.workshop_id,
            order_by=(WorkshopSession.starts_at, WorkshopSession.id),
        )
        .label("place")
    )
    ranked = (
        select(WorkshopSession.id, place)
        .where(
            WorkshopSession.workshop_id.in_([row.workshop_id for row in found]),
            WorkshopSession.ends_at > now,
        )
        .subquery()
    )
    sessions = db.session.scalars(
        select(WorkshopSession)
        .join(ranked, ranked.c.id == WorkshopSession.id)
        .options(joinedload(WorkshopSession.workshop).joinedload(Workshop.facilitator))
        .where(ranked.c.place <= shown)
        .order_by(WorkshopSession.starts_at, WorkshopSession.id)
    ).all()
    counts = seat_counts(sessions)
    rows: dict[int, list[DashboardRow]] = defaultdict(list)
    for session in sessions:
        rows[session.workshop_id].append(DashboardRow(session, counts[session.id]))
    return WorkshopsPage(
        [
            WorkshopSessions(
                rows[row.workshop_id][0].session.workshop, rows[row.workshop_id], row.upcoming
            )
            for row in found
            if rows[row.workshop_id]  # ended or removed since the page was counted
        ],
        page,
        pages,
    )
