"""Letters of attendance: a document a family asked for, as it was issued.

A letter is a statement made at one moment, so it keeps its own copy of every fact it
states (names, what was attended, when, how many): renaming a workshop, a facilitator
changing their name or a mark changed later never change a letter already handed to a
court or an employer, and its verification page shows the facts as printed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime
from scheduler.timeutil import utcnow


class LetterKind(StrEnum):
    #: Sessions of one workshop (a series).
    WORKSHOP = "workshop"
    #: Appointments with one counselor.
    COUNSELING = "counseling"


class LetterWording(StrEnum):
    """What the letter says was attended; the family chooses, the most discreet first."""

    #: "sessions of a program" / "appointments": no word about the service.
    DISCREET = "discreet"
    #: "sessions of a family education program" (workshops).
    FAMILY_EDUCATION = "family_education"
    #: The workshop's title, as it was when the letter was issued (workshops).
    TITLE = "title"
    #: "counseling appointments" (counseling).
    COUNSELING = "counseling"


#: The wordings each kind of letter offers, the default first.
WORDINGS = {
    LetterKind.WORKSHOP: (
        LetterWording.DISCREET,
        LetterWording.FAMILY_EDUCATION,
        LetterWording.TITLE,
    ),
    LetterKind.COUNSELING: (LetterWording.DISCREET, LetterWording.COUNSELING),
}


class AttendanceLetter(Model):
    __tablename__ = "attendance_letters"
    __table_args__ = (
        CheckConstraint("kind IN ('workshop', 'counseling')", name="kind"),
        CheckConstraint(
            "wording IN ('discreet', 'family_education', 'title', 'counseling')", name="wording"
        ),
        CheckConstraint("attended >= 1 AND attended <= out_of", name="counts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What anyone holding the letter types to check it: 16 random Crockford base32
    #: characters (80 bits), kept as printed in groups ("7KQ2-M9XD-4HTR-WB3P"). Stored as
    #: is, not hashed: a printed letter must stay checkable after SECRET_KEY changes, and
    #: the row holds nothing the code doesn't already show to whoever has it.
    code: Mapped[str] = mapped_column(String(24), unique=True)
    #: The household that asked. None once its account is gone: the letter then checks
    #: as issued and no longer available, never as valid.
    family_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    #: The language it is written in (the family's), for the PDF made again later.
    language: Mapped[str] = mapped_column(String(16))
    #: The household's name as printed.
    holder_name: Mapped[str] = mapped_column(String(120))
    #: ORGANISATION_NAME when it was issued.
    organisation: Mapped[str] = mapped_column(String(200))
    #: :class:`LetterWording`: what the family chose the letter to say was attended.
    wording: Mapped[str] = mapped_column(String(20))
    #: The workshop's title when the family chose to name it (``title``); else empty,
    #: so a discreet letter keeps no word of the service anywhere.
    title: Mapped[str] = mapped_column(String(200), default="")
    #: The facilitator (the workshop's lead) or counselor, as printed.
    staff_name: Mapped[str] = mapped_column(String(120))
    #: The zone the times are printed in: the workshop's, or the counselor's.
    timezone: Mapped[str] = mapped_column(String(64))
    #: When each session listed began, UTC ISO 8601, oldest first (a JSON list).
    sessions: Mapped[list[Any]] = mapped_column(JSON)
    #: Sessions listed (all attended), and those the household held a seat in that had
    #: taken place when it was issued (see ``services/letters/choices.py``).
    attended: Mapped[int]
    out_of: Mapped[int]
    #: LETTER_REDISCLOSURE_NOTICE when it was issued (empty: none printed).
    notice: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When the family took it back; from then on it checks as revoked.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
