"""Sign-ins that can end: one row per signed-in browser, named by the cookies' token.

Flask's session cookie and Flask-Login's remember-me cookie are signed, not stored: on
their own they would open the account until they expire, whatever the person does.
Here each sign-in is a row; the cookies carry only its token, and a request is signed
in only while the row exists and has not expired. Logging out deletes one row; logging
out everywhere, a password change or reset, and deactivation delete them all.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import LoginSession, User
from scheduler.services import tokens


def lifetime(*, remember: bool) -> timedelta:
    """How long a sign-in lasts: REMEMBER_COOKIE_DURATION with "Keep me logged in"
    (the cookie lasts as long), else SIGN_IN_HOURS, even in a browser left open."""
    if remember:
        return settings.current().remembered_sign_in
    return settings.current().sign_in


def signed_in(user: User, token: str) -> User:
    """Attach a sign-in's token to its user, for Flask-Login (``User.get_id``)."""
    user.__dict__["_login_token"] = token
    return user


def start(user: User, *, remember: bool, now: datetime) -> User:
    """Open a sign-in for ``user``; return the user carrying its new token."""
    token = secrets.token_urlsafe(32)
    with write_transaction() as session:
        session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
        session.add(
            LoginSession(
                user_id=user.id,
                token_hash=tokens.digest(token),
                remember=remember,
                created_at=now,
                expires_at=now + lifetime(remember=remember),
            )
        )
        # For the admin's account page; a statement of its own, as nothing else changes.
        session.execute(update(User).where(User.id == user.id).values(last_login_at=now))
    return signed_in(user, token)


def user_for(token: str, now: datetime) -> User | None:
    """The active account a cookie's token still signs in, or None."""
    if not 20 <= len(token) <= 100:
        return None
    user = db.session.scalar(
        select(User)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == tokens.digest(token), LoginSession.expires_at > now)
    )
    if user is None or not user.is_active:
        return None
    return signed_in(user, token)


def end(token: str) -> None:
    """End one sign-in (logging out): its session and remember-me cookies stop working."""
    with write_transaction() as session:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == tokens.digest(token)))


def end_all(user_id: int, *, keep: str | None = None) -> None:
    """End every sign-in of an account, and void the standing links in its old emails.

    Runs inside the caller's transaction when there is one (a password reset). ``keep``:
    the token of the one sign-in that stays (the browser that changed the password).
    """
    ending = delete(LoginSession).where(LoginSession.user_id == user_id)
    if keep is not None:
        ending = ending.where(LoginSession.token_hash != tokens.digest(keep))
    db.session.execute(ending)
    user = db.session.get(User, user_id)
    if user is not None:
        user.link_salt = tokens.new_salt()


def end_everywhere(user_id: int) -> None:
    """ "Log out everywhere": every browser and phone signed in to this account."""
    with write_transaction():
        end_all(user_id)
