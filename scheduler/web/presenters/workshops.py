"""The workshop page, shown by the public blueprint and again, with errors, after a
household's booking POST (the family blueprint) was refused.

A family books from one form: seats asked once, the sessions ticked in a list whose
first box is "All N sessions" for a series, needs asked once, and one button that says
what it will do ("Book 2 seats in 4 sessions").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from scheduler.models import Booking, Workshop
from scheduler.services import catalog
from scheduler.services.booking import Outcome
from scheduler.services.catalog import SessionRow
from scheduler.services.errors import seats_text
from scheduler.services.seats import max_seats
from scheduler.timetext import TimeText
from scheduler.timeutil import utcnow
from scheduler.web.access import can_manage
from scheduler.web.forms import ALL_SESSIONS, WorkshopBookingForm
from scheduler.web.times import reader_time

#: What the booking button says, by what is ticked, in the reader's language. hearth.js
#: words the button from these same patterns as the boxes and the seats change, so both
#: say the same; {seats} is one of ``seats_text``. The "_many" patterns are only used
#: for 2 sessions or more.
BUTTON_WORDS = {
    "plain": _l("Book seats"),
    # Translators: {seats} is "1 seat", "2 seats": keep {seats} as it is.
    "book": _l("Book {seats}"),
    # Translators: {seats} is "2 seats"; {sessions} is 2 or more. Keep the {…} words.
    "book_many": _l("Book {seats} in {sessions} sessions"),
    # Translators: {seats} is "1 seat", "2 seats": keep {seats} as it is.
    "wait": _l("Join the waitlist for {seats}"),
    # Translators: {seats} is "2 seats"; {sessions} is 2 or more. Keep the {…} words.
    "wait_many": _l("Join the waitlist for {seats} in {sessions} sessions"),
    # Translators: {sessions} is 2 or more; {waiting} of them are full. Keep the {…} words.
    "mixed": _l("Book {seats} in {sessions} sessions, {waiting} on the waitlist"),
}


def button_words() -> dict[str, str | list[str]]:
    """The button's patterns for hearth.js, worded now, and the seats from 1 to the most
    a household may book, each with its language's plural (``seats[n - 1]``)."""
    words: dict[str, str | list[str]] = {key: str(text) for key, text in BUTTON_WORDS.items()}
    words["seats"] = [seats_text(n) for n in range(1, max_seats() + 1)]
    return words


def family_id() -> int | None:
    """The signed-in household's id, so lists can mark its own bookings; else None."""
    return current_user.id if current_user.is_authenticated and current_user.is_family else None


def button_text(seats: int | None, booking: int, waiting: int) -> str:
    """What the button will do: "Book 2 seats in 4 sessions", "Join the waitlist for 1 seat"."""
    total = booking + waiting
    if not seats or not total:
        return str(BUTTON_WORDS["plain"])
    if waiting == 0:
        key = "book" if total == 1 else "book_many"
    elif booking == 0:
        key = "wait" if total == 1 else "wait_many"
    else:
        key = "mixed"
    return str(BUTTON_WORDS[key]).format(seats=seats_text(seats), sessions=total, waiting=waiting)


@dataclass(frozen=True)
class SessionChoice:
    """One session in the workshop's list, and its box in the booking form if it has one."""

    row: SessionRow
    number: int
    time: TimeText
    #: The household can tick it (it is open and not booked by them already).
    offered: bool = False
    #: Ticking it joins the waitlist: it hasn't the seats asked for.
    waitlist: bool = False
    checked: bool = False


@dataclass(frozen=True)
class BookingPanel:
    """The one booking form of the page, as a household sees it."""

    form: WorkshopBookingForm
    #: "All 4 sessions" when the whole series can be booked at once, else None.
    all_label: str | None
    all_checked: bool
    button: str
    words: dict[str, str | list[str]] = field(default_factory=button_words)


def session_numbers(workshop: Workshop) -> dict[int, int]:
    """Each session's place in its series ("Session 3"), counting those already past."""
    return {s.id: n for n, s in enumerate(workshop.sessions, start=1)}


def _choices(
    rows: list[SessionRow], form: WorkshopBookingForm | None, seats: int, numbers: dict[int, int]
) -> tuple[list[SessionChoice], bool, bool]:
    """The sessions with their boxes; whether "All" is offered, and whether it is ticked.

    "All" is offered for a series whose every open session has the seats asked for
    (booking all is all or nothing). A fresh form ticks it, or else each session with
    room; a form sent back ticks what was ticked.
    """
    offered = [r for r in rows if r.bookable and r.my_booking is None]
    whole = len(offered) > 1 and all(r.seats.open >= seats for r in offered)
    sent = form is not None and form.is_submitted()
    picked = set(form.sessions.data or []) if form is not None and sent else set()
    all_checked = whole and (ALL_SESSIONS in picked if sent else True)
    choices = []
    for row in rows:
        is_offered = row in offered
        waitlist = is_offered and row.seats.open < seats
        if sent and ALL_SESSIONS in picked and not whole:
            checked = not waitlist  # the whole series was refused: the sessions with room
        elif sent:
            checked = all_checked or str(row.session.id) in picked
        else:
            checked = not waitlist or len(offered) == 1
        choices.append(
            SessionChoice(
                row=row,
                number=numbers[row.session.id],
                time=reader_time(row.session.starts_at, row.session.workshop.timezone),
                offered=is_offered,
                waitlist=waitlist,
                checked=is_offered and checked,
            )
        )
    return choices, whole, all_checked


def render_workshop(
    workshop: Workshop,
    *,
    status: int = 200,
    form: WorkshopBookingForm | None = None,
    error: str | None = None,
    offer_waitlist: bool = False,
) -> tuple[str, int]:
    """Render a workshop page; ``form`` carries what a refused POST sent, with its errors."""
    now = utcnow()
    household = family_id()
    rows = catalog.workshop_sessions(workshop, now=now, family_id=household)
    seats = form.seats_chosen() if form is not None else 1
    choices, whole, all_checked = _choices(rows, form, seats or 1, session_numbers(workshop))
    offered = [c for c in choices if c.offered]
    panel = None
    # Only a household is shown the form: anyone else would be handed a CSRF token, and
    # with it a session cookie, for nothing.
    if household is not None and offered:
        ticked = offered if all_checked else [c for c in offered if c.checked]
        waiting = sum(c.waitlist for c in ticked)
        panel = BookingPanel(
            form=form or WorkshopBookingForm(),
            all_label=ngettext("All %(num)d session", "All %(num)d sessions", len(offered))
            if whole
            else None,
            all_checked=all_checked,
            button=button_text(seats, len(ticked) - waiting, waiting),
        )
    elif form is not None and error is None:
        # A stale tab posted a form this page no longer offers (the household booked
        # everything meanwhile, or the sessions started): its errors must still be seen.
        error = _errors_text(form)
    durations = {c.row.session.duration_minutes for c in choices}
    return render_template(
        "public/workshop.html",
        workshop=workshop,
        choices=choices,
        panel=panel,
        error=error,
        offer_waitlist=offer_waitlist,
        duration=durations.pop() if len(durations) == 1 else None,
        manages=can_manage(workshop),
    ), status


def booked_text(bookings: list[Booking]) -> str:
    """Say what a booking form did, naming the workshop, for the confirmation at the top
    of the next page (which takes focus, so it is what is read first)."""
    seats = seats_text(bookings[0].seats)
    title = bookings[0].session.workshop.title
    booked = [b for b in bookings if b.is_confirmed]
    waiting = len(bookings) - len(booked)
    if not waiting:
        if len(booked) == 1:
            return _("You're booked: %(seats)s in %(title)s.", seats=seats, title=title)
        return ngettext(
            "You're booked: %(seats)s in each of %(num)d session of %(title)s.",
            "You're booked: %(seats)s in each of %(num)d sessions of %(title)s.",
            len(booked),
            seats=seats,
            title=title,
        )
    if not booked:
        if waiting == 1:
            return _(
                "You're on the waitlist for %(seats)s in %(title)s. "
                "We'll email you if seats free up.",
                seats=seats,
                title=title,
            )
        return ngettext(
            "You're on the waitlist for %(seats)s in %(num)d session of %(title)s. "
            "We'll email you if seats free up.",
            "You're on the waitlist for %(seats)s in %(num)d sessions of %(title)s. "
            "We'll email you if seats free up.",
            waiting,
            seats=seats,
            title=title,
        )
    # Two counts in one sentence: the plural follows the waitlisted sessions, and the
    # booked ones are a counted phrase of their own ("2 sessions"), as the seats are.
    return ngettext(
        "You're booked: %(seats)s in %(sessions)s of %(title)s, and on the waitlist in "
        "%(num)d session. We'll email you if seats free up.",
        "You're booked: %(seats)s in %(sessions)s of %(title)s, and on the waitlist in "
        "%(num)d sessions. We'll email you if seats free up.",
        waiting,
        seats=seats,
        sessions=ngettext("%(num)d session", "%(num)d sessions", len(booked)),
        title=title,
    )


def workshop_id_of(bookings: list[Booking]) -> int:
    """The workshop a booking form booked into: My bookings shows its card first."""
    return bookings[0].session.workshop_id


def outcome_error(workshop: Workshop, outcomes: list[Outcome]) -> str:
    """Say which chosen sessions were refused and why, and which were booked all the same."""
    numbers = session_numbers(workshop)
    lines = [
        _(
            "Session %(number)s: %(problem)s",
            number=numbers.get(o.session_id, "?"),
            problem=o.error.message,
        )
        for o in outcomes
        if o.error is not None
    ]
    booked = [b for o in outcomes if (b := o.booking) is not None]
    if booked:
        lines.insert(0, booked_text(booked))
    return " ".join(lines)


def _errors_text(form: FlaskForm) -> str | None:
    """Say in one line what was wrong with a form, for when the form itself isn't shown."""
    messages = [
        _(
            "%(field)s: %(problem)s",
            field=form[name].label.text,
            problem=" ".join(map(str, errors)),
        )
        for name, errors in form.errors.items()
        if name != "csrf_token"
    ]
    if "csrf_token" in form.errors:
        messages.append(_("The form expired. Please try again."))
    return " ".join(messages) or None
