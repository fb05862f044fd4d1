"""Secret tokens for links: derived from a stored salt with the app's secret key.

Private feed links, password-reset links, address checks and unsubscribe links all
work the same way: the database keeps a random salt and the token's SHA-256 (for
lookup), never the token. A copy of the database alone opens nothing, yet the app can
write the link again whenever it needs to (the account page, an email sent later).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from scheduler import settings

#: Hex characters kept from the HMAC: 172 bits, well over the 128 a link that must not be
#: guessed needs (OWASP).
TOKEN_LENGTH = 43


def new_salt() -> str:
    """Return 256 random bits to derive a token from."""
    return secrets.token_hex(32)


def derive(purpose: str, salt: str) -> str:
    """Turn a salt into the token for ``purpose``; another purpose gives another token."""
    key = settings.current().secret_key
    return hmac.new(key, f"{purpose}:{salt}".encode(), hashlib.sha256).hexdigest()[:TOKEN_LENGTH]


def digest(token: str) -> str:
    """Return the stored, searchable form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def plausible(token: str) -> bool:
    """Reject junk before it reaches the database (wrong length or characters)."""
    return len(token) == TOKEN_LENGTH and all(c in "0123456789abcdef" for c in token)


def matches(token: str, expected: str) -> bool:
    """Compare tokens in constant time."""
    return hmac.compare_digest(token.encode(), expected.encode())
