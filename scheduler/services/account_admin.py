"""Admins manage accounts: find them, change roles, switch accounts off and on again.

Every change is audited in its own transaction (``audit.add``), and made only by an
active admin, checked again under the rows' locks. Two rules keep Hearth manageable:
an admin never demotes or switches off their own account, and the last active admin
stays one. A facilitator who leaves never leaves sessions silently behind: the admin
chooses who takes the workshops over, or cancels the sessions (families are told);
their counseling closes and upcoming appointments are cancelled (families are told).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, distinct, false, func, or_, select

from scheduler.database import write_transaction
from scheduler.extensions import db
from scheduler.models import (
    Booking,
    Role,
    SessionStatus,
    User,
    Workshop,
    WorkshopFacilitator,
    WorkshopSession,
)
from scheduler.services import accounts, audit, cofacilitators, counseling, permissions, series
from scheduler.services.catalog import PageNumbers
from scheduler.services.errors import DomainError
from scheduler.services.locks import lock

#: The roles an admin gives: staff only (a family's account stays a family's).
STAFF_ROLES = (Role.FACILITATOR, Role.ADMIN)
#: Accounts per page of the list.
PER_PAGE = 25


class AccountState(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    INVITED = "invited"


class Upon(StrEnum):
    """What happens to the upcoming sessions of a facilitator who is switched off."""

    HAND_OVER = "hand_over"
    CANCEL = "cancel"


def state_of(user: User) -> AccountState:
    """Active, switched off, or invited and not joined yet."""
    if user.is_active:
        return AccountState.ACTIVE
    return AccountState.INVITED if user.is_invited else AccountState.DEACTIVATED


def _state_clause(state: AccountState) -> ColumnElement[bool]:
    if state is AccountState.ACTIVE:
        return User.active.is_(True)
    if state is AccountState.INVITED:
        return User.invited_at.is_not(None)
    return (User.active.is_(False)) & User.invited_at.is_(None)


@dataclass(frozen=True)
class AccountPage(PageNumbers):
    """One page of the accounts an admin searched for."""

    accounts: list[User]
    page: int
    pages: int
    total: int


def _like(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, its own % and _ taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(
    *,
    text: str = "",
    role: str | None = None,
    state: AccountState | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> AccountPage:
    """Accounts by name, with ``text`` in their name, alias or address; a page past the
    end is the last page.

    Found, listed and ordered by the name staff see (``User.staff_name``) or the email,
    as in ``households.search``: a household's real name finds it only when that is
    the name it chose, so a guessed name never tells which alias answers to it.
    """
    where: list[ColumnElement[bool]] = []
    if text.strip():
        pattern = _like(text.strip())
        where.append(
            or_(
                func.lower(User.staff_name).like(pattern, escape="\\"),
                User.email.like(pattern, escape="\\"),
            )
        )
    if role is not None:
        where.append(User.role == role if role in set(Role) else false())
    if state is not None:
        where.append(_state_clause(state))
    total = db.session.scalar(select(func.count()).select_from(User).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    found = db.session.scalars(
        select(User)
        .where(*where)
        .order_by(func.lower(User.staff_name), User.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return AccountPage(list(found), page, pages, total)


@dataclass(frozen=True)
class Upcoming:
    """What a facilitator still has to come: what switching them off would touch."""

    sessions: int
    workshops: int
    households: int
    appointments: int
    #: Workshops they run with the lead as a co-facilitator: they are taken off them.
    shared: int = 0
    #: Workshops they lead with an active co-facilitator, who leads them unless handed over.
    led_with_others: int = 0
    #: Who runs their upcoming workshops with them, by name: who could take them over.
    cofacilitators: list[str] = field(default_factory=list)


def _upcoming_sessions(user_id: int, now: datetime) -> list[tuple[int, int]]:
    """(session id, workshop id) of the sessions still to come in the workshops this
    person leads (those they co-run go on with their lead)."""
    rows = db.session.execute(
        select(WorkshopSession.id, WorkshopSession.workshop_id)
        .join(Workshop)
        .where(
            Workshop.facilitator_id == user_id,
            WorkshopSession.status == SessionStatus.SCHEDULED,
            WorkshopSession.starts_at > now,
        )
        .order_by(WorkshopSession.id)
    )
    return [(session_id, workshop_id) for session_id, workshop_id in rows]


def _cofacilitators_of(workshop_ids: set[int]) -> list[str]:
    """The active co-facilitators of these workshops, by name, each once."""
    if not workshop_ids:
        return []
    names = db.session.scalars(
        select(User.name)
        .join(WorkshopFacilitator, WorkshopFacilitator.user_id == User.id)
        .where(WorkshopFacilitator.workshop_id.in_(workshop_ids), User.active.is_(True))
        .group_by(User.id, User.name)
        .order_by(func.lower(User.name), User.id)
    )
    return list(names)


def upcoming_of(user_id: int, now: datetime) -> Upcoming:
    """Count a person's upcoming sessions, the households booked in them, their
    upcoming counseling appointments, and the workshops they share with a lead."""
    sessions = _upcoming_sessions(user_id, now)
    workshops = {w for _, w in sessions}
    households = 0
    if sessions:
        households = (
            db.session.scalar(
                select(func.count(distinct(Booking.family_id))).where(
                    Booking.session_id.in_([s for s, _ in sessions]), Booking.is_active
                )
            )
            or 0
        )
    return Upcoming(
        sessions=len(sessions),
        workshops=len(workshops),
        households=households,
        appointments=len(counseling.upcoming_with(user_id, now)),
        shared=len(cofacilitators.shared_by(user_id)),
        led_with_others=len(cofacilitators.led_with_others(user_id)),
        cofacilitators=_cofacilitators_of(workshops),
    )


def successors(leaving_id: int) -> list[User]:
    """Who may take a leaving facilitator's workshops over: active staff, by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.id != leaving_id, User.active.is_(True), User.role.in_(STAFF_ROLES))
            .order_by(func.lower(User.name), User.id)
        )
    )


def acting_admin(admin_id: int, *others: int) -> tuple[User, list[User | None]]:
    """Lock the acting admin's row and the others' (in id order); check the admin may act."""
    rows = {user.id: user for user in lock(User, [admin_id, *others])}
    admin = rows.get(admin_id)
    if admin is None or not permissions.can_manage_accounts(admin):
        raise DomainError("not_allowed")
    return admin, [rows.get(other) for other in others]


def _target(admin: User, user: User | None) -> User:
    if user is None:
        raise DomainError("account_not_found")
    if user.id == admin.id:
        raise DomainError("own_account")
    return user


def _keep_an_admin(leaving: User) -> None:
    """Refuse to take the last active admin away (the acting admin is one, so this is
    the last line of defence, not the only one)."""
    if not (leaving.is_admin and leaving.is_active):
        return
    others = db.session.scalar(
        select(func.count()).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != leaving.id
        )
    )
    if not others:
        raise DomainError("last_admin")


def change_role(admin_id: int, user_id: int, role: str, *, now: datetime) -> bool:
    """Make a staff account a facilitator or an admin; False when it already was."""
    if role not in STAFF_ROLES:
        raise DomainError("bad_role")
    with write_transaction():
        admin, (found,) = acting_admin(admin_id, user_id)
        user = _target(admin, found)
        if user.is_family:
            raise DomainError("family_role")
        if user.role == role:
            return False
        if role != Role.ADMIN:
            _keep_an_admin(user)
        user.role = role
        audit.add(admin, "account.role", f"user:{user.id}", now=now, households=[user.id])
    return True


@dataclass(frozen=True)
class Deactivated:
    """What switching an account off did besides."""

    handed_over: int
    sessions_cancelled: int
    appointments_cancelled: int


def deactivate(
    admin_id: int,
    user_id: int,
    *,
    upon: Upon | None = None,
    successor_id: int | None = None,
    now: datetime,
) -> Deactivated:
    """Switch an account off: it can't log in, its sign-ins end, its calendar link goes.

    A facilitator's upcoming sessions are handed over (their workshops, to
    ``successor_id``) or cancelled, as ``upon`` says; with sessions to come and no
    choice, nothing happens (``upcoming_needs_choice``). They leave the workshops they
    co-run, and those they lead with others not handed over pass to a co-facilitator
    (``cofacilitators.step_down``). A family's bookings stay.
    """
    with write_transaction():
        others = [user_id] if successor_id in (None, user_id) else [user_id, successor_id]
        admin, (found, *rest) = acting_admin(admin_id, *others)
        user = _target(admin, found)
        if state_of(user) is AccountState.DEACTIVATED:
            raise DomainError("already_deactivated")
        _keep_an_admin(user)
        sessions = _upcoming_sessions(user.id, now)
        led = {w for _, w in sessions}
        # Every workshop this touches, in one lock (key order): those handed over, and
        # those shared with others (``cofacilitators.step_down``).
        handing = led if upon is Upon.HAND_OVER else set()
        lock(Workshop, [*handing, *_shared_with_others(user.id)])
        handed_over = cancelled = 0
        if sessions and upon is None:
            raise DomainError("upcoming_needs_choice", count=len(sessions))
        if sessions and upon is Upon.HAND_OVER:
            successor = rest[0] if rest else None
            if successor is None or not successor.is_active or successor.is_family:
                raise DomainError("bad_successor")
            handed_over = _hand_over(led, successor)
            _audit_workshops(admin, "workshop.lead", led, now)
        elif sessions:
            cancelled = len(series.cancel_open_sessions([s for s, _ in sessions], now=now))
        appointments = counseling.close_practice(user.id, now=now) if not user.is_family else []
        stepped = cofacilitators.step_down(user.id)
        _audit_workshops(admin, "workshop.cofacilitator_remove", stepped.left, now)
        _audit_workshops(admin, "workshop.lead", stepped.passed_on, now)
        accounts.switch_off(user, now)
        audit.add(admin, "account.deactivate", f"user:{user.id}", now=now, households=[user.id])
    return Deactivated(handed_over, cancelled, len(appointments))


def _hand_over(workshop_ids: set[int], successor: User) -> int:
    """Give whole workshops (their past sessions too: one roster history) to another,
    who leads them from now on: co-facilitating one already, they lead it instead."""
    workshops = lock(Workshop, workshop_ids)
    for workshop in workshops:
        workshop.facilitator_id = successor.id
        for row in [r for r in workshop.cofacilitators if r.user_id == successor.id]:
            workshop.cofacilitators.remove(row)  # an orphan, deleted: one row per runner
    return len(workshops)


def _shared_with_others(user_id: int) -> list[int]:
    return [*cofacilitators.shared_by(user_id), *cofacilitators.led_with_others(user_id)]


def _audit_workshops(admin: User, action: str, workshop_ids: Iterable[int], now: datetime) -> None:
    for workshop_id in sorted(workshop_ids):
        audit.add(admin, action, f"workshop:{workshop_id}", now=now)


def deactivate_by_command(user_id: int, *, now: datetime) -> cofacilitators.SteppedDown:
    """``flask users deactivate``: switch an account off with no admin acting (whoever
    runs the command), as :func:`deactivate` does for one with nothing to come."""
    with write_transaction():
        found = lock(User, [user_id])
        if not found:
            raise DomainError("account_not_found")
        lock(Workshop, _shared_with_others(user_id))
        stepped = cofacilitators.step_down(user_id)
        accounts.switch_off(found[0], now)
    return stepped


def reactivate(admin_id: int, user_id: int, *, now: datetime) -> None:
    """Switch an account on again; its owner logs in with the password they had.

    Its private calendar link stays gone until they make a new one on their account
    page, and a counselor opens their counseling again themselves.
    """
    with write_transaction():
        admin, (found,) = acting_admin(admin_id, user_id)
        user = _target(admin, found)
        if state_of(user) is not AccountState.DEACTIVATED:
            raise DomainError("not_deactivated")
        if user.is_closed:  # only its household reopens it, with the emailed link
            raise DomainError("closed_by_household")
        user.active = True
        audit.add(admin, "account.reactivate", f"user:{user.id}", now=now, households=[user.id])
