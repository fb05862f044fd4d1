"""What the services read from the configuration, by name and type, in one place.

``app.config`` is a dictionary of strings, numbers and durations in whatever unit the
environment variable uses (hours, minutes, seconds). Services ask :func:`current` for
a :class:`Settings` instead: each setting is typed, in the unit the code wants (a
``timedelta``), and named once, so a misspelt key is a type error rather than a
``KeyError`` at three in the morning. It reads the live config on every access, so a
test (or an admin tool) that changes ``app.config`` is seen at once.

The web layer's framework settings (cookies, CSRF, rate-limit strings) stay in
``app.config``, read by Flask and its extensions; ``scheduler/config.py`` lists every
setting and its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import current_app
from limits import parse_many


class Settings:
    """A typed view of one app's configuration."""

    __slots__ = ("_config",)

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = config

    # --- where Hearth lives and who it writes as ---------------------------------------

    @property
    def base_url(self) -> str:
        """The public address; every absolute link and every calendar UID is built on it."""
        return str(self._config["BASE_URL"])

    @property
    def secret_key(self) -> bytes:
        return str(self._config["SECRET_KEY"]).encode()

    @property
    def mail_from(self) -> str:
        return str(self._config["MAIL_FROM"])

    @property
    def default_language(self) -> str:
        """Mail and feeds of people who chose none, and new workshops unless told."""
        return str(self._config["DEFAULT_LANGUAGE"])

    # --- letters of attendance --------------------------------------------------------

    @property
    def organisation_name(self) -> str:
        """Who issues letters of attendance: their heading, and where the sessions were."""
        return str(self._config["ORGANISATION_NAME"])

    @property
    def letter_redisclosure_notice(self) -> str:
        """The notice at the foot of each letter (42 CFR 2.32); empty: none."""
        return str(self._config["LETTER_REDISCLOSURE_NOTICE"] or "")

    @property
    def data_export_lifetime(self) -> timedelta:
        """How long a family's copy of its data can be downloaded once it is ready."""
        return timedelta(hours=self._config["DATA_EXPORT_HOURS"])

    # --- booking rules -------------------------------------------------------------------

    @property
    def max_seats_per_booking(self) -> int:
        return int(self._config["MAX_SEATS_PER_BOOKING"])

    @property
    def unverified_seat_limit(self) -> int:
        return int(self._config["UNVERIFIED_SEAT_LIMIT"])

    @property
    def waitlist_promotion_cutoff(self) -> timedelta:
        return timedelta(hours=self._config["WAITLIST_PROMOTION_CUTOFF_HOURS"])

    @property
    def booking_move_cutoff(self) -> timedelta:
        """How long before its session a family can no longer move a booking itself."""
        return timedelta(hours=self._config["BOOKING_MOVE_CUTOFF_HOURS"])

    @property
    def attendance_close(self) -> timedelta:
        """How long after a session or appointment ends its attendance marks may change."""
        return timedelta(days=self._config["ATTENDANCE_CLOSE_DAYS"])

    @property
    def reminder_offsets(self) -> str:
        """The reminder offsets of a household that set none ("48h,2h")."""
        return str(self._config["REMINDER_OFFSETS"])

    @property
    def group_message_limits(self) -> list[tuple[int, timedelta]]:
        """How many messages to a group one person may send in how long: "10 per hour"
        (RATELIMIT_GROUP_MESSAGE, in the rate limits' notation) is [(10, one hour)]."""
        return [
            (item.amount, timedelta(seconds=item.get_expiry()))
            for item in parse_many(str(self._config["RATELIMIT_GROUP_MESSAGE"]))
        ]

    # --- signing in ----------------------------------------------------------------------

    @property
    def password_hash(self) -> dict[str, Any]:
        """argon2id parameters (time_cost, memory_cost, parallelism)."""
        return dict(self._config["PASSWORD_HASH"])

    @property
    def login_max_failures(self) -> int:
        return int(self._config["LOGIN_MAX_FAILURES"])

    @property
    def login_first_delay(self) -> timedelta:
        return timedelta(seconds=self._config["LOGIN_FIRST_DELAY_SECONDS"])

    @property
    def login_longest_wait(self) -> timedelta:
        return timedelta(minutes=self._config["LOGIN_LOCKOUT_MINUTES"])

    @property
    def login_failure_memory(self) -> timedelta:
        return timedelta(hours=self._config["LOGIN_FAILURE_MEMORY_HOURS"])

    @property
    def sign_in(self) -> timedelta:
        """How long a sign-in without "Keep me logged in" lasts."""
        return timedelta(hours=self._config["SIGN_IN_HOURS"])

    @property
    def remembered_sign_in(self) -> timedelta:
        """How long a sign-in with "Keep me logged in" lasts (the cookie's lifetime)."""
        duration: timedelta = self._config["REMEMBER_COOKIE_DURATION"]
        return duration

    @property
    def account_close_grace(self) -> timedelta:
        """How long a closed account can be reopened before its data is erased."""
        return timedelta(days=self._config["ACCOUNT_CLOSE_GRACE_DAYS"])

    @property
    def invite_link_lifetime(self) -> timedelta:
        """How long the link in an invitation works."""
        return timedelta(hours=self._config["INVITE_LINK_HOURS"])

    # --- how long data is kept (services/retention.py) ---------------------------------

    @property
    def retention_needs(self) -> timedelta:
        """How long after a session or appointment ends its needs and notes are kept."""
        return timedelta(days=self._config["RETENTION_NEEDS_DAYS"])

    @property
    def retention_messages(self) -> timedelta:
        """How long the words of a message to a group (and outbox errors) are kept."""
        return timedelta(days=self._config["RETENTION_MESSAGE_DAYS"])

    @property
    def retention_audit(self) -> timedelta:
        """How long the access trail is kept."""
        return timedelta(days=self._config["RETENTION_AUDIT_DAYS"])

    @property
    def retention_unconfirmed(self) -> timedelta:
        """How long a self-made account whose address was never confirmed is kept unused."""
        return timedelta(days=self._config["RETENTION_UNCONFIRMED_DAYS"])

    @property
    def retention_links(self) -> timedelta:
        """How long an emailed link is kept once it was used or ran out."""
        return timedelta(days=self._config["RETENTION_LINK_DAYS"])

    # --- the outbox ----------------------------------------------------------------------

    @property
    def outbox_lease(self) -> timedelta:
        return timedelta(seconds=self._config["OUTBOX_LEASE_SECONDS"])

    @property
    def outbox_sweep(self) -> timedelta:
        return timedelta(seconds=self._config["OUTBOX_SWEEP_SECONDS"])

    @property
    def outbox_first_retry(self) -> timedelta:
        return timedelta(seconds=self._config["OUTBOX_FIRST_RETRY_SECONDS"])


def current() -> Settings:
    """The settings of the app handling this request, job or command."""
    return Settings(current_app.config)
