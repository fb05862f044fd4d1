"""What a counselor has set, read from the database: settings, windows, days off."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import AvailabilityWindow, BlackoutDate, CounselingSettings, User
from scheduler.services.availability import OneOffWindow, SlotRules, WeeklyWindow


def settings_for(facilitator_id: int) -> CounselingSettings | None:
    """Return a counselor's settings, or None before they set anything up."""
    return db.session.scalar(
        select(CounselingSettings).where(CounselingSettings.facilitator_id == facilitator_id)
    )


def settings_of(facilitator_ids: Iterable[int]) -> dict[int, CounselingSettings]:
    """Several counselors' settings in one query, by counselor id (a list of appointments)."""
    ids = set(facilitator_ids)
    if not ids:
        return {}
    found = db.session.scalars(
        select(CounselingSettings).where(CounselingSettings.facilitator_id.in_(ids))
    )
    return {settings.facilitator_id: settings for settings in found}


@dataclass(frozen=True)
class OpenCounselor:
    """A counselor families can book now, as a list of choices names them."""

    id: int
    name: str
    kind: str
    mode: str


def open_counselors() -> list[OpenCounselor]:
    """Every counselor open for booking, by name, in one statement."""
    rows = db.session.execute(
        select(User.id, User.name, CounselingSettings.kind, CounselingSettings.mode)
        .join(CounselingSettings, CounselingSettings.facilitator_id == User.id)
        .where(CounselingSettings.open.is_(True))
        .order_by(User.name, User.id)
    ).all()
    return [OpenCounselor(*row) for row in rows]


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


def ensure_settings(facilitator_id: int) -> CounselingSettings:
    """Return a counselor's settings, first making them (closed, in their zone) if none."""
    settings = settings_for(facilitator_id)
    if settings is None:
        facilitator = db.session.get_one(User, facilitator_id)
        settings = CounselingSettings(facilitator_id=facilitator_id, timezone=facilitator.timezone)
        db.session.add(settings)
        db.session.flush()
    return settings
