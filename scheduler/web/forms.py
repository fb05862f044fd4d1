"""Form pieces more than one blueprint uses: booking and enrolling, bare POST buttons,
and the address and new-password fields (sign-up, reset, invitation, account page)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from scheduler.services.booking import Needs
from scheduler.services.errors import DomainError
from scheduler.services.passwords import weakness
from scheduler.services.seats import check_seats, max_seats
from scheduler.web.fields import PlainText, strip
from scheduler.web.requests import MAX_ID


def _seats_allowed(seats: int) -> bool:
    try:
        check_seats(seats)
    except DomainError:
        return False
    return True


def _seats_in_range(form: FlaskForm, field: IntegerField) -> None:
    if field.data is not None and not _seats_allowed(field.data):
        raise ValidationError(
            ngettext("Choose 1 seat.", "Choose from 1 to %(num)d seats.", max_seats())
        )


class NeedsFields(FlaskForm):
    """Seats and needs, shared by booking one session and enrolling in a series."""

    seats = IntegerField(
        _l("Seats for your household"),
        default=1,
        validators=[InputRequired(_l("Say how many seats you need.")), _seats_in_range],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    childcare_needed = BooleanField(_l("We need childcare during the session"))
    interpreter_language = StringField(
        _l("Interpreter language (if you need one)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=80, message=_l("Keep this under 80 characters.")),
            PlainText(),
        ],
    )
    accessibility_needs = TextAreaField(
        _l("Accessibility needs"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=1000, message=_l("Keep this under 1,000 characters.")),
            PlainText(multiline=True),
        ],
        description=_l("For example step-free access, hearing loop, large print."),
    )
    notes = TextAreaField(
        _l("Anything else the facilitator should know"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=2000, message=_l("Keep this under 2,000 characters.")),
            PlainText(multiline=True),
        ],
        description=_l("Only the facilitator sees this."),
    )

    def seats_chosen(self) -> int | None:
        """Return the seats asked for when the form would take them, for the button's words."""
        data = self.seats.data
        return data if isinstance(data, int) and _seats_allowed(data) else None

    def needs(self) -> Needs:
        return Needs(
            accessibility_needs=self.accessibility_needs.data or "",
            childcare_needed=bool(self.childcare_needed.data),
            interpreter_language=self.interpreter_language.data or "",
            notes=self.notes.data or "",
        )


class NeedsForm(NeedsFields):
    """A booking's needs alone, changed after booking: the seats stay as they are."""

    seats = None  # WTForms: a subclass leaves the field out


#: The value of the "All N sessions" box of a workshop's booking form.
ALL_SESSIONS = "all"


class WorkshopBookingForm(NeedsFields):
    """The one booking form of a workshop page: seats and needs asked once, the sessions
    chosen with boxes, "All N sessions" first.

    The page's view decides what the boxes offer; ``chosen`` reads what was ticked.
    """

    sessions = SelectMultipleField(
        _l("Sessions"), coerce=str, validate_choice=False, default=lambda: []
    )
    #: The sessions the page showed as full: ticking one of them joins its waitlist.
    waitlist = SelectMultipleField(coerce=str, validate_choice=False, default=lambda: [])

    def chosen(self, offered: list[int]) -> list[int] | None:
        """The sessions ticked among ``offered``; None means the whole series.

        "All" with every box or none of the others ticked is the whole series, all or
        nothing; "All" with only some boxes ticked is those (without JavaScript the
        boxes say more exactly what was meant). Anything not offered is dropped.
        """
        picked = [int(v) for v in self.sessions.data or [] if v.isdigit()]
        ticked = [i for i in offered if i in picked]
        if ALL_SESSIONS in (self.sessions.data or []) and len(ticked) in (0, len(offered)):
            return None
        return ticked

    def waitlist_ids(self) -> set[int]:
        return {int(v) for v in self.waitlist.data or [] if v.isdigit()}


class ConfirmForm(FlaskForm):
    """A POST-only button (cancel, promote): carries nothing but the CSRF token."""


class MarkForm(FlaskForm):
    """An attendance mark from a check-in page's buttons (``status``: the button pressed),
    and for a booking how many of its seats came; the service says which marks exist."""

    status = StringField(
        _l("Came, late or absent"),
        validators=[DataRequired(_l("Choose came, late or absent.")), Length(max=20)],
    )
    seats_present = StringField(
        _l("Seats that came"),
        validators=[Optional(), Regexp(r"^\d{1,3}$", message=_l("Choose how many seats came."))],
    )

    def seats(self) -> int | None:
        """The seats that came, when said; None means all of them."""
        return int(self.seats_present.data) if self.seats_present.data else None


class SessionBookingForm(WorkshopBookingForm):
    """``POST /sessions/<id>/book``: one session; refused, the page shows it ticked."""

    #: "1" once the household has seen that the session is full and chose the waitlist.
    join_waitlist = HiddenField(default="")


class MoveBookingForm(FlaskForm):
    """Moving a booking to another session of its workshop (a family's page, or staff's)."""

    session_id = RadioField(_l("Move to"), coerce=int, validate_choice=False)
    #: "1" once the family saw the session is full and chose its waitlist, keeping its seat.
    join_waitlist = HiddenField(default="")

    def validate_session_id(self, field: RadioField) -> None:
        if not field.data or not 1 <= field.data <= MAX_ID:
            raise ValidationError(_("Choose one of the sessions."))


def address_field(label: str | None = None, **kwargs: object) -> EmailField:
    """An email address someone types to be written to: checked for its shape only."""
    return EmailField(
        label or _l("Email"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter your email address.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        **kwargs,
    )


def _hard_to_guess(form: FlaskForm, field: PasswordField) -> None:
    """Refuse common and easily guessed passwords, in words a person can act on."""
    # The person's own address and name, from the form, or given to it (``person``).
    email, name = getattr(form, "person", ("", ""))
    email = form.email.data if "email" in form else email
    name = form.name.data if "name" in form else name
    if field.errors:  # too short or too long already: say that first
        return
    if field.data and (why := weakness(field.data, email=email or "", name=name or "")):
        raise StopValidation(why)


def new_password_field(label: str | None = None, **kwargs: object) -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[
            DataRequired(_l("Choose a password.")),
            Length(min=10, max=128, message=_l("Use 10 to 128 characters.")),
            _hard_to_guess,
        ],
        description=_l(
            "At least 10 characters, and not easy to guess. "
            "A few words that don't belong together are easy to remember."
        ),
        **kwargs,
    )


def password_again_field(label: str | None = None, **kwargs: object) -> PasswordField:
    return PasswordField(
        label or _l("Password again"),
        validators=[
            DataRequired(_l("Type the password again.")),
            EqualTo("password", _l("The two passwords don't match.")),
        ],
        **kwargs,
    )
