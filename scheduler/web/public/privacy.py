"""The privacy page: what Hearth keeps, why, for how long (from the settings), who sees it."""

from __future__ import annotations

from flask import render_template

from scheduler.services import retention
from scheduler.web.page_cache import kept_page
from scheduler.web.public.routes import bp


@bp.get("/privacy")
# The same for every visitor but for its language; it changes only with the settings.
@kept_page(retention.periods)
def privacy() -> str:
    return render_template("public/privacy.html", periods=retention.periods())
