"""Calendar feeds: who may read which feed, what each event says, and feed versions.

Every feed has two halves: a cheap *version* (one aggregate query) that gives the
ETag and Last-Modified, so a poll that changed nothing is answered 304 without
loading a single event; and the *events*, loaded in one query and turned into
:class:`scheduler.ics.CalendarEvent` for the pure builder.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, ScalarSelect, Select, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from scheduler import links
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CounselingSettings,
    CounselingSlot,
    MeetingMode,
    SessionKind,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
    WorkshopStatus,
)
from scheduler.services import counseling, tokens
from scheduler.services.seats import seat_counts
from scheduler.timeutil import format_local
from scheduler.vtimezone import tz_version

#: Change when the wording or shape of events changes, so every ETag changes with it.
#: 3: VTIMEZONEs every parser reads alike (RRULE onsets), repeated wall times in UTC.
FEED_FORMAT = 3
#: How far back a feed keeps sessions that took place.
KEEP_PAST = timedelta(days=30)
#: The neutral title private calendars use unless the family asks for descriptive ones.
NEUTRAL_TITLE = "Hearth appointment"
#: A counselor's neutral title, followed by the time, unless they ask for families' names.
NEUTRAL_COUNSELING_TITLE = "Counseling appointment"
#: How often calendar apps should poll.
REFRESH = timedelta(hours=1)


# --- private feed tokens ---------------------------------------------------------


def feed_token(user: User) -> str | None:
    """Return the user's current private feed token, if one was ever made."""
    return tokens.derive("feed", user.feed_salt) if user.feed_salt else None


def give_feed_token(user: User) -> str:
    """Give an account a new private feed token (256 random bits behind it)."""
    user.feed_salt = tokens.new_salt()
    token = tokens.derive("feed", user.feed_salt)
    user.feed_token_hash = tokens.digest(token)
    return token


def reset_feed_token(user_id: int) -> str:
    """Replace the private feed token, revoking the old one at once."""
    with write_transaction() as session:
        return give_feed_token(session.get_one(User, user_id))


def ensure_feed_token(user: User) -> str:
    """Return the user's token (accounts made before feeds existed get one now)."""
    return feed_token(user) or reset_feed_token(user.id)


def user_for_token(token: str) -> User | None:
    """Find the active account a feed token belongs to (None for unknown or revoked)."""
    if not 20 <= len(token) <= 100:
        return None
    user = db.session.scalar(select(User).where(User.feed_token_hash == tokens.digest(token)))
    return user if user is not None and user.is_active else None


def set_descriptive_titles(user_id: int, descriptive: bool) -> None:
    """Save whether private calendars name the workshop or stay neutral."""
    with write_transaction() as session:
        session.get_one(User, user_id).descriptive_titles = descriptive


# --- versions: ETag and Last-Modified without loading events --------------------


@dataclass(frozen=True)
class FeedVersion:
    etag: str
    #: Whole seconds, rounded up from the newest change (HTTP dates have no fractions).
    last_modified: datetime


def _day_start(now: datetime) -> datetime:
    """Feeds move their window once a day, so a day's polls share one version."""
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _in_window(day_start: datetime) -> Any:
    """Sessions a feed shows: recent past ones, and cancelled ones until their day ends."""
    return or_(
        WorkshopSession.ends_at > day_start,
        (WorkshopSession.status == SessionStatus.SCHEDULED)
        & (WorkshopSession.ends_at > day_start - KEEP_PAST),
    )


def _version(parts: Sequence[Any], newest: Sequence[datetime | None], day: datetime) -> FeedVersion:
    base_url = current_app.config["BASE_URL"]
    changes = [t.isoformat() if t else None for t in newest]
    # A new tz database can change a zone's VTIMEZONE, so calendars must be fetched anew.
    material = (FEED_FORMAT, tz_version(), base_url, day.isoformat(), *parts, *changes)
    latest = max([day, *(t for t in newest if t is not None)])
    rounded_up = datetime.fromtimestamp(math.ceil(latest.timestamp()), UTC)
    return FeedVersion(f'"{hashlib.sha256(repr(material).encode()).hexdigest()[:40]}"', rounded_up)


def _public_sessions(day: datetime, facilitator_id: int | None) -> Select[Any]:
    query = (
        select(WorkshopSession)
        .join(WorkshopSession.workshop)
        .where(Workshop.status == WorkshopStatus.PUBLISHED, _in_window(day))
    )
    if facilitator_id is not None:
        query = query.where(Workshop.facilitator_id == facilitator_id)
    return query


def public_version(now: datetime, facilitator_id: int | None = None) -> FeedVersion:
    """Version of the public feed, from one aggregate query."""
    day = _day_start(now)
    inner = _public_sessions(day, facilitator_id).subquery()
    row = db.session.execute(
        select(
            func.count(inner.c.id),
            func.coalesce(func.sum(inner.c.sequence), 0),
            func.max(inner.c.updated_at),
            func.max(Workshop.updated_at),
        )
        .select_from(inner)
        .join(Workshop, Workshop.id == inner.c.workshop_id, isouter=True)
    ).one()
    return _version(("public", facilitator_id, row[0], row[1]), (row[2], row[3]), day)


def _family_bookings(user_id: int, day: datetime) -> Select[Any]:
    return (
        select(Booking)
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .where(
            Booking.family_id == user_id,
            or_(
                Booking.status != BookingStatus.CANCELLED,
                WorkshopSession.ends_at > day,  # a cancelled booking shows until its day
            ),
            _in_window(day),
        )
    )


def _facilitator_sessions(user_id: int, day: datetime) -> Select[Any]:
    return (
        select(WorkshopSession)
        .join(WorkshopSession.workshop)
        .where(Workshop.facilitator_id == user_id, _in_window(day))
    )


def _appointment_window(day_start: datetime) -> ColumnElement[bool]:
    """Appointments a feed shows: confirmed ones a while after, the rest until their day ends."""
    return or_(
        CounselingSlot.ends_at > day_start,
        (Appointment.status == AppointmentStatus.CONFIRMED)
        & (CounselingSlot.ends_at > day_start - KEEP_PAST),
    )


def _owner(user: User) -> ColumnElement[bool]:
    """A family's own appointments, or the appointments with a counselor."""
    if user.is_family:
        return Appointment.family_id == user.id
    return Appointment.facilitator_id == user.id


def _appointment_versions(user: User, day: datetime) -> list[ScalarSelect[Any]]:
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
        .where(_owner(user), _appointment_window(day))
        .cte("shown_appointments")
    )
    settings = CounselingSettings
    place = settings.timezone + "|" + settings.mode + "|" + settings.location
    place = place + "|" + settings.online_url
    return [
        select(func.count(shown.c.id)).scalar_subquery(),
        select(func.coalesce(func.sum(shown.c.sequence), 0)).scalar_subquery(),
        select(func.max(shown.c.updated_at)).scalar_subquery(),
        select(func.aggregate_strings(place, "\n"))
        .where(settings.facilitator_id.in_(select(shown.c.facilitator_id)))
        .scalar_subquery(),
    ]


def private_version(user: User, now: datetime) -> FeedVersion:
    """Version of a user's private feed: bookings or sessions run, and appointments."""
    day = _day_start(now)
    appointments = _appointment_versions(user, day)
    if user.is_family:
        inner = _family_bookings(user.id, day).subquery()
        row = db.session.execute(
            select(
                func.count(inner.c.id),
                func.coalesce(func.sum(inner.c.sequence), 0),
                func.max(inner.c.updated_at),
                *appointments,
            )
        ).one()
        # Session and workshop changes reach a family's events too.
        session_row = db.session.execute(
            select(
                func.coalesce(func.sum(WorkshopSession.sequence), 0),
                func.max(WorkshopSession.updated_at),
                func.max(Workshop.updated_at),
            )
            .join(WorkshopSession.workshop)
            .where(WorkshopSession.id.in_(select(inner.c.session_id)))
        ).one()
        # row[3:] are the appointments': count, sequences, newest change, counselors' places.
        parts: tuple[Any, ...] = ("family", user.id, user.descriptive_titles, row[0], row[1])
        parts += (session_row[0], row[3], row[4], row[6])
        return _version(parts, (row[2], session_row[1], session_row[2], row[5]), day)
    inner = _facilitator_sessions(user.id, day).subquery()
    row = db.session.execute(
        select(
            func.count(inner.c.id),
            func.coalesce(func.sum(inner.c.sequence), 0),
            func.max(inner.c.updated_at),
            func.max(Workshop.updated_at),
            func.count(Booking.id),
            func.coalesce(func.sum(Booking.seats), 0),
            func.max(Booking.updated_at),
            *appointments,
        )
        .select_from(inner)
        .join(Workshop, Workshop.id == inner.c.workshop_id)
        .join(Booking, Booking.session_id == inner.c.id, isouter=True)
    ).one()
    parts = ("facilitator", user.id, user.descriptive_titles, row[0], row[1], row[4], row[5])
    parts += (row[7], row[8], row[10])
    return _version(parts, (row[2], row[3], row[6], row[9]), day)


# --- events ----------------------------------------------------------------------


def _uid(kind: str, record_id: int) -> str:
    return f"{kind}-{record_id}@{links.host()}"


def _place(workshop: Workshop) -> str:
    return " · ".join(p for p in (workshop.location, "Online" if workshop.online_url else "") if p)


def session_event(
    session: WorkshopSession,
    *,
    kind: str = "session",
    description: str | None = None,
    changed: datetime | None = None,
) -> CalendarEvent:
    """A session as anyone may see it: public title, place, link to the workshop page."""
    workshop = session.workshop
    cancelled = session.is_cancelled
    last_change = max(t for t in (session.updated_at, workshop.updated_at, changed) if t)
    return CalendarEvent(
        uid=_uid(kind, session.id),
        sequence=session.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=workshop.timezone,
        summary=("Cancelled: " if cancelled else "") + workshop.title,
        description=workshop.description if description is None else description,
        location=_place(workshop),
        url=links.workshop_page(workshop.id),
        status=EventStatus.CANCELLED if cancelled else EventStatus.CONFIRMED,
        last_modified=last_change,
    )


def booking_event(booking: Booking, *, descriptive: bool) -> CalendarEvent:
    """A family's booking; neutral wording unless the family chose descriptive titles."""
    session = booking.session
    workshop = session.workshop
    cancelled = booking.is_cancelled or session.is_cancelled
    if cancelled:
        status, prefix, suffix = EventStatus.CANCELLED, "Cancelled: ", ""
    elif booking.is_waitlisted:
        status, prefix, suffix = EventStatus.TENTATIVE, "", " (waitlist)"
    else:
        status, prefix, suffix = EventStatus.CONFIRMED, "", ""
    seats = "1 seat" if booking.seats == 1 else f"{booking.seats} seats"
    if descriptive:
        title = workshop.title
        details = [workshop.description, f"Your booking: {seats}."]
        if booking.is_confirmed and not cancelled and workshop.online_url:
            details.append(f"Join online: {workshop.online_url}")
        location = _place(workshop)
    else:
        title, details, location = NEUTRAL_TITLE, [f"Your booking: {seats}."], ""
    details.append(f"Details: {links.bookings()}")
    return CalendarEvent(
        uid=_uid("booking", booking.id),
        sequence=session.sequence + booking.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=workshop.timezone,
        summary=prefix + title + suffix,
        description="\n\n".join(d for d in details if d),
        location=location,
        url=links.bookings(),
        status=status,
        last_modified=max(booking.updated_at, session.updated_at, workshop.updated_at),
    )


def appointment_title(appointment: Appointment) -> str:
    """'Family counseling with Dr Lee': the descriptive title, for families who opted in."""
    name = appointment.facilitator.name
    if appointment.kind == SessionKind.FAMILY:
        return f"Family counseling with {name}"
    return f"Counseling with {name}"


def appointment_event(
    appointment: Appointment,
    *,
    descriptive: bool,
    for_counselor: bool = False,
    settings: CounselingSettings | None = None,
) -> CalendarEvent:
    """An appointment as the family or the counselor sees it (neutral unless opted in).

    The meeting link goes only to the counselor and, once confirmed, to the booked
    family: it opens the room, so pending, cancelled and foreign events never carry it.
    ``settings`` may be given to save a query per event.
    """
    settings = settings or counseling.settings_for(appointment.facilitator_id)
    slot = appointment.slot
    zone = settings.timezone if settings is not None else appointment.facilitator.timezone
    over = not appointment.holds_slot  # cancelled, or declined by the counselor
    if over:
        status, prefix, suffix = EventStatus.CANCELLED, "Cancelled: ", ""
    elif appointment.is_pending:
        status, prefix, suffix = EventStatus.TENTATIVE, "", " (awaiting approval)"
    else:
        status, prefix, suffix = EventStatus.CONFIRMED, "", ""
    online = settings is not None and settings.mode == MeetingMode.ONLINE
    url = settings.online_url if settings is not None and online else ""
    place = settings.location if settings is not None and not online else ""
    if for_counselor:
        kind = "Family session" if appointment.kind == SessionKind.FAMILY else "Individual session"
        # A counselor's calendar is often synced to a third party: families are named
        # only when the counselor asked for it. The private note never goes in.
        if descriptive:
            title = f"Appointment: {appointment.family.name}"
            details = [f"{kind} with {appointment.family.name}."]
        else:
            clock = format_local(slot.starts_at, zone, with_date=False)
            title = f"{NEUTRAL_COUNSELING_TITLE}, {clock}"
            details = [f"{kind}. Open Hearth to see who is coming."]
        location = url or place
        if url:
            details.append(f"Join online: {url}")
        link = links.counselor_appointment(appointment.id)
    elif descriptive:
        title = appointment_title(appointment)
        details = []
        if family_link := counseling.meeting_link(appointment, settings):
            location = family_link
            details.append(f"Join online: {family_link}")
        else:
            location = "Online" if online else place
        link = links.bookings()
    else:
        title, details, location = NEUTRAL_TITLE, ["Open Hearth to see the details."], ""
        link = links.bookings()
    details.append(f"Details: {link}")
    return CalendarEvent(
        uid=_uid("appointment", appointment.id),
        sequence=appointment.sequence,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        timezone=zone,
        summary=prefix + title + suffix,
        description="\n\n".join(details),
        location=location,
        url=link,
        status=status,
        last_modified=appointment.updated_at,
    )


def _appointments(user: User, day: datetime) -> list[tuple[Appointment, CounselingSettings]]:
    """The appointments in a private feed with their counselors' settings, in one query."""
    other = Appointment.facilitator if user.is_family else Appointment.family
    query = (
        select(Appointment, CounselingSettings)
        .join(Appointment.slot)
        .join(
            CounselingSettings,
            CounselingSettings.facilitator_id == Appointment.facilitator_id,
            isouter=True,
        )
        .options(contains_eager(Appointment.slot), joinedload(other))
        .where(_owner(user), _appointment_window(day))
    )
    return list(db.session.execute(query).tuples())


def public_events(now: datetime, facilitator_id: int | None = None) -> list[CalendarEvent]:
    """Published sessions for the public feed, in one query."""
    sessions = db.session.scalars(
        _public_sessions(_day_start(now), facilitator_id).options(
            contains_eager(WorkshopSession.workshop)
        )
    ).all()
    return [session_event(s) for s in sessions]


def private_events(user: User, now: datetime) -> list[CalendarEvent]:
    """A family's bookings, or a facilitator's own sessions with seats taken; appointments."""
    day = _day_start(now)
    appointments = [
        appointment_event(
            appointment,
            descriptive=user.descriptive_titles,
            for_counselor=not user.is_family,
            settings=settings,
        )
        for appointment, settings in _appointments(user, day)
    ]
    if user.is_family:
        bookings = db.session.scalars(
            _family_bookings(user.id, day).options(
                contains_eager(Booking.session).contains_eager(WorkshopSession.workshop)
            )
        ).all()
        return [booking_event(b, descriptive=user.descriptive_titles) for b in bookings] + (
            appointments
        )
    sessions = db.session.scalars(
        _facilitator_sessions(user.id, day).options(contains_eager(WorkshopSession.workshop))
    ).all()
    counts = seat_counts(sessions)
    # Seats taken are part of a facilitator's event, so bookings count as its changes.
    booked = {
        session_id: changed
        for session_id, changed in db.session.execute(
            select(Booking.session_id, func.max(Booking.updated_at))
            .where(Booking.session_id.in_([s.id for s in sessions]))
            .group_by(Booking.session_id)
        )
    }
    return appointments + [
        session_event(
            s,
            kind="hosting",
            changed=booked.get(s.id),
            description=(
                f"Seats taken: {counts[s.id].confirmed} of {s.capacity}. "
                f"Waitlist: {counts[s.id].waitlisted_households}.\n\n"
                f"Roster: {links.roster(s.id)}"
            ),
        )
        for s in sessions
    ]


def public_calendar(now: datetime, facilitator_id: int | None = None) -> bytes:
    return build_calendar(
        public_events(now, facilitator_id), CalendarInfo(name="Hearth workshops", refresh=REFRESH)
    )


def private_calendar(user: User, now: datetime) -> bytes:
    name = "Hearth" if user.is_family else f"Hearth: sessions of {user.name}"
    return build_calendar(private_events(user, now), CalendarInfo(name=name, refresh=REFRESH))


def booking_calendar(booking: Booking) -> bytes:
    """One booking as a downloadable calendar file."""
    event = booking_event(booking, descriptive=booking.family.descriptive_titles)
    return build_calendar([event], CalendarInfo(name="Hearth", refresh=REFRESH))


def appointment_calendar(appointment: Appointment) -> bytes:
    """One appointment as the family's downloadable calendar file."""
    event = appointment_event(appointment, descriptive=appointment.family.descriptive_titles)
    return build_calendar([event], CalendarInfo(name="Hearth", refresh=REFRESH))


# The feed links live in scheduler.links; these names are what the pages call them.
private_feed_url = links.private_feed
public_feed_url = links.public_feed
webcal = links.webcal
