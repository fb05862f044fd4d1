"""Facilitator pages: writing to the group of a session or a series, through a preview."""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user

from scheduler import settings
from scheduler.models import Workshop
from scheduler.services import group_messages
from scheduler.services.errors import DomainError
from scheduler.timeutil import utcnow
from scheduler.web.access import owned_workshop, role_required
from scheduler.web.manage.message_forms import EDIT, EVERY_SESSION, SEND, GroupMessageForm
from scheduler.web.manage.routes import _STAFF, bp
from scheduler.web.requests import id_arg

#: Where a refusal is shown, by its code (others above the form), and with what status.
_FIELDS = {
    "group_message_empty": ("body", 422),
    "group_message_too_long": ("body", 422),
    "group_message_subject_too_long": ("subject", 422),
    "group_message_session": ("session", 409),
    "group_message_nobody": ("session", 409),
}


@bp.route("/workshops/<int:workshop_id>/messages/new", methods=["GET", "POST"])
@role_required(*_STAFF)
def write_to_group(workshop_id: int) -> ResponseReturnValue:
    """The form; a POST shows the preview (``step=preview``), the form again
    (``step=edit``) or sends (``step=send``)."""
    workshop = owned_workshop(workshop_id)
    now = utcnow()
    form = GroupMessageForm()
    form.offer(group_messages.sessions_to_write_about(workshop.id, now), current_user.timezone)
    form.reply_hint(current_user.email or "")
    if request.method == "GET":
        chosen = id_arg("session")
        offered = {value for value, *_ in form.session.iter_choices()}
        form.session.data = str(chosen) if str(chosen) in offered else EVERY_SESSION
        return _form_page(workshop, form)
    if not form.validate_on_submit():
        return _form_page(workshop, form, status=422)
    if form.step.data == EDIT:
        return _form_page(workshop, form)
    try:
        if form.step.data == SEND:
            message = group_messages.send(workshop.id, form.draft(), current_user.id, now=now)
        else:
            shown = group_messages.preview(workshop.id, form.draft(), current_user.id, now=now)
    except DomainError as error:
        return _refused(workshop, form, error)
    if form.step.data != SEND:
        return render_template(
            "manage/group_message_preview.html",
            workshop=workshop,
            form=form,
            preview=shown,
            sender=settings.current().mail_from,
        )
    flash(
        ngettext(
            "Your message is on its way to %(num)d household.",
            "Your message is on its way to %(num)d households.",
            message.recipient_count,
        ),
        "success",
    )
    return redirect(url_for("manage.workshop", workshop_id=workshop.id, _anchor="messages"), 303)


def _form_page(
    workshop: Workshop, form: GroupMessageForm, *, status: int = 200, error: str | None = None
) -> tuple[str, int]:
    return render_template(
        "manage/group_message.html", workshop=workshop, form=form, error=error
    ), status


def _refused(workshop: Workshop, form: GroupMessageForm, error: DomainError) -> ResponseReturnValue:
    """The form again, with the refusal where it belongs (429 and Retry-After for the limit)."""
    if error.code in _FIELDS:
        name, status = _FIELDS[error.code]
        form[name].errors = [*form[name].errors, error.message]
        return _form_page(workshop, form, status=status)
    if error.code == "group_message_limit":
        page, _status = _form_page(workshop, form, error=error.message)
        return page, 429, {"Retry-After": str(math.ceil(error.params["seconds"]))}
    return _form_page(workshop, form, status=409, error=error.message)
