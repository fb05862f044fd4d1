"""A counselor's rules: checked, saved, and their slots re-made at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AvailabilityWindow,
    BlackoutDate,
    CounselingSettings,
    CounselingSlot,
    MeetingMode,
    SessionKind,
)
from scheduler.services import availability, notify
from scheduler.services.availability import SlotRules, WeeklyWindow
from scheduler.services.counseling.settings import ensure_settings, settings_for, windows_for
from scheduler.services.counseling.slots import resync
from scheduler.services.errors import DomainError
from scheduler.timetext import weekday_name
from scheduler.timeutil import is_valid_zone

#: How long a counselor may let requests wait before they expire: the hourly job looks
#: only at requests older than the shortest.
SHORTEST_EXPIRY, LONGEST_EXPIRY = timedelta(hours=12), timedelta(days=14)


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


#: Why rules were refused, for the counselor, by ``InvalidRules.code`` (availability.py
#: keeps its reasons in English and free of Flask).
_RULES_TEXT = {
    "zone": _l("That is not a time zone we know; choose one from the list"),
    "slot_length": _l("A slot must last between {shortest} and {longest} minutes"),
    "buffer": _l("The break between slots must be between 0 and {longest} minutes"),
    "horizon": _l("Slots can be offered from 1 day up to 366 days ahead"),
    "notice": _l("The minimum notice must be between none and 30 days"),
    "notice_past_horizon": _l(
        "The minimum notice must be shorter than how far ahead slots are offered, "
        "or no slot could ever be booked"
    ),
    "window_backwards": _l(
        "The {weekday} {start} to {end} window must end after it starts "
        "(windows can't cross midnight)"
    ),
    "window_short": _l(
        "The {weekday} {start} to {end} window is shorter than one {minutes}-minute slot"
    ),
}


def _rules_text(error: availability.InvalidRules) -> str:
    """An ``InvalidRules`` reason in the reader's language, its weekday and times too."""
    params = dict(error.params)
    if "weekday" in params:
        params["weekday"] = weekday_name(int(str(params["weekday"])))
        params["start"] = f"{params['start']:%H:%M}"
        params["end"] = f"{params['end']:%H:%M}"
    return str(_RULES_TEXT[error.code]).format(**params)


def _check_rules(rules: Rules, windows: Iterable[AvailabilityWindow] = ()) -> None:
    if not is_valid_zone(rules.timezone):
        raise DomainError("invalid_zone")
    if rules.kind not in set(SessionKind) or rules.mode not in set(MeetingMode):
        raise DomainError(
            "bad_counseling_rules", detail=_("Choose a kind and a place from the list")
        )
    if rules.mode == MeetingMode.ONLINE and not rules.online_url:
        raise DomainError("bad_counseling_rules", detail=_("Online slots need a meeting link"))
    if not 0 <= rules.change_cutoff_hours <= 24 * 14:
        raise DomainError(
            "bad_counseling_rules", detail=_("The change cutoff must be 0 to 336 hours")
        )
    if not 1 <= rules.max_requests_per_family <= 10:
        raise DomainError(
            "bad_counseling_rules", detail=_("Requests waiting per family must be 1 to 10")
        )
    if not 1 <= rules.max_upcoming_per_family <= 20:
        raise DomainError(
            "bad_counseling_rules", detail=_("Upcoming appointments per family must be 1 to 20")
        )
    if not SHORTEST_EXPIRY <= timedelta(hours=rules.request_expiry_hours) <= LONGEST_EXPIRY:
        raise DomainError(
            "bad_counseling_rules", detail=_("Requests must expire after 12 to 336 hours")
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
    except availability.InvalidRules as error:
        raise DomainError("bad_counseling_rules", detail=_rules_text(error)) from error


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
        resync(facilitator_id, now)
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
        raise DomainError("bad_window", detail=_("Choose a weekday or a date"))
    if ends <= starts:
        raise DomainError("bad_window", detail=_("The end must be after the start"))
    if weekday is not None and not 0 <= weekday <= 6:
        raise DomainError("bad_window", detail=_("Choose a weekday from the list"))
    with write_transaction() as session:
        settings = ensure_settings(facilitator_id)
        length = datetime.combine(date.min, ends) - datetime.combine(date.min, starts)
        if length < timedelta(minutes=settings.slot_minutes):
            raise DomainError(
                "bad_window",
                detail=_(
                    "The hours must fit one %(minutes)s-minute slot", minutes=settings.slot_minutes
                ),
            )
        window = AvailabilityWindow(
            facilitator_id=facilitator_id, weekday=weekday, day=day, starts=starts, ends=ends
        )
        session.add(window)
        session.flush()
        resync(facilitator_id, now)
    return window


def remove_window(facilitator_id: int, window_id: int, *, now: datetime) -> None:
    """Remove hours; slots already booked in them stay booked."""
    _remove_own(AvailabilityWindow, window_id, facilitator_id, now)


def _remove_own(
    model: type[AvailabilityWindow] | type[BlackoutDate],
    row_id: int,
    facilitator_id: int,
    now: datetime,
) -> None:
    """Delete one of a counselor's own rules (another's is not found) and re-make slots."""
    with write_transaction() as session:
        row = cast("AvailabilityWindow | BlackoutDate | None", session.get(model, row_id))
        if row is None or row.facilitator_id != facilitator_id:
            raise DomainError("window_not_found")
        session.delete(row)
        session.flush()
        resync(facilitator_id, now)


def add_blackout(facilitator_id: int, day: date, *, now: datetime) -> None:
    """Offer nothing on a local date; appointments already made that day stay."""
    with write_transaction() as session:
        ensure_settings(facilitator_id)
        exists = session.scalar(
            select(BlackoutDate.id).where(
                BlackoutDate.facilitator_id == facilitator_id, BlackoutDate.day == day
            )
        )
        if exists is None:
            session.add(BlackoutDate(facilitator_id=facilitator_id, day=day))
            session.flush()
        resync(facilitator_id, now)


def remove_blackout(facilitator_id: int, blackout_id: int, *, now: datetime) -> None:
    """Offer that date again; nothing booked is touched."""
    _remove_own(BlackoutDate, blackout_id, facilitator_id, now)
