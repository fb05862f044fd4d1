"""What families can browse: published workshops and their upcoming sessions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Subquery, func, select
from sqlalchemy.orm import joinedload

from scheduler.database import local_weekday
from scheduler.extensions import db
from scheduler.models import Booking, MeetingMode, Workshop, WorkshopSession, WorkshopStatus
from scheduler.models.workshops import fold
from scheduler.services.seats import SeatCount, seat_counts
from scheduler.services.waitlist import places_in_line


@dataclass(frozen=True)
class SessionRow:
    session: WorkshopSession
    seats: SeatCount
    #: The viewer's own active booking in this session, if any.
    my_booking: Booking | None
    bookable: bool


@dataclass(frozen=True)
class WorkshopListing:
    """One workshop on the home page: its next session and how many are still to come."""

    workshop: Workshop
    next: SessionRow
    #: Sessions still to come, the next one included (cancelled ones too: they are shown).
    upcoming: int


class PageNumbers:
    """The numbers of the pages before and after one page of a list (``None`` at the ends)."""

    page: int
    pages: int

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


@dataclass(frozen=True)
class ListingPage(PageNumbers):
    """One page of the home page's list, and where it stands among the others."""

    listings: list[WorkshopListing]
    page: int
    pages: int


#: Workshops per page of the home page: a phone screen or two, whatever the network's size.
PER_PAGE = 20
#: The longest search the home page reads (a few words, not a document), and the most
#: words of it that count.
MAX_SEARCH = 100
MAX_WORDS = 8


@dataclass(frozen=True)
class ListingFilter:
    """Which workshops the home page lists; as made, every one.

    - ``text``: each of its words is in the title or the description, case and accents
      aside ("recuperacion" finds "Recuperación"), from ``Workshop.search_text``;
    - ``weekday`` (0 is Monday): the sessions on that day where the workshop is held,
      in its own zone (``database.local_weekday``): a card then shows the next of
      those, and counts those still to come;
    - ``mode``: in person (it gives a place) or online (it gives a link); a workshop
      with both is either;
    - ``language``: held in that language.
    """

    text: str = ""
    weekday: int | None = None
    mode: MeetingMode | None = None
    language: str | None = None

    @property
    def words(self) -> list[str]:
        return fold(self.text[:MAX_SEARCH]).split()[:MAX_WORDS]

    @property
    def is_everything(self) -> bool:
        return not (self.words or self.mode or self.language) and self.weekday is None

    def clauses(self) -> list[ColumnElement[bool]]:
        """The filter in SQL, on sessions and their workshop."""
        where = [Workshop.search_text.contains(word, autoescape=True) for word in self.words]
        if self.weekday is not None:
            where.append(
                local_weekday(WorkshopSession.starts_at, Workshop.timezone) == self.weekday
            )
        if self.mode is MeetingMode.IN_PERSON:
            where.append(Workshop.location != "")
        elif self.mode is MeetingMode.ONLINE:
            where.append(Workshop.online_url != "")
        if self.language:
            where.append(Workshop.language == self.language)
        return where


EVERYTHING = ListingFilter()


def session_rows(
    sessions: list[WorkshopSession], family_id: int | None, now: datetime
) -> list[SessionRow]:
    """Pair sessions with their seats and the viewer's booking, in two queries."""
    counts = seat_counts(sessions)
    mine: dict[int, Booking] = {}
    if family_id is not None and sessions:
        mine = {
            b.session_id: b
            for b in db.session.scalars(
                select(Booking).where(
                    Booking.family_id == family_id,
                    Booking.session_id.in_([s.id for s in sessions]),
                    Booking.is_active,
                )
            )
        }
    return [
        SessionRow(
            session=s,
            seats=counts[s.id],
            my_booking=mine.get(s.id),
            bookable=s.is_open(now) and s.workshop.is_published,
        )
        for s in sessions
    ]


def upcoming_workshops(
    *,
    now: datetime,
    family_id: int | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
    only: ListingFilter = EVERYTHING,
) -> ListingPage:
    """One page of published workshops with sessions to come, the soonest next session first,
    narrowed to ``only``.

    The database finds each workshop's next session and counts the rest, and the page
    loads only its ``per_page`` workshops and their next sessions, whatever the
    network's size: the page (with the count of pages), its sessions, their seats,
    the viewer's bookings.
    """
    found, page, pages = page_of_nexts(
        [
            Workshop.status == WorkshopStatus.PUBLISHED,
            WorkshopSession.starts_at > now,
            *only.clauses(),
        ],
        page,
        per_page,
    )
    if found:
        starts = {(row.workshop_id, row.starts_at): row.upcoming for row in found}
        candidates = db.session.scalars(
            select(WorkshopSession)
            .options(joinedload(WorkshopSession.workshop).joinedload(Workshop.facilitator))
            .where(
                WorkshopSession.workshop_id.in_([w for w, _ in starts]),
                WorkshopSession.starts_at.in_([t for _, t in starts]),
            )
            .order_by(WorkshopSession.starts_at, WorkshopSession.workshop_id, WorkshopSession.id)
        ).all()
        found_sessions = [
            (s, starts[(s.workshop_id, s.starts_at)])
            for s in candidates
            if (s.workshop_id, s.starts_at) in starts
        ]
    else:
        found_sessions = []
    # Two sessions of one workshop at the same instant: the first by id is its next.
    rows, seen = [], set()
    for session, count in found_sessions:
        if session.workshop_id not in seen:
            seen.add(session.workshop_id)
            rows.append((session, count))
    upcoming = {session.id: count for session, count in rows}
    listings = [
        WorkshopListing(row.session.workshop, row, upcoming[row.session.id])
        for row in session_rows([session for session, _ in rows], family_id, now)
    ]
    return ListingPage(listings, page, pages)


def page_of_nexts(
    where: Sequence[ColumnElement[bool]], page: int, per_page: int
) -> tuple[list[Row[Any]], int, int]:
    """One page of workshops by next session: its rows, its number and the count of pages.

    Only sessions that meet ``where`` (on sessions and their workshop) count. A row per
    workshop: ``workshop_id``, ``starts_at`` of its next session, ``upcoming`` (how many
    sessions). A page past the end (an old link) is the last page.
    """
    nexts = (
        select(
            WorkshopSession.workshop_id,
            func.min(WorkshopSession.starts_at).label("starts_at"),
            func.count().label("upcoming"),
        )
        .join(Workshop)
        .where(*where)
        .group_by(WorkshopSession.workshop_id)
        .subquery()
    )
    page = max(page, 1)
    found, total = _nexts_page(nexts, page, per_page)
    pages = max(1, -(-total // per_page))
    if page > pages:
        page = pages
        found, total = _nexts_page(nexts, page, per_page)
    return found, page, pages


def _nexts_page(nexts: Subquery, page: int, per_page: int) -> tuple[list[Row[Any]], int]:
    """One page of workshops' next sessions, and how many workshops there are in all."""
    found = db.session.execute(
        select(
            nexts.c.workshop_id,
            nexts.c.starts_at,
            nexts.c.upcoming,
            func.count().over().label("total"),
        )
        .order_by(nexts.c.starts_at, nexts.c.workshop_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if found:
        return list(found), found[0].total
    if page == 1:
        return [], 0
    # Past the end the window has no row to carry the total: ask for it alone.
    return [], db.session.scalar(select(func.count()).select_from(nexts)) or 0


def workshop_sessions(
    workshop: Workshop, *, now: datetime, family_id: int | None = None
) -> list[SessionRow]:
    """Return a workshop's sessions that have not ended, with seats and the viewer's booking."""
    sessions = [s for s in workshop.sessions if s.ends_at > now]
    return session_rows(sessions, family_id, now)


@dataclass(frozen=True)
class MyBookings:
    #: Bookings still to come, including those in sessions the facilitator cancelled.
    upcoming: list[Booking]
    #: Past sessions and bookings the household cancelled, newest first.
    past: list[Booking]
    #: Booking ids the household may still cancel (before the session starts).
    cancellable: frozenset[int]
    #: Each upcoming waitlisted booking's place in line (1 is next).
    places: dict[int, int] = field(default_factory=dict)

    @property
    def by_workshop(self) -> list[WorkshopBookings]:
        """The upcoming bookings a workshop at a time, the soonest first: a series is
        one card with its sessions, not the same card again for every week."""
        groups: dict[int, list[Booking]] = {}
        for booking in self.upcoming:
            groups.setdefault(booking.session.workshop_id, []).append(booking)
        return [
            WorkshopBookings(
                group[0].session.workshop,
                group,
                next((b for b in group if b.id in self.cancellable), None),
            )
            for group in groups.values()
        ]


@dataclass(frozen=True)
class WorkshopBookings:
    """A household's upcoming bookings in one workshop: one card on My bookings."""

    workshop: Workshop
    bookings: list[Booking]
    #: The first booking whose session hasn't started: changing its needs changes those
    #: of every booking here still to come (services/needs.py). None when none is left.
    first_open: Booking | None = None

    @property
    def shared_needs(self) -> Booking | None:
        """A booking whose needs every booking here repeats, so the card says them once."""
        first = self.bookings[0]
        said = (first.childcare_needed, first.interpreter_language, first.accessibility_needs)
        same = all(
            (b.childcare_needed, b.interpreter_language, b.accessibility_needs) == said
            for b in self.bookings
        )
        return first if same and len(self.bookings) > 1 else None


def bookings_of(family_id: int, *, now: datetime) -> MyBookings:
    """Return a household's bookings, split the way its My bookings page shows them."""
    mine = db.session.scalars(
        select(Booking)
        .join(WorkshopSession)
        .options(joinedload(Booking.session).joinedload(WorkshopSession.workshop))
        .where(Booking.family_id == family_id)
        .order_by(WorkshopSession.starts_at, Booking.id)
    ).all()
    upcoming = [b for b in mine if b.session.ends_at > now and not b.is_cancelled]
    past = [b for b in reversed(mine) if b not in upcoming]
    cancellable = frozenset(b.id for b in upcoming if b.session.is_open(now))
    return MyBookings(upcoming, past, cancellable, places_in_line(upcoming))
