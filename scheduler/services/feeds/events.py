"""Calendar events: what each event in a feed, download or invite says.

Events are loaded in one query per feed and turned into
:class:`scheduler.ics.CalendarEvent` for the pure builder. Private calendars are
often synced to third parties, so their wording stays neutral unless the person
asked for descriptive titles.

Events are worded in the current language: a private feed or download in its
account's (``i18n.for_user``), the public feed in ``DEFAULT_LANGUAGE``, an invite in
its email's. Every word is in the event itself, so the fragment cache
(``scheduler.ics``) keeps each language's text apart.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_time
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from scheduler import i18n, links
from scheduler.extensions import db
from scheduler.ics import CalendarEvent, CalendarInfo, EventStatus, build_calendar
from scheduler.models import (
    Appointment,
    Booking,
    CounselingSettings,
    MeetingMode,
    SessionKind,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.services import counseling
from scheduler.services.errors import seats_text
from scheduler.services.feeds.queries import (
    appointment_window,
    day_start,
    facilitator_sessions,
    family_bookings,
    owner,
    public_sessions,
)
from scheduler.services.seats import seat_counts
from scheduler.timeutil import to_local

#: The neutral title private calendars use unless the family asks for descriptive ones.
NEUTRAL_TITLE = _l("Hearth appointment")
#: A counselor's neutral title, with the time, unless they ask for families' names.
NEUTRAL_COUNSELING_TITLE = _l("Counseling appointment, {clock}")
#: How often calendar apps should poll.
REFRESH = timedelta(hours=1)


def _uid(kind: str, record_id: int) -> str:
    return f"{kind}-{record_id}@{links.host()}"


def _place(workshop: Workshop) -> str:
    online = _("Online") if workshop.online_url else ""
    return " · ".join(p for p in (workshop.location, online) if p)


def _clock(instant: datetime, zone: str) -> str:
    """ "6:00 PM EST": a time and its zone's abbreviation, in the current language."""
    local = to_local(instant, zone)
    # The locale's short time: "6:00 PM" in English (CLDR's narrow space made plain, as
    # format_local writes it), "18:00" in Spanish.
    shown = format_time(local, "short", locale=i18n.current_language()).replace("\u202f", " ")
    return f"{shown} {local.tzname() or zone}"


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
        summary=_("Cancelled: {title}").format(title=workshop.title)
        if cancelled
        else workshop.title,
        description=workshop.description if description is None else description,
        location=_place(workshop),
        url=links.workshop_page(workshop.id),
        status=EventStatus.CANCELLED if cancelled else EventStatus.CONFIRMED,
        last_modified=last_change,
    )


def _standing(
    *, over: bool, waiting: bool, waiting_title: LazyString
) -> tuple[EventStatus, LazyString | None]:
    """A reservation's calendar status, and its title's words around ``{title}`` (None:
    the title alone).

    Bookings and appointments are in one of three states for a calendar: over (it
    stays, struck through, so the change is seen), waiting (waitlist, or approval:
    tentative), or held.
    """
    if over:
        return EventStatus.CANCELLED, _CANCELLED_TITLE
    if waiting:
        return EventStatus.TENTATIVE, waiting_title
    return EventStatus.CONFIRMED, None


_CANCELLED_TITLE = _l("Cancelled: {title}")
_WAITLIST_TITLE = _l("{title} (waitlist)")
_AWAITING_TITLE = _l("{title} (awaiting approval)")


def booking_event(booking: Booking, *, descriptive: bool) -> CalendarEvent:
    """A family's booking; neutral wording unless the family chose descriptive titles."""
    session = booking.session
    workshop = session.workshop
    cancelled = booking.is_cancelled or session.is_cancelled
    status, titled = _standing(
        over=cancelled, waiting=booking.is_waitlisted, waiting_title=_WAITLIST_TITLE
    )
    seats = _("Your booking: {seats}.").format(seats=seats_text(booking.seats))
    if descriptive:
        title = workshop.title
        details = [workshop.description, seats]
        if booking.is_confirmed and not cancelled and workshop.online_url:
            details.append(_("Join online: {link}").format(link=workshop.online_url))
        location = _place(workshop)
    else:
        title, details, location = str(NEUTRAL_TITLE), [seats], ""
    details.append(_("Details: {link}").format(link=links.bookings()))
    return CalendarEvent(
        uid=_uid("booking", booking.id),
        sequence=session.sequence + booking.sequence,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        timezone=workshop.timezone,
        summary=str(titled).format(title=title) if titled else title,
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
        return _("Family counseling with {name}").format(name=name)
    return _("Counseling with {name}").format(name=name)


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
    over = not appointment.is_active  # cancelled, or declined by the counselor
    status, titled = _standing(
        over=over, waiting=appointment.is_pending, waiting_title=_AWAITING_TITLE
    )
    online = settings is not None and settings.mode == MeetingMode.ONLINE
    url = settings.online_url if settings is not None and online else ""
    place = settings.location if settings is not None and not online else ""
    if for_counselor:
        family = appointment.kind == SessionKind.FAMILY
        household = appointment.family.staff_name
        # A counselor's calendar is often synced to a third party: families are named
        # only when the counselor asked for it. The private note never goes in.
        if descriptive:
            title = _("Appointment: {household}").format(household=household)
            details = [
                _("Family session with {household}.").format(household=household)
                if family
                else _("Individual session with {household}.").format(household=household)
            ]
        else:
            title = str(NEUTRAL_COUNSELING_TITLE).format(clock=_clock(slot.starts_at, zone))
            details = [
                _("Family session. Open Hearth to see who is coming.")
                if family
                else _("Individual session. Open Hearth to see who is coming.")
            ]
        location = url or place
        if url:
            details.append(_("Join online: {link}").format(link=url))
        link = links.counselor_appointment(appointment.id)
    elif descriptive:
        title = appointment_title(appointment)
        details = []
        if family_link := counseling.meeting_link(appointment, settings):
            location = family_link
            details.append(_("Join online: {link}").format(link=family_link))
        else:
            location = _("Online") if online else place
        link = links.bookings()
    else:
        title, details, location = str(NEUTRAL_TITLE), [_("Open Hearth to see the details.")], ""
        link = links.bookings()
    details.append(_("Details: {link}").format(link=link))
    return CalendarEvent(
        uid=_uid("appointment", appointment.id),
        sequence=appointment.sequence,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        timezone=zone,
        summary=str(titled).format(title=title) if titled else title,
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
        .where(owner(user), appointment_window(day))
    )
    return list(db.session.execute(query).tuples())


def public_events(now: datetime, facilitator_id: int | None = None) -> list[CalendarEvent]:
    """Published sessions for the public feed, in one query."""
    sessions = db.session.scalars(
        public_sessions(day_start(now), facilitator_id).options(
            contains_eager(WorkshopSession.workshop)
        )
    ).all()
    return [session_event(s) for s in sessions]


def private_events(user: User, now: datetime) -> list[CalendarEvent]:
    """A family's bookings, or a facilitator's own sessions with seats taken; appointments."""
    day = day_start(now)
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
            family_bookings(user.id, day).options(
                contains_eager(Booking.session).contains_eager(WorkshopSession.workshop)
            )
        ).all()
        return [booking_event(b, descriptive=user.descriptive_titles) for b in bookings] + (
            appointments
        )
    sessions = db.session.scalars(
        facilitator_sessions(user.id, day).options(contains_eager(WorkshopSession.workshop))
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
            description=_("Seats taken: {taken} of {capacity}. Waitlist: {waiting}.").format(
                taken=counts[s.id].confirmed,
                capacity=s.capacity,
                waiting=counts[s.id].waitlisted_households,
            )
            + "\n\n"
            + _("Roster: {link}").format(link=links.roster(s.id)),
        )
        for s in sessions
    ]


def public_calendar(now: datetime, facilitator_id: int | None = None) -> bytes:
    """The public feed's body: published sessions only, worded as the workshop page is.

    Anyone may read it, so it is in ``DEFAULT_LANGUAGE`` whoever asks.
    """
    with i18n.for_user(None):
        return build_calendar(
            public_events(now, facilitator_id),
            CalendarInfo(name=_("Hearth workshops"), refresh=REFRESH),
        )


def private_calendar(user: User, now: datetime) -> bytes:
    """A private feed's body, in its account's language; a facilitator's calendar says
    whose sessions it holds."""
    with i18n.for_user(user.language):
        name = (
            "Hearth" if user.is_family else _("Hearth: sessions of {name}").format(name=user.name)
        )
        return build_calendar(private_events(user, now), CalendarInfo(name=name, refresh=REFRESH))


def booking_calendar(booking: Booking) -> bytes:
    """One booking as a downloadable calendar file, in the family's language."""
    with i18n.for_user(booking.family.language):
        event = booking_event(booking, descriptive=booking.family.descriptive_titles)
    return build_calendar([event], CalendarInfo(name="Hearth", refresh=REFRESH))


def appointment_calendar(appointment: Appointment) -> bytes:
    """One appointment as the family's downloadable calendar file, in their language."""
    family = appointment.family
    with i18n.for_user(family.language):
        event = appointment_event(appointment, descriptive=family.descriptive_titles)
    return build_calendar([event], CalendarInfo(name="Hearth", refresh=REFRESH))
