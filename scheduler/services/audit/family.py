"""A family's own trail: who else looked at or acted on its data, and when.

Plain facts (when, who by name and role, the action's code and words for the family),
read by the account page, its full list and a family's data export. The family's own
actions on its own data (its name, its password) are its own, not "staff looked".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import aliased

from scheduler.extensions import db
from scheduler.models import AuditEvent, AuditEventHousehold, User
from scheduler.services.audit.trail import counted
from scheduler.services.catalog import PageNumbers

#: What each kind of event did, told to the family it is about.
FAMILY_WORDS: dict[str, LazyString] = {
    "roster.view": _l("Saw your household on a session's list"),
    "roster.export": _l("Downloaded a session's list with your household on it"),
    "view_appointment": _l("Saw your counseling appointment"),
    "counseling.list_view": _l("Saw your appointment in a list of appointments"),
    "dashboard.view": _l("Saw your household's name on their dashboard"),
    "workshop.view": _l("Saw your household's attendance on a workshop's page"),
    "session.capacity_conflict": _l("Saw that fewer seats would move your household's booking"),
    "account.view": _l("Saw your account's details"),
    "account.list_view": _l("Saw your name and email address in the list of accounts"),
    "account.role": _l("Changed your account's role"),
    "account.deactivate": _l("Switched off your account"),
    "account.reactivate": _l("Switched your account on again"),
    "act_for.book": _l("Booked seats for your household"),
    "act_for.cancel": _l("Cancelled a booking for your household"),
    "act_for.move": _l("Moved your household's booking"),
    "booking.move_view": _l("Opened your household's booking to move it"),
    "act_for.needs": _l("Changed your household's needs"),
    "act_for.appointment_move": _l("Moved your counseling appointment"),
    "household.create": _l("Recorded your household"),
    "household.search": _l("Found your household in a search"),
    "household.view": _l("Saw your household's details"),
    "household.claim_link": _l("Sent you the link to claim your household's record"),
    "needs.view": _l("Saw your household's needs"),
    "attendance.attended": _l("Marked your household as came"),
    "attendance.late": _l("Marked your household as came late"),
    "attendance.absent": _l("Marked your household as absent"),
    "attendance.walk_in": _l("Added your household at the door"),
    "attendance.over_capacity": _l("Let your household in over the session's capacity"),
    "attendance.appointment_attended": _l("Marked that you came to an appointment"),
    "attendance.no_show": _l("Marked that you didn't come to an appointment"),
    "group_message.send": _l("Wrote to your household, with the rest of a group"),
    "group_message.preview": _l("Saw the copy of a group message your household would get"),
    "letter.verify": _l("Checked your letter of attendance by its code"),
    "audit.view": _l("Saw entries about your household in the access log"),
    "audit.export": _l("Downloaded entries about your household from the access log"),
}
#: For a kind of event with no words of its own yet.
SOME_ACTION = _l("Saw or changed your household's details")


@dataclass(frozen=True)
class StaffLook:
    """One look at (or act on) a family's data by someone else, as plain facts."""

    when: datetime
    #: The name they had then (kept if their account is removed); "" for someone not
    #: signed in (a letter checked by its code).
    actor_name: str
    #: Their role now (``facilitator``, ``admin``); None if not signed in or removed.
    actor_role: str | None
    action: str
    words: str


@dataclass(frozen=True)
class TrailPage(PageNumbers):
    """One page of a family's trail, newest first."""

    looks: list[StaffLook]
    page: int
    pages: int
    total: int


def _about(household_id: int) -> list[ColumnElement[bool]]:
    """Events linked to the household, not done by the household itself."""
    linked = select(AuditEventHousehold.event_id).where(
        AuditEventHousehold.household_id == household_id
    )
    return [
        AuditEvent.id.in_(linked),
        or_(AuditEvent.actor_id.is_(None), AuditEvent.actor_id != household_id),
    ]


def seen_by_staff(household_id: int, *, page: int = 1, per_page: int | None = 20) -> TrailPage:
    """Who else saw or acted on a household's data, newest first, a page at a time
    (``per_page=None``: every entry on one page, as a data export reads it). Two
    statements at any size (three for every entry)."""
    where = _about(household_id)
    if per_page is None:  # everything: the count is the page's size
        per_page = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*where))
    size = max(per_page or 0, 1)
    total, page, pages = counted(where, page, size)
    actor = aliased(User)
    rows = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.actor_name, actor.role, AuditEvent.action)
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .where(*where)
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset((page - 1) * size)
        .limit(size)
    )
    looks = [
        StaffLook(
            when=when,
            actor_name=name,
            actor_role=str(role) if role is not None else None,
            action=action,
            words=str(FAMILY_WORDS.get(action, SOME_ACTION)),
        )
        for when, name, role, action in rows
    ]
    return TrailPage(looks, page, pages, total)
