"""Feed versions: ETag and Last-Modified from one aggregate query, without loading events.

Calendar apps poll every feed about once an hour; a poll that changed nothing is
answered 304 from these few numbers alone.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Label, Subquery, func, select

from scheduler import settings
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    Booking,
    CounselingSettings,
    FeedState,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services.feeds.changes import PUBLIC
from scheduler.services.feeds.queries import (
    appointment_window,
    day_start,
    facilitator_sessions,
    family_bookings,
    owner,
)
from scheduler.vtimezone import tz_version

#: Change when the wording or shape of events changes, so every ETag changes with it.
#: 3: VTIMEZONEs every parser reads alike (RRULE onsets), repeated wall times in UTC.
FEED_FORMAT = 3


@dataclass(frozen=True)
class FeedVersion:
    """All a poll is answered from when nothing changed: no event is loaded for it."""

    etag: str
    #: Whole seconds, rounded up from the newest change (HTTP dates have no fractions).
    last_modified: datetime


def _version(parts: Sequence[Any], newest: Sequence[datetime | None], day: datetime) -> FeedVersion:
    # BASE_URL is in every link of every event: a new one must change every ETag.
    base_url = settings.current().base_url
    changes = [t.isoformat() if t else None for t in newest]
    # A new tz database can change a zone's VTIMEZONE, so calendars must be fetched anew.
    material = (FEED_FORMAT, tz_version(), base_url, day.isoformat(), *parts, *changes)
    latest = max([day, *(t for t in newest if t is not None)])
    rounded_up = datetime.fromtimestamp(math.ceil(latest.timestamp()), UTC)
    return FeedVersion(f'"{hashlib.sha256(repr(material).encode()).hexdigest()[:40]}"', rounded_up)


def _session_aggregates(inner: Subquery) -> list[Label[Any]]:
    """What changes a feed of sessions: how many, their sequences, their newest edits."""
    return [
        func.count(inner.c.id).label("sessions"),
        func.coalesce(func.sum(inner.c.sequence), 0).label("sequences"),
        func.max(inner.c.updated_at).label("session_changed"),
        func.max(Workshop.updated_at).label("workshop_changed"),
    ]


def public_version(now: datetime, facilitator_id: int | None = None) -> FeedVersion:
    """Version of the public feed (or one facilitator's part), from one primary-key read.

    Every transaction that changes a workshop or a session bumps the counter
    (``feeds.changes``); the day is in the version too, since the window of sessions
    shown moves each day. A facilitator's part changes with the whole: a poll may
    fetch again for nothing after another facilitator's edit, never miss a change.
    """
    day = day_start(now)
    state = db.session.get(FeedState, PUBLIC)
    counter, changed_at = (state.counter, state.changed_at) if state else (0, None)
    return _version(("public", facilitator_id, counter), (changed_at,), day)


def _appointment_versions(user: User, day: datetime) -> list[Label[Any]]:
    """Aggregates of the appointments in a private feed, as columns for its one version query.

    Moves and status changes bump sequence and updated_at; the counselor's zone, place
    and link are read as they are, since changing them bumps no appointment.
    """
    shown = (
        select(
            Appointment.id,
            Appointment.sequence,
            Appointment.updated_at,
            Appointment.facilitator_id,
        )
        .join(Appointment.slot)
        .where(owner(user), appointment_window(day))
        .cte("shown_appointments")
    )
    settings = CounselingSettings
    place = settings.timezone + "|" + settings.mode + "|" + settings.location
    place = place + "|" + settings.online_url
    return [
        select(func.count(shown.c.id)).scalar_subquery().label("appointments"),
        select(func.coalesce(func.sum(shown.c.sequence), 0))
        .scalar_subquery()
        .label("appointment_sequences"),
        select(func.max(shown.c.updated_at)).scalar_subquery().label("appointment_changed"),
        select(func.aggregate_strings(place, "\n"))
        .where(settings.facilitator_id.in_(select(shown.c.facilitator_id)))
        .scalar_subquery()
        .label("counselor_places"),
    ]


def private_version(user: User, now: datetime) -> FeedVersion:
    """Version of a user's private feed: bookings or sessions run, and appointments."""
    day = day_start(now)
    appointments = _appointment_versions(user, day)
    if user.is_family:
        return _family_version(user, day, appointments)
    inner = facilitator_sessions(user.id, day).subquery()
    row = db.session.execute(
        select(
            *_session_aggregates(inner),
            func.count(Booking.id).label("bookings"),
            func.coalesce(func.sum(Booking.seats), 0).label("seats"),
            func.max(Booking.updated_at).label("booking_changed"),
            *appointments,
        )
        .select_from(inner)
        .join(Workshop, Workshop.id == inner.c.workshop_id)
        .join(Booking, Booking.session_id == inner.c.id, isouter=True)
    ).one()
    counts = (row.sessions, row.sequences, row.bookings, row.seats)
    appointment_counts = (row.appointments, row.appointment_sequences, row.counselor_places)
    return _version(
        ("facilitator", user.id, user.descriptive_titles, *counts, *appointment_counts),
        (row.session_changed, row.workshop_changed, row.booking_changed, row.appointment_changed),
        day,
    )


def _family_version(user: User, day: datetime, appointments: list[Label[Any]]) -> FeedVersion:
    """A family's bookings and appointments; changes to the sessions booked reach it too."""
    inner = family_bookings(user.id, day).subquery()
    row = db.session.execute(
        select(
            func.count(inner.c.id).label("bookings"),
            func.coalesce(func.sum(inner.c.sequence), 0).label("sequences"),
            func.max(inner.c.updated_at).label("booking_changed"),
            *appointments,
        )
    ).one()
    sessions = db.session.execute(
        select(
            func.coalesce(func.sum(WorkshopSession.sequence), 0).label("sequences"),
            func.max(WorkshopSession.updated_at).label("session_changed"),
            func.max(Workshop.updated_at).label("workshop_changed"),
        )
        .join(WorkshopSession.workshop)
        .where(WorkshopSession.id.in_(select(inner.c.session_id)))
    ).one()
    counts = (row.bookings, row.sequences, sessions.sequences)
    appointment_counts = (row.appointments, row.appointment_sequences, row.counselor_places)
    newest = (row.booking_changed, sessions.session_changed, sessions.workshop_changed)
    return _version(
        ("family", user.id, user.descriptive_titles, *counts, *appointment_counts),
        (*newest, row.appointment_changed),
        day,
    )
