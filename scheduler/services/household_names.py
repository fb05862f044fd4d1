"""How staff see a household: its full name, its first name only, or an alias it chose.

A household in a recovery program may not want the people who run its sessions to know
its real name. What staff see is ``User.staff_name`` (a model predicate with its SQL
twin, so a page and a query name a household alike); this module is where a household
changes it. Its own pages and its own mail keep its real name, and so does a letter of
attendance it asks for (``letters.choices``): that is how its legal name reaches anyone
who needs it, through a letter the household itself made.

Staff searching for a household (``households.search``, ``account_admin``) find it by the
name it chose for them, its email or its phone, never by a real name it didn't choose:
otherwise a guessed surname would tell which alias answers to it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from scheduler.database import write_transaction
from scheduler.models import ERASED_NAME, StaffNameChoice, User
from scheduler.models.people import ALIAS_MAX_LENGTH
from scheduler.services import audit
from scheduler.services.errors import DomainError

CHOICES = tuple(StaffNameChoice)

#: The placeholder an erased household is stored under, in the reader's language.
ERASED_NAME_WORDS = _l("Former household")


def shown_name(name: str) -> str:
    """A name as pages, CSV files and printed sheets show it: an erased household's
    placeholder (stored in English, services/erasure.py) in the reader's language."""
    return str(ERASED_NAME_WORDS) if name == ERASED_NAME else name


def checked(choice: str, alias: str | None) -> tuple[StaffNameChoice, str | None]:
    """Return the choice and the alias to keep, or raise the words saying what is wrong.

    An alias is kept only while it is the choice: a household that goes back to its
    name leaves no other name of it behind.
    """
    if choice not in CHOICES:
        raise DomainError("staff_name_unknown")
    chosen = StaffNameChoice(choice)
    if chosen != StaffNameChoice.ALIAS:
        return chosen, None
    alias = (alias or "").strip()
    if not alias:
        raise DomainError("alias_missing")
    if len(alias) > ALIAS_MAX_LENGTH:
        raise DomainError("alias_too_long", limit=ALIAS_MAX_LENGTH)
    return chosen, alias


def choose(family_id: int, choice: str, alias: str | None, *, now: datetime) -> str:
    """Save how staff see this household; return the name they see from now on.

    Nothing is saved when the choice is refused. The change is on the household's own
    trail (``account.staff_name``), like a change of its name.
    """
    chosen, kept = checked(choice, alias)
    with write_transaction() as session:
        user = session.get_one(User, family_id)
        if not user.is_family:
            raise DomainError("staff_name_unknown")
        if (user.staff_name_choice, user.alias) != (chosen, kept):
            user.staff_name_choice, user.alias = chosen, kept
            audit.add(user, "account.staff_name", f"user:{user.id}", now=now)
        return user.staff_name
