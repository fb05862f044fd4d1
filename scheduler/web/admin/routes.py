"""Admin pages: the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template

from scheduler.models import Role
from scheduler.services import audit, dispatch
from scheduler.web.access import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> str:
    return render_template("admin/audit.html", events=audit.recent())


@bp.get("/outbox")
@role_required(Role.ADMIN)
def outbox() -> str:
    return render_template("admin/outbox.html", overview=dispatch.overview())
