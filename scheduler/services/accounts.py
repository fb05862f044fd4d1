"""Sign-up, login with throttling, and account creation from the CLI."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from scheduler import settings
from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Appointment,
    AppointmentStatus,
    Booking,
    BookingStatus,
    CounselingSlot,
    LinkPurpose,
    LoginFailure,
    Role,
    User,
    WorkshopSession,
)
from scheduler.services import audit, email_links, feeds, notify, sessions, tokens
from scheduler.services.errors import DomainError
from scheduler.services.passwords import hash_password, needs_rehash, verify_password
from scheduler.services.reminder_times import parse_offsets
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
    ask_to_verify: bool = False,
    language: str | None = None,
) -> User:
    """Create an account; raise DomainError when the address is taken.

    With ``ask_to_verify`` the welcome email with an address-check link is queued in
    the same transaction; nothing waits for it (a family in need books first).
    """
    now = now or utcnow()
    if role not in set(Role):
        raise ValueError(f"unknown role {role!r}")
    if not is_valid_zone(timezone):
        raise DomainError("invalid_zone")
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    try:
        with write_transaction() as session:
            email = normalise_email(email)
            if not email:
                raise DomainError("email_missing")
            if session.scalar(select(User.id).where(User.email == email)) is not None:
                raise DomainError("email_taken")
            user = User(
                email=email,
                name=name.strip(),
                password_hash=password_hash,
                role=role,
                timezone=timezone,
                language=language,
                created_at=now,
            )
            feeds.give_feed_token(user)
            session.add(user)
            if ask_to_verify:
                session.flush()
                email_links.issue(session, user, LinkPurpose.VERIFY_EMAIL, now)
    except IntegrityError as error:  # a concurrent sign-up with the same address
        raise DomainError("email_taken") from error
    return user


def register_family(
    *,
    email: str,
    name: str,
    password: str,
    timezone: str,
    now: datetime | None = None,
    language: str | None = None,
) -> User | None:
    """Sign a household up and ask them to confirm their address; None when it is taken.

    A taken address is not said to be taken (that would tell anyone who uses Hearth):
    its owner is emailed instead, at most once a day, and the caller answers as for a
    new account.
    """
    now = now or utcnow()
    try:
        return create_user(
            email=email,
            name=name,
            password=password,
            timezone=timezone,
            now=now,
            ask_to_verify=True,
            language=language,
        )
    except DomainError as error:
        if error.code != "email_taken":
            raise
    with write_transaction():
        owner = find_by_email(email)
        if owner is not None and owner.is_active:
            notify.signup_attempted(owner, now)
    return None


def request_password_reset(email: str, now: datetime) -> None:
    """Email a reset link if an active account has this address; say nothing either way."""
    with write_transaction() as session:
        user = find_by_email(email)
        if user is not None and user.is_active:
            email_links.issue(session, user, LinkPurpose.PASSWORD_RESET, now)


def reset_password(token: str, password: str, now: datetime) -> User:
    """Set a new password with a reset link; the link and any older ones stop working."""
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    with write_transaction() as session:
        user = email_links.use(session, token, LinkPurpose.PASSWORD_RESET, now)
        if user.is_household_record:  # a record staff made, taken over this way instead
            audit.add(user, "household.claimed", f"user:{user.id}", now=now, households=[user.id])
        user.password_hash = password_hash
        # Whoever was locked out by failed logins can log in with the new password.
        session.execute(
            delete(LoginFailure).where(LoginFailure.key.startswith(throttle_key(user.email or "")))
        )
        # Someone else may have been logged in: a new password ends every sign-in.
        sessions.end_all(user.id)
        # Someone who can reset the password reads this mailbox: the address is proven.
        if user.email_verified_at is None:
            user.email_verified_at = now
    return user


def throttle_key(email: str) -> str:
    """Count failed logins per address without storing the address itself."""
    return "email:" + hashlib.sha256(normalise_email(email).encode()).hexdigest()[:32]


def _throttle_keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    """The counters a failure adds to, each with the failures it allows before delays.

    One per account *and* source address, so an attacker slows only their own tries at
    that account and the owner, from anywhere else, is never locked out; and one per
    source address, for one source trying many accounts. None per account alone: that
    would let anyone lock a family out.
    """
    first = settings.current().login_max_failures
    if not ip:
        return [(throttle_key(email), first)]
    return [(f"{throttle_key(email)}:{ip}", first), (f"ip:{ip}", first * IP_FAILURE_FACTOR)]


def _longest_wait() -> timedelta:
    return settings.current().login_longest_wait


def _memory() -> timedelta:
    """How long a failure counts: longer than the longest wait, so waits stay long."""
    return settings.current().login_failure_memory


def _delay(failures: int, allowed: int) -> timedelta:
    """How long the next try must wait: nothing, then doubling from the first delay."""
    if failures < allowed:
        return timedelta(0)
    first = settings.current().login_first_delay
    return min(first * 2 ** min(failures - allowed, 30), _longest_wait())


def retry_after(email: str, ip: str | None, now: datetime) -> timedelta | None:
    """How long this source must wait before trying this account again, if at all."""
    since = now - _memory()
    waits = []
    for key, allowed in _throttle_keys(email, ip):
        count, last = db.session.execute(
            select(func.count(), func.max(LoginFailure.failed_at)).where(
                LoginFailure.key == key, LoginFailure.failed_at > since
            )
        ).one()
        if last is not None and (wait := last + _delay(count, allowed) - now) > timedelta(0):
            waits.append(wait)
    return max(waits) if waits else None


def authenticate(email: str, password: str, *, ip: str | None, now: datetime) -> User:
    """Return the account these credentials open, or raise one message for every failure.

    The message never says whether the address has an account. A source that failed
    too often at this account (or at many) waits before its next try, longer each time;
    the password isn't even checked until then.
    """
    if (wait := retry_after(email, ip, now)) is not None:
        raise DomainError("login_throttled", seconds=wait.total_seconds())
    user = find_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.is_closed:
        # Said plainly only to whoever typed its password: it tells nobody else anything.
        raise DomainError("account_closed")
    if not ok or user is None or not user.is_active:
        with write_transaction() as session:
            keys = [key for key, _ in _throttle_keys(email, ip)]
            session.add_all(LoginFailure(key=key, failed_at=now) for key in keys)
            # Old failures are worth nothing; keep the table small as we go.
            session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - _memory()))
        raise DomainError("login_failed")
    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    with write_transaction() as session:
        session.execute(
            delete(LoginFailure).where(LoginFailure.key == _throttle_keys(email, ip)[0][0])
        )
        if new_hash:
            fresh = session.get_one(User, user.id)
            fresh.password_hash = new_hash
    return user


def set_language(user_id: int, language: str) -> None:
    """Save the language a person reads Hearth in: pages, and the mail sent to them."""
    with write_transaction() as session:
        session.get_one(User, user_id).language = language


def update_settings(
    user_id: int,
    *,
    timezone: str,
    descriptive_titles: bool = False,
    reminders_enabled: bool = True,
    reminder_offsets: str = "",
    invite_back: bool | None = None,
    now: datetime | None = None,
) -> None:
    """Save a person's zone, calendar wording and reminder choices (and a family's
    choice of emails inviting it back after a missed session; None leaves it).

    New reminder times apply to bookings made from now on; reminders already queued
    keep their times (the email links here to change them). Turning reminders off
    withdraws the queued ones at once; turning them back on queues them again for
    everything still to come.
    """
    now = now or utcnow()
    if not is_valid_zone(timezone):
        raise DomainError("invalid_zone")
    offsets = (
        ", ".join(_offset_text(o) for o in parse_offsets(reminder_offsets))
        if (reminder_offsets.strip())
        else ""
    )
    with write_transaction() as session:
        user = session.get_one(User, user_id)
        turned_on = reminders_enabled and not user.reminders_enabled
        user.timezone = timezone
        user.descriptive_titles = descriptive_titles
        user.reminders_enabled = reminders_enabled
        user.reminder_offsets = offsets
        if invite_back is not None:
            user.invite_back = invite_back
        if not reminders_enabled:
            notify.cancel_family_reminders(user_id)
        elif turned_on:
            session.flush()  # the reminder times read the family's new offsets
            notify.restore_reminders(user_id, *_held_for_reminders(user_id, now), now)


def _held_for_reminders(family_id: int, now: datetime) -> tuple[list[Booking], list[Appointment]]:
    """The confirmed bookings and appointments a family holds that are still to come."""
    bookings = db.session.scalars(
        select(Booking)
        .join(WorkshopSession)
        .where(
            Booking.family_id == family_id,
            Booking.status == BookingStatus.CONFIRMED,
            WorkshopSession.starts_at > now,
        )
    ).all()
    appointments = db.session.scalars(
        select(Appointment)
        .join(CounselingSlot, Appointment.slot_id == CounselingSlot.id)
        .where(
            Appointment.family_id == family_id,
            Appointment.status == AppointmentStatus.CONFIRMED,
            CounselingSlot.starts_at > now,
        )
    ).all()
    return list(bookings), list(appointments)


def unsubscribe_token(user: User) -> str:
    """The token of a family's one-click "no more reminders" link (RFC 8058).

    It needs no login: mail clients POST to it on the person's behalf, and all it can
    do is turn reminders off. It lasts until the person logs out everywhere or their
    password changes (``sessions.end_all`` replaces the salt behind it).
    """
    return tokens.derive("unsubscribe", f"{user.id}:{user.link_salt or ''}")


def find_by_email(email: str) -> User | None:
    """The account with this address, if any (case and spaces don't matter); no
    address finds nobody (a household recorded without one has none to match)."""
    address = normalise_email(email)
    if not address:
        return None
    return db.session.scalar(select(User).where(User.email == address))


def switch_off(user: User, now: datetime) -> None:
    """In the caller's transaction: the account can't log in, every sign-in it has ends
    at once, its private calendar link and the links in its emails stop working.

    Its bookings and appointments stay as they are (a family's seats stay on the
    rosters); what happens to a facilitator's sessions and workshops is the caller's to
    decide (``account_admin``).
    """
    user.active = False
    user.invited_at = None
    user.feed_salt = user.feed_token_hash = None
    sessions.end_all(user.id)
    email_links.void(db.session(), user.id, list(LinkPurpose), now)


def unsubscribe_is_valid(user: User, token: str) -> bool:
    """Check a one-click unsubscribe token."""
    return tokens.plausible(token) and tokens.matches(token, unsubscribe_token(user))


def stop_reminders(user_id: int) -> None:
    """Turn reminder emails off and withdraw the queued ones (one-click unsubscribe)."""
    with write_transaction() as session:
        session.get_one(User, user_id).reminders_enabled = False
        notify.cancel_family_reminders(user_id)


def _offset_text(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"
