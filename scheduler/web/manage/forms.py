from dataclasses import replace
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from scheduler.i18n import current_language, language_name, languages
from scheduler.services.program import HistoryFilter, WorkshopChoice
from scheduler.services.series import MAX_WEEKS, Scope, WorkshopDetails
from scheduler.timetext import local_day_text
from scheduler.timeutil import utcnow
from scheduler.web.fields import (
    PlainText,
    TimezoneField,
    WithinYears,
    meeting_link_field,
    place_field,
    readable_day,
    strip,
    within_calendar,
)

_LOCAL = "%Y-%m-%dT%H:%M"
#: How far ahead a session may be put; further is almost surely a typo in the year.
MAX_YEARS_AHEAD = 5


#: WTForms fills in %(min)s and %(max)s.
_RANGE = _l("Enter a whole number from %(min)s to %(max)s.")


def _whole(missing: str, low: int, high: int) -> list:
    """A required whole number: ``missing`` says what to enter, as a whole sentence."""
    return [InputRequired(missing), NumberRange(low, high, _RANGE)]


class DetailsForm(FlaskForm):
    title = StringField(
        _l("Title"),
        filters=[strip],
        # DataRequired, not InputRequired: spaces alone are no title once stripped.
        validators=[DataRequired(_l("Give the workshop a title.")), Length(max=200), PlainText()],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[strip],
        validators=[Optional(), Length(max=5000), PlainText(multiline=True)],
        description=_l("What families will learn, and who it is for."),
    )
    location = place_field(_l("Address and room. Leave empty if the workshop is online only."))
    online_url = meeting_link_field()
    language = SelectField(
        _l("Language of the sessions"),
        default=lambda: current_app.config["DEFAULT_LANGUAGE"],
        validators=[AnyOf(languages(), _l("Choose the workshop's language from the list."))],
        validate_choice=False,  # AnyOf says it in words of our own
        description=_l("The language the facilitators speak in the sessions."),
    )
    publish = BooleanField(_l("Publish now (families can see and book it)"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.language.choices = [
            SelectChoice(code, language_name(code, current_language())) for code in languages()
        ]

    def validate(self, extra_validators: dict | None = None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.location.data or self.online_url.data):
            self.location.errors = [
                *self.location.errors,
                _("Give a location, an online link, or both."),
            ]
            return False
        return ok

    def details(self) -> WorkshopDetails:
        return WorkshopDetails(
            title=self.title.data,
            description=self.description.data or "",
            location=self.location.data or "",
            online_url=self.online_url.data or "",
            publish=bool(self.publish.data),
            language=self.language.data,
        )


class EditDetailsForm(DetailsForm):
    """A workshop's details once it exists, and whether it invites absent households back."""

    invite_back_absent = BooleanField(
        _l("Invite households that miss a session back by email"),
        description=_l(
            "One short, kind email after the session, with the next dates. It names no "
            "service. Families can turn these emails off."
        ),
    )

    def details(self) -> WorkshopDetails:
        return replace(super().details(), invite_back_absent=bool(self.invite_back_absent.data))


class WorkshopForm(DetailsForm):
    timezone = TimezoneField(description=_l("Where the workshop happens; times keep to it."))
    capacity = IntegerField(
        _l("Seats per session"), default=12, validators=_whole(_l("Enter the seats."), 1, 500)
    )
    starts_at = DateTimeLocalField(
        _l("First session starts (local time)"),
        format=_LOCAL,
        validators=[
            InputRequired(_l("Enter the date and time of the first session.")),
            WithinYears(MAX_YEARS_AHEAD),
        ],
    )
    duration_minutes = IntegerField(
        _l("Length in minutes"), default=90, validators=_whole(_l("Enter the length."), 15, 600)
    )
    weeks = IntegerField(
        _l("Number of weekly sessions"),
        default=1,
        validators=_whole(_l("Enter the number of weeks."), 1, MAX_WEEKS),
        description=_l("1 for a single session; more for a weekly series at the same local time."),
    )


_SCOPES = [
    SelectChoice(Scope.ONE.value, _l("This session only")),
    SelectChoice(Scope.FOLLOWING.value, _l("This and all later sessions of the series")),
]


class RescheduleForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("New start (local time)"),
        format=_LOCAL,
        validators=[
            InputRequired(_l("Enter the new date and time.")),
            WithinYears(MAX_YEARS_AHEAD),
        ],
    )
    duration_minutes = IntegerField(
        _l("Length in minutes"), validators=_whole(_l("Enter the length."), 15, 600)
    )
    scope = RadioField(_l("Apply to"), choices=_SCOPES, default=Scope.ONE.value)


class CapacityForm(FlaskForm):
    capacity = IntegerField(_l("Seats"), validators=_whole(_l("Enter the seats."), 1, 500))
    scope = RadioField(_l("Apply to"), choices=_SCOPES, default=Scope.ONE.value)
    move_to_waitlist = BooleanField(
        _l("Yes, move the households listed above to the front of the waitlist")
    )


class CancelSessionForm(FlaskForm):
    scope = RadioField(_l("Cancel"), choices=_SCOPES, default=Scope.ONE.value)


def _coming(form: FlaskForm, field: DateField) -> None:
    """A day from today to MAX_YEARS_AHEAD ahead; the service judges "in the future"."""
    if field.data is None:
        return
    today = utcnow().date()  # a day's difference from the workshop's own today at most
    if field.data < today - timedelta(days=1):
        raise ValidationError(_("Choose a date in the future."))
    if field.data > today + timedelta(days=365 * MAX_YEARS_AHEAD):
        raise ValidationError(
            ngettext(
                "Choose a date within the next year.",
                "Choose a date within the next %(num)d years.",
                MAX_YEARS_AHEAD,
            )
        )


class DuplicateForm(FlaskForm):
    first_day = DateField(
        _l("Date of the first session"),
        validators=[
            InputRequired(_l("Enter the date of the first session.")),
            readable_day,
            _coming,
        ],
    )
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[Optional(), Length(max=200), PlainText()],
        description=_l("Keep it, or change it for the new term."),
    )


class AddSessionForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("Starts (local time)"),
        format=_LOCAL,
        validators=[
            InputRequired(_l("Enter the date and time of the session.")),
            WithinYears(MAX_YEARS_AHEAD),
        ],
    )
    duration_minutes = IntegerField(
        _l("Length in minutes"), validators=_whole(_l("Enter the length."), 15, 600)
    )
    capacity = IntegerField(_l("Seats"), validators=_whole(_l("Enter the seats."), 1, 500))


class HistoryFilterForm(FlaskForm):
    """Which past sessions to show: read from the address, so it works without JavaScript."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    workshop = SelectField(_l("Workshop"), default="", validate_choice=False)
    since = DateField(_l("From"), validators=[Optional(), readable_day, within_calendar])
    until = DateField(_l("To"), validators=[Optional(), readable_day, within_calendar])

    def offer(self, workshops: list[WorkshopChoice]) -> None:
        """List the workshops with past sessions, each with its first day (terms share titles)."""
        self.workshop.choices = [SelectChoice("", _("All workshops"))] + [
            SelectChoice(
                str(w.id),
                _(
                    "%(title)s, from %(day)s",
                    title=w.title,
                    day=local_day_text(w.first_start, w.timezone),
                ),
            )
            for w in workshops
        ]

    def validate_until(self, field: DateField) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError(_("This date is before the “From” date."))

    def chosen(self) -> tuple[HistoryFilter, list[str]]:
        """The filter asked for, and a message when the workshop isn't one of the list's."""
        unknown = []
        values = {choice.value for choice in self.workshop.iter_choices()}
        if not isinstance(self.workshop.data, str) or self.workshop.data not in values:
            if self.workshop.data:
                unknown.append(_("We couldn't find that workshop, so we show all of them."))
            self.workshop.data = ""
        only = HistoryFilter(
            workshop_id=int(self.workshop.data) if self.workshop.data else None,
            first_day=self.since.data,
            last_day=self.until.data,
        )
        return only, unknown

    def args(self) -> dict[str, str]:
        """The chosen values, for the pager's links."""
        found = {"workshop": self.workshop.data or ""}
        found |= {f.name: f.data.isoformat() for f in (self.since, self.until) if f.data}
        return {name: value for name, value in found.items() if value}


class CofacilitatorForm(FlaskForm):
    """Share a workshop with another facilitator, found by the address they log in with."""

    email = EmailField(
        _l("Email of the facilitator to add"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter the email address of the facilitator to add.")),
            Length(max=254),
            Email(_l("Enter an email address like name@example.com."), check_deliverability=False),
        ],
        description=_l("The address of their Hearth account, as a facilitator or admin."),
    )
