"""A household's letters of attendance: choose sessions it attended, see the letter,
ask for it, download it, take it back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from scheduler import i18n
from scheduler.letter_pdf import LetterText
from scheduler.models import AttendanceLetter, Role
from scheduler.services import letters
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import role_required
from scheduler.web.family.forms import LetterForm, LetterPreviewForm, RevokeLetterForm
from scheduler.web.family.routes import bp
from scheduler.web.headers import private_download
from scheduler.web.limits import by_account, limit

#: A rule's "no" that is really a form left empty: said as a form error (422).
_FORM_ERRORS = {"letter_nothing_chosen"}


@dataclass(frozen=True)
class LetterRow:
    """One of the family's letters as its page lists it, worded in the page's language."""

    letter: AttendanceLetter
    text: LetterText


def _page(status: int = 200, *, error: str | None = None, **shown: Any) -> tuple[str, int]:
    """The letters page: what the family may ask a letter for, and its letters."""
    now = utcnow()
    language = i18n.current_language()
    rows = [
        LetterRow(
            letter,
            letters.letter_text(
                letters.LetterFacts.of(letter), code=letter.code, language=language
            ),
        )
        for letter in letters.letters_of(current_user.id)
    ]
    groups = letters.attended_groups(current_user.id, now=now)
    return render_template(
        "family/proofs.html",
        # Each group with the wordings it offers (a workshop's and a counselor's differ).
        groups=[(g, letters.wording_choices(g.kind, g.name)) for g in groups],
        rows=rows,
        revoke_form=RevokeLetterForm(),
        error=error,
        **shown,
    ), status


def _form_errors(form: LetterForm | RevokeLetterForm) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


def _refused(error: DomainError) -> tuple[str, int]:
    return _page(422 if error.code in _FORM_ERRORS else 409, error=error.message)


@bp.get("/account/proofs")
@role_required(Role.FAMILY)
def proofs() -> ResponseReturnValue:
    return _page()


@bp.get("/account/proofs/preview")
@role_required(Role.FAMILY)
def proof_preview() -> ResponseReturnValue:
    """Exactly what the letter will say, before it is made (a GET: nothing changes)."""
    form = LetterPreviewForm(formdata=request.args)
    if not form.validate():
        return _page(422, error=_form_errors(form))
    try:
        text = letters.preview(current_user.id, **form.chosen(), now=utcnow())
    except DomainError as error:
        return _refused(error)
    return render_template(
        "family/proof_preview.html",
        text=text,
        chosen=form.chosen(),
        form=LetterForm(),
        placeholder=letters.PLACEHOLDER_CODE,
    )


@bp.post("/account/proofs")
@limit("RATELIMIT_PROOF_LETTERS", key=by_account)
@role_required(Role.FAMILY)
def issue_proof() -> ResponseReturnValue:
    form = LetterForm()
    if not form.validate_on_submit():
        return _page(422, error=_form_errors(form))
    try:
        letter = letters.issue(current_user.id, **form.chosen(), now=utcnow())
    except DomainError as error:
        return _refused(error)
    flash(_("Your letter is ready. Download it below."), "success")
    return redirect(url_for("family.proofs", _anchor=f"letter-{letter.id}"), 303)


@bp.get("/account/proofs/<int:letter_id>.pdf")
@role_required(Role.FAMILY)
def proof_pdf(letter_id: int) -> ResponseReturnValue:
    try:
        pdf = letters.download(letter_id, current_user.id)
    except DomainError as error:
        if error.code == "letter_revoked":
            return render_template(
                "errors/error.html", code=410, title=error.message, detail=None
            ), 410
        abort(404)
    return private_download(pdf.content, "application/pdf", pdf.filename)


@bp.post("/account/proofs/<int:letter_id>/revoke")
@role_required(Role.FAMILY)
def revoke_proof(letter_id: int) -> ResponseReturnValue:
    try:
        letters.own_letter(letter_id, current_user.id)
    except DomainError:
        abort(404)
    form = RevokeLetterForm()
    if not form.validate_on_submit():
        return _page(422, error=_form_errors(form))
    letters.revoke(letter_id, current_user.id, now=utcnow())
    flash(
        _("The letter is taken back. Anyone who checks it will be told so."),
        "success",
    )
    return redirect(url_for("family.proofs", _anchor=f"letter-{letter_id}"), 303)
