"""Inviting staff: an admin names a person and a role, and the person joins by an
emailed single-use link, choosing their own password.

An invited account exists from the invitation on (so the address can't be taken
twice) but is not active: it can't log in, and nothing lists it as staff, until its
link is used. Sending the invitation again voids the older link.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import LinkPurpose, Role, User
from scheduler.services import accounts, audit, email_links, feeds
from scheduler.services.account_admin import STAFF_ROLES, acting_admin
from scheduler.services.errors import DomainError
from scheduler.services.passwords import hash_password
from scheduler.timeutil import is_valid_zone


def _exists(email: str) -> DomainError:
    """Say the address has an account already, naming it (admins may know that)."""
    owner = accounts.find_by_email(email)
    if owner is None:  # only a rolled-back sign-up could get here
        return DomainError("account_exists", name=email, account_id=None)
    return DomainError("account_exists", name=owner.staff_name, account_id=owner.id)


def invite(admin_id: int, *, email: str, name: str, role: str, now: datetime) -> User:
    """Make an invited account and email its link; ``account_exists`` names the account
    an address already has (nothing is made, nothing is sent)."""
    if role not in STAFF_ROLES:
        raise DomainError("bad_role")
    email = accounts.normalise_email(email)
    if not email:  # an account has an address, or nobody could ever accept it
        raise DomainError("email_missing")
    # Nobody knows this password: the account opens only through its link. Hashed
    # like any other, outside the write lock, so logging in to it takes the usual time.
    unknown = hash_password(secrets.token_urlsafe(32))
    try:
        with write_transaction() as session:
            admin, _ = acting_admin(admin_id)
            if accounts.find_by_email(email) is not None:
                raise _exists(email)
            user = User(
                email=email,
                name=name.strip(),
                password_hash=unknown,
                role=Role(role),
                timezone=admin.timezone,
                active=False,
                invited_at=now,
                created_at=now,
            )
            session.add(user)
            session.flush()
            email_links.issue(session, user, LinkPurpose.INVITE, now)
            audit.add(admin, "account.invite", f"user:{user.id}", now=now, households=[user.id])
    except IntegrityError as error:  # the address was taken a moment ago
        db.session.rollback()
        raise _exists(email) from error
    return user


def send_again(admin_id: int, user_id: int, *, now: datetime) -> bool:
    """Email a new invitation link, voiding the older one; False when several were sent
    within the hour already."""
    with write_transaction() as session:
        admin, (user,) = acting_admin(admin_id, user_id)
        if user is None:
            raise DomainError("account_not_found")
        if not user.is_invited:
            raise DomainError("not_invited")
        if email_links.issue(session, user, LinkPurpose.INVITE, now) is None:
            return False
        audit.add(admin, "account.invite", f"user:{user.id}", now=now, households=[user.id])
    return True


def invitee(token: str, now: datetime) -> User | None:
    """The person a working invitation link is for, or None for any kind of bad link."""
    link = email_links.find(token, LinkPurpose.INVITE, now)
    return db.session.get(User, link.user_id) if link is not None else None


def accept(token: str, *, password: str, timezone: str, now: datetime) -> User:
    """Join with an invitation: the new password, the zone, and the account is active.

    The link came to the address, so the address is confirmed too.
    """
    if not is_valid_zone(timezone):
        raise DomainError("invalid_zone")
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    with write_transaction() as session:
        user = email_links.use(session, token, LinkPurpose.INVITE, now)
        user.password_hash = password_hash
        user.timezone = timezone
        user.active = True
        user.invited_at = None
        user.email_verified_at = now
        feeds.give_feed_token(user)
        audit.add(user, "account.invite_accepted", f"user:{user.id}", now=now, households=[user.id])
    return user
