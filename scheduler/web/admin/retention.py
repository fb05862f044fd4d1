"""The admin's page of the retention purge: what each daily run purged, and the settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext as _
from flask_babel import ngettext

from scheduler.models import RetentionRun, Role
from scheduler.services import retention
from scheduler.web.access import role_required
from scheduler.web.admin.routes import bp

#: What each step's count means, in words; a step without words (one added later) is
#: shown by its name.
STEP_WORDS: dict[str, Callable[[int], str]] = {
    "booking_needs": lambda n: ngettext(
        "Needs and notes cleared from %(num)d booking of a past session",
        "Needs and notes cleared from %(num)d bookings of past sessions",
        n,
    ),
    "appointment_notes": lambda n: ngettext(
        "Notes cleared from %(num)d past counseling appointment",
        "Notes cleared from %(num)d past counseling appointments",
        n,
    ),
    "group_message_words": lambda n: ngettext(
        "Words cleared from %(num)d message to a group",
        "Words cleared from %(num)d messages to a group",
        n,
    ),
    "outbox_errors": lambda n: ngettext(
        "Error text cleared from %(num)d sent email",
        "Error text cleared from %(num)d sent emails",
        n,
    ),
    "audit_events": lambda n: ngettext(
        "%(num)d old entry of the audit log deleted",
        "%(num)d old entries of the audit log deleted",
        n,
    ),
    "unconfirmed_accounts": lambda n: ngettext(
        "%(num)d unconfirmed, unused account deleted",
        "%(num)d unconfirmed, unused accounts deleted",
        n,
    ),
    "email_links": lambda n: ngettext(
        "%(num)d used or expired email link deleted",
        "%(num)d used or expired email links deleted",
        n,
    ),
    "sign_ins": lambda n: ngettext(
        "%(num)d ended sign-in deleted", "%(num)d ended sign-ins deleted", n
    ),
    "login_failures": lambda n: ngettext(
        "%(num)d old failed login deleted", "%(num)d old failed logins deleted", n
    ),
    "closed_accounts": lambda n: ngettext(
        "%(num)d closed account erased after its grace period",
        "%(num)d closed accounts erased after their grace period",
        n,
    ),
}


@dataclass(frozen=True)
class RunRow:
    """One run as the page shows it: its record and a sentence per step."""

    run: RetentionRun
    lines: list[str]


def _said(name: str, count: int | None) -> str:
    if count is None:
        return _("%(step)s: stopped with an error (see the log)", step=name)
    words = STEP_WORDS.get(name)
    return words(count) if words else f"{name}: {count}"


@bp.get("/retention")
@role_required(Role.ADMIN)
def retention_runs() -> str:
    rows = [
        RunRow(run=run, lines=[_said(name, n) for name, n in run.counts.items()])
        for run in retention.recent_runs()
    ]
    return render_template("admin/retention.html", rows=rows, periods=retention.periods())
