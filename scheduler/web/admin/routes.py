"""Admin pages: the audit trail."""

from __future__ import annotations

from flask import Blueprint, render_template

from scheduler.models import Role
from scheduler.services import audit
from scheduler.web.access import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit_log() -> str:
    return render_template("admin/audit.html", events=audit.recent())
