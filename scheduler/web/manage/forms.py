from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from scheduler.services.series import MAX_WEEKS, Scope, WorkshopDetails
from scheduler.web.fields import (
    PlainText,
    TimezoneField,
    WithinYears,
    meeting_link_field,
    place_field,
    strip,
)

_LOCAL = "%Y-%m-%dT%H:%M"
#: How far ahead a session may be put; further is almost surely a typo in the year.
MAX_YEARS_AHEAD = 5


def _whole(label: str, low: int, high: int) -> list:
    return [
        InputRequired(f"Enter the {label}."),
        NumberRange(low, high, f"Enter a whole number from {low} to {high}."),
    ]


class DetailsForm(FlaskForm):
    title = StringField(
        "Title",
        filters=[strip],
        # DataRequired, not InputRequired: spaces alone are no title once stripped.
        validators=[DataRequired("Give the workshop a title."), Length(max=200), PlainText()],
    )
    description = TextAreaField(
        "Description",
        filters=[strip],
        validators=[Optional(), Length(max=5000), PlainText(multiline=True)],
        description="What families will learn, and who it is for.",
    )
    location = place_field("Address and room. Leave empty if the workshop is online only.")
    online_url = meeting_link_field()
    publish = BooleanField("Publish now (families can see and book it)")

    def validate(self, extra_validators: dict | None = None) -> bool:
        ok = super().validate(extra_validators)
        if not (self.location.data or self.online_url.data):
            self.location.errors = [
                *self.location.errors,
                "Give a location, an online link, or both.",
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
        )


class WorkshopForm(DetailsForm):
    timezone = TimezoneField(description="Where the workshop happens; times keep to it.")
    capacity = IntegerField("Seats per session", default=12, validators=_whole("seats", 1, 500))
    starts_at = DateTimeLocalField(
        "First session starts (local time)",
        format=_LOCAL,
        validators=[
            InputRequired("Enter the date and time of the first session."),
            WithinYears(MAX_YEARS_AHEAD),
        ],
    )
    duration_minutes = IntegerField(
        "Length in minutes", default=90, validators=_whole("length", 15, 600)
    )
    weeks = IntegerField(
        "Number of weekly sessions",
        default=1,
        validators=_whole("number of weeks", 1, MAX_WEEKS),
        description="1 for a single session; more for a weekly series at the same local time.",
    )


_SCOPES = [
    SelectChoice(Scope.ONE.value, "This session only"),
    SelectChoice(Scope.FOLLOWING.value, "This and all later sessions of the series"),
]


class RescheduleForm(FlaskForm):
    starts_at = DateTimeLocalField(
        "New start (local time)",
        format=_LOCAL,
        validators=[InputRequired("Enter the new date and time."), WithinYears(MAX_YEARS_AHEAD)],
    )
    duration_minutes = IntegerField("Length in minutes", validators=_whole("length", 15, 600))
    scope = RadioField("Apply to", choices=_SCOPES, default=Scope.ONE.value)


class CapacityForm(FlaskForm):
    capacity = IntegerField("Seats", validators=_whole("seats", 1, 500))
    scope = RadioField("Apply to", choices=_SCOPES, default=Scope.ONE.value)
    move_to_waitlist = BooleanField(
        "Yes, move the households listed above to the front of the waitlist"
    )


class CancelSessionForm(FlaskForm):
    scope = RadioField("Cancel", choices=_SCOPES, default=Scope.ONE.value)
