"""Everyone's own account: their name, their email address and their password.

A new address is confirmed by a link sent to it, and changes only when that link is
used; the old address is told afterwards. An address another account has gets the same
answer as a free one (nobody learns who uses Hearth), and its owner a calm note. The
address and the password change only with the current password.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import EmailLink, LinkPurpose, MessageKind, User
from scheduler.services import accounts, audit, email_links, notify, sessions
from scheduler.services.errors import DomainError
from scheduler.services.passwords import hash_password, verify_password


def _subject(user: User) -> str:
    return f"user:{user.id}"


def _check_password(user_id: int, password: str) -> None:
    """Refuse a wrong current password (checked outside the write lock: it is slow)."""
    user = db.session.get(User, user_id)
    if user is None or not verify_password(user.password_hash, password):
        raise DomainError("wrong_password")


def change_name(user_id: int, name: str, *, now: datetime) -> bool:
    """Save the name others see; False when it is the same."""
    with write_transaction() as session:
        user = session.get_one(User, user_id)
        if user.name == name.strip():
            return False
        user.name = name.strip()
        audit.add(user, "account.name", _subject(user), now=now, households=[user.id])
    return True


def request_email_change(user_id: int, new_email: str, password: str, *, now: datetime) -> None:
    """Send a link to the new address; the address changes when it is used.

    Taken by another account, the address gets no link (the request is recorded all the
    same, so it counts as one like any other) and its owner is told calmly, at most
    once a day; the requester hears the same as for a free address.
    """
    _check_password(user_id, password)
    new_email = accounts.normalise_email(new_email)
    if not new_email:
        raise DomainError("email_missing")
    with write_transaction() as session:
        user = session.get_one(User, user_id)
        if new_email == user.email:
            raise DomainError("same_email")
        owner = accounts.find_by_email(new_email)
        link = email_links.issue(
            session, user, LinkPurpose.CHANGE_EMAIL, now, new_email=new_email, send=owner is None
        )
        if link is None:
            raise DomainError("too_many_links")
        if owner is not None and owner.is_active:
            key = f"address-in-use:{owner.id}:{now.date().isoformat()}"
            notify.account_notice(MessageKind.ADDRESS_IN_USE, owner.id, key, now)
        audit.add(user, "account.email_requested", _subject(user), now=now, households=[user.id])


def pending_change(token: str, now: datetime) -> EmailLink | None:
    """The working change-of-address link this token opens, or None."""
    return email_links.find(token, LinkPurpose.CHANGE_EMAIL, now)


def confirm_email_change(token: str, *, now: datetime) -> User:
    """Move the account to the address the link was sent to, and tell the old one."""
    try:
        with write_transaction() as session:
            link, user = email_links.take(session, token, LinkPurpose.CHANGE_EMAIL, now)
            if link.new_email is None or accounts.find_by_email(link.new_email) is not None:
                raise DomainError("link_unusable")  # taken since the link was sent
            user.email = link.new_email
            user.email_verified_at = now  # the link came to it
            key = f"email-changed:{link.id}"
            notify.account_notice(MessageKind.EMAIL_CHANGED, user.id, key, now, link_id=link.id)
            audit.add(user, "account.email_changed", _subject(user), now=now, households=[user.id])
    except IntegrityError as error:  # taken by a sign-up a moment ago
        db.session.rollback()
        raise DomainError("link_unusable") from error
    return user


def change_password(
    user_id: int, current: str, new: str, *, keep_sign_in: str, now: datetime
) -> None:
    """Set a new password: every other sign-in ends, the one that changed it stays.

    As after a reset, the standing links in old emails (one-click unsubscribe) stop
    working, and so do reset and change-of-address links waiting in an inbox.
    """
    _check_password(user_id, current)
    password_hash = hash_password(new)  # slow on purpose: outside the write lock
    with write_transaction() as session:
        user = session.get_one(User, user_id)
        user.password_hash = password_hash
        sessions.end_all(user.id, keep=keep_sign_in)
        purposes = [LinkPurpose.PASSWORD_RESET, LinkPurpose.CHANGE_EMAIL]
        email_links.void(session, user.id, purposes, now)
        audit.add(user, "account.password", _subject(user), now=now, households=[user.id])
