"""Emailed links: password reset, address confirmation and claiming a household record
staff made, single-use and expiring.

Both go through the outbox like every other email. A link works once, until it
expires, and only while the account still has the address it was sent to; asking for
a new link voids the older ones, so only the newest email in someone's inbox works.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import EmailLink, LinkPurpose, User
from scheduler.services import notify, tokens
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock

#: How long each kind of link works.
VALID_FOR = {
    LinkPurpose.PASSWORD_RESET: timedelta(hours=1),
    LinkPurpose.VERIFY_EMAIL: timedelta(days=7),
    LinkPurpose.CLAIM: timedelta(days=7),
}
#: Links of one kind one account may be sent per hour: more would be someone's abuse.
MAX_PER_HOUR = 3


def link_token(link: EmailLink) -> str:
    """Write the link's token again (for the email), from its salt and the secret key."""
    return tokens.derive(link.purpose, link.salt)


def issue(session: Session, user: User, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
    """Make a new link, void older unused ones and queue its email; None when throttled."""
    recent = session.scalar(
        select(func.count()).where(
            EmailLink.user_id == user.id,
            EmailLink.purpose == purpose,
            EmailLink.created_at > now - timedelta(hours=1),
        )
    )
    if (recent or 0) >= MAX_PER_HOUR:
        return None
    if user.email is None:
        raise ValueError(f"account {user.id} has no address to send a link to")
    _void(session, user.id, purpose, now)
    salt = tokens.new_salt()
    link = EmailLink(
        user_id=user.id,
        purpose=purpose,
        salt=salt,
        token_hash=tokens.digest(tokens.derive(purpose, salt)),
        email=user.email,
        created_at=now,
        expires_at=now + VALID_FOR[purpose],
    )
    session.add(link)
    session.flush()
    notify.link_issued(link, now)
    return link


def _void(session: Session, user_id: int, purpose: str, now: datetime) -> None:
    session.execute(
        update(EmailLink)
        .where(
            EmailLink.user_id == user_id,
            EmailLink.purpose == purpose,
            EmailLink.used_at.is_(None),
        )
        .values(used_at=now)
    )


def is_usable(link: EmailLink, user: User | None, now: datetime) -> bool:
    """Tell whether a link still works: unused, unexpired, same address, active account."""
    return (
        link.used_at is None
        and now < link.expires_at
        and user is not None
        and user.is_active
        and user.email == link.email
    )


def find(token: str, purpose: LinkPurpose, now: datetime) -> EmailLink | None:
    """Return the usable link this token opens, or None for any kind of bad link."""
    if not tokens.plausible(token):
        return None
    link = db.session.scalar(
        select(EmailLink).where(
            EmailLink.token_hash == tokens.digest(token), EmailLink.purpose == purpose
        )
    )
    if link is None or not is_usable(link, db.session.get(User, link.user_id), now):
        return None
    return link


def use(session: Session, token: str, purpose: LinkPurpose, now: datetime) -> User:
    """Take a link under the write lock, so two clicks can't both use it."""
    found = (
        lock(EmailLink, [tokens.digest(token)], by=EmailLink.token_hash)
        if tokens.plausible(token)
        else []
    )
    link = next((link for link in found if link.purpose == purpose), None)
    user = session.get(User, link.user_id) if link else None
    if link is None or user is None or not is_usable(link, user, now):
        raise DomainError("link_unusable")
    _void(session, user.id, purpose, now)
    return user


def request_verification(user_id: int, now: datetime) -> bool:
    """Email an address-check link; False when already confirmed or asked too often."""
    with write_transaction() as session:
        user = session.get_one(User, user_id)
        if user.email_verified:
            return False
        return issue(session, user, LinkPurpose.VERIFY_EMAIL, now) is not None


def verify_email(token: str, now: datetime) -> User:
    """Mark the address proven with a link from its mailbox."""
    with write_transaction() as session:
        user = use(session, token, LinkPurpose.VERIFY_EMAIL, now)
        user.email_verified_at = user.email_verified_at or now
    return user
