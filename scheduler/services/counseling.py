"""Counseling: availability rules, the slots made from them, and appointments.

Slots are rows, made from each counselor's rules for the booking horizon (see
:mod:`scheduler.services.availability`). Re-making them never touches a slot someone
holds. Whether a slot can be booked is decided again under its row lock at booking
time, and the database refuses two held appointments in one slot whatever happens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityWindow,
    BlackoutDate,
    CounselingSettings,
    CounselingSlot,
    MeetingMode,
    SessionKind,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import availability, notify
from scheduler.services.availability import OneOffWindow, SlotRules, WeeklyWindow, overlaps
from scheduler.services.errors import DomainError
from scheduler.services.lifecycle import transition
from scheduler.services.locks import lock, lock_family, lock_settings
from scheduler.timeutil import format_local, is_valid_zone

#: Slots are re-made from the rules when older than this (the horizon moves each day).
RESYNC_AFTER = timedelta(hours=1)
#: How long a counselor may let requests wait before they expire: the hourly job looks
#: only at requests older than the shortest.
_SHORTEST_EXPIRY, _LONGEST_EXPIRY = timedelta(hours=12), timedelta(days=14)


# --- rules -----------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """What a counselor sets on the availability page."""

    open: bool
    timezone: str
    slot_minutes: int = 50
    buffer_minutes: int = 10
    min_notice_hours: int = 24
    horizon_days: int = 28
    kind: str = SessionKind.FAMILY
    mode: str = MeetingMode.IN_PERSON
    location: str = ""
    online_url: str = ""
    approve_first: bool = False
    change_cutoff_hours: int = 24
    contact: str = ""
    #: So one family can't take every time: requests waiting for approval, and upcoming
    #: appointments, one family may hold with this counselor at once.
    max_requests_per_family: int = 1
    max_upcoming_per_family: int = 2
    #: A request left unanswered this long expires, and the family is told.
    request_expiry_hours: int = 72


def settings_for(facilitator_id: int) -> CounselingSettings | None:
    """Return a counselor's settings, or None before they set anything up."""
    return db.session.scalar(
        select(CounselingSettings).where(CounselingSettings.facilitator_id == facilitator_id)
    )


def windows_for(facilitator_id: int) -> list[AvailabilityWindow]:
    """Return a counselor's windows: weekly ones by weekday, then one-off ones by date."""
    windows = db.session.scalars(
        select(AvailabilityWindow).where(AvailabilityWindow.facilitator_id == facilitator_id)
    ).all()
    return sorted(
        windows,
        key=lambda w: (w.day is not None, w.weekday or 0, w.day or date.min, w.starts),
    )


def blackouts_for(facilitator_id: int) -> list[BlackoutDate]:
    return list(
        db.session.scalars(
            select(BlackoutDate)
            .where(BlackoutDate.facilitator_id == facilitator_id)
            .order_by(BlackoutDate.day)
        )
    )


def slot_rules(
    settings: CounselingSettings,
    windows: Iterable[AvailabilityWindow],
    blackouts: Iterable[BlackoutDate],
) -> SlotRules:
    """Turn stored rules into the pure generator's rules."""
    weekly, one_off = [], []
    for window in windows:
        if window.weekday is not None:
            weekly.append(WeeklyWindow(window.weekday, window.starts, window.ends))
        elif window.day is not None:
            one_off.append(
                OneOffWindow(
                    datetime.combine(window.day, window.starts),
                    datetime.combine(window.day, window.ends),
                )
            )
    return SlotRules(
        zone=settings.timezone,
        slot_minutes=settings.slot_minutes,
        buffer_minutes=settings.buffer_minutes,
        min_notice=timedelta(hours=settings.min_notice_hours),
        horizon=timedelta(days=settings.horizon_days),
        weekly=tuple(weekly),
        one_off=tuple(one_off),
        blackout=frozenset(b.day for b in blackouts),
    )


def _check_rules(rules: Rules, windows: Iterable[AvailabilityWindow] = ()) -> None:
    if not is_valid_zone(rules.timezone):
        raise DomainError("invalid_zone")
    if rules.kind not in set(SessionKind) or rules.mode not in set(MeetingMode):
        raise DomainError("bad_counseling_rules", detail="Choose a kind and a place from the list")
    if rules.mode == MeetingMode.ONLINE and not rules.online_url:
        raise DomainError("bad_counseling_rules", detail="Online slots need a meeting link")
    if not 0 <= rules.change_cutoff_hours <= 24 * 14:
        raise DomainError("bad_counseling_rules", detail="The change cutoff must be 0 to 336 hours")
    if not 1 <= rules.max_requests_per_family <= 10:
        raise DomainError(
            "bad_counseling_rules", detail="Requests waiting per family must be 1 to 10"
        )
    if not 1 <= rules.max_upcoming_per_family <= 20:
        raise DomainError(
            "bad_counseling_rules", detail="Upcoming appointments per family must be 1 to 20"
        )
    if not _SHORTEST_EXPIRY <= timedelta(hours=rules.request_expiry_hours) <= _LONGEST_EXPIRY:
        raise DomainError(
            "bad_counseling_rules", detail="Requests must expire after 12 to 336 hours"
        )
    probe = SlotRules(
        zone=rules.timezone,
        slot_minutes=rules.slot_minutes,
        buffer_minutes=rules.buffer_minutes,
        min_notice=timedelta(hours=rules.min_notice_hours),
        horizon=timedelta(days=rules.horizon_days),
        weekly=tuple(
            WeeklyWindow(w.weekday, w.starts, w.ends) for w in windows if w.weekday is not None
        ),
    )
    try:
        availability.validate(probe)
    except ValueError as error:
        raise DomainError("bad_counseling_rules", detail=str(error).rstrip(".")) from error


def save_rules(facilitator_id: int, rules: Rules, *, now: datetime) -> CounselingSettings:
    """Save a counselor's rules and re-make their slots."""
    _check_rules(rules, windows_for(facilitator_id))
    with write_transaction() as session:
        settings = settings_for(facilitator_id)
        before = settings and (settings.mode, settings.location, settings.online_url)
        if settings is None:
            settings = CounselingSettings(facilitator_id=facilitator_id)
            session.add(settings)
        for name, value in vars(rules).items():
            setattr(settings, name, value)
        session.flush()
        if before and before != (rules.mode, rules.location, rules.online_url):
            _tell_booked_families(facilitator_id, now)
        _sync(facilitator_id, now)
    return settings


def _tell_booked_families(facilitator_id: int, now: datetime) -> None:
    """The place or link changed: every upcoming appointment gets a new version and an email."""
    upcoming = db.session.scalars(
        select(Appointment)
        .join(Appointment.slot)
        .where(
            Appointment.facilitator_id == facilitator_id,
            Appointment.is_active,
            CounselingSlot.ends_at > now,
        )
    ).all()
    for appointment in upcoming:
        appointment.sequence += 1
        appointment.updated_at = now
        db.session.flush()
        notify.appointment_details_changed(appointment, now)


def _ensure_settings(facilitator_id: int) -> CounselingSettings:
    settings = settings_for(facilitator_id)
    if settings is None:
        facilitator = db.session.get_one(User, facilitator_id)
        settings = CounselingSettings(facilitator_id=facilitator_id, timezone=facilitator.timezone)
        db.session.add(settings)
        db.session.flush()
    return settings


def add_window(
    facilitator_id: int,
    *,
    starts: time,
    ends: time,
    weekday: int | None = None,
    day: date | None = None,
    now: datetime,
) -> AvailabilityWindow:
    """Add weekly hours (``weekday``) or hours on one date (``day``)."""
    if (weekday is None) == (day is None):
        raise DomainError("bad_window", detail="Choose a weekday or a date")
    if ends <= starts:
        raise DomainError("bad_window", detail="The end must be after the start")
    if weekday is not None and not 0 <= weekday <= 6:
        raise DomainError("bad_window", detail="Choose a weekday from the list")
    with write_transaction() as session:
        settings = _ensure_settings(facilitator_id)
        length = datetime.combine(date.min, ends) - datetime.combine(date.min, starts)
        if length < timedelta(minutes=settings.slot_minutes):
            raise DomainError(
                "bad_window", detail=f"The hours must fit one {settings.slot_minutes}-minute slot"
            )
        window = AvailabilityWindow(
            facilitator_id=facilitator_id, weekday=weekday, day=day, starts=starts, ends=ends
        )
        session.add(window)
        session.flush()
        _sync(facilitator_id, now)
    return window


def remove_window(facilitator_id: int, window_id: int, *, now: datetime) -> None:
    """Remove hours; slots already booked in them stay booked."""
    with write_transaction() as session:
        window = session.get(AvailabilityWindow, window_id)
        if window is None or window.facilitator_id != facilitator_id:
            raise DomainError("window_not_found")
        session.delete(window)
        session.flush()
        _sync(facilitator_id, now)


def add_blackout(facilitator_id: int, day: date, *, now: datetime) -> None:
    """Offer nothing on a local date; appointments already made that day stay."""
    with write_transaction() as session:
        _ensure_settings(facilitator_id)
        exists = session.scalar(
            select(BlackoutDate.id).where(
                BlackoutDate.facilitator_id == facilitator_id, BlackoutDate.day == day
            )
        )
        if exists is None:
            session.add(BlackoutDate(facilitator_id=facilitator_id, day=day))
            session.flush()
        _sync(facilitator_id, now)


def remove_blackout(facilitator_id: int, blackout_id: int, *, now: datetime) -> None:
    with write_transaction() as session:
        blackout = session.get(BlackoutDate, blackout_id)
        if blackout is None or blackout.facilitator_id != facilitator_id:
            raise DomainError("window_not_found")
        session.delete(blackout)
        session.flush()
        _sync(facilitator_id, now)


# --- slots -----------------------------------------------------------------------


def workshop_busy(
    facilitator_id: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The counselor's own workshop sessions (drafts too) between two instants."""
    rows = db.session.execute(
        select(WorkshopSession.starts_at, WorkshopSession.ends_at)
        .join(Workshop)
        .where(
            Workshop.facilitator_id == facilitator_id,
            WorkshopSession.status == SessionStatus.SCHEDULED,
            WorkshopSession.ends_at > start,
            WorkshopSession.starts_at < end,
        )
    ).all()
    return [(row[0], row[1]) for row in rows]


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


def _sync(facilitator_id: int, now: datetime) -> None:
    """Re-make a counselor's future slots from the rules, inside the caller's transaction.

    A slot someone holds is never touched, and no new slot may overlap it; a slot the
    rules no longer give is only hidden (``offered`` false), so its id stays valid.
    """
    lock_settings(facilitator_id)
    settings = _ensure_settings(facilitator_id)
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
        _sync(facilitator_id, now)


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


def _bookable(slot: CounselingSlot, settings: CounselingSettings | None, now: datetime) -> bool:
    return (
        settings is not None
        and settings.open
        and slot.offered
        and slot.starts_at >= now + timedelta(hours=settings.min_notice_hours)
        and slot.starts_at <= now + timedelta(days=settings.horizon_days)
    )


def _candidates(query: Select[Any], now: datetime, earliest: datetime) -> Select[Any]:
    """Slots offered by open counselors and held by nobody, from ``earliest`` on."""
    held = select(Appointment.slot_id).where(Appointment.is_active)
    return (
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
) -> list[OpenSlot]:
    """Slots a family can book right now, soonest first, starting in [start, end).

    A page asks for a week (or one slot): what it loads and checks depends on that
    window, not on how far ahead counselors let families book.
    """
    earliest = max(now, start) if start is not None else now
    query = (
        _candidates(select(CounselingSlot, CounselingSettings), now, earliest)
        .options(joinedload(CounselingSlot.facilitator))
        .order_by(CounselingSlot.starts_at, CounselingSlot.id)
    )
    if end is not None:
        query = query.where(CounselingSlot.starts_at < end)
    if facilitator_id is not None:
        query = query.where(CounselingSlot.facilitator_id == facilitator_id)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    found: list[OpenSlot] = []
    for slot, settings in db.session.execute(query).tuples():
        if not _bookable(slot, settings, now):
            continue
        if slot.facilitator_id not in busy:
            until = end if end is not None else now + timedelta(days=settings.horizon_days + 1)
            pad = timedelta(days=1)
            busy[slot.facilitator_id] = workshop_busy(
                slot.facilitator_id, earliest - pad, until + pad
            )
        if _clashes(slot, settings, busy[slot.facilitator_id]):
            continue
        found.append(OpenSlot(slot, settings))
    return found


#: The furthest ahead :func:`next_open` looks, a week at a time.
_LOOK_AHEAD = timedelta(days=400)


def next_open(now: datetime, after: datetime | None = None) -> OpenSlot | None:
    """The soonest open slot from ``after`` on, looking a week at a time."""
    earliest = max(now, after) if after is not None else now
    soonest = select(func.min(CounselingSlot.starts_at))
    start = db.session.scalar(_candidates(soonest, now, earliest))
    while start is not None and start < now + _LOOK_AHEAD:
        week = open_slots(now, start=start, end=start + timedelta(days=7))
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


def _clashes(
    slot: CounselingSlot, settings: CounselingSettings, busy: list[tuple[datetime, datetime]]
) -> bool:
    """A workshop the counselor added after the slots were made still takes its time."""
    pad = timedelta(minutes=settings.buffer_minutes)
    return any(overlaps(slot.starts_at - pad, slot.ends_at + pad, *b) for b in busy)


# --- appointments -------------------------------------------------------------------


def meeting_link(appointment: Appointment, settings: CounselingSettings | None) -> str:
    """The online meeting link the booked family may see: only once it is confirmed."""
    if settings is None or settings.mode != MeetingMode.ONLINE or not appointment.is_confirmed:
        return ""
    return settings.online_url


def _lock_slots(*slot_ids: int) -> dict[int, CounselingSlot]:
    """Lock slots by id (in id order, so two movers can't deadlock); refuse a missing one."""
    slots = {slot.id: slot for slot in lock(CounselingSlot, slot_ids)}
    if set(slot_ids) - set(slots):
        raise DomainError("slot_not_found")
    return slots


def _check_free(slot: CounselingSlot, now: datetime, *, ignore: int | None = None) -> None:
    """Raise unless ``slot`` can be booked now (under its lock)."""
    settings = settings_for(slot.facilitator_id)
    if settings is None or not _bookable(slot, settings, now):
        raise DomainError("slot_unavailable")
    holder = db.session.scalar(
        select(Appointment.id).where(Appointment.slot_id == slot.id, Appointment.is_active)
    )
    if holder is not None and holder != ignore:
        raise DomainError("slot_taken")
    busy = workshop_busy(
        slot.facilitator_id, slot.starts_at - timedelta(days=1), slot.ends_at + timedelta(days=1)
    )
    if _clashes(slot, settings, busy):
        raise DomainError("slot_unavailable")


def _first_with(family_id: int, facilitator_id: int) -> bool:
    """Tell whether the counselor has never confirmed an appointment with this family.

    A request the family withdrew, or one that was declined, doesn't make them known.
    """
    seen = db.session.scalar(
        select(Appointment.id).where(
            Appointment.family_id == family_id,
            Appointment.facilitator_id == facilitator_id,
            Appointment.confirmed_at.is_not(None),
        )
    )
    return seen is None


def _check_family_limits(
    settings: CounselingSettings, family_id: int, *, pending: bool, now: datetime
) -> None:
    """Refuse a booking past what one family may hold with this counselor.

    Runs under the family's row lock, so two bookings sent at once count each other.
    """
    held = db.session.execute(
        select(Appointment.status, func.count())
        .join(Appointment.slot)
        .where(
            Appointment.family_id == family_id,
            Appointment.facilitator_id == settings.facilitator_id,
            Appointment.is_open(now),
        )
        .group_by(Appointment.status)
    ).all()
    counts = {status: count for status, count in held}
    name = settings.facilitator.name
    if sum(counts.values()) >= settings.max_upcoming_per_family:
        raise DomainError("appointment_limit", count=settings.max_upcoming_per_family, name=name)
    waiting = counts.get(AppointmentStatus.PENDING, 0)
    if pending and waiting >= settings.max_requests_per_family:
        raise DomainError("request_limit", count=settings.max_requests_per_family, name=name)


def book_slot(slot_id: int, family_id: int, *, note: str = "", now: datetime) -> Appointment:
    """Book a slot for a family: confirmed, or pending when a first visit needs approval."""
    try:
        with write_transaction() as session:
            lock_family(family_id)
            facilitator_id = session.scalar(
                select(CounselingSlot.facilitator_id).where(CounselingSlot.id == slot_id)
            )
            if facilitator_id is not None:
                lock_settings(facilitator_id, shared=True)
            slot = _lock_slots(slot_id)[slot_id]
            _check_free(slot, now)
            settings = settings_for(slot.facilitator_id)
            assert settings is not None  # _check_free made sure
            pending = settings.approve_first and _first_with(family_id, slot.facilitator_id)
            _check_family_limits(settings, family_id, pending=pending, now=now)
            appointment = Appointment(
                slot_id=slot.id,
                family_id=family_id,
                facilitator_id=slot.facilitator_id,
                status=AppointmentStatus.PENDING if pending else AppointmentStatus.CONFIRMED,
                kind=settings.kind,
                note=note.strip(),
                created_at=now,
                updated_at=now,
                confirmed_at=None if pending else now,
            )
            session.add(appointment)
            session.flush()
            notify.appointment_booked(appointment, now)
    except IntegrityError as error:  # the database's own guard against a double booking
        raise DomainError("slot_taken") from error
    return appointment


def _lock_appointment(appointment_id: int) -> Appointment | None:
    found = lock(Appointment, [appointment_id])
    return found[0] if found else None


def _own(appointment_id: int, family_id: int) -> Appointment:
    appointment = _lock_appointment(appointment_id)
    if appointment is None or appointment.family_id != family_id:
        raise DomainError("appointment_not_found")
    return appointment


def change_deadline(appointment: Appointment) -> datetime:
    """Until when the family may cancel or move it themselves, by its counselor's cutoff."""
    return appointment.change_deadline(settings_for(appointment.facilitator_id))


def can_change(appointment: Appointment, now: datetime) -> bool:
    return appointment.is_active and now < change_deadline(appointment)


def _check_changeable(appointment: Appointment, now: datetime) -> None:
    if not appointment.is_active:
        raise DomainError("appointment_over")
    settings = settings_for(appointment.facilitator_id)
    if now >= appointment.change_deadline(settings):
        contact = (settings.contact if settings else "") or appointment.facilitator.email
        raise DomainError("past_change_cutoff", name=appointment.facilitator.name, contact=contact)


def move(appointment_id: int, family_id: int, new_slot_id: int, *, now: datetime) -> Appointment:
    """Move an appointment to another open slot in one step: it never has none or two."""
    try:
        with write_transaction():
            appointment = _own(appointment_id, family_id)
            old_slot_id = appointment.slot_id
            lock_settings(appointment.facilitator_id, shared=True)
            slots = _lock_slots(old_slot_id, new_slot_id)
            _check_changeable(appointment, now)
            new_slot = slots[new_slot_id]
            if new_slot.id == old_slot_id:
                raise DomainError("same_slot")
            if new_slot.facilitator_id != appointment.facilitator_id:
                raise DomainError("slot_unavailable")
            _check_free(new_slot, now)
            appointment.slot_id = new_slot.id
            appointment.sequence += 1
            appointment.updated_at = now
            db.session.flush()
            db.session.refresh(appointment, ["slot"])
            notify.appointment_moved(appointment, now)
    except IntegrityError as error:
        raise DomainError("slot_taken") from error
    return appointment


def expire_requests(now: datetime) -> int:
    """Let requests the counselor didn't answer in time go, and tell each family.

    The time is freed for others; a family can't be left holding it, or waiting, forever.
    """
    waiting = db.session.scalars(
        select(Appointment.id).where(
            Appointment.status == AppointmentStatus.PENDING,
            Appointment.created_at <= now - _SHORTEST_EXPIRY,
        )
    ).all()
    expired = 0
    for appointment_id in waiting:
        with write_transaction():
            appointment = _lock_appointment(appointment_id)
            if appointment is None or not appointment.is_pending:
                continue  # decided a moment ago
            settings = settings_for(appointment.facilitator_id)
            hours = settings.request_expiry_hours if settings else Rules.request_expiry_hours
            if appointment.created_at + timedelta(hours=hours) > now:
                continue
            transition(appointment, AppointmentStatus.DECLINED, now, expired=True)
            expired += 1
    return expired


def cancel_by_family(appointment_id: int, family_id: int, *, now: datetime) -> Appointment:
    """Cancel an appointment, up to the counselor's cutoff."""
    with write_transaction():
        appointment = _own(appointment_id, family_id)
        _check_changeable(appointment, now)
        transition(appointment, AppointmentStatus.CANCELLED, now, by_family=True)
    return appointment


def _managed(appointment_id: int, manager: User) -> Appointment:
    appointment = _lock_appointment(appointment_id)
    if appointment is None or not (manager.is_admin or appointment.facilitator_id == manager.id):
        raise DomainError("appointment_not_found")
    return appointment


def approve(appointment_id: int, manager: User, *, now: datetime) -> Appointment:
    """Confirm a first appointment that was waiting for the counselor."""
    with write_transaction():
        appointment = _managed(appointment_id, manager)
        if not appointment.is_pending:
            raise DomainError("not_pending")
        transition(appointment, AppointmentStatus.CONFIRMED, now)
    return appointment


def decline(appointment_id: int, manager: User, *, now: datetime) -> Appointment:
    """Say no to a waiting request; the slot is free again."""
    with write_transaction():
        appointment = _managed(appointment_id, manager)
        if not appointment.is_pending:
            raise DomainError("not_pending")
        transition(appointment, AppointmentStatus.DECLINED, now)
    return appointment


def cancel_by_facilitator(appointment_id: int, manager: User, *, now: datetime) -> Appointment:
    """The counselor (or an admin) cancels; the family is told, whatever the cutoff."""
    with write_transaction():
        appointment = _managed(appointment_id, manager)
        if not appointment.is_active:
            raise DomainError("appointment_over")
        transition(appointment, AppointmentStatus.CANCELLED, now)
    return appointment


# --- lists -------------------------------------------------------------------------


def _with_slot() -> Select[tuple[Appointment]]:
    return (
        select(Appointment)
        .join(Appointment.slot)
        .options(
            joinedload(Appointment.slot),
            joinedload(Appointment.family),
            joinedload(Appointment.facilitator),
        )
    )


def family_appointments(family_id: int, now: datetime) -> list[Appointment]:
    """A family's appointments from a day ago on (cancelled ones too), soonest first."""
    return list(
        db.session.scalars(
            _with_slot()
            .where(
                Appointment.family_id == family_id,
                CounselingSlot.ends_at > now - timedelta(days=1),
            )
            .order_by(CounselingSlot.starts_at)
        )
    )


def counselor_appointments(
    manager: User, *, start: datetime, end: datetime, held_only: bool = True
) -> list[Appointment]:
    """Appointments with a counselor (admins: everyone's) between two instants."""
    query = _with_slot().where(CounselingSlot.starts_at < end, CounselingSlot.ends_at > start)
    if held_only:
        query = query.where(Appointment.is_active)
    if not manager.is_admin:
        query = query.where(Appointment.facilitator_id == manager.id)
    return list(db.session.scalars(query.order_by(CounselingSlot.starts_at)))


def get_for_family(appointment_id: int, family_id: int) -> Appointment | None:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.family_id != family_id:
        return None
    return appointment


def get_for_manager(appointment_id: int, manager: User) -> Appointment | None:
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not (manager.is_admin or appointment.facilitator_id == manager.id):
        return None
    return appointment


def when(appointment: Appointment, zone: str) -> str:
    """'Tue 4 Mar 2026, 2:00 PM EST' in the reader's zone."""
    return format_local(appointment.slot.starts_at, zone)
