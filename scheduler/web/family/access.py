"""A family's own access trail: who on staff saw or acted on its data, and when."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from scheduler.models import Role
from scheduler.services import audit
from scheduler.web.access import role_required
from scheduler.web.family.routes import bp
from scheduler.web.requests import id_arg


@bp.get("/account/access")
@role_required(Role.FAMILY)
def access() -> str:
    """Every entry of the household's trail, newest first, a page at a time."""
    trail = audit.seen_by_staff(current_user.id, page=id_arg("page") or 1)
    return render_template("family/access.html", trail=trail)
