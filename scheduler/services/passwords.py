"""Password hashing with argon2id."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

#: Compared against when the email is unknown, so failures take the same time.
_DUMMY_PASSWORD = "not-a-real-password"  # noqa: S105


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_HASH"])


def hash_password(password: str) -> str:
    """Hash a password with the configured argon2id parameters."""
    return _hasher().hash(password)


@lru_cache(maxsize=8)
def _dummy_hash(parameters: tuple[tuple[str, Any], ...]) -> str:
    """A hash made once per set of parameters, to check unknown addresses against."""
    settings: dict[str, Any] = dict(parameters)
    return PasswordHasher(**settings).hash(_DUMMY_PASSWORD)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and say no.

    Both paths do exactly one argon2 verification with today's parameters, so the
    time a login takes doesn't tell whether the address has an account.
    """
    hasher = _hasher()
    parameters = tuple(sorted(current_app.config["PASSWORD_HASH"].items()))
    try:
        if stored_hash is None:
            hasher.verify(_dummy_hash(parameters), password + "x")
            return False
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)
