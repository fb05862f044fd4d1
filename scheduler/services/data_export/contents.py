"""What Hearth holds about one family, gathered as plain values for its copy.

Everything is read for the one household and nothing else: its account, its bookings
and appointments (with their needs, notes and marks), its letters, the messages and
emails it was sent, and the audit entries about its data. Each value has a plain key;
each moment is ISO 8601 with its offset: a session's or appointment's in its own zone
(named beside it), everything else in the family's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from scheduler.csvexport import CsvWords
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AttendanceLetter,
    AuditEvent,
    AuditEventHousehold,
    Booking,
    CounselingSettings,
    GroupMessage,
    GroupMessageRecipient,
    OutboxMessage,
    User,
    WorkshopSession,
)
from scheduler.services import counseling, feeds
from scheduler.services.data_export.archive import Contents
from scheduler.services.letters import LetterFacts, letter_text
from scheduler.timeutil import to_local

#: The columns of bookings.csv, in order (their titles are worded in ``csv_titles``).
BOOKING_COLUMNS = (
    "workshop",
    "starts_at",
    "ends_at",
    "timezone",
    "status",
    "seats",
    "childcare_needed",
    "interpreter_language",
    "accessibility_needs",
    "notes",
    "attendance",
    "attended_seats",
    "walk_in",
    "booked_by",
    "booked_at",
)


def _at(moment: datetime | None, zone: str) -> str | None:
    """A moment as ISO 8601 with the zone's offset ("2027-03-08T18:00:00-05:00")."""
    return to_local(moment, zone).isoformat() if moment is not None else None


def _names(ids: Iterable[int | None]) -> dict[int, str]:
    """Staff names by account id, in one query (who booked, who wrote)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(wanted))).tuples().all()
    )


def gather(household_id: int, now: datetime) -> Contents:
    """Read everything about one household, worded in the current language."""
    family = db.session.get_one(User, household_id)
    zone = family.timezone
    bookings = list(
        db.session.scalars(
            select(Booking)
            .join(Booking.session)
            .where(Booking.family_id == household_id)
            .options(joinedload(Booking.session).joinedload(WorkshopSession.workshop))
            .order_by(WorkshopSession.starts_at, Booking.id)
        )
    )
    appointments = list(
        db.session.scalars(
            select(Appointment)
            .where(Appointment.family_id == household_id)
            .options(joinedload(Appointment.slot), joinedload(Appointment.facilitator))
            .order_by(Appointment.id)
        )
    )
    staff = _names(b.booked_by_id for b in bookings)
    booking_facts = [_booking(b, staff) for b in bookings]
    settings = counseling.settings_of({a.facilitator_id for a in appointments})
    data = {
        "about": _about(),
        "made_at": _at(now, zone),
        "account": _account(family),
        "bookings": [facts for facts, _row in booking_facts],
        "counseling_appointments": [
            _appointment(a, settings.get(a.facilitator_id)) for a in appointments
        ],
        "proof_letters": _letters(household_id, zone),
        "messages_received": _messages(household_id, zone),
        "email_log": _emails(household_id, zone),
        "audit_entries": _audit(_audit_entries(household_id), zone),
    }
    events = [feeds.booking_event(b, descriptive=family.descriptive_titles) for b in bookings] + [
        feeds.appointment_event(
            a, descriptive=family.descriptive_titles, settings=settings.get(a.facilitator_id)
        )
        for a in appointments
    ]
    return Contents(
        data=data,
        booking_rows=[row for _facts, row in booking_facts],
        csv_words=CsvWords(header=csv_titles(), yes=_("yes"), no=_("no")),
        events=events,
        readme=readme(),
    )


def _account(family: User) -> dict[str, Any]:
    zone = family.timezone
    account: dict[str, Any] = {
        "name": family.name,
        "email": family.email,
        "language": family.language,
        "timezone": zone,
        # How staff see it: its full name, its first name only, or the alias it chose.
        "shown_to_staff_as": family.staff_name,
        "preferences": {
            "descriptive_calendar_titles": family.descriptive_titles,
            "reminder_emails": family.reminders_enabled,
            "reminder_times": family.reminder_offsets or None,
            "invite_back_after_a_missed_session": family.invite_back,
        },
        "created_at": _at(family.created_at, zone),
        "email_confirmed_at": _at(family.email_verified_at, zone),
        "last_login_at": _at(family.last_login_at, zone),
    }
    if family.phone:
        account["phone_recorded_by_staff"] = family.phone
    return account


def _booking(booking: Booking, staff: dict[int, str]) -> tuple[dict[str, Any], list[object]]:
    """A booking's facts for data.json, and its row of bookings.csv."""
    session = booking.session
    zone = session.workshop.timezone
    booked_by = staff.get(booking.booked_by_id) if booking.booked_by_id else None
    facts: dict[str, Any] = {
        "workshop": session.workshop.title,
        "location": session.workshop.location,
        "starts_at": _at(session.starts_at, zone),
        "ends_at": _at(session.ends_at, zone),
        "timezone": zone,
        "session_cancelled": session.is_cancelled,
        "status": booking.status,
        "seats": booking.seats,
        "accessibility_needs": booking.accessibility_needs,
        "childcare_needed": booking.childcare_needed,
        "interpreter_language": booking.interpreter_language,
        "notes": booking.notes,
        "attendance": booking.attendance,
        "attended_seats": booking.attended_seats,
        "walk_in": booking.walk_in,
        "booked_by_staff": booked_by,
        "booked_at": _at(booking.created_at, zone),
        "confirmed_at": _at(booking.confirmed_at, zone),
        "cancelled_at": _at(booking.cancelled_at, zone),
    }
    row = [facts[name] if name != "booked_by" else booked_by or "" for name in BOOKING_COLUMNS]
    return facts, row


def _appointment(appointment: Appointment, settings: CounselingSettings | None) -> dict[str, Any]:
    """An appointment's facts, its times in the counselor's zone (as the pages show them)."""
    zone = settings.timezone if settings is not None else appointment.facilitator.timezone
    return {
        "starts_at": _at(appointment.slot.starts_at, zone),
        "ends_at": _at(appointment.slot.ends_at, zone),
        "timezone": zone,
        "counselor": appointment.facilitator.name,
        "kind": appointment.kind,
        "status": appointment.status,
        "note": appointment.note,
        "attendance": appointment.attendance,
        "requested_at": _at(appointment.created_at, zone),
        "confirmed_at": _at(appointment.confirmed_at, zone),
        "cancelled_at": _at(appointment.cancelled_at, zone),
    }


def _letters(household_id: int, zone: str) -> list[dict[str, Any]]:
    letters = db.session.scalars(
        select(AttendanceLetter)
        .where(AttendanceLetter.family_id == household_id)
        .order_by(AttendanceLetter.id)
    )
    return [
        {
            "code": letter.code,
            "issued_at": _at(letter.created_at, zone),
            "states": letter_text(LetterFacts.of(letter), code=letter.code).lines(),
            "attended": letter.attended,
            "out_of": letter.out_of,
            "revoked": letter.is_revoked,
            "revoked_at": _at(letter.revoked_at, zone),
        }
        for letter in letters
    ]


def _messages(household_id: int, zone: str) -> list[dict[str, Any]]:
    """Every message to a group the household was sent, oldest first."""
    messages = db.session.scalars(
        select(GroupMessage)
        .join(GroupMessageRecipient, GroupMessageRecipient.message_id == GroupMessage.id)
        .where(GroupMessageRecipient.household_id == household_id)
        .options(joinedload(GroupMessage.workshop))
        .order_by(GroupMessage.created_at, GroupMessage.id)
    )
    return [
        {
            "workshop": message.workshop.title,
            "subject": message.subject,
            "body": message.body,
            "author": message.author_name,
            "sent_at": _at(message.created_at, zone),
        }
        for message in messages
    ]


def _emails(household_id: int, zone: str) -> list[dict[str, Any]]:
    """The outbox rows addressed to the household: what kind, when, and what became of it."""
    rows = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient_id == household_id)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
    )
    return [
        {
            "kind": row.kind,
            "due_at": _at(row.due_at, zone),
            "sent_at": _at(row.sent_at, zone),
            "status": row.status,
        }
        for row in rows
    ]


def _audit_entries(household_id: int) -> list[AuditEvent]:
    """The audit events about the household's data, oldest first: every event linked to
    it (each page or act that showed or touched it, by staff or by itself, names the
    households it showed: ``audit_event_households``) and those about its account."""
    linked = select(AuditEventHousehold.event_id).where(
        AuditEventHousehold.household_id == household_id
    )
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(or_(AuditEvent.id.in_(linked), AuditEvent.subject == f"user:{household_id}"))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        )
    )


def _audit(events: list[AuditEvent], zone: str) -> list[dict[str, Any]]:
    roles = dict(
        db.session.execute(
            select(User.id, User.role).where(
                User.id.in_({e.actor_id for e in events if e.actor_id is not None})
            )
        )
        .tuples()
        .all()
    )
    return [
        {
            "at": _at(event.created_at, zone),
            "by": event.actor_name or None,
            "by_role": roles.get(event.actor_id) if event.actor_id is not None else None,
            "action": event.action,
            "about": event.subject,
        }
        for event in events
    ]


def _about() -> str:
    return _(
        "This is everything Hearth holds about your household, as it was when this copy "
        "was made. The email log lists each email Hearth queued for you: what kind it "
        "was, when it was due and sent, and what became of it. Hearth keeps no copy of "
        "the emails' text: each email is written from your bookings when it goes out. "
        "The audit entries say who looked at or changed your information, and when."
    )


def csv_titles() -> tuple[str, ...]:
    """The column titles of bookings.csv, in the current language."""
    return (
        _("Workshop"),
        _("Starts"),
        _("Ends"),
        _("Time zone"),
        _("Status"),
        _("Seats"),
        _("Childcare needed"),
        _("Interpreter language"),
        _("Accessibility needs"),
        _("Notes"),
        _("Attendance"),
        _("Seats that came"),
        _("Walk-in"),
        _("Booked for you by"),
        _("Booked at"),
    )


def readme() -> str:
    """README.txt: what each file in the zip is, in plain words."""
    return "\n\n".join(
        (
            _("Your information from Hearth"),
            _(
                "data.json: everything Hearth holds about your household, in one file a "
                "computer can read: your account, bookings, counseling appointments, "
                "letters of attendance, messages you were sent, the log of emails, and "
                "who looked at your information."
            ),
            _(
                "bookings.csv: your bookings as a table. It opens in a spreadsheet such "
                "as Excel or LibreOffice."
            ),
            _(
                "calendar.ics: your bookings and appointments, past ones too. Open it "
                "with a calendar app to add them."
            ),
            _("Keep this copy somewhere safe: it holds private information."),
        )
    )
