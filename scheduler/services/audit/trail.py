"""The whole trail as an admin reads it: filtered by who, which family, what and when;
a page at a time, or every entry for a CSV file. A constant number of statements."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from scheduler.extensions import db
from scheduler.models import AuditEvent, AuditEventHousehold, User
from scheduler.services.catalog import PageNumbers

#: Entries per page of the admin's audit page.
PER_PAGE = 50
#: The most entries one CSV file holds (newest first): narrow the filter for older ones.
MAX_EXPORT = 50_000


@dataclass(frozen=True)
class TrailFilter:
    """What an admin narrowed the trail to; every part optional. Days are UTC days,
    ``since`` and ``until`` both included."""

    actor_id: int | None = None
    household_id: int | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.actor_id is not None:
            where.append(AuditEvent.actor_id == self.actor_id)
        if self.household_id is not None:
            linked = select(AuditEventHousehold.event_id).where(
                AuditEventHousehold.household_id == self.household_id
            )
            where.append(AuditEvent.id.in_(linked))
        if self.action:
            where.append(AuditEvent.action == self.action)
        if self.since is not None:
            where.append(AuditEvent.created_at >= datetime.combine(self.since, time(), UTC))
        if self.until is not None:
            end = datetime.combine(self.until + timedelta(days=1), time(), UTC)
            where.append(AuditEvent.created_at < end)
        return where


@dataclass(frozen=True)
class EventRow:
    """One entry with the households it names (id, name), by name."""

    event: AuditEvent
    households: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AuditPage(PageNumbers):
    """One page of the filtered trail, newest first."""

    rows: list[EventRow]
    page: int
    pages: int
    total: int

    @property
    def household_ids(self) -> set[int]:
        """Every household the page names (its view is audited with them)."""
        return {household_id for row in self.rows for household_id, _ in row.households}


def counted(where: list[ColumnElement[bool]], page: int, per_page: int) -> tuple[int, int, int]:
    """How many events ``where`` picks out, the page asked for (past the end: the last),
    and how many pages there are."""
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    return total, min(max(page, 1), pages), pages


def _newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def search(wanted: TrailFilter, *, page: int = 1, per_page: int = PER_PAGE) -> AuditPage:
    """A page of the entries ``wanted`` picks out; a page past the end is the last."""
    where = wanted.clauses()
    total, page, pages = counted(where, page, per_page)
    events = list(
        db.session.scalars(
            _newest_first(select(AuditEvent).where(*where))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
    )
    shown = select(AuditEvent.id).where(AuditEvent.id.in_([e.id for e in events]))
    return AuditPage(_with_households(events, shown), page, pages, total)


def export_rows(wanted: TrailFilter, *, limit: int = MAX_EXPORT) -> list[EventRow]:
    """Every entry ``wanted`` picks out (at most ``limit``, newest first), for a CSV file."""
    events = list(
        db.session.scalars(_newest_first(select(AuditEvent).where(*wanted.clauses())).limit(limit))
    )
    picked = _newest_first(select(AuditEvent.id).where(*wanted.clauses())).limit(limit)
    return _with_households(events, select(picked.subquery().c.id))


def _with_households(events: Sequence[AuditEvent], ids: Select[tuple[int]]) -> list[EventRow]:
    """Name each event's households (``ids``: the events' ids, as a query), in one
    statement for all of them."""
    named: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if events:
        links = db.session.execute(
            select(AuditEventHousehold.event_id, User.id, User.staff_name)
            .join(User, User.id == AuditEventHousehold.household_id)
            .where(AuditEventHousehold.event_id.in_(ids.scalar_subquery()))
            .order_by(func.lower(User.staff_name), User.id)
        )
        for event_id, household_id, name in links:
            named[event_id].append((household_id, name))
    return [EventRow(e, named.get(e.id, [])) for e in events]


def account_name(user_id: int | None) -> str | None:
    """The name of an account a filter names, to say whose trail is shown."""
    if user_id is None:
        return None
    return db.session.scalar(select(User.staff_name).where(User.id == user_id))
