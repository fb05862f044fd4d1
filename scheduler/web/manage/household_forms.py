"""The forms staff act for a household with: finding it, booking for it (one session
or its whole series), and sending it the link that claims its record."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, StopValidation

from scheduler.services import households
from scheduler.services.households import Contact
from scheduler.web.fields import PlainText, one_spaced, strip
from scheduler.web.forms import NeedsFields
from scheduler.web.requests import id_arg

#: The ``sessions`` choices of booking for a household: the page's session, or every
#: upcoming session of its series (as a household's own "All N sessions" box).
THIS_SESSION = "this"
WHOLE_SERIES = "all"


class HouseholdSearchForm(FlaskForm):
    """Find a household to book for: a GET form, so nothing to protect with a token."""

    class Meta:
        csrf = False

    # A text box (the house style styles those); the form itself is role=search.
    q = StringField(
        _l("Name, email or phone"),
        filters=[strip],
        validators=[Optional(), Length(max=100, message=_l("Keep this under 100 characters."))],
        description=_l("At least 2 letters or 3 digits of a phone number."),
    )


_PHONE = r"^[0-9 +().\-/]*$"


def _email_field(label: str, *, required: bool, description: str = "") -> EmailField:
    presence = (
        [DataRequired(_l("Write the email address to send the link to."))]
        if required
        else [Optional()]
    )
    return EmailField(
        label,
        filters=[strip],
        validators=[
            *presence,
            Length(max=254),
            Email(_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        description=description,
    )


class BookForForm(NeedsFields):
    """Staff book for a household: one found by search, or a new one by its contact."""

    #: The household chosen from the search; empty for a new household.
    household_id = HiddenField(default="")
    name = StringField(
        _l("Contact name"),
        filters=[one_spaced],
        # No Optional(): it would stop the chain before validate_name says it is needed.
        validators=[Length(max=120), PlainText()],
        description=_l("The person or family, as they want to be called."),
    )
    phone = StringField(
        _l("Phone"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=40, message=_l("Keep this under 40 characters.")),
            Regexp(_PHONE, message=_l("Write only the number: digits, spaces, + ( ) and -.")),
        ],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    email = _email_field(
        _l("Email (if they have one)"),
        required=False,
        description=_l("They get their confirmation and reminders there. Leave empty if none."),
    )
    #: "1" once staff saw the session is full and chose the waitlist for the household.
    join_waitlist = HiddenField(default="")
    #: Shown only for a session of a series (``offer_series``); left out, this session.
    sessions = RadioField(
        _l("Sessions to book"),
        choices=[
            SelectChoice(THIS_SESSION, _l("This session only")),
            SelectChoice(WHOLE_SERIES, _l("All upcoming sessions of the series")),
        ],
        default=THIS_SESSION,
        validate_choice=False,  # validate_sessions says it in words of our own
        description=_l(
            "The same seats and needs in each session. Sessions they are booked into "
            "already stay as they are."
        ),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.seats.label.text = _("Seats for the household")

    def offer_series(self, count: int) -> None:
        """Name the whole series' choice with its number of upcoming sessions."""
        self.sessions.choices = [
            SelectChoice(THIS_SESSION, _("This session only")),
            SelectChoice(
                WHOLE_SERIES,
                ngettext(
                    "All %(num)d upcoming session of the series",
                    "All %(num)d upcoming sessions of the series",
                    count,
                ),
            ),
        ]

    def validate_sessions(self, field: RadioField) -> None:
        if field.data not in (THIS_SESSION, WHOLE_SERIES):
            raise StopValidation(
                _("Choose this session only, or all upcoming sessions of the series.")
            )

    def whole_series(self) -> bool:
        return self.sessions.data == WHOLE_SERIES

    def chosen_id(self) -> int | None:
        """The id of the household chosen from the search, or None for a new one."""
        value = (self.household_id.data or "").strip()
        return int(value) if value.isdigit() and len(value) < 19 else None

    def validate_name(self, field: StringField) -> None:
        if self.chosen_id() is None and not field.data:
            raise StopValidation(_("Write the name of the person or family to book for."))

    def contact(self) -> Contact:
        return Contact(
            name=self.name.data or "", phone=self.phone.data or "", email=self.email.data or ""
        )


class ClaimLinkForm(FlaskForm):
    """Give a household record an address and send it the link that claims it."""

    email = _email_field(
        _l("Their email address"),
        required=True,
        description=_l("We send a link there; with it they choose a password and log in."),
    )


class WalkInForm(BookForForm):
    """A household at the door: one found by search, or a new one by its contact; its
    seats. Booked as by phone, without needs (they are here) or a series."""

    childcare_needed = interpreter_language = accessibility_needs = notes = None
    sessions = join_waitlist = None
    #: "1" when the facilitator chose to let the household in beyond the capacity.
    override = HiddenField(default="")

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Nothing is emailed about a walk-in: the address is for later bookings.
        self.email.description = _("For the emails of later bookings. Leave empty if none.")

    def let_in(self) -> bool:
        return self.override.data == "1"


class HouseholdLookup(NamedTuple):
    """The household search on a staff page: the form, what it found, the one chosen."""

    search: HouseholdSearchForm
    found: Any
    chosen: Any


def household_lookup(session_id: int, now: datetime) -> HouseholdLookup:
    """Read the search (``q``) and the chosen household (``household``) from the query.

    Booking by phone and adding a walk-in find a household the same way (and audit the
    search the same way), so both pages ask here.
    """
    search = HouseholdSearchForm(formdata=request.args)
    searched = search.validate() and bool(search.q.data)
    found = (
        households.search(search.q.data, current_user, session_id=session_id, now=now)
        if searched
        else None
    )
    chosen_id = id_arg("household")
    chosen = households.chosen(chosen_id, current_user, now=now) if chosen_id else None
    return HouseholdLookup(search, found, chosen)
