"""Admin pages: the audit trail, the outbox, accounts (``accounts.py``) and the
retention purge (``retention.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from scheduler.csvexport import table_csv
from scheduler.extensions import db
from scheduler.models import AuditEvent, Role, User
from scheduler.services import audit, dispatch
from scheduler.services.audit import trail as audit_trail
from scheduler.web.access import role_required
from scheduler.web.admin.forms import AuditFilterForm
from scheduler.web.filters import person_name
from scheduler.web.headers import private_download
from scheduler.web.requests import id_arg
from scheduler.web.trail import shown

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
    # Pages that name households, each look kept with the households it named (issue 18).
    "dashboard.view": _l("Saw their dashboard, naming households"),
    "workshop.view": _l("Saw a workshop's attendance, naming households"),
    "session.capacity_conflict": _l("Saw the households fewer seats would move to the waitlist"),
    "booking.move_view": _l("Opened a household's booking to move it"),
    "group_message.preview": _l("Saw a household's copy of a message to a group"),
    "counseling.list_view": _l("Saw a list of counseling appointments"),
    "account.view": _l("Saw the account of"),
    "account.list_view": _l("Saw the list of accounts"),
    "audit.view": _l("Saw the audit log"),
    "audit.export": _l("Downloaded the audit log"),
}

#: Who did it when nobody was signed in (a letter checked by its code).
NOBODY = _l("Someone not signed in")


@dataclass(frozen=True)
class EventRow:
    """One audit event as the page shows it: its words, the account it names, and the
    households it showed or touched."""

    event: AuditEvent
    what: str
    account: User | None
    who: str
    households: list[tuple[int, str]]


def _account_id(subject: str) -> int | None:
    """The account a subject names (``user:7``), if it names one."""
    number = subject.removeprefix("user:")
    return int(number) if subject.startswith("user:") and number.isdigit() else None


def _rows(found: list[audit.EventRow]) -> list[EventRow]:
    """Word the events, and name the accounts they are about and who did them, in one query.

    Each by the name staff see now (``User.staff_name``): a household that chose an
    alias after an entry was written is not named by its real name here; an account
    gone keeps the name the entry was written with.
    """
    ids = {i for row in found if (i := _account_id(row.event.subject)) is not None} | {
        row.event.actor_id for row in found if row.event.actor_id is not None
    }
    named = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return [
        EventRow(
            event=row.event,
            what=str(ACTIONS.get(row.event.action, row.event.action)),
            account=named.get(_account_id(row.event.subject) or 0),
            who=_who(row.event, named.get(row.event.actor_id or 0)),
            households=[(i, person_name(name)) for i, name in row.households],
        )
        for row in found
    ]


def _filter_form() -> AuditFilterForm:
    """The filter as the address asks, offering staff by name and kinds by their words."""
    form = AuditFilterForm(formdata=request.args)
    staff = db.session.execute(
        select(User.id, User.name)
        .where(User.role.in_([Role.FACILITATOR, Role.ADMIN]))
        .order_by(func.lower(User.name), User.id)
    )
    form.offer([(user_id, name) for user_id, name in staff], _action_words())
    return form


def _action_words() -> dict[str, str]:
    return {code: str(words) for code, words in ACTIONS.items()}


def _refused(form: AuditFilterForm) -> tuple[str, int]:
    """The page with what can't be read said beside it (400), and nothing looked up."""
    return render_template("admin/audit.html", form=form, listing=None, rows=[], filtered={}), 400


def _who(event: AuditEvent, actor: User | None) -> str:
    """Who did it; "Someone not signed in" when nobody was.

    Staff by the name they had then (the trail keeps it); a household by the name staff
    see now, so one that chose an alias after the entry is not named by its real name.
    """
    if actor is not None and actor.is_family:
        return person_name(actor.staff_name)
    return person_name(event.actor_name) if event.actor_name else str(NOBODY)


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> tuple[str, int]:
    """The trail, filtered and a page at a time; the look at it is itself audited."""
    form = _filter_form()
    if not form.validate():
        return _refused(form)
    wanted = form.wanted()
    listing = audit.search(wanted, page=id_arg("page") or 1)
    household_name = audit_trail.account_name(wanted.household_id)
    page = render_template(
        "admin/audit.html",
        form=form,
        listing=listing,
        rows=_rows(listing.rows),
        filtered=form.args(),
        household_name=household_name,
    )
    # The family filtered by is named at the top even when it has no entries.
    named = listing.household_ids | (
        {wanted.household_id} if household_name and wanted.household_id else set()
    )
    return shown(page, "audit.view", "audit", named, always=True), 200


@bp.get("/audit.csv")
@role_required(Role.ADMIN)
def audit_export() -> ResponseReturnValue:
    """Every entry the filter picks out, as CSV (audited, with the households it names)."""
    form = _filter_form()
    if not form.validate():
        return _refused(form)
    found = audit.export_rows(form.wanted())
    rows = _rows(found)
    body = table_csv(
        [
            _("When (UTC)"),
            _("Who"),
            _("Their account"),
            _("What"),
            _("Code"),
            _("Of"),
            _("Families"),
            _("Family account numbers"),
        ],
        (
            [
                row.event.created_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                row.who,
                row.event.actor_id,
                row.what,
                row.event.action,
                row.event.subject,
                "; ".join(name for _id, name in row.households),
                " ".join(str(household_id) for household_id, _name in row.households),
            ]
            for row in rows
        ),
    )
    response = private_download(body, "text/csv", "audit-log.csv")
    households = {h for row in found for h, _name in row.households}
    return shown(response, "audit.export", "audit", households, always=True)


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox() -> str:
    return render_template("admin/outbox.html", overview=dispatch.overview())


from scheduler.web.admin import accounts, retention  # noqa: E402, F401
