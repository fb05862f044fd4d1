"""Private feed tokens: who may read which private feed.

A private feed answers without a login (calendar apps can't log in), so its link is
the secret: 256 random bits behind it, only a hash stored, and a new one revokes the old.
"""

from __future__ import annotations

from sqlalchemy import select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import User
from scheduler.services import tokens


def feed_token(user: User) -> str | None:
    """Return the user's current private feed token, if one was ever made."""
    return tokens.derive("feed", user.feed_salt) if user.feed_salt else None


def give_feed_token(user: User) -> str:
    """Give an account a new private feed token (256 random bits behind it)."""
    user.feed_salt = tokens.new_salt()
    token = tokens.derive("feed", user.feed_salt)
    user.feed_token_hash = tokens.digest(token)
    return token


def reset_feed_token(user_id: int) -> str:
    """Replace the private feed token, revoking the old one at once."""
    with write_transaction() as session:
        return give_feed_token(session.get_one(User, user_id))


def user_for_token(token: str) -> User | None:
    """Find the active account a feed token belongs to (None for unknown or revoked)."""
    if not 20 <= len(token) <= 100:
        return None
    user = db.session.scalar(select(User).where(User.feed_token_hash == tokens.digest(token)))
    return user if user is not None and user.is_active else None
