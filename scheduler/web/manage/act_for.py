"""Staff acting for a household that phones or walks in: booking, cancelling, its needs,
its record and the link that lets it claim the record as its own account."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from scheduler.models import Booking, User, WorkshopSession
from scheduler.services import booking as booking_service
from scheduler.services import households, needs
from scheduler.services.errors import DomainError, seats_text
from scheduler.services.seats import seat_count
from scheduler.timeutil import utcnow
from scheduler.web.access import managed_booking, managed_household, owned_session, role_required
from scheduler.web.forms import ConfirmForm, NeedsForm
from scheduler.web.limits import by_account, limit
from scheduler.web.manage.forms import BookForForm, ClaimLinkForm, HouseholdSearchForm
from scheduler.web.manage.routes import _STAFF, bp
from scheduler.web.requests import id_arg


def _book_for_page(
    target: WorkshopSession,
    form: BookForForm,
    *,
    chosen: User | None,
    status: int = 200,
    search: HouseholdSearchForm | None = None,
    found: list[User] | None = None,
    **shown: Any,
) -> tuple[str, int]:
    seats = seat_count(target)
    if seats.open <= 0 and not form.join_waitlist.data:
        form.join_waitlist.data = "1"  # full already: the button says it waitlists them
    return render_template(
        "manage/book_for.html",
        session=target,
        seats=seats,
        form=form,
        chosen=chosen,
        search=search or HouseholdSearchForm(formdata=None),
        found=found,
        changeable=target.is_open(utcnow()) and target.workshop.is_published,
        **shown,
    ), status


@bp.route("/sessions/<int:session_id>/book-for", methods=["GET", "POST"])
@limit("RATELIMIT_ACT_FOR", key=by_account, methods=("GET", "POST"))
@role_required(*_STAFF)
def book_for(session_id: int) -> ResponseReturnValue:
    """Book for a household: one found by search, or a new one by its contact details."""
    target = owned_session(session_id)
    now = utcnow()
    if request.method == "GET":
        search = HouseholdSearchForm(formdata=request.args)
        searched = search.validate() and bool(search.q.data)
        found = (
            households.search(search.q.data, current_user, session_id=target.id, now=now)
            if searched
            else None
        )
        chosen_id = id_arg("household")
        chosen = households.chosen(chosen_id, current_user, now=now) if chosen_id else None
        form = BookForForm(household_id=str(chosen.id) if chosen else "")
        return _book_for_page(target, form, chosen=chosen, search=search, found=found)
    form = BookForForm()
    chosen_id = form.chosen_id()
    chosen = households.chosen(chosen_id, current_user, now=now) if chosen_id else None
    if chosen_id is not None and chosen is None:
        form.household_id.data = ""
        form.name.errors = [_("We couldn't find that household. Search again, or record them.")]
        return _book_for_page(target, form, chosen=None, status=422)
    if not form.validate_on_submit():
        return _book_for_page(target, form, chosen=chosen, status=422)
    join = form.join_waitlist.data == "1"
    try:
        if chosen is not None:
            booking = booking_service.book_seats(
                target.id,
                chosen.id,
                form.seats.data,
                form.needs(),
                now=now,
                join_waitlist=join,
                acting=current_user,
            )
            existing = False
        else:
            done = households.book_for_new_household(
                target.id,
                form.contact(),
                form.seats.data,
                form.needs(),
                acting=current_user,
                now=now,
                join_waitlist=join,
            )
            booking, existing = done.booking, done.existing
    except DomainError as error:
        full = error.code == "full"
        if full:
            form.join_waitlist.data = "1"
        return _book_for_page(
            target, form, chosen=chosen, status=409, error=error.message, offer_waitlist=full
        )
    flash(_booked_words(booking, existing), "success")
    return redirect(url_for("manage.roster", session_id=target.id), 303)


def _booked_words(booking: Booking, existing: bool) -> str:
    """What staff are told after booking for a household, and whether it was emailed."""
    household = booking.family
    if booking.is_confirmed:
        done = _(
            "Booked %(seats)s for %(name)s.", seats=seats_text(booking.seats), name=household.name
        )
    else:
        done = _(
            "%(name)s is on the waitlist for %(seats)s.",
            name=household.name,
            seats=seats_text(booking.seats),
        )
    words = [done]
    if existing:
        words.append(
            _(
                "This email already had an account, %(name)s: we booked for it, so no new "
                "household was recorded.",
                name=household.name,
            )
        )
    words.append(told(household))
    return " ".join(words)


def told(household: User) -> str:
    """Whether the household was emailed about what staff did for it, for the staff's message."""
    if household.email:
        return _("We emailed them at %(email)s.", email=household.email)
    return _("They have no email address, so nothing was sent: please tell them yourself.")


@bp.post("/bookings/<int:booking_id>/cancel")
@role_required(*_STAFF)
def cancel_for(booking_id: int) -> ResponseReturnValue:
    """Cancel a household's booking for it (it phoned); its waitlist moves up as usual."""
    booking = managed_booking(booking_id)
    session_id, household = booking.session_id, booking.family
    if ConfirmForm().validate_on_submit():
        try:
            booking_service.cancel_booking(
                booking.id, booking.family_id, now=utcnow(), acting=current_user
            )
        except DomainError as error:
            flash(error.message, "error")
        else:
            done = _("%(name)s's booking is cancelled.", name=household.name)
            flash(f"{done} {told(household)}", "success")
    return redirect(url_for("manage.roster", session_id=session_id), 303)


@bp.route("/bookings/<int:booking_id>/needs", methods=["GET", "POST"])
@role_required(*_STAFF)
def needs_for(booking_id: int) -> ResponseReturnValue:
    """Change what a household needs (it phoned): its seats stay as they are."""
    booking = managed_booking(booking_id)
    now = utcnow()
    form = NeedsForm(obj=booking)
    error = None
    if form.validate_on_submit():
        try:
            changed = needs.change_needs(
                booking.id, booking.family_id, form.needs(), now=now, acting=current_user
            )
        except DomainError as refused:
            error = refused.message
        else:
            flash(
                ngettext(
                    "Saved for %(name)s, for %(num)d session. Their seats stay as they are.",
                    "Saved for %(name)s, for %(num)d sessions. Their seats stay as they are.",
                    len(changed),
                    name=booking.family.name,
                ),
                "success",
            )
            return redirect(url_for("manage.roster", session_id=booking.session_id), 303)
    sharing = needs.shown_to_staff(booking, current_user, now=now)
    status = 409 if error else 422 if form.errors else 200
    return render_template(
        "manage/needs.html", booking=booking, form=form, sharing=sharing, error=error
    ), status


@bp.get("/households/<int:household_id>")
@role_required(*_STAFF)
def household_record(household_id: int) -> tuple[str, int]:
    """A household's record: how to reach it, its bookings here, its claim link."""
    return _show_household(managed_household(household_id), ClaimLinkForm(formdata=None))


def _show_household(household: User, form: ClaimLinkForm, status: int = 200) -> tuple[str, int]:
    if form.email.data is None and household.email:
        form.email.data = household.email
    shown = households.view(household, current_user, now=utcnow())
    return render_template("manage/household.html", shown=shown, form=form), status


@bp.post("/households/<int:household_id>/claim-link")
@limit("RATELIMIT_ACT_FOR", key=by_account)
@role_required(*_STAFF)
def claim_link(household_id: int) -> ResponseReturnValue:
    """Give a household record an address and email it the link that claims it."""
    household = managed_household(household_id)
    form = ClaimLinkForm()
    if form.validate_on_submit():
        try:
            households.send_claim_link(
                household.id, form.email.data, acting=current_user, now=utcnow()
            )
        except DomainError as error:
            form.email.errors = [*form.email.errors, error.message]
            return _show_household(household, form, status=409)
        flash(
            _(
                "We sent a link to %(email)s. It works once, for 7 days: with it they "
                "choose a password and see their bookings.",
                email=form.email.data,
            ),
            "success",
        )
        return redirect(url_for("manage.household_record", household_id=household.id), 303)
    return _show_household(household, form, status=422)
