"""Sign-up, login with throttling, and account creation from the CLI."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import LoginFailure, Role, User
from scheduler.services import feeds
from scheduler.services.errors import DomainError
from scheduler.services.notify import parse_offsets
from scheduler.services.passwords import hash_password, needs_rehash, verify_password
from scheduler.timeutil import is_valid_zone, utcnow

#: Failures from one network address before it is throttled too (many accounts, one source).
IP_FAILURE_FACTOR = 4


def normalise_email(email: str) -> str:
    """Compare addresses the way people expect: case and spaces don't matter."""
    return email.strip().lower()


def create_user(
    *,
    email: str,
    name: str,
    password: str,
    role: str = Role.FAMILY,
    timezone: str = "UTC",
    now: datetime | None = None,
) -> User:
    """Create an account; raise DomainError when the address is taken."""
    if role not in set(Role):
        raise ValueError(f"unknown role {role!r}")
    if not is_valid_zone(timezone):
        raise DomainError("invalid_zone")
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    try:
        with write_transaction() as session:
            email = normalise_email(email)
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise DomainError("email_taken")
            user = User(
                email=email,
                name=name.strip(),
                password_hash=password_hash,
                role=role,
                timezone=timezone,
                created_at=now or utcnow(),
            )
            feeds.give_feed_token(user)
            session.add(user)
    except IntegrityError as error:  # a concurrent sign-up with the same address
        raise DomainError("email_taken") from error
    return user


def register_family(*, email: str, name: str, password: str, timezone: str) -> User:
    """Sign a household up."""
    return create_user(email=email, name=name, password=password, timezone=timezone)


def _throttle_keys(email: str, ip: str | None) -> list[str]:
    digest = hashlib.sha256(normalise_email(email).encode()).hexdigest()
    keys = [f"email:{digest}"]
    if ip:
        keys.append(f"ip:{ip}")
    return keys


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])


def is_throttled(email: str, ip: str | None, now: datetime) -> bool:
    """Tell whether this address (or network source) failed too often lately."""
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    since = now - _window()
    for key in _throttle_keys(email, ip):
        count = db.session.scalar(
            select(func.count()).where(LoginFailure.key == key, LoginFailure.failed_at > since)
        )
        key_limit = limit * IP_FAILURE_FACTOR if key.startswith("ip:") else limit
        if (count or 0) >= key_limit:
            return True
    return False


def authenticate(email: str, password: str, *, ip: str | None, now: datetime) -> User:
    """Return the account these credentials open, or raise one message for every failure.

    The message never says whether the address has an account, and a throttled
    address is refused before the password is even checked.
    """
    if is_throttled(email, ip, now):
        raise DomainError("login_throttled", minutes=current_app.config["LOGIN_LOCKOUT_MINUTES"])
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        with write_transaction() as session:
            session.add_all(LoginFailure(key=k, failed_at=now) for k in _throttle_keys(email, ip))
            # Old failures are worth nothing; keep the table small as we go.
            session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - _window()))
        raise DomainError("login_failed")
    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    email_key = _throttle_keys(email, None)[0]
    with write_transaction() as session:
        session.execute(delete(LoginFailure).where(LoginFailure.key == email_key))
        if new_hash:
            fresh = session.get_one(User, user.id)
            fresh.password_hash = new_hash
    return user


def update_settings(
    user_id: int,
    *,
    name: str,
    timezone: str,
    descriptive_titles: bool = False,
    reminders_enabled: bool = True,
    reminder_offsets: str = "",
) -> None:
    """Save a person's name, zone, calendar wording and reminder choices.

    New reminder choices apply to bookings made from now on; reminders already queued
    keep their times (the email links here to change them).
    """
    if not is_valid_zone(timezone):
        raise DomainError("invalid_zone")
    offsets = (
        ", ".join(_offset_text(o) for o in parse_offsets(reminder_offsets))
        if (reminder_offsets.strip())
        else ""
    )
    with write_transaction() as session:
        user = session.get_one(User, user_id)
        user.name = name.strip()
        user.timezone = timezone
        user.descriptive_titles = descriptive_titles
        user.reminders_enabled = reminders_enabled
        user.reminder_offsets = offsets


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
