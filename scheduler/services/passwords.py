"""Password hashing with argon2id."""

from __future__ import annotations

import threading
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from scheduler import settings

#: Compared against when the email is unknown, so failures take the same time.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


#: One argon2 computation at a time in a process. Each takes its memory cost (19 MiB)
#: from the C heap, which keeps it afterwards: a worker's four threads hashing at once
#: kept 76 MB more, one at a time keeps 19. The CPU is the limit anyway: the workers
#: already compute as many at once as the machine has cores.
_ONE_AT_A_TIME = threading.Lock()


def _hasher() -> PasswordHasher:
    return PasswordHasher(**settings.current().password_hash)


def hash_password(password: str) -> str:
    """Hash a password with the configured argon2id parameters."""
    hasher = _hasher()
    with _ONE_AT_A_TIME:
        return hasher.hash(password)


@lru_cache(maxsize=8)
def _dummy_hash(parameters: tuple[tuple[str, Any], ...]) -> str:
    """A hash made once per set of parameters, to check unknown addresses against."""
    hasher = PasswordHasher(**dict(parameters))
    with _ONE_AT_A_TIME:
        return hasher.hash(_DUMMY_PASSWORD)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and say no.

    Both paths do exactly one argon2 verification with today's parameters, so the
    time a login takes doesn't tell whether the address has an account.
    """
    hasher = _hasher()
    parameters = tuple(sorted(settings.current().password_hash.items()))
    checked = _dummy_hash(parameters) if stored_hash is None else stored_hash
    try:
        with _ONE_AT_A_TIME:
            matches = hasher.verify(checked, password if stored_hash else password + "x")
    except (VerificationError, InvalidHashError):
        return False
    return matches and stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)


#: zxcvbn's score (0-4) a new password must reach: 3 is "safely unguessable", which
#: refuses common, repeated and name-based passwords however long.
MIN_STRENGTH = 3
#: The longest password zxcvbn checks; it raises ValueError past this.
ZXCVBN_MAX_LENGTH = 72
#: Words a password built on is easy to guess here, besides the person's own.
_SITE_WORDS = ("hearth", "recovery", "family", "counseling", "workshop")


def weakness(password: str, *, email: str = "", name: str = "") -> str | None:
    """Say why a new password is too easy to guess, or None when it is strong enough.

    An offline check against the common and breached passwords zxcvbn ships, plus the
    person's own name and address, as NIST SP 800-63B asks; no rules about digits or
    symbols, which make passwords harder to remember and no harder to guess.
    """
    inputs = [*_SITE_WORDS, *(w for w in (email, email.split("@")[0], name) if w)]
    # zxcvbn refuses anything longer (its cost grows with length); past 72 characters
    # the beginning alone decides, which is as strong or stronger than the whole.
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_STRENGTH:
        return None
    warning = str(result["feedback"].get("warning") or "").strip()
    because = f" {warning.rstrip('.')}." if warning else ""
    return (
        f"This password is too easy to guess.{because} Try three or four words that "
        "don't belong together, like “kettle river orange stone”."
    )
