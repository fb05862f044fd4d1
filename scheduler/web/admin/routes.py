"""Admin pages: the audit trail, the outbox, accounts (``accounts.py``) and the
retention purge (``retention.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, render_template
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from scheduler.extensions import db
from scheduler.models import AuditEvent, Role, User
from scheduler.services import audit, dispatch
from scheduler.web.access import role_required
from scheduler.web.filters import person_name

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: What each kind of audit event means, for people; the code stays beside it.
ACTIONS: dict[str, LazyString] = {
    "roster.view": _l("Saw a roster"),
    "roster.export": _l("Downloaded a roster"),
    "view_appointment": _l("Saw a counseling appointment"),
    "account.invite": _l("Invited"),
    "account.invite_accepted": _l("Joined by invitation"),
    "account.role": _l("Changed the role of"),
    "account.deactivate": _l("Switched off the account of"),
    "account.reactivate": _l("Switched on again the account of"),
    # Closing an account (services/closing.py): by its household, or an admin on request.
    "account.close": _l("Closed the account of"),
    "account.reopen": _l("Reopened their account"),
    "account.name": _l("Changed their name"),
    "account.staff_name": _l("Chose how staff see their name"),
    "account.email_requested": _l("Asked to change their email address"),
    "account.email_changed": _l("Changed their email address"),
    "account.password": _l("Changed their password"),
    "act_for.book": _l("Booked for a household"),
    "act_for.cancel": _l("Cancelled a booking for a household"),
    "act_for.move": _l("Moved a household's booking"),
    "act_for.needs": _l("Changed a household's needs"),
    "act_for.appointment_move": _l("Moved a counseling appointment"),
    "household.create": _l("Recorded a household"),
    "household.search": _l("Searched for a household"),
    "household.view": _l("Saw a household's details"),
    "household.claim_link": _l("Sent a household the link to claim its record"),
    "household.claimed": _l("Claimed their household record"),
    "needs.view": _l("Saw a household's needs"),
    "workshop.cofacilitator_add": _l("Added a facilitator to a workshop"),
    "workshop.cofacilitator_remove": _l("Took a facilitator off a workshop"),
    "workshop.lead": _l("Changed who leads a workshop"),
    # attendance at the door (services/attendance.py)
    "attendance.attended": _l("Marked a household as came"),
    "attendance.late": _l("Marked a household as came late"),
    "attendance.absent": _l("Marked a household as absent"),
    "attendance.walk_in": _l("Added a household at the door"),
    "attendance.over_capacity": _l("Let a household in over the session's capacity"),
    "attendance.appointment_attended": _l("Marked that a family came to an appointment"),
    "attendance.no_show": _l("Marked that a family didn't come to an appointment"),
    # Messages to a group (services/group_messages.py).
    "group_message.send": _l("Wrote to the families of a session or series"),
    # Letters of attendance: asked for and taken back by a family, checked by anyone.
    "letter.issue": _l("Asked for a letter of attendance"),
    "letter.revoke": _l("Took back a letter of attendance"),
    "letter.verify": _l("Checked a letter of attendance by its code"),
    # A family's copy of its data (services/data_export/).
    "data.export_requested": _l("Asked for a copy of their information"),
    "data.export_downloaded": _l("Downloaded a copy of their information"),
}

#: Who did it when nobody was signed in (a letter checked by its code).
NOBODY = _l("Someone not signed in")


@dataclass(frozen=True)
class EventRow:
    """One audit event as the page shows it: its words, and the account it names."""

    event: AuditEvent
    what: str
    account: User | None
    who: str


def _rows(events: list[AuditEvent]) -> list[EventRow]:
    """Name the accounts the events are about, and who did them, in one query.

    Each by the name staff see now (``User.staff_name``): a household that chose an
    alias after an entry was written is not named by its real name here; an account
    gone keeps the name the entry was written with.
    """
    ids = {
        int(e.subject.removeprefix("user:"))
        for e in events
        if e.subject.startswith("user:") and e.subject.removeprefix("user:").isdigit()
    } | {e.actor_id for e in events if e.actor_id is not None}
    named = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [
        EventRow(
            event=e,
            what=str(ACTIONS.get(e.action, e.action)),
            account=named.get(int(e.subject[5:])) if e.subject[5:].isdigit() else None,
            who=_who(e, named.get(e.actor_id) if e.actor_id is not None else None),
        )
        for e in events
    ]


def _who(event: AuditEvent, actor: User | None) -> str:
    """Who did it, as staff see them; "Someone not signed in" when nobody was."""
    if actor is not None:
        return person_name(actor.staff_name)
    return person_name(event.actor_name) if event.actor_name else str(NOBODY)


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> str:
    return render_template("admin/audit.html", rows=_rows(audit.recent()))


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox() -> str:
    return render_template("admin/outbox.html", overview=dispatch.overview())


from scheduler.web.admin import accounts, retention  # noqa: E402, F401
