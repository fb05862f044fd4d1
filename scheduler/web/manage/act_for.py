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
from scheduler.timetext import moment_text
from scheduler.timeutil import utcnow
from scheduler.web.access import managed_booking, managed_household, owned_session, role_required
from scheduler.web.forms import ConfirmForm, NeedsForm
from scheduler.web.limits import by_account, limit
from scheduler.web.manage.household_forms import (
    BookForForm,
    ClaimLinkForm,
    HouseholdSearchForm,
    household_lookup,
)
from scheduler.web.manage.routes import _STAFF, bp


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
    upcoming = booking_service.upcoming_sessions(target.workshop, utcnow())
    series = [(s, seat_count(s)) for s in upcoming] if len(upcoming) > 1 else []
    if series:
        form.offer_series(len(series))
    return render_template(
        "manage/book_for.html",
        session=target,
        seats=seats,
        series=series,
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
        search, found, chosen = household_lookup(target.id, now)
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
    whole = form.whole_series()
    try:
        if chosen is None:
            done = households.book_for_new_household(
                target.id,
                form.contact(),
                form.seats.data,
                form.needs(),
                acting=current_user,
                now=now,
                join_waitlist=join,
                whole_series=whole,
            )
            bookings, existing = done.bookings, done.existing
        elif whole:
            bookings = booking_service.enroll_series(
                target.workshop_id,
                chosen.id,
                form.seats.data,
                form.needs(),
                now=now,
                join_waitlist=join,
                acting=current_user,
            )
            existing = False
        else:
            booking = booking_service.book_seats(
                target.id,
                chosen.id,
                form.seats.data,
                form.needs(),
                now=now,
                join_waitlist=join,
                acting=current_user,
            )
            bookings, existing = [booking], False
    except DomainError as error:
        # Full: sent again, the form puts them on the waitlist (of the full sessions).
        offer = {"full": "session", "household_series_full": "series"}.get(error.code)
        if offer:
            form.join_waitlist.data = "1"
        return _book_for_page(
            target, form, chosen=chosen, status=409, error=error.message, offer_waitlist=offer
        )
    flash(_booked_words(bookings, existing, whole=whole), "success")
    return redirect(url_for("manage.roster", session_id=target.id), 303)


def _booked_words(bookings: list[Booking], existing: bool, *, whole: bool) -> str:
    """What staff are told after booking for a household, and whether it was emailed."""
    household = bookings[0].family
    words = _series_booked(bookings) if whole else _one_booked(bookings[0])
    if existing:
        words.append(
            _(
                "This email already had an account, %(name)s: we booked for it, so no new "
                "household was recorded.",
                name=household.staff_name,
            )
        )
    words.append(told(household))
    return " ".join(words)


def _one_booked(booking: Booking) -> list[str]:
    name, seats = booking.family.staff_name, seats_text(booking.seats)
    if booking.is_confirmed:
        return [_("Booked %(seats)s for %(name)s.", seats=seats, name=name)]
    return [_("%(name)s is on the waitlist for %(seats)s.", name=name, seats=seats)]


def _series_booked(bookings: list[Booking]) -> list[str]:
    """A whole series: how many sessions were booked, and which full ones they wait for."""
    name, seats = bookings[0].family.staff_name, seats_text(bookings[0].seats)
    booked = [b for b in bookings if b.is_confirmed]
    waiting = [b for b in bookings if not b.is_confirmed]
    words = []
    if booked:
        words.append(
            ngettext(
                "Booked %(seats)s for %(name)s in %(num)d session of the series.",
                "Booked %(seats)s for %(name)s in each of %(num)d sessions of the series.",
                len(booked),
                seats=seats,
                name=name,
            )
        )
    if waiting:
        dates = "; ".join(
            moment_text(b.session.starts_at, b.session.workshop.timezone) for b in waiting
        )
        words.append(
            ngettext(
                "%(name)s is on the waitlist for %(seats)s in %(num)d full session: %(dates)s.",
                "%(name)s is on the waitlist for %(seats)s in %(num)d full sessions: %(dates)s.",
                len(waiting),
                name=name,
                seats=seats,
                dates=dates,
            )
        )
    return words


def told(household: User) -> str:
    """How a household hears of what staff did for it: by email, or from staff themselves."""
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
            done = _("%(name)s's booking is cancelled.", name=household.staff_name)
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
                    name=booking.family.staff_name,
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
