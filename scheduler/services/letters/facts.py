"""What a letter states, as one value, and the codes that let anyone check it.

A letter's facts are planned from the family's choice (``choices.plan``), shown in its
preview, then kept as they are in its row: the preview, the PDF and the verification
page all word the same :class:`LetterFacts`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from scheduler.models import AttendanceLetter

#: Crockford's base32: digits and capitals without I, L, O and U, which are read or
#: typed as 1, 1, 0 and V (or make words). 16 of them are 80 random bits.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARACTERS = 16
GROUP = 4
#: Shown in a preview where the letter's code will be: it is made when the letter is.
PLACEHOLDER_CODE = "-".join(["XXXX"] * (CODE_CHARACTERS // GROUP))
#: What people mistype for the characters Crockford leaves out.
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_code() -> str:
    """A fresh random code, in groups of four: "7KQ2-M9XD-4HTR-WB3P"."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARACTERS))
    return _grouped(raw)


def normalise_code(typed: str) -> str | None:
    """The code as stored, from however someone typed it (case, spaces, dashes, O for 0);
    None when it can't be a code at all, so junk never reaches the database."""
    raw = "".join(c for c in typed.upper() if c not in " -\t").translate(_READ_AS)
    if len(raw) != CODE_CHARACTERS or any(c not in ALPHABET for c in raw):
        return None
    return _grouped(raw)


def _grouped(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


@dataclass(frozen=True)
class LetterFacts:
    """Everything a letter says about what happened, as it was when it was issued."""

    kind: str
    language: str
    holder_name: str
    organisation: str
    wording: str
    #: The workshop's title, only when the family chose to name it.
    title: str
    staff_name: str
    timezone: str
    #: When each listed session began (UTC), oldest first.
    starts: tuple[datetime, ...]
    attended: int
    out_of: int
    notice: str
    #: When the letter was (or, in a preview, would be) issued.
    issued_at: datetime

    @classmethod
    def of(cls, letter: AttendanceLetter) -> LetterFacts:
        """The facts a stored letter was issued with."""
        return cls(
            kind=letter.kind,
            language=letter.language,
            holder_name=letter.holder_name,
            organisation=letter.organisation,
            wording=letter.wording,
            title=letter.title,
            staff_name=letter.staff_name,
            timezone=letter.timezone,
            starts=tuple(datetime.fromisoformat(s) for s in letter.sessions),
            attended=letter.attended,
            out_of=letter.out_of,
            notice=letter.notice,
            issued_at=letter.created_at,
        )

    def row(self, *, code: str, family_id: int) -> AttendanceLetter:
        """A new letter holding these facts under ``code``."""
        return AttendanceLetter(
            code=code,
            family_id=family_id,
            kind=self.kind,
            language=self.language,
            holder_name=self.holder_name,
            organisation=self.organisation,
            wording=self.wording,
            title=self.title,
            staff_name=self.staff_name,
            timezone=self.timezone,
            sessions=[s.isoformat() for s in self.starts],
            attended=self.attended,
            out_of=self.out_of,
            notice=self.notice,
            created_at=self.issued_at,
        )
