"""Password hashing with argon2id."""

from __future__ import annotations

import ctypes
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from zxcvbn import zxcvbn

from scheduler import settings
from scheduler.i18n import SOURCE_LANGUAGE, current_language
from scheduler.models import NO_PASSWORD

#: Compared against when the email is unknown, so failures take the same time.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


#: glibc's mallopt() setting for the size from which memory is mapped on its own.
_M_MMAP_THRESHOLD = -3


def _give_back_hash_memory() -> None:
    """Have each argon2 buffer (its 19 MiB memory cost) returned to the system when freed.

    glibc raises its mapping threshold after the first large block is freed, and from
    then on keeps such blocks in each thread's heap: a gunicorn worker whose four
    threads had each checked a password held 76 MB more, for good. A fixed threshold
    of 1 MiB keeps large blocks mapped, so they go back at once. Elsewhere than glibc
    there is nothing to tune.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)


_give_back_hash_memory()


def _hasher() -> PasswordHasher:
    return PasswordHasher(**settings.current().password_hash)


def hash_password(password: str) -> str:
    """Hash a password with the configured argon2id parameters."""
    return _hasher().hash(password)


@lru_cache(maxsize=8)
def _dummy_hash(parameters: tuple[tuple[str, Any], ...]) -> str:
    """A hash made once per set of parameters, to check unknown addresses against."""
    return PasswordHasher(**dict(parameters)).hash(_DUMMY_PASSWORD)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and say no.

    Both paths do exactly one argon2 verification with today's parameters, so the
    time a login takes doesn't tell whether the address has an account. A household
    record nobody claimed yet (``NO_PASSWORD``) has no hash either.
    """
    hasher = _hasher()
    parameters = tuple(sorted(settings.current().password_hash.items()))
    try:
        if stored_hash is None or stored_hash.startswith(NO_PASSWORD):
            hasher.verify(_dummy_hash(parameters), password + "x")
            return False
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    # zxcvbn says why in English only: other languages get the advice without it.
    warning = str(result["feedback"].get("warning") or "").strip().rstrip(".")
    if warning and current_language() == SOURCE_LANGUAGE:
        return _(
            "This password is too easy to guess. %(why)s. Try three or four words that "
            "don't belong together, like “kettle river orange stone”.",
            why=warning,
        )
    return _(
        "This password is too easy to guess. Try three or four words that "
        "don't belong together, like “kettle river orange stone”."
    )
