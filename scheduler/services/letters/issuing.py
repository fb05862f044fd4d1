"""Issuing, revoking and checking letters of attendance, each written to the audit log.

Issuing locks the bookings (or appointments) the letter lists, shared, and checks them
again under the lock, so a mark changed at the same moment can't slip into a letter.
Checking a letter is open to anyone holding its code; each look is audited with no
actor (nobody is signed in), and answers one of four things and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from scheduler import letter_pdf
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import Appointment, AttendanceLetter, Booking, User
from scheduler.services import audit, permissions
from scheduler.services.errors import DomainError
from scheduler.services.letters import choices
from scheduler.services.letters.facts import LetterFacts, new_code, normalise_code
from scheduler.services.letters.wording import letter_text
from scheduler.services.locks import lock
from scheduler.timeutil import to_local


def preview(
    family_id: int,
    *,
    session_ids: Iterable[int] = (),
    appointment_ids: Iterable[int] = (),
    wording: str,
    now: datetime,
) -> letter_pdf.LetterText:
    """Exactly what the letter would say if issued now (its code aside); changes nothing."""
    facts = choices.plan(
        family_id,
        session_ids=session_ids,
        appointment_ids=appointment_ids,
        wording=wording,
        now=now,
    )
    return letter_text(facts)


def issue(
    family_id: int,
    *,
    session_ids: Iterable[int] = (),
    appointment_ids: Iterable[int] = (),
    wording: str,
    now: datetime,
) -> AttendanceLetter:
    """Make the letter the family previewed, with a fresh code; audited."""
    sessions, appointments = set(session_ids), set(appointment_ids)
    with write_transaction() as session:
        # The marks the letter rests on stay as they are until it is saved.
        lock(
            Booking,
            session.scalars(
                select(Booking.id).where(
                    Booking.family_id == family_id, Booking.session_id.in_(sessions)
                )
            ),
            shared=True,
        )
        lock(
            Appointment,
            session.scalars(
                select(Appointment.id).where(
                    Appointment.family_id == family_id, Appointment.id.in_(appointments)
                )
            ),
            shared=True,
        )
        facts = choices.plan(
            family_id,
            session_ids=sessions,
            appointment_ids=appointments,
            wording=wording,
            now=now,
        )
        letter = facts.row(code=_unused_code(), family_id=family_id)
        session.add(letter)
        session.flush()
        family = session.get_one(User, family_id)
        audit.add(family, "letter.issue", f"letter:{letter.id}", now=now, households=[family.id])
    return letter


def _unused_code() -> str:
    """A new code no letter has (80 random bits: a repeat is all but impossible, and the
    unique index would refuse one anyway)."""
    while True:
        code = new_code()
        if db.session.scalar(select(AttendanceLetter.id).where(AttendanceLetter.code == code)):
            continue
        return code


def letters_of(family_id: int) -> list[AttendanceLetter]:
    """The family's letters, newest first."""
    return list(
        db.session.scalars(
            select(AttendanceLetter)
            .where(AttendanceLetter.family_id == family_id)
            .order_by(AttendanceLetter.created_at.desc(), AttendanceLetter.id.desc())
        )
    )


def own_letter(letter_id: int, family_id: int | None) -> AttendanceLetter:
    """One of the family's letters, or DomainError (another's doesn't exist for it)."""
    letter = db.session.get(AttendanceLetter, letter_id)
    if letter is None or not permissions.owns(family_id, letter):
        raise DomainError("letter_not_found")
    return letter


def revoke(letter_id: int, family_id: int, *, now: datetime) -> AttendanceLetter:
    """Take a letter back: from now on it checks as revoked. Again changes nothing."""
    with write_transaction() as session:
        found = lock(AttendanceLetter, [letter_id])
        if not found or not permissions.owns(family_id, found[0]):
            raise DomainError("letter_not_found")
        letter = found[0]
        if letter.revoked_at is None:
            letter.revoked_at = now
            audit.add(
                session.get_one(User, family_id),
                "letter.revoke",
                f"letter:{letter.id}",
                now=now,
                households=[family_id],
            )
    return letter


@dataclass(frozen=True)
class Download:
    """A letter's PDF, with a file name that says nothing about the service."""

    content: bytes
    filename: str


def download(letter_id: int, family_id: int | None) -> Download:
    """The family's own letter as a PDF, made again from its facts (the same bytes each
    time); a revoked letter is refused."""
    letter = own_letter(letter_id, family_id)
    if letter.is_revoked:
        raise DomainError("letter_revoked")
    day = to_local(letter.created_at, letter.timezone).date().isoformat()
    return Download(pdf_of(letter), f"letter-{day}.pdf")


def pdf_of(letter: AttendanceLetter) -> bytes:
    """The letter as its PDF."""
    text = letter_text(LetterFacts.of(letter), code=letter.code)
    return letter_pdf.render(text, created_at=letter.created_at)


class Verdict(StrEnum):
    VALID = "valid"
    REVOKED = "revoked"
    #: Issued, but its household's account is gone: nothing more may be said.
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"


@dataclass(frozen=True)
class Check:
    """What the verification page may say: the verdict, and a valid letter's facts."""

    verdict: Verdict
    facts: LetterFacts | None = None
    code: str | None = None


def check(typed: str, *, now: datetime) -> Check:
    """Check a letter by its code, however it was typed; audited when a letter is found."""
    code = normalise_code(typed)
    letter = (
        db.session.scalar(select(AttendanceLetter).where(AttendanceLetter.code == code))
        if code
        else None
    )
    if letter is None:
        return Check(Verdict.NOT_FOUND)
    if letter.family_id is None:
        verdict = Verdict.UNAVAILABLE
    else:
        verdict = Verdict.REVOKED if letter.is_revoked else Verdict.VALID
    facts = LetterFacts.of(letter) if verdict == Verdict.VALID else None
    letter_id, family_id = letter.id, letter.family_id
    with write_transaction():
        holder = [family_id] if family_id is not None else []
        audit.add(None, "letter.verify", f"letter:{letter_id}", now=now, households=holder)
    return Check(verdict, facts, code)
