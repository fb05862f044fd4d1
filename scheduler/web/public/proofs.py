"""Checking a letter of attendance: anyone who holds one opens its link or types its code.

The page answers valid (with the letter's own facts), revoked, or not found, and
nothing else: no menu, no links into Hearth, kept out of search engines and caches.
The code is a bearer secret, so its path is kept out of logs (``scheduler/logs.py``).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from scheduler import i18n
from scheduler.services import letters
from scheduler.services.letters import Verdict
from scheduler.timeutil import utcnow
from scheduler.web.limits import limit
from scheduler.web.public.routes import bp

#: The answer's status: a valid letter is a page, one taken back is gone, else none.
_STATUS = {
    Verdict.VALID: 200,
    Verdict.REVOKED: 410,
    Verdict.UNAVAILABLE: 410,
    Verdict.NOT_FOUND: 404,
}
#: Keeps the page out of search engines, whatever robots.txt says.
NOINDEX = "noindex, nofollow, noarchive"


def _bare(template: str, status: int, **shown: object) -> ResponseReturnValue:
    return render_template(template, **shown), status, {"X-Robots-Tag": NOINDEX}


@bp.get("/proof")
def proof_form() -> ResponseReturnValue:
    """Type a letter's code in; a code that can be one opens its page."""
    typed = request.args.get("code", "")[:100]
    if not typed:
        return _bare("public/proof_form.html", 200, typed="", error=None)
    code = letters.normalise_code(typed)
    if code is None:
        error = _(
            "That isn't the shape of a code from a letter: 16 letters and numbers, "
            "like 7KQ2-M9XD-4HTR-WB3P. Please check it and try again."
        )
        return _bare("public/proof_form.html", 422, typed=typed, error=error)
    return redirect(url_for("public.proof", token=code), 303)


@bp.get("/proof/<token>")
@limit("RATELIMIT_PROOF_CHECKS", methods=("GET",))
def proof(token: str) -> ResponseReturnValue:
    """Whether the letter with this code is valid, and if so what it says."""
    check = letters.check(token[:100], now=utcnow())
    text = (
        letters.letter_text(check.facts, code=check.code, language=i18n.current_language())
        if check.facts is not None
        else None
    )
    return _bare("public/proof.html", _STATUS[check.verdict], check=check, text=text)
