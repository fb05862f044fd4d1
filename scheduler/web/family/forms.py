"""The account page's forms: settings, and one's own name, address and password."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, RadioField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from scheduler.models import StaffNameChoice, User
from scheduler.models.people import ALIAS_MAX_LENGTH, first_name_of
from scheduler.services.reminder_times import parse_offsets
from scheduler.web.fields import PlainText, TimezoneField, one_spaced, strip
from scheduler.web.forms import address_field, new_password_field, password_again_field
from scheduler.web.requests import MAX_ID

#: A number and a unit: refused only for its size (a reminder 1 minute to 30 days ahead).
_LOOKS_LIKE_AN_OFFSET = re.compile(r"\d+\s*[mhd]", re.ASCII)


def _current_password(field_id: str) -> PasswordField:
    return PasswordField(
        _l("Your current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        id=field_id,
        render_kw={"autocomplete": "current-password"},
    )


class NameForm(FlaskForm):
    name = StringField(
        _l("Your name or your family's name"),
        filters=[one_spaced],
        validators=[DataRequired(_l("Tell us what to call you.")), Length(max=120), PlainText()],
    )


class StaffNameForm(FlaskForm):
    """How staff see the household; each choice says the name they would see."""

    staff_name_choice = RadioField(
        _l("How staff see your name"),
        description=_l(
            "Facilitators, counselors and admins see this name on rosters, at the door "
            "and in their emails. Your own pages and emails keep your name."
        ),
        # The rule (services/household_names.py) refuses an unknown choice in words.
        validate_choice=False,
    )
    alias = StringField(
        _l("The name staff see"),
        description=_l("Up to %(limit)d characters.", limit=ALIAS_MAX_LENGTH),
        filters=[strip],
        validators=[PlainText()],
        render_kw={"maxlength": ALIAS_MAX_LENGTH, "autocomplete": "off"},
    )

    def __init__(self, *args: Any, family: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff_name_choice.choices = [
            (StaffNameChoice.FULL, _("My full name: “%(name)s”", name=family.name)),
            (
                StaffNameChoice.FIRST,
                _("My first name only: “%(name)s”", name=first_name_of(family.name)),
            ),
            (StaffNameChoice.ALIAS, _("A name I choose (write it below)")),
        ]


class EmailChangeForm(FlaskForm):
    """A new address, confirmed by a link sent to it; the current password first."""

    email = address_field(_l("New email address"), id="new-email")
    password = _current_password("email-current-password")


class CloseAccountForm(FlaskForm):
    """Closing the account: the password typed again, so nobody at an open screen can."""

    password = _current_password("close-password")


class PasswordChangeForm(FlaskForm):
    current_password = _current_password("current-password")
    password = new_password_field(
        _l("New password"), id="new-password", render_kw={"autocomplete": "new-password"}
    )
    password_confirm = password_again_field(
        _l("New password again"),
        id="new-password-confirm",
        render_kw={"autocomplete": "new-password"},
    )

    def __init__(self, *args: Any, email: str = "", name: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person = (email, name)  # a password built on them is easy to guess


class AccountForm(FlaskForm):
    timezone = TimezoneField()
    reminders_enabled = BooleanField(_l("Email me reminders before my bookings"))
    reminder_offsets = StringField(
        _l("When to remind me"),
        filters=[strip],
        validators=[Optional(), Length(max=100), PlainText()],
        # Translators: m, h and d are what people type (48h, 2h): keep them as they are.
        description=_l(
            "How long before each session, separated by commas: for example 48h, 2h. "
            "Use m for minutes, h for hours, d for days. Leave empty for the usual 48h, 2h."
        ),
    )
    invite_back = BooleanField(
        _l("After a session I miss, email me the next dates"),
        description=_l("One short email, only when the facilitator marked us absent."),
    )
    descriptive_titles = BooleanField(
        _l("Show workshop names in my calendar"),
        # Translators: quote the private title as the calendar entries word it.
        description=_l(
            "Off: your calendar and downloads say only “Hearth appointment”, so anyone "
            "glancing at your phone sees nothing more. The details are behind the link."
        ),
    )

    def __init__(self, *args: Any, for_family: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not for_family:
            # Staff calendars are often synced to work accounts or shared with others.
            self.descriptive_titles.label.text = _("Show families' names in my calendar")
            self.descriptive_titles.description = _(
                "Off: appointments in your calendar say only “Counseling appointment” "
                "and the time, so a synced or shared calendar names no family. "
                "The names are behind the link."
            )

    def validate_reminder_offsets(self, field: StringField) -> None:
        if not field.data:
            return
        # notify says what is wrong in English only: the part it refused is found here
        # and the problem said in the reader's language.
        for part in field.data.split(","):
            try:
                parse_offsets(part)
            except ValueError:
                shown = part.strip()
                if _LOOKS_LIKE_AN_OFFSET.fullmatch(shown):
                    message = _("'%(part)s' must be between 1 minute and 30 days.", part=shown)
                else:
                    message = _("'%(part)s' is not like 48h, 2h, 30m or 1d.", part=shown)
                raise ValidationError(message) from None


# --- letters of attendance ---------------------------------------------------------------

#: More sessions than any one workshop has: a bound on what a letter's form may carry.
MOST_LETTER_SESSIONS = 200


def _record_ids(form: FlaskForm, field: SelectMultipleField) -> None:
    values = field.data or []
    if len(values) > MOST_LETTER_SESSIONS or not all(
        v.isascii() and v.isdigit() and 1 <= int(v) <= MAX_ID for v in values
    ):
        raise ValidationError(_("Choose sessions from the list."))


class LetterForm(FlaskForm):
    """What a letter of attendance lists (sessions, or appointments) and what it calls
    them: the same fields see a letter first and then ask for it."""

    session_ids = SelectMultipleField(
        _l("Sessions"), coerce=str, validate_choice=False, validators=[_record_ids]
    )
    appointment_ids = SelectMultipleField(
        _l("Appointments"), coerce=str, validate_choice=False, validators=[_record_ids]
    )
    wording = StringField(
        _l("What the letter says"), default="discreet", validators=[Length(max=20)]
    )

    def chosen(self) -> dict[str, Any]:
        """The choice as ``services.letters`` takes it."""
        return {
            "session_ids": [int(v) for v in self.session_ids.data or []],
            "appointment_ids": [int(v) for v in self.appointment_ids.data or []],
            "wording": self.wording.data or "discreet",
        }


class LetterPreviewForm(LetterForm):
    """Seeing a letter first: a GET, which changes nothing, so it carries no token."""

    class Meta:
        csrf = False


class RevokeLetterForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that anyone who checks this letter will be told it was taken back."),
        validators=[DataRequired(_l("Tick the box to take the letter back."))],
    )
