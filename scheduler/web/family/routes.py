"""A household's own pages: booking, enrolling, its bookings, its account."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug import Response

from scheduler.extensions import csrf, db
from scheduler.models import Role, User, WorkshopSession
from scheduler.services import accounts, audit, catalog, email_links, feeds, needs, sessions
from scheduler.services import booking as booking_service
from scheduler.services.errors import DomainError
from scheduler.services.group_messages import received as group_messages_received
from scheduler.services.moves import movable
from scheduler.timeutil import utcnow
from scheduler.web.access import own_booking, role_required, visible_workshop
from scheduler.web.family.forms import (
    AccountForm,
    EmailChangeForm,
    NameForm,
    PasswordChangeForm,
    StaffNameForm,
)
from scheduler.web.forms import (
    ALL_SESSIONS,
    ConfirmForm,
    NeedsForm,
    SessionBookingForm,
    WorkshopBookingForm,
)
from scheduler.web.limits import by_account, limit
from scheduler.web.presenters.counseling import appointment_cards
from scheduler.web.presenters.workshops import (
    booked_text,
    outcome_error,
    render_workshop,
    workshop_id_of,
)

bp = Blueprint("family", __name__)


@bp.post("/workshops/<int:workshop_id>/book")
@limit("RATELIMIT_BOOKING", key=by_account)
@role_required(Role.FAMILY)
def book_workshop(workshop_id: int) -> Response | tuple[str, int]:
    """The workshop page's one form: the whole series, or the sessions ticked."""
    workshop = visible_workshop(workshop_id)
    form = WorkshopBookingForm()
    if not form.validate_on_submit():
        return render_workshop(workshop, status=422, form=form)
    now = utcnow()
    rows = catalog.workshop_sessions(workshop, now=now, family_id=current_user.id)
    offered = [r.session.id for r in rows if r.bookable and r.my_booking is None]
    chosen = form.chosen(offered)
    if chosen is not None and not chosen:
        form.sessions.errors = [_("Tick at least one session.")]
        return render_workshop(workshop, status=422, form=form)
    try:
        if chosen is None:
            bookings = booking_service.enroll_series(
                workshop_id, current_user.id, form.seats.data, form.needs(), now=now
            )
        else:
            outcomes = booking_service.book_sessions(
                workshop_id,
                chosen,
                current_user.id,
                form.seats.data,
                form.needs(),
                now=now,
                waitlist=form.waitlist_ids(),
            )
            if any(o.error is not None for o in outcomes):
                error = outcome_error(workshop, outcomes)
                full = any(o.error is not None and o.error.code == "full" for o in outcomes)
                return render_workshop(
                    workshop, status=409, form=form, error=error, offer_waitlist=full
                )
            bookings = [o.booking for o in outcomes if o.booking is not None]
    except DomainError as error:
        return render_workshop(workshop, status=409, form=form, error=error.message)
    flash(booked_text(bookings), "success")
    return redirect(url_for("family.bookings", booked=workshop_id_of(bookings)), 303)


@bp.post("/sessions/<int:session_id>/book")
@limit("RATELIMIT_BOOKING", key=by_account)
@role_required(Role.FAMILY)
def book(session_id: int) -> Response | tuple[str, int]:
    """Book one session (the public contract's route; the page's form books many)."""
    # The service checks the session under its lock; it is loaded here only to show
    # its page again when the booking is refused (a 404 for a draft or no session).
    form = SessionBookingForm()
    if not form.validate_on_submit():
        return _session_page(session_id, form, status=422)
    try:
        booking = booking_service.book_seats(
            session_id,
            current_user.id,
            form.seats.data,
            form.needs(),
            now=utcnow(),
            join_waitlist=form.join_waitlist.data == "1",
        )
    except DomainError as error:
        return _session_page(
            session_id, form, status=409, offer_waitlist=error.code == "full", error=error.message
        )
    flash(booked_text([booking]), "success")
    return redirect(url_for("family.bookings", booked=workshop_id_of([booking])), 303)


def _session_page(session_id: int, form: WorkshopBookingForm, **shown: Any) -> tuple[str, int]:
    """The page of the session's workshop, with that session ticked, or 404."""
    session = db.session.get(WorkshopSession, session_id) or abort(404)
    form.sessions.data = [str(session_id)]
    return render_workshop(visible_workshop(session.workshop_id), form=form, **shown)


@bp.post("/workshops/<int:workshop_id>/enroll")
@limit("RATELIMIT_BOOKING", key=by_account)
@role_required(Role.FAMILY)
def enroll(workshop_id: int) -> Response | tuple[str, int]:
    """Book every upcoming session (the public contract's route for a whole series)."""
    workshop = visible_workshop(workshop_id)
    form = WorkshopBookingForm()
    form.sessions.data = [ALL_SESSIONS]
    if not form.validate_on_submit():
        return render_workshop(workshop, status=422, form=form)
    try:
        bookings = booking_service.enroll_series(
            workshop_id, current_user.id, form.seats.data, form.needs(), now=utcnow()
        )
    except DomainError as error:
        return render_workshop(workshop, status=409, form=form, error=error.message)
    flash(booked_text(bookings), "success")
    return redirect(url_for("family.bookings", booked=workshop_id_of(bookings)), 303)


@bp.get("/bookings")
@role_required(Role.FAMILY)
def bookings() -> str:
    now = utcnow()
    mine = catalog.bookings_of(current_user.id, now=now)
    appointments = appointment_cards(current_user.id, current_user.timezone, now)
    # Right after booking, that workshop's card comes first, under the confirmation.
    booked = request.args.get("booked", type=int)
    groups = sorted(mine.by_workshop, key=lambda group: group.workshop.id != booked)
    return render_template(
        "family/bookings.html",
        mine=mine,
        groups=groups,
        booked=booked,
        appointments=appointments,
        cancel_form=ConfirmForm(),
        movable=movable(mine.upcoming, now),
        group_messages=group_messages_received(current_user.id),
    )


@bp.post("/bookings/<int:booking_id>/cancel")
@role_required(Role.FAMILY)
def cancel(booking_id: int) -> Response:
    booking = own_booking(booking_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            booking_service.cancel_booking(booking.id, current_user.id, now=utcnow())
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Your booking is cancelled. Thank you for letting us know."), "success")
    return redirect(url_for("family.bookings"), 303)


@bp.route("/bookings/<int:booking_id>/needs", methods=["GET", "POST"])
@role_required(Role.FAMILY)
def change_needs(booking_id: int) -> Response | tuple[str, int]:
    """Change what the household told the facilitator; its seats stay as they are."""
    booking = own_booking(booking_id)
    now = utcnow()
    form = NeedsForm(obj=booking)
    error = None
    if form.validate_on_submit():
        try:
            needs.change_needs(booking.id, current_user.id, form.needs(), now=now)
        except DomainError as refused:
            error = refused.message
        else:
            flash(
                _("Thank you: the facilitator will see this. Your seats stay as they are."),
                "success",
            )
            workshop_id = booking.session.workshop_id
            return redirect(url_for("family.bookings", _anchor=f"workshop-{workshop_id}"), 303)
    status = 409 if error else 422 if form.errors else 200
    return render_template(
        "family/needs.html",
        booking=booking,
        form=form,
        sharing=needs.sharing_needs(booking, now),
        error=error,
    ), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> Response | tuple[str, int]:
    form = AccountForm(obj=current_user, for_family=current_user.is_family)
    if form.validate_on_submit():
        accounts.update_settings(
            current_user.id,
            timezone=form.timezone.data,
            descriptive_titles=bool(form.descriptive_titles.data),
            reminders_enabled=bool(form.reminders_enabled.data),
            reminder_offsets=form.reminder_offsets.data or "",
            invite_back=bool(form.invite_back.data) if current_user.is_family else None,
        )
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("family.account"), 303)
    return account_page(form=form, status=422 if form.errors else 200)


#: Entries of a family's access trail the account page shows; the rest are a link away.
TRAIL_ON_ACCOUNT_PAGE = 5


def _trail() -> audit.TrailPage:
    """The newest looks at the family's data by staff (the account page's partial)."""
    return audit.seen_by_staff(current_user.id, per_page=TRAIL_ON_ACCOUNT_PAGE)


def account_page(*, status: int = 200, **forms: Any) -> tuple[str, int]:
    """The account page, with the forms given (one that failed, with its errors) and a
    fresh one of each other."""
    # Reading only: every account has a token (given at sign-up, or by migration 0009);
    # one switched off and on again has none until its owner makes a new one here.
    token = feeds.feed_token(current_user)
    feed_url = feeds.private_feed_url(token) if token else None
    fresh = {
        "form": lambda: AccountForm(obj=current_user, for_family=current_user.is_family),
        "name_form": lambda: NameForm(name=current_user.name),
        "email_form": EmailChangeForm,
        "password_form": PasswordChangeForm,
        "staff_name_form": lambda: StaffNameForm(
            family=current_user,
            staff_name_choice=current_user.staff_name_choice,
            alias=current_user.alias or "",
        ),
    }
    shown = {name: forms.get(name) or make() for name, make in fresh.items()}
    return render_template(
        "family/account.html",
        **shown,
        feed_url=feed_url,
        webcal_url=feeds.webcal(feed_url) if feed_url else None,
        reset_form=ConfirmForm(),
        verify_form=ConfirmForm(),
        everywhere_form=ConfirmForm(),
        **(export.export_panel() if current_user.is_family else {}),
        trail=_trail() if current_user.is_family else None,
    ), status


@bp.post("/account/email/confirm")
@limit("RATELIMIT_CONFIRM_EMAIL", key=by_account)
@login_required
def send_confirmation() -> Response:
    if ConfirmForm().validate_on_submit():
        if email_links.request_verification(current_user.id, utcnow()):
            flash(
                _(
                    "We sent a new link to %(email)s. It works for 7 days.",
                    email=current_user.email,
                ),
                "success",
            )
        elif current_user.email_verified:
            flash(_("Your email address is already confirmed."), "info")
        else:
            flash(
                _(
                    "We've sent several links in the last hour. Please use the newest one, "
                    "or try again later."
                ),
                "error",
            )
    return redirect(url_for("family.account"), 303)


@bp.route("/reminders/off/<int:user_id>/<token>", methods=["GET", "POST"])
@csrf.exempt  # mail clients POST here for the person (RFC 8058); the token is the proof
def stop_reminders(user_id: int, token: str) -> Response | str:
    user = db.session.get(User, user_id)
    if user is None or not accounts.unsubscribe_is_valid(user, token):
        abort(404)
    if request.method == "POST":
        accounts.stop_reminders(user_id)
        return redirect(url_for("family.reminders_stopped"), 303)
    # A GET only asks: link checkers in mail systems open links, and must not unsubscribe.
    return render_template("family/reminders_off.html", done=False)


@bp.get("/reminders/off")
def reminders_stopped() -> str:
    return render_template("family/reminders_off.html", done=True)


@bp.post("/account/sessions/end")
@login_required
def log_out_everywhere() -> Response:
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("family.account"), 303)
    sessions.end_everywhere(current_user.id)
    logout_user()
    session.clear()
    flash(
        _(
            "You're logged out on every phone and computer, this one too. "
            "Links in reminder emails to stop reminders no longer work. Log in again here."
        ),
        "success",
    )
    return redirect(url_for("auth.login"), 303)


@bp.post("/account/feed/reset")
@login_required
def reset_feed() -> Response:
    if ConfirmForm().validate_on_submit():
        had_one = feeds.feed_token(current_user) is not None
        feeds.reset_feed_token(current_user.id)
        if had_one:
            flash(
                _(
                    "Your calendar link is new. The old link stopped working: add the new "
                    "one to your calendar app."
                ),
                "success",
            )
        else:
            flash(_("Your calendar link is ready: add it to your calendar app."), "success")
    return redirect(url_for("family.account", _anchor="calendar"), 303)


from scheduler.web.family import access, closing, export, letters, moves, profile, staff_name  # noqa: E402, F401  (their routes are on this blueprint)
