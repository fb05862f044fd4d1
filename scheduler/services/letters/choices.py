"""What a letter may say: only sessions the household was marked as attending.

**Which sessions a family may list.** Its own bookings, still confirmed, in sessions
that took place (started, not cancelled), marked attended or late at the door; or its
own counseling appointments, confirmed, that started and were marked attended. Anything
else (another household's, absent, never marked, cancelled, still to come) is refused
with one message that says no more about it. One letter covers one workshop, or the
appointments with one counselor: "6 of 6" has to be of one thing.

**What "of N" counts**, decided so that a letter can understate what happened but never
overstate it:

- ``attended`` is the number of sessions listed: each one checked above. A family that
  leaves some out gets a smaller number, never a larger one.
- ``out_of`` is every session of that workshop (every appointment with that counselor)
  that had started by the moment of issue, was not cancelled, and in which the
  household held a seat when it took place: its booking is still confirmed, or it was
  marked at the door whatever happened after (absent counts: that is the point of the
  number). A waitlisted booking never held a seat; one the household cancelled, or moved
  to a make-up, before the session is not counted (its make-up is). A session it missed
  counts against it even if the family doesn't list it, so leaving out a miss can't
  turn "5 of 6" into "5 of 5".
- A session that has started counts as taken place: attendance is marked at the door,
  so a letter may list it as soon as it is marked. A session never marked counts in
  ``out_of`` and can't be listed: the letter states only what the record shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select

from scheduler import i18n, settings
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CounselingSettings,
    CounselingSlot,
    LetterKind,
    SessionStatus,
    User,
    Workshop,
    WorkshopSession,
)
from scheduler.models.bookings import CAME
from scheduler.models.counseling import AppointmentAttendance
from scheduler.models.letters import WORDINGS
from scheduler.services.errors import DomainError
from scheduler.services.letters.facts import LetterFacts


def _taken_place(now: datetime) -> ColumnElement[bool]:
    return and_(WorkshopSession.status == SessionStatus.SCHEDULED, WorkshopSession.starts_at <= now)


def attended_booking(now: datetime) -> ColumnElement[bool]:
    """A booking a letter may list (the query joins ``Booking.session``)."""
    return and_(
        Booking.status == BookingStatus.CONFIRMED,
        Booking.attendance.in_(CAME),
        _taken_place(now),
    )


def _held_booking(now: datetime) -> ColumnElement[bool]:
    """A booking that counts in "of N" (the query joins ``Booking.session``)."""
    return and_(
        or_(Booking.status == BookingStatus.CONFIRMED, Booking.attendance.is_not(None)),
        _taken_place(now),
    )


def attended_appointment(now: datetime) -> ColumnElement[bool]:
    """An appointment a letter may list (the query joins ``Appointment.slot``)."""
    return and_(
        Appointment.status == AppointmentStatus.CONFIRMED,
        Appointment.attendance == AppointmentAttendance.ATTENDED,
        CounselingSlot.starts_at <= now,
    )


def _held_appointment(now: datetime) -> ColumnElement[bool]:
    return and_(
        or_(
            Appointment.status == AppointmentStatus.CONFIRMED,
            Appointment.attendance.is_not(None),
        ),
        CounselingSlot.starts_at <= now,
    )


@dataclass(frozen=True)
class Attended:
    """One session (or appointment) a family may list: its id and when it began."""

    id: int
    starts_at: datetime


@dataclass(frozen=True)
class Group:
    """What one letter can cover: a workshop's attended sessions, or a counselor's
    appointments, and how many the household held there (the letter's "of N")."""

    kind: str
    #: The workshop's id, or the counselor's.
    key: int
    #: The workshop's title, or the counselor's name, as the family's own page names it.
    name: str
    timezone: str
    attended: tuple[Attended, ...]
    out_of: int


def attended_groups(family_id: int, *, now: datetime) -> list[Group]:
    """Everything the family could ask a letter for, by workshop and by counselor."""
    rows = db.session.execute(
        select(Booking.session_id, WorkshopSession.starts_at, Workshop)
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .where(Booking.family_id == family_id, attended_booking(now))
        .order_by(WorkshopSession.starts_at)
    ).all()
    by_workshop: dict[int, list[Attended]] = {}
    workshops: dict[int, Workshop] = {}
    for session_id, starts_at, workshop in rows:
        by_workshop.setdefault(workshop.id, []).append(Attended(session_id, starts_at))
        workshops[workshop.id] = workshop
    groups = [
        Group(
            LetterKind.WORKSHOP,
            w.id,
            w.title,
            w.timezone,
            tuple(by_workshop[w.id]),
            _sessions_held(family_id, w.id, now),
        )
        for w in workshops.values()
    ]
    found = db.session.execute(
        select(Appointment.id, CounselingSlot.starts_at, Appointment.facilitator_id)
        .join(Appointment.slot)
        .where(Appointment.family_id == family_id, attended_appointment(now))
        .order_by(CounselingSlot.starts_at)
    ).all()
    by_counselor: dict[int, list[Attended]] = {}
    for appointment_id, starts_at, counselor_id in found:
        by_counselor.setdefault(counselor_id, []).append(Attended(appointment_id, starts_at))
    for counselor_id, attended in by_counselor.items():
        counselor = db.session.get_one(User, counselor_id)
        groups.append(
            Group(
                LetterKind.COUNSELING,
                counselor_id,
                counselor.name,
                counselor_zone(counselor),
                tuple(attended),
                _appointments_held(family_id, counselor_id, now),
            )
        )
    return groups


def _sessions_held(family_id: int, workshop_id: int, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(Booking.id))
            .join(Booking.session)
            .where(
                Booking.family_id == family_id,
                WorkshopSession.workshop_id == workshop_id,
                _held_booking(now),
            )
        )
        or 0
    )


def _appointments_held(family_id: int, counselor_id: int, now: datetime) -> int:
    return (
        db.session.scalar(
            select(func.count(Appointment.id))
            .join(Appointment.slot)
            .where(
                Appointment.family_id == family_id,
                Appointment.facilitator_id == counselor_id,
                _held_appointment(now),
            )
        )
        or 0
    )


def counselor_zone(counselor: User) -> str:
    """The zone a counselor's slots are made in (their own, before they set one)."""
    chosen = db.session.scalar(
        select(CounselingSettings.timezone).where(CounselingSettings.facilitator_id == counselor.id)
    )
    return chosen or counselor.timezone


def plan(
    family_id: int,
    *,
    session_ids: Iterable[int] = (),
    appointment_ids: Iterable[int] = (),
    wording: str,
    now: datetime,
) -> LetterFacts:
    """The facts of the letter the family asks for, or DomainError saying why not."""
    sessions, appointments = set(session_ids), set(appointment_ids)
    if not sessions and not appointments:
        raise DomainError("letter_nothing_chosen")
    if sessions and appointments:
        raise DomainError("letter_mixed")
    family = db.session.get_one(User, family_id)
    if sessions:
        return _workshop_letter(family, sessions, wording, now)
    return _counseling_letter(family, appointments, wording, now)


def _workshop_letter(family: User, chosen: set[int], wording: str, now: datetime) -> LetterFacts:
    rows = db.session.execute(
        select(WorkshopSession.starts_at, WorkshopSession.workshop_id)
        .join(Booking.session)
        .where(
            Booking.family_id == family.id,
            Booking.session_id.in_(chosen),
            attended_booking(now),
        )
        .order_by(WorkshopSession.starts_at)
    ).all()
    if len(rows) != len(chosen):
        raise DomainError("letter_not_attended")
    if len({workshop_id for _, workshop_id in rows}) > 1:
        raise DomainError("letter_mixed")
    _check_wording(LetterKind.WORKSHOP, wording)
    workshop = db.session.get_one(Workshop, rows[0].workshop_id)
    return _facts(
        family,
        kind=LetterKind.WORKSHOP,
        wording=wording,
        title=workshop.title if wording == "title" else "",
        staff_name=workshop.facilitator.name,
        timezone=workshop.timezone,
        starts=tuple(starts for starts, _ in rows),
        out_of=_sessions_held(family.id, workshop.id, now),
        now=now,
    )


def _counseling_letter(family: User, chosen: set[int], wording: str, now: datetime) -> LetterFacts:
    rows = db.session.execute(
        select(CounselingSlot.starts_at, Appointment.facilitator_id)
        .join(Appointment.slot)
        .where(
            Appointment.family_id == family.id,
            Appointment.id.in_(chosen),
            attended_appointment(now),
        )
        .order_by(CounselingSlot.starts_at)
    ).all()
    if len(rows) != len(chosen):
        raise DomainError("letter_not_attended")
    if len({counselor_id for _, counselor_id in rows}) > 1:
        raise DomainError("letter_mixed")
    _check_wording(LetterKind.COUNSELING, wording)
    counselor = db.session.get_one(User, rows[0].facilitator_id)
    return _facts(
        family,
        kind=LetterKind.COUNSELING,
        wording=wording,
        title="",
        staff_name=counselor.name,
        timezone=counselor_zone(counselor),
        starts=tuple(starts for starts, _ in rows),
        out_of=_appointments_held(family.id, counselor.id, now),
        now=now,
    )


def _check_wording(kind: LetterKind, wording: str) -> None:
    if wording not in WORDINGS[kind]:
        raise DomainError("letter_wording")


def _facts(
    family: User,
    *,
    kind: str,
    wording: str,
    title: str,
    staff_name: str,
    timezone: str,
    starts: tuple[datetime, ...],
    out_of: int,
    now: datetime,
) -> LetterFacts:
    site = settings.current()
    language = family.language if i18n.is_language(family.language) else site.default_language
    return LetterFacts(
        kind=kind,
        language=str(language),
        holder_name=family.name,
        organisation=site.organisation_name,
        wording=wording,
        title=title,
        staff_name=staff_name,
        timezone=timezone,
        starts=starts,
        attended=len(starts),
        out_of=out_of,
        notice=site.letter_redisclosure_notice,
        issued_at=now,
    )
