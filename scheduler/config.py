"""Configuration: safe defaults, overridden by the environment (README.md lists the names)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: Rate limits (scheduler/web/limits.py) and their defaults, in the `limits` package's
#: notation; each can be set in the environment.
RATE_LIMITS = {
    # New accounts from one address.
    "RATELIMIT_SIGNUP": "15 per minute;60 per hour",
    # Failed logins from one address, on top of the per-account waits in accounts.py.
    "RATELIMIT_LOGIN_FAILURES": "30 per 10 minutes;100 per day",
    # "Forgot your password?" emails asked for from one address.
    "RATELIMIT_PASSWORD_RESET": "5 per minute;30 per hour",
    # Address-confirmation emails one account asks for again.
    "RATELIMIT_CONFIRM_EMAIL": "10 per hour",
    # Bookings and series enrolments by one account.
    "RATELIMIT_BOOKING": "30 per minute;300 per hour",
    # Counseling requests and moves by one account.
    "RATELIMIT_COUNSELING": "10 per minute;60 per hour",
    # Staff acting for households: searches, bookings, households recorded, claim links,
    # by one staff account (a busy phone line books one household a minute or so).
    "RATELIMIT_ACT_FOR": "30 per minute;300 per hour",
    # Attendance marks sent by one staff account (a check-in page retries a mark until
    # it arrives; 40 households marked and changed twice is 120).
    "RATELIMIT_ATTENDANCE": "120 per minute;1000 per hour",
    # Invitations (new and sent again) by one admin.
    "RATELIMIT_INVITE": "10 per minute;50 per day",
    # Wrong current passwords typed to change one's address or password (a browser left
    # signed in must not let anyone guess the password).
    "RATELIMIT_CURRENT_PASSWORD": "10 per hour",
    # Messages to a group sent by one facilitator (counted in the database, per account:
    # services/group_messages.py), so a slip or a stolen session can't flood families.
    "RATELIMIT_GROUP_MESSAGE": "10 per hour",
    # Letters of attendance one family asks for (each is a document to keep track of).
    "RATELIMIT_PROOF_LETTERS": "10 per hour;30 per day",
    # Letter checks from one address: a caseworker checks a few; a code (80 random bits)
    # can't be guessed at any rate, and this keeps guessing from filling the audit log.
    "RATELIMIT_PROOF_CHECKS": "30 per minute;300 per day",
    # Copies of its data one family asks for (each is built in full by the dispatcher).
    "RATELIMIT_DATA_EXPORT": "3 per day",
    # A household choosing how staff see its name, per account: each change is on the
    # audit trail and bumps the feeds' "people" counter, so a loop can't flood either.
    "RATELIMIT_STAFF_NAME": "10 per minute;60 per hour",
}

#: What 42 CFR part 2 (section 2.32(a)(2), as amended in 2024) lets a program print on
#: a record it discloses with the patient's consent, in its own words: the short one of
#: the two statements the rule allows (README, "Letters of attendance", says why).
PART2_SHORT_NOTICE = "42 CFR part 2 prohibits unauthorized use or disclosure of these records."

#: Environment variables read as plain strings.
_STRING_SETTINGS = (
    "SECRET_KEY",
    "BASE_URL",
    "SMTP_HOST",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_SECURITY",
    "MAIL_FROM",
    "REMINDER_OFFSETS",
    "DEFAULT_LANGUAGE",
    "ORGANISATION_NAME",
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_KEY_PREFIX",
    *RATE_LIMITS,
)
#: Environment variables read as whole numbers.
_INT_SETTINGS = (
    "SMTP_PORT",
    "MAX_SEATS_PER_BOOKING",
    "UNVERIFIED_SEAT_LIMIT",
    "WAITLIST_PROMOTION_CUTOFF_HOURS",
    "BOOKING_MOVE_CUTOFF_HOURS",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCKOUT_MINUTES",
    "LOGIN_FIRST_DELAY_SECONDS",
    "LOGIN_FAILURE_MEMORY_HOURS",
    "TRUSTED_PROXIES",
    "SIGN_IN_HOURS",
    "INVITE_LINK_HOURS",
    "ATTENDANCE_CLOSE_DAYS",
    "RETENTION_NEEDS_DAYS",
    "RETENTION_MESSAGE_DAYS",
    "RETENTION_AUDIT_DAYS",
    "RETENTION_UNCONFIRMED_DAYS",
    "RETENTION_LINK_DAYS",
    "DATA_EXPORT_HOURS",
    "ACCOUNT_CLOSE_GRACE_DAYS",
)
#: Environment variables read as numbers of seconds, fractions allowed (tests use them).
_SECONDS_SETTINGS = (
    "OUTBOX_LEASE_SECONDS",
    "OUTBOX_SWEEP_SECONDS",
    "OUTBOX_FIRST_RETRY_SECONDS",
)
#: Host names a development server answers to besides BASE_URL's, when that is one of them.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the settings a fresh checkout runs with."""
    return {
        **RATE_LIMITS,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(instance_path) / 'hearth.sqlite3'}",
        "BASE_URL": "http://127.0.0.1:5000",
        "SMTP_HOST": "",
        "SMTP_PORT": None,  # by SMTP_SECURITY: 587 starttls, 465 ssl, 25 none
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "SMTP_SECURITY": "starttls",
        "MAIL_FROM": "Hearth <no-reply@localhost>",
        "REMINDER_OFFSETS": "48h,2h",
        # The language of a visitor whose browser asks for none Hearth speaks, and of
        # mail to an account that never chose one (scheduler/i18n.py).
        "DEFAULT_LANGUAGE": "en",
        # Who issues letters of attendance: it heads each letter and names where the
        # sessions were ("attended 6 of 6 sessions of a program at ...").
        "ORGANISATION_NAME": "Hearth",
        # Printed at the foot of every letter of attendance. Empty: no notice (for an
        # organisation that is not a 42 CFR part 2 program).
        "LETTER_REDISCLOSURE_NOTICE": PART2_SHORT_NOTICE,
        "SCHEDULER_IN_PROCESS": False,
        # Seconds between outbox sweeps, and the first retry delay after a failed send
        # (it doubles with each attempt, up to six hours).
        "OUTBOX_SWEEP_SECONDS": 20,
        # How long a dispatcher's claim keeps other dispatchers off a row.
        "OUTBOX_LEASE_SECONDS": 300,
        "OUTBOX_FIRST_RETRY_SECONDS": 60,
        # Largest household one booking may hold; bigger groups call the facilitator.
        "MAX_SEATS_PER_BOOKING": 6,
        # Seats (in sessions still to come) a household may hold before it confirms its
        # email address: enough for two people in a six-week series.
        "UNVERIFIED_SEAT_LIMIT": 12,
        # Inside this many hours before a session, freed seats are no longer given to the
        # waitlist automatically: a family might not see the email in time, so the
        # facilitator promotes by hand from the roster.
        "WAITLIST_PROMOTION_CUTOFF_HOURS": 24,
        # A family moves its own booking to another session of the workshop until this
        # many hours before the booked session starts; later, the facilitator can.
        "BOOKING_MOVE_CUTOFF_HOURS": 2,
        # Who came to a session (or an appointment) can be marked, and changed, until this
        # many days after it ends; then the marks are closed and shown read-only.
        "ATTENDANCE_CLOSE_DAYS": 7,
        # The daily purge (services/retention.py), each in days. A booking's needs and
        # notes, and a counseling appointment's note, are cleared this long after the
        # session or appointment ended (planning it is long over).
        "RETENTION_NEEDS_DAYS": 90,
        # The words of messages to a group, and the outbox's error texts, are cleared
        # this long after they were written; who was written to, when, stays.
        "RETENTION_MESSAGE_DAYS": 90,
        # The access trail (who saw or changed whose data) is deleted after this long.
        "RETENTION_AUDIT_DAYS": 730,
        # A self-made family account whose address was never confirmed, with nothing
        # booked or asked for, is deleted this long after it was made (and last used).
        "RETENTION_UNCONFIRMED_DAYS": 30,
        # Emailed links that were used or ran out are deleted this long after.
        "RETENTION_LINK_DAYS": 7,
        # A copy of its data a family asked for can be downloaded for this many hours
        # after it is ready; then the zip is dropped and the link stops working.
        "DATA_EXPORT_HOURS": 48,
        # A household that closed its account can open it again with the emailed link
        # for this many days; then its personal data is erased (services/erasure.py).
        "ACCOUNT_CLOSE_GRACE_DAYS": 7,
        # Failed logins for one account from one address before each next try waits:
        # LOGIN_FIRST_DELAY_SECONDS, doubling with each failure, up to
        # LOGIN_LOCKOUT_MINUTES. Failures count for LOGIN_FAILURE_MEMORY_HOURS. One
        # address trying many accounts gets four times as many.
        "LOGIN_MAX_FAILURES": 5,
        "LOGIN_FIRST_DELAY_SECONDS": 15,
        "LOGIN_LOCKOUT_MINUTES": 15,
        "LOGIN_FAILURE_MEMORY_HOURS": 24,
        # argon2id at OWASP's recommended profile (19 MiB, t=2, p=1): ~20 ms of one core a
        # login, so a shared 2-core host serves ~90 logins a second and a login flood
        # can't starve it (README, Security, has the trade-off).
        "PASSWORD_HASH": {"time_cost": 2, "memory_cost": 19456, "parallelism": 1},
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # "Keep me logged in" lasts this long, cookie and sign-in alike; a sign-in
        # without it ends after SIGN_IN_HOURS even in a browser left open.
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "SIGN_IN_HOURS": 12,
        # How long the link in an invitation to join as staff works.
        "INVITE_LINK_HOURS": 72,
        "WTF_CSRF_TIME_LIMIT": None,  # a form left open overnight must still submit
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Reverse-proxy hops whose X-Forwarded-* headers are believed (0: none, so no
        # visitor can claim another address or host).
        "TRUSTED_PROXIES": 0,
        # Rate limits (scheduler/web/limits.py lists each): counted in this process
        # unless RATELIMIT_STORAGE_URI names a shared store (redis://host:6379/0).
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_KEY_PREFIX": "hearth",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_STRATEGY": "moving-window",
        # If the shared store is down, count in memory rather than refuse everyone.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    }


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Read the settings README.md names from the environment, ignoring unset ones."""
    settings: dict[str, Any] = {}
    for name in _STRING_SETTINGS:
        if environ.get(name):
            settings[name] = environ[name]
    for name in _INT_SETTINGS:
        if environ.get(name):
            settings[name] = int(environ[name])
    for name in _SECONDS_SETTINGS:
        if environ.get(name):
            settings[name] = float(environ[name])
    if environ.get("DATABASE_URL"):
        settings["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(environ["DATABASE_URL"])
    if "LETTER_REDISCLOSURE_NOTICE" in environ:  # set but empty means no notice
        settings["LETTER_REDISCLOSURE_NOTICE"] = environ["LETTER_REDISCLOSURE_NOTICE"].strip()
    if "SCHEDULER_IN_PROCESS" in environ:
        settings["SCHEDULER_IN_PROCESS"] = environ["SCHEDULER_IN_PROCESS"] == "1"
    if "SESSION_COOKIE_SECURE" in environ:
        settings["SESSION_COOKIE_SECURE"] = environ["SESSION_COOKIE_SECURE"] == "1"
    if environ.get("TRUSTED_HOSTS"):
        settings["TRUSTED_HOSTS"] = [h.strip() for h in environ["TRUSTED_HOSTS"].split(",")]
    return settings


def trusted_hosts(base_url: str, extra: list[str] | None = None) -> list[str]:
    """The Host headers Hearth answers: BASE_URL's host (and loopback names beside a
    loopback one, for `make run`), plus any named in TRUSTED_HOSTS.

    Anything else could steer the links Hearth writes into redirects and emails.
    """
    host = urlsplit(base_url).hostname or "localhost"
    hosts = [host, *(LOOPBACK_HOSTS if host in LOOPBACK_HOSTS else ())]
    return list(dict.fromkeys([*hosts, *(extra or [])]))


def is_loopback(base_url: str) -> bool:
    """Whether BASE_URL points at this machine only (a developer's own server)."""
    return (urlsplit(base_url).hostname or "") in LOOPBACK_HOSTS


def normalise_database_url(url: str) -> str:
    """Point bare ``postgres://`` URLs (as hosting providers hand them out) at psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def development_secret_key(instance_path: str) -> str:
    """Return a per-checkout secret kept in ``instance/``, so a newcomer needs no set-up."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
