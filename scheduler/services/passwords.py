"""Password hashing with argon2id."""

from __future__ import annotations

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


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no stored hash, spend the same time and say no."""
    hasher = _hasher()
    try:
        if stored_hash is None:
            hasher.verify(hasher.hash(_DUMMY_PASSWORD), password + "x")
            return False
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Tell whether a hash was made with other parameters than today's."""
    return _hasher().check_needs_rehash(stored_hash)
