"""Emailed links: password reset, address confirmation, invitations, changes of address,
claiming a household record staff made and reopening a closed account, single-use and
expiring.

All go through the outbox like every other email. A link works once, until it
expires, and only while the account still has the address it had when the link was
made; asking for a new link voids the older ones, so only the newest email in
someone's inbox works.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import EmailLink, LinkPurpose, User
from scheduler.services import notify, tokens
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock

#: How long each kind of link works (an invitation: INVITE_LINK_HOURS, reopening a closed
#: account: ACCOUNT_CLOSE_GRACE_DAYS; see valid_for).
VALID_FOR = {
    LinkPurpose.PASSWORD_RESET: timedelta(hours=1),
    LinkPurpose.VERIFY_EMAIL: timedelta(days=7),
    LinkPurpose.CLAIM: timedelta(days=7),
    LinkPurpose.CHANGE_EMAIL: timedelta(hours=24),
}


def valid_for(purpose: str) -> timedelta:
    """How long a link of this kind works from when it is made."""
    if purpose == LinkPurpose.INVITE:
        return settings.current().invite_link_lifetime
    if purpose == LinkPurpose.REOPEN:
        return settings.current().account_close_grace
    return VALID_FOR[LinkPurpose(purpose)]


#: Links of one kind one account may be sent per hour: more would be someone's abuse.
MAX_PER_HOUR = 3


def link_token(link: EmailLink) -> str:
    """Write the link's token again (for the email), from its salt and the secret key."""
    return tokens.derive(link.purpose, link.salt)


def issue(
    session: Session,
    user: User,
    purpose: LinkPurpose,
    now: datetime,
    *,
    new_email: str | None = None,
    send: bool = True,
) -> EmailLink | None:
    """Make a new link, void older unused ones and queue its email; None when throttled.

    ``new_email``: the address a change-of-address link goes to. ``send=False`` records
    a request whose link goes nowhere (void from the start), so it counts towards the
    hourly limit like any other and voids the older links as a new one would.
    """
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
    void(session, user.id, [purpose], now)
    salt = tokens.new_salt()
    link = EmailLink(
        user_id=user.id,
        purpose=purpose,
        salt=salt,
        token_hash=tokens.digest(tokens.derive(purpose, salt)),
        email=user.email,
        new_email=new_email,
        created_at=now,
        expires_at=now + valid_for(purpose),
        used_at=None if send else now,
    )
    session.add(link)
    session.flush()
    if send:
        notify.link_issued(link, now)
    return link


def void(session: Session, user_id: int, purposes: list[LinkPurpose], now: datetime) -> None:
    """Make a person's unused links of these kinds stop working."""
    session.execute(
        update(EmailLink)
        .where(
            EmailLink.user_id == user_id,
            EmailLink.purpose.in_(purposes),
            EmailLink.used_at.is_(None),
        )
        .values(used_at=now)
    )


def is_usable(link: EmailLink, user: User | None, now: datetime) -> bool:
    """Tell whether a link still works: unused, unexpired, same address, and an active
    account (an invitation: an account still waiting for it; reopening: an account
    closed and not erased yet)."""
    if user is None or link.used_at is not None or now >= link.expires_at:
        return False
    if link.purpose == LinkPurpose.INVITE:
        waiting = user.is_invited and not user.is_active
    elif link.purpose == LinkPurpose.REOPEN:
        waiting = user.is_closed and user.erased_at is None
    else:
        waiting = user.is_active
    return waiting and user.email == link.email


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
    return take(session, token, purpose, now)[1]


def take(
    session: Session, token: str, purpose: LinkPurpose, now: datetime
) -> tuple[EmailLink, User]:
    """Take a link under the write lock and return it with its account."""
    found = (
        lock(EmailLink, [tokens.digest(token)], by=EmailLink.token_hash)
        if tokens.plausible(token)
        else []
    )
    link = next((link for link in found if link.purpose == purpose), None)
    user = session.get(User, link.user_id) if link else None
    if link is None or user is None or not is_usable(link, user, now):
        raise DomainError("link_unusable")
    void(session, user.id, [purpose], now)
    return link, user


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
