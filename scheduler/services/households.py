"""Households staff act for: found by search, recorded when new, claimed later by email.

A household that phones or walks in is a family account like any other, so everything it
holds goes through the one reservation lifecycle. One staff record for it may have no
email address (then nothing is ever mailed to it, and no log-in or reset matches it) and
no password anyone can type (``NO_PASSWORD``); a phone is how staff reach it. Given an
address later, the household gets a single-use link that sets its password: the record
becomes its own account, with its bookings. Every change is audited with who made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    NO_PASSWORD,
    Booking,
    EmailLink,
    LinkPurpose,
    Role,
    User,
    WorkshopSession,
)
from scheduler.services import audit, email_links, feeds, permissions
from scheduler.services.accounts import find_by_email, normalise_email
from scheduler.services.booking import Needs, take_seats, take_series
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock
from scheduler.services.passwords import hash_password
from scheduler.services.seats import check_seats

#: A search shows at most this many households: staff narrow it down by typing more.
MAX_RESULTS = 20
#: Fewer characters than this match too many families to be worth showing (or auditing).
MIN_QUERY = 2
#: Digits a search needs before it looks at phone numbers too.
MIN_PHONE_DIGITS = 3
#: What people put between a phone number's digits.
_PHONE_PUNCTUATION = " -().+/"


@dataclass(frozen=True)
class Contact:
    """What staff write down for a new household."""

    name: str
    phone: str = ""
    email: str = ""


def _digits_of(column: Any) -> ColumnElement[str]:
    """A phone column with its spaces, dashes and brackets taken out, in SQL."""
    for mark in _PHONE_PUNCTUATION:
        column = func.replace(column, mark, "")
    return column


def search(query: str, viewer: User, *, session_id: int, now: datetime) -> list[User]:
    """Families whose name as staff see it, email or phone has ``query`` in it, for staff
    booking one.

    Showing them is a view of families' data, so it is audited, with the households
    found, before they are shown (not the words searched for: they may be a name).
    Short queries find nothing; at most ``MAX_RESULTS`` households come back, by the name staff see.
    """
    words = query.strip()
    if len(words) < MIN_QUERY:
        return []
    wanted = words.casefold()
    # Only by what staff may see: the name it chose for them (``User.staff_name``), its
    # email or phone. Its real name finds it only when that is what it chose, or staff
    # could type a guessed surname and learn which alias answers to it.
    matches = [
        func.lower(User.staff_name).contains(wanted, autoescape=True),
        func.lower(User.email).contains(wanted, autoescape=True),
    ]
    digits = re.sub(r"\D", "", words)
    if len(digits) >= MIN_PHONE_DIGITS:
        matches.append(_digits_of(User.phone).contains(digits, autoescape=True))
    found = list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.FAMILY, User.active, or_(*matches))
            .order_by(func.lower(User.staff_name), User.id)
            .limit(MAX_RESULTS)
        )
    )
    shown = [household.id for household in found]
    audit.record(viewer, "household.search", f"session:{session_id}", now=now, households=shown)
    return found


def chosen(household_id: int, viewer: User, *, now: datetime) -> User | None:
    """The household staff picked from a search, its details' view audited; None if none."""
    household = db.session.get(User, household_id)
    if household is None or not household.is_family or not household.is_active:
        return None
    audit.record(
        viewer, "household.view", f"user:{household.id}", now=now, households=[household.id]
    )
    return household


@dataclass(frozen=True)
class BookedFor:
    """The bookings staff made for a household given by its contact details: one, or
    one per session of a series."""

    bookings: list[Booking]
    household: User
    #: The email given was an account's already: it was booked, and no record was made.
    existing: bool

    @property
    def booking(self) -> Booking:
        """The first (for one session, the only) booking made."""
        return self.bookings[0]


def book_for_new_household(
    session_id: int,
    contact: Contact,
    seats: int,
    needs: Needs,
    *,
    acting: User,
    now: datetime,
    join_waitlist: bool = False,
    whole_series: bool = False,
) -> BookedFor:
    """Record a household (or find the account its email already has) and book for it.

    The record and the booking commit together or not at all: a full session leaves no
    household behind. The booking follows the same rules as a household's own
    (:func:`~scheduler.services.booking.take_seats`); with ``whole_series``, every
    upcoming session of the session's series, as a household enrolls
    (:func:`~scheduler.services.booking.take_series`).
    """
    check_seats(seats)
    check_contact(contact)
    session = db.session.get(WorkshopSession, session_id)
    if session is None:
        raise DomainError("session_not_found")
    try:
        with write_transaction():
            household, existing = record(
                contact, acting=acting, zone=session.workshop.timezone, now=now
            )
            if whole_series:
                bookings = take_series(
                    session.workshop_id,
                    household.id,
                    seats,
                    needs,
                    now=now,
                    join_waitlist=join_waitlist,
                    acting=acting,
                )
            else:
                booking = take_seats(
                    session_id,
                    household.id,
                    seats,
                    needs,
                    now=now,
                    join_waitlist=join_waitlist,
                    acting=acting,
                )
                bookings = [booking]
    except IntegrityError as error:  # the same address or booking sent twice at once
        raise DomainError("try_again") from error
    return BookedFor(bookings, household, existing)


def check_contact(contact: Contact) -> None:
    """Refuse a new household without a name (staff need something to call it)."""
    if not contact.name.strip():
        raise DomainError("household_name_missing")


def record(contact: Contact, *, acting: User, zone: str, now: datetime) -> tuple[User, bool]:
    """Record a household by its contact details, inside the caller's write transaction.

    Returns it, and whether its email was an account's already (that account is used, and
    no record is made). The record is audited with who made it.
    """
    check_contact(contact)
    address = normalise_email(contact.email) or None
    household = find_by_email(address) if address else None
    if household is not None:
        _check_bookable_account(household)
        return household, True
    household = User(
        email=address,
        name=contact.name.strip(),
        phone=contact.phone.strip(),
        password_hash=NO_PASSWORD,
        role=Role.FAMILY,
        timezone=zone,
        created_by_id=acting.id,
        created_at=now,
    )
    feeds.give_feed_token(household)
    db.session.add(household)
    db.session.flush()
    audit.add(
        acting, "household.create", f"user:{household.id}", now=now, households=[household.id]
    )
    return household, False


def _check_bookable_account(account: User) -> None:
    if not account.is_family:
        raise DomainError("email_is_staff")
    if not account.is_active:
        raise DomainError("household_inactive")


def may_look_after(user: User | None, household: User) -> bool:
    """Whether ``user`` may see and change a household's record (see ``permissions``)."""
    if user is None or not household.is_family:
        return False
    theirs = household.created_by_id == user.id or _booked_with(user, household.id)
    return permissions.can_look_after_household(user, household, recorded_or_booked_by_them=theirs)


def _booked_with(user: User, household_id: int) -> bool:
    """Whether the household ever booked into a workshop ``user`` runs."""
    found = db.session.scalar(
        select(Booking.id)
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .where(Booking.family_id == household_id, permissions.managed_workshops_clause(user))
        .limit(1)
    )
    return found is not None


@dataclass(frozen=True)
class HouseholdView:
    """A household's record as staff see it, with its bookings in their workshops."""

    household: User
    recorded_by: User | None
    bookings: list[Booking]


def view(household: User, viewer: User, *, now: datetime) -> HouseholdView:
    """A household's record and its bookings to come in workshops ``viewer`` runs; audited."""
    audit.record(
        viewer, "household.view", f"user:{household.id}", now=now, households=[household.id]
    )
    bookings = db.session.scalars(
        select(Booking)
        .join(Booking.session)
        .join(WorkshopSession.workshop)
        .where(
            Booking.family_id == household.id,
            Booking.is_open(now),
            permissions.managed_workshops_clause(viewer),
        )
        .order_by(WorkshopSession.starts_at, Booking.id)
    )
    recorded_by = db.session.get(User, household.created_by_id) if household.created_by_id else None
    return HouseholdView(household, recorded_by, list(bookings))


def send_claim_link(household_id: int, email: str, *, acting: User, now: datetime) -> EmailLink:
    """Give a household record an address and email it a link to claim the record.

    An address another account has is refused in words, never merged: the two may be
    different families, and only an admin can tell.
    """
    address = normalise_email(email)
    if not address:
        raise DomainError("household_email_missing")
    try:
        with write_transaction() as transaction:
            found = lock(User, [household_id])
            household = found[0] if found else None
            if household is None or not may_look_after(acting, household):
                raise DomainError("household_not_found")
            if not household.is_household_record:
                raise DomainError("household_has_account")
            taken = transaction.scalar(
                select(User.id).where(User.email == address, User.id != household.id)
            )
            if taken is not None:
                raise DomainError("household_email_taken")
            household.email = address
            link = email_links.issue(transaction, household, LinkPurpose.CLAIM, now)
            if link is None:
                raise DomainError("too_many_links")
            audit.add(
                acting,
                "household.claim_link",
                f"user:{household.id}",
                now=now,
                households=[household.id],
            )
    except IntegrityError as error:  # the address was taken at the same moment
        raise DomainError("household_email_taken") from error
    return link


def claimable(token: str, now: datetime) -> User | None:
    """The household record a claim link opens, while it works; else None."""
    link = email_links.find(token, LinkPurpose.CLAIM, now)
    household = db.session.get(User, link.user_id) if link else None
    return household if household is not None and household.is_household_record else None


def claim(token: str, password: str, *, now: datetime) -> User:
    """Set the household's own password with its claim link: the record becomes its account.

    Following the emailed link proves the address, so it is confirmed too.
    """
    password_hash = hash_password(password)  # slow on purpose: outside the write lock
    with write_transaction() as transaction:
        household = email_links.use(transaction, token, LinkPurpose.CLAIM, now)
        if not household.is_household_record:
            raise DomainError("link_unusable")  # claimed another way since it was sent
        household.password_hash = password_hash
        household.email_verified_at = household.email_verified_at or now
        audit.add(
            household,
            "household.claimed",
            f"user:{household.id}",
            now=now,
            households=[household.id],
        )
    return household
