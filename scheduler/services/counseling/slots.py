"""Slots: made from the rules as rows, and which of them a family can book now."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    CounselingSettings,
    CounselingSlot,
    SessionStatus,
    User,
    WorkshopSession,
)
from scheduler.services import availability
from scheduler.services.availability import overlaps
from scheduler.services.counseling.settings import (
    blackouts_for,
    ensure_settings,
    slot_rules,
    windows_for,
)
from scheduler.services.locks import lock_settings
from scheduler.services.permissions import workshop_runners

#: Slots are re-made from the rules when older than this (the horizon moves each day).
RESYNC_AFTER = timedelta(hours=1)


def workshop_busy(
    facilitator_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The sessions (drafts too) between two instants of the workshops the counselor runs,
    as lead or co-facilitator."""
    return _workshops_of({facilitator_id}, start, end)[facilitator_id]


def _workshops_of(
    facilitator_ids: set[int], start: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """:func:`workshop_busy` for several counselors at once, in one statement."""
    busy: dict[int, list[tuple[datetime, datetime]]] = {i: [] for i in facilitator_ids}
    if not facilitator_ids:
        return busy
    runners = workshop_runners()
    rows = db.session.execute(
        select(runners.c.user_id, WorkshopSession.starts_at, WorkshopSession.ends_at)
        .join(runners, runners.c.workshop_id == WorkshopSession.workshop_id)
        .where(
            runners.c.user_id.in_(sorted(facilitator_ids)),
            WorkshopSession.status == SessionStatus.SCHEDULED,
            WorkshopSession.ends_at > start,
            WorkshopSession.starts_at < end,
        )
    ).all()
    for facilitator_id, starts_at, ends_at in rows:
        busy[facilitator_id].append((starts_at, ends_at))
    return busy


def _held_slots(facilitator_id: int, since: datetime) -> list[CounselingSlot]:
    return list(
        db.session.scalars(
            select(CounselingSlot)
            .join(Appointment, Appointment.slot_id == CounselingSlot.id)
            .where(
                CounselingSlot.facilitator_id == facilitator_id,
                CounselingSlot.ends_at > since,
                Appointment.is_active,
            )
        )
    )


def resync(facilitator_id: int, now: datetime) -> None:
    """Re-make a counselor's future slots from the rules, inside the caller's transaction.

    A slot someone holds is never touched, and no new slot may overlap it; a slot the
    rules no longer give is only hidden (``offered`` false), so its id stays valid.
    """
    lock_settings(facilitator_id)
    settings = ensure_settings(facilitator_id)
    rules = slot_rules(settings, windows_for(facilitator_id), blackouts_for(facilitator_id))
    end = now + rules.horizon + timedelta(days=1)
    held = _held_slots(facilitator_id, now)
    busy = workshop_busy(facilitator_id, now, end) + [(s.starts_at, s.ends_at) for s in held]
    wanted = {
        (slot.starts_at, slot.ends_at)
        for slot in availability.generate_slots(rules, now, busy)
        if not any(overlaps(slot.starts_at, slot.ends_at, *b) for b in busy)
    }
    held_ids = {s.id for s in held}
    # What the rules give, ignoring holds: a held slot they no longer give must not be
    # offered again once it is freed (cancelled, declined, moved away from).
    given = {
        (slot.starts_at, slot.ends_at)
        for slot in availability.generate_slots(rules, now, workshop_busy(facilitator_id, now, end))
    }
    for slot in held:
        slot.offered = (slot.starts_at, slot.ends_at) in given
    existing = db.session.scalars(
        select(CounselingSlot).where(
            CounselingSlot.facilitator_id == facilitator_id, CounselingSlot.starts_at >= now
        )
    ).all()
    by_start = {slot.starts_at: slot for slot in existing}
    for slot in existing:
        if slot.id not in held_ids:
            slot.offered = (slot.starts_at, slot.ends_at) in wanted
    for starts_at, ends_at in sorted(wanted):
        current = by_start.get(starts_at)
        if current is None:
            db.session.add(
                CounselingSlot(
                    facilitator_id=facilitator_id,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    offered=True,
                    created_at=now,
                )
            )
        elif current.id not in held_ids and current.ends_at != ends_at:
            current.ends_at, current.offered = ends_at, True  # the slot length changed
    settings.synced_at = now


def sync_slots(facilitator_id: int, *, now: datetime) -> None:
    """Re-make one counselor's slots in a transaction of its own."""
    with write_transaction():
        resync(facilitator_id, now)


def refresh_stale(now: datetime) -> int:
    """Re-make the slots of open counselors whose horizon has moved on since the last time."""
    stale = db.session.scalars(
        select(CounselingSettings.facilitator_id).where(
            CounselingSettings.open.is_(True),
            or_(
                CounselingSettings.synced_at.is_(None),
                CounselingSettings.synced_at < now - RESYNC_AFTER,
            ),
        )
    ).all()
    for facilitator_id in stale:
        sync_slots(facilitator_id, now=now)
    return len(stale)


@dataclass(frozen=True)
class OpenSlot:
    slot: CounselingSlot
    settings: CounselingSettings

    @property
    def facilitator(self) -> User:
        return self.slot.facilitator


def bookable(slot: CounselingSlot, settings: CounselingSettings | None, now: datetime) -> bool:
    return (
        settings is not None
        and settings.open
        and slot.offered
        and slot.starts_at >= now + timedelta(hours=settings.min_notice_hours)
        and slot.starts_at <= now + timedelta(days=settings.horizon_days)
    )


@dataclass(frozen=True)
class SlotFilter:
    """Which open slots a family asked to see: a counselor, a kind, a mode; None is any."""

    facilitator_id: int | None = None
    kind: str | None = None
    mode: str | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        """Narrow a query that joins the slots to their counselor's settings."""
        if self.facilitator_id is not None:
            query = query.where(CounselingSlot.facilitator_id == self.facilitator_id)
        if self.kind is not None:
            query = query.where(CounselingSettings.kind == self.kind)
        if self.mode is not None:
            query = query.where(CounselingSettings.mode == self.mode)
        return query


ANY = SlotFilter()


def _candidates(
    query: Select[Any], now: datetime, earliest: datetime, only: SlotFilter = ANY
) -> Select[Any]:
    """Slots offered by open counselors and held by nobody, from ``earliest`` on."""
    held = select(Appointment.slot_id).where(Appointment.is_active)
    return only.apply(
        query.select_from(CounselingSlot)
        .join(
            CounselingSettings,
            CounselingSettings.facilitator_id == CounselingSlot.facilitator_id,
        )
        .where(
            CounselingSettings.open.is_(True),
            CounselingSlot.offered.is_(True),
            CounselingSlot.starts_at > now,
            CounselingSlot.starts_at >= earliest,
            CounselingSlot.id.not_in(held),
        )
    )


def open_slots(
    now: datetime,
    *,
    facilitator_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    only: SlotFilter = ANY,
) -> list[OpenSlot]:
    """Slots a family can book right now, soonest first, starting in [start, end).

    A page asks for a week (or one slot): what it loads and checks depends on that
    window, not on how far ahead counselors let families book. Two statements, however
    many slots and counselors: the slots, then the counselors' workshops they may clash with.
    """
    if facilitator_id is not None:
        only = replace(only, facilitator_id=facilitator_id)
    earliest = max(now, start) if start is not None else now
    query = (
        _candidates(select(CounselingSlot, CounselingSettings), now, earliest, only)
        .options(joinedload(CounselingSlot.facilitator))
        .order_by(CounselingSlot.starts_at, CounselingSlot.id)
    )
    if end is not None:
        query = query.where(CounselingSlot.starts_at < end)
    rows = [
        (slot, settings)
        for slot, settings in db.session.execute(query).tuples()
        if bookable(slot, settings, now)
    ]
    if not rows:
        return []
    horizon = max(settings.horizon_days for _, settings in rows)
    until = end if end is not None else now + timedelta(days=horizon + 1)
    pad = timedelta(days=1)
    busy = _workshops_of({slot.facilitator_id for slot, _ in rows}, earliest - pad, until + pad)
    return [
        OpenSlot(slot, settings)
        for slot, settings in rows
        if not clashes(slot, settings, busy[slot.facilitator_id])
    ]


#: The furthest ahead :func:`next_open` looks, a week at a time.
_LOOK_AHEAD = timedelta(days=400)


def next_open(
    now: datetime, after: datetime | None = None, only: SlotFilter = ANY
) -> OpenSlot | None:
    """The soonest open slot ``only`` lets through, from ``after`` on, a week at a time."""
    earliest = max(now, after) if after is not None else now
    soonest = select(func.min(CounselingSlot.starts_at))
    start = db.session.scalar(_candidates(soonest, now, earliest, only))
    while start is not None and start < now + _LOOK_AHEAD:
        week = open_slots(now, start=start, end=start + timedelta(days=7), only=only)
        if week:
            return week[0]
        start += timedelta(days=7)
    return None


def open_slot(slot_id: int, now: datetime) -> OpenSlot | None:
    """One slot, if a family can book it now (not taken, past, withdrawn or clashing)."""
    slot = db.session.get(CounselingSlot, slot_id)
    if slot is None:
        return None
    window = open_slots(
        now,
        facilitator_id=slot.facilitator_id,
        start=slot.starts_at,
        end=slot.starts_at + timedelta(microseconds=1),
    )
    return next((found for found in window if found.slot.id == slot_id), None)


def clashes(
    slot: CounselingSlot, settings: CounselingSettings, busy: list[tuple[datetime, datetime]]
) -> bool:
    """A workshop the counselor added after the slots were made still takes its time."""
    pad = timedelta(minutes=settings.buffer_minutes)
    return any(overlaps(slot.starts_at - pad, slot.ends_at + pad, *b) for b in busy)
