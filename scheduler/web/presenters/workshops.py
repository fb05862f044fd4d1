"""The workshop page, shown by the public blueprint and again, with errors, after a
household's booking POST (the family blueprint) was refused."""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_login import current_user
from flask_wtf import FlaskForm

from scheduler.models import Workshop
from scheduler.services import catalog
from scheduler.timeutil import utcnow
from scheduler.web.access import can_manage
from scheduler.web.forms import BookingForm, EnrollForm


def family_id() -> int | None:
    """The signed-in household's id, so lists can mark its own bookings; else None."""
    return current_user.id if current_user.is_authenticated and current_user.is_family else None


def _errors_text(form: FlaskForm) -> str | None:
    """Say in one line what was wrong with a form, for when the form itself isn't shown."""
    messages = [
        f"{form[name].label.text}: {' '.join(errors)}"
        for name, errors in form.errors.items()
        if name != "csrf_token"
    ]
    if "csrf_token" in form.errors:
        messages.append("The form expired. Please try again.")
    return " ".join(messages) or None


def render_workshop(
    workshop: Workshop,
    *,
    status: int = 200,
    form_session_id: int | None = None,
    booking_form: BookingForm | None = None,
    enroll_form: EnrollForm | None = None,
    offer_waitlist: bool = False,
    error: str | None = None,
) -> tuple[str, int]:
    """Render a workshop page, with one booking form carrying errors when a POST failed."""
    now = utcnow()
    household = family_id()
    rows = catalog.workshop_sessions(workshop, now=now, family_id=household)
    # Only a household is shown the forms: anyone else would be handed a CSRF token,
    # and with it a session cookie, for nothing.
    forms: dict[int, Any] = {
        row.session.id: (booking_form if row.session.id == form_session_id else BookingForm())
        for row in rows
        if household is not None
    }
    bookable_without_mine = [r for r in rows if r.bookable and r.my_booking is None]
    can_enroll = workshop.is_series and len(bookable_without_mine) > 1
    if error is None:
        # A stale tab can post a form this page no longer shows (the household booked that
        # session meanwhile, or one session is left): its errors must still be seen.
        shown = {r.session.id for r in bookable_without_mine}
        if booking_form is not None and form_session_id not in shown:
            error = _errors_text(booking_form)
        elif enroll_form is not None and not can_enroll:
            error = _errors_text(enroll_form)
    return render_template(
        "public/workshop.html",
        workshop=workshop,
        rows=rows,
        forms=forms,
        form_session_id=form_session_id,
        enroll_form=enroll_form or (EnrollForm() if household is not None else None),
        can_enroll=can_enroll,
        offer_waitlist=offer_waitlist,
        error=error,
        manages=can_manage(workshop),
    ), status
