"""Accounts: families, facilitators, admins, and failed-login records for throttling."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    ColumnElement,
    ForeignKey,
    Index,
    String,
    and_,
    case,
    false,
    func,
    true,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from scheduler.extensions import Model
from scheduler.models.types import UTCDateTime, first_word
from scheduler.timeutil import utcnow

#: The ``password_hash`` of an account nobody can log in to: a household staff recorded
#: (by phone or at the door) until it claims the record with an emailed link. No argon2
#: hash starts with "!", so no password ever matches it.
NO_PASSWORD = "!"  # noqa: S105 (a marker, not a password)
#: The name an erased household keeps (services/erasure.py): stored in English, neutral,
#: and shown in the reader's language (the pages translate it, see web/filters.py).
ERASED_NAME = "Former household"


class Role(StrEnum):
    FAMILY = "family"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class StaffNameChoice(StrEnum):
    """How a household is named to staff (facilitators, counselors, admins)."""

    #: Its name as it typed it.
    FULL = "full"
    #: The first word of its name only.
    FIRST = "first"
    #: A name of its own choosing, kept in ``User.alias``.
    ALIAS = "alias"


#: The longest alias a household may choose.
ALIAS_MAX_LENGTH = 60


#: Households often sign up as "The Chen family": its first name is the word after it.
LEADING_THE = "the "


def first_name_of(name: str) -> str:
    """The first word of a name, what staff see of a household that chose its first
    name only ("Ana Ruiz" → "Ana", "The Chen family" → "Chen"); ``first_name_sql`` is
    its SQL twin."""
    rest = name[len(LEADING_THE) :].lstrip(" ")
    if name[: len(LEADING_THE)].lower() == LEADING_THE and rest:
        return rest.split(" ", 1)[0]
    return name.split(" ", 1)[0]


def first_name_sql(name: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[str]:
    """``first_name_of`` in SQL, on both backends."""
    rest = func.ltrim(func.substr(name, len(LEADING_THE) + 1))
    starts_with_the = func.lower(func.substr(name, 1, len(LEADING_THE))) == LEADING_THE
    return case((and_(starts_with_the, rest != ""), first_word(rest)), else_=first_word(name))


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('family', 'facilitator', 'admin')", name="role"),
        CheckConstraint(
            "staff_name_choice IN ('full', 'first', 'alias')", name="staff_name_choice"
        ),
        # An alias chosen is never empty, so staff always see some name.
        CheckConstraint(
            "staff_name_choice != 'alias' OR (alias IS NOT NULL AND alias != '')",
            name="alias_when_chosen",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-cased on the way in, so uniqueness is case-insensitive on every backend.
    #: None for a household staff recorded without one: nothing is mailed to it, and no
    #: log-in or reset ever matches it (NULLs never collide in the unique index).
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: The household's or facilitator's display name.
    name: Mapped[str] = mapped_column(String(120))
    #: argon2id hash, re-hashed on login when the parameters change; NO_PASSWORD for a
    #: household record nobody has claimed yet.
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.FAMILY)
    #: IANA zone the person reads times in.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    #: The language pages and mail are written in for them ("es"); None: not chosen,
    #: so pages follow the browser and mail DEFAULT_LANGUAGE (scheduler/i18n.py).
    language: Mapped[str | None] = mapped_column(String(16))
    #: A deactivated account cannot log in; its bookings stay for the rosters.
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Calendar titles name the workshop instead of a neutral "Hearth appointment".
    descriptive_titles: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: Random salt the private feed token is derived from; a reset replaces it.
    feed_salt: Mapped[str | None] = mapped_column(String(64))
    #: False when the family turned reminder emails off.
    reminders_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: False when the family asked not to be invited back after missing a session.
    invite_back: Mapped[bool] = mapped_column(default=True, server_default=true())
    #: The family's own reminder offsets ("48h,2h"); empty means the site's default.
    reminder_offsets: Mapped[str] = mapped_column(String(100), default="", server_default="")
    #: SHA-256 of the private feed token, for lookup; the token itself is never stored.
    feed_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: When the person proved they read mail at ``email``; booking never waits for it.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Random salt of the standing links in emails (one-click unsubscribe); replaced
    #: when the person logs out everywhere or their password changes.
    link_salt: Mapped[str | None] = mapped_column(String(64))
    #: How staff reach a household they recorded (it may have no email); shown to staff only.
    phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    #: The staff member who recorded this household for it; None for accounts people
    #: made themselves (or were invited to).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When an admin invited this person, until they accept by choosing a password; an
    #: invited account is not active yet (it can't log in, and nothing lists it as staff).
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The last time this person logged in (None: never, or before Hearth kept it).
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the household closed its account (or an admin closed it on request): it
    #: can't log in, and until ACCOUNT_CLOSE_GRACE_DAYS later an emailed link reopens it.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    #: When its personal data was erased after the grace period (services/erasure.py):
    #: the row stays, as a "Former household" placeholder, so seat counts add up.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: How staff see a household's name (``StaffNameChoice``); ``staff_name`` applies it.
    staff_name_choice: Mapped[str] = mapped_column(
        String(10), default=StaffNameChoice.FULL, server_default=StaffNameChoice.FULL
    )
    #: The name a household chose to be shown to staff; None unless it chose an alias.
    alias: Mapped[str | None] = mapped_column(String(ALIAS_MAX_LENGTH))

    @hybrid_property
    def staff_name(self) -> str:
        """The name staff see: the whole name, its first word, or the alias, as the
        household chose; in a query, the same as SQL. Staff's own choice is always full.
        """
        if self.staff_name_choice == StaffNameChoice.ALIAS and self.alias is not None:
            return self.alias
        if self.staff_name_choice == StaffNameChoice.FIRST:
            return first_name_of(self.name)
        return self.name

    @staff_name.inplace.expression
    @classmethod
    def _staff_name_expression(cls) -> ColumnElement[str]:
        return case(
            (
                and_(cls.staff_name_choice == StaffNameChoice.ALIAS, cls.alias.is_not(None)),
                cls.alias,
            ),
            (cls.staff_name_choice == StaffNameChoice.FIRST, first_name_sql(cls.name)),
            else_=cls.name,
        )

    def get_id(self) -> str:
        """Flask-Login's id is the token of this sign-in, not the account's id.

        The session and remember-me cookies carry it, so ending the sign-in on the
        server (logout, log out everywhere, a password change) ends both cookies too.
        """
        token: str | None = self.__dict__.get("_login_token")
        if token is None:
            raise RuntimeError("log in through scheduler.services.sessions.start")
        return token

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_household_record(self) -> bool:
        """Recorded by staff and not claimed yet: nobody can log in to it."""
        return self.password_hash.startswith(NO_PASSWORD)

    @property
    def is_closed(self) -> bool:
        """Closed by its household (or an admin on request), erased or not yet."""
        return self.closed_at is not None

    @property
    def is_invited(self) -> bool:
        """Invited by an admin and not accepted yet."""
        return self.invited_at is not None

    @property
    def is_family(self) -> bool:
        return self.role == Role.FAMILY

    @property
    def is_facilitator(self) -> bool:
        return self.role == Role.FACILITATOR

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginSession(Model):
    """One signed-in browser; its row going away ends that sign-in everywhere at once."""

    __tablename__ = "login_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token the cookies carry; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Whether the person ticked "Keep me logged in" (a remember-me cookie was set).
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: After this the sign-in is over, whatever the cookies say.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class LoginFailure(Model):
    """One failed login, kept in the database so every web process sees the same count."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_failed_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``email:<sha256 of address>`` or ``ip:<address>``; never the address in clear.
    key: Mapped[str] = mapped_column(String(100))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LinkPurpose(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of email, not a password)
    VERIFY_EMAIL = "verify_email"
    #: An admin's invitation: the invitee chooses a password and joins.
    INVITE = "invite"
    #: Sent to a new address the person asked for; the address changes when it is used.
    CHANGE_EMAIL = "change_email"
    #: A household staff recorded sets its password and takes over its record.
    CLAIM = "claim"
    #: A household that closed its account opens it again, within the grace period.
    REOPEN = "reopen"


class EmailLink(Model):
    """A single-use, expiring link emailed to a person: a password reset, an address
    check, an invitation, the confirmation of a new address, claiming a household
    record staff made, or reopening a closed account.

    Only a random salt and the token's hash are stored; the token is derived from the
    salt with the app's secret when the email is written, so a copy of the database
    alone opens nothing.
    """

    __tablename__ = "email_links"
    __table_args__ = (
        CheckConstraint(
            "purpose IN ('password_reset', 'verify_email', 'claim', 'invite', 'change_email', "
            "'reopen')",
            name="purpose",
        ),
        Index("ix_email_links_user_id_purpose", "user_id", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(20))
    salt: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The account's address when the link was made: a verification proves this address
    #: only, and no link works once the account's address is another.
    email: Mapped[str] = mapped_column(String(254))
    #: The address a change-of-address link was sent to, and the account's once used.
    new_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: Set when the link is used, or when a newer link or a password change voids it.
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
