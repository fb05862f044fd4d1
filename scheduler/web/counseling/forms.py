from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from scheduler.models import MeetingMode, SessionKind
from scheduler.services.counseling import OpenCounselor, Rules, SlotFilter
from scheduler.web.fields import (
    PlainText,
    TimezoneField,
    meeting_link_field,
    place_field,
    strip,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _whole(label: str, low: int, high: int) -> list:
    return [
        InputRequired(f"Enter the {label}."),
        NumberRange(low, high, f"Enter a whole number from {low} to {high}."),
    ]


def _limit(low: int, high: int) -> list:
    """A number a counselor may leave out: the default then applies."""
    return [Optional(), NumberRange(low, high, f"Enter a whole number from {low} to {high}.")]


def _or_default(field: IntegerField) -> int:
    value = field.data if field.data is not None else field.default
    return int(value)


class BookSlotForm(FlaskForm):
    note = TextAreaField(
        "A note for the counselor (optional)",
        filters=[strip],
        validators=[Optional(), Length(max=2000), PlainText(multiline=True)],
        description="Only the counselor sees it. You can leave it empty.",
    )


class SlotFilterForm(FlaskForm):
    """Which open times to show: read from the address, so it works without JavaScript."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    counselor = SelectField("Counselor", default="", validate_choice=False)
    kind = SelectField(
        "Kind of session",
        choices=[
            SelectChoice("", "Any kind"),
            SelectChoice(SessionKind.FAMILY, "Family session"),
            SelectChoice(SessionKind.INDIVIDUAL, "Individual session"),
        ],
        default="",
        validate_choice=False,
    )
    mode = SelectField(
        "In person or online",
        choices=[
            SelectChoice("", "Either one"),
            SelectChoice(MeetingMode.IN_PERSON, "In person"),
            SelectChoice(MeetingMode.ONLINE, "Online"),
        ],
        default="",
        validate_choice=False,
    )

    #: What the page says when its address asks for a choice the lists don't have.
    UNKNOWN = {
        "counselor": "That counselor has no open times now, so we show every counselor.",
        "kind": "We don't know that kind of session, so we show both kinds.",
        "mode": "We don't know that way of meeting, so we show times in person and online.",
    }

    def offer(self, counselors: list[OpenCounselor]) -> None:
        """List the counselors families can book now."""
        self.counselor.choices = [SelectChoice("", "Any counselor")] + [
            SelectChoice(str(c.id), c.name) for c in counselors
        ]

    def chosen(self) -> tuple[SlotFilter, list[str]]:
        """The filter asked for, and a message for each value no list has (then: any)."""
        unknown = []
        for field in (self.counselor, self.kind, self.mode):
            values = {choice.value for choice in field.iter_choices()}
            if not isinstance(field.data, str) or field.data not in values:
                if field.data:
                    unknown.append(self.UNKNOWN[field.name])
                field.data = ""
        only = SlotFilter(
            facilitator_id=int(self.counselor.data) if self.counselor.data else None,
            kind=self.kind.data or None,
            mode=self.mode.data or None,
        )
        return only, unknown

    def args(self) -> dict[str, str]:
        """The chosen values, for links that keep them (the week pager)."""
        return {f.name: f.data for f in (self.counselor, self.kind, self.mode) if f.data}


class MoveForm(FlaskForm):
    slot_id = RadioField("Choose a new time", coerce=int, validate_choice=False)

    def validate_slot_id(self, field: RadioField) -> None:
        if not field.data:
            raise ValidationError("Choose one of the times.")


class RulesForm(FlaskForm):
    open = BooleanField("Families can book counseling with me now")
    timezone = TimezoneField(description="Your hours below are read in this zone.")
    kind = RadioField(
        "Kind of session",
        choices=[
            SelectChoice(SessionKind.FAMILY, "Family session"),
            SelectChoice(SessionKind.INDIVIDUAL, "Individual session"),
        ],
        default=SessionKind.FAMILY,
    )
    mode = RadioField(
        "Where",
        choices=[
            SelectChoice(MeetingMode.IN_PERSON, "In person"),
            SelectChoice(MeetingMode.ONLINE, "Online"),
        ],
        default=MeetingMode.IN_PERSON,
    )
    location = place_field("Address and room, for sessions in person.")
    online_url = meeting_link_field("Only the family booked into a slot sees it.")
    slot_minutes = IntegerField(
        "Length of each slot (minutes)", default=50, validators=_whole("slot length", 10, 480)
    )
    buffer_minutes = IntegerField(
        "Break between slots (minutes)", default=10, validators=_whole("break", 0, 240)
    )
    min_notice_hours = IntegerField(
        "Minimum notice (hours)",
        default=24,
        validators=_whole("notice", 0, 720),
        description="How soon before a slot families can still book it.",
    )
    horizon_days = IntegerField(
        "Book up to (days ahead)", default=28, validators=_whole("days ahead", 1, 366)
    )
    change_cutoff_hours = IntegerField(
        "Families can cancel or move until (hours before)",
        default=24,
        validators=_whole("hours", 0, 336),
    )
    contact = StringField(
        "How to reach you after that",
        filters=[strip],
        validators=[Optional(), Length(max=300), PlainText()],
        description="A phone number or email address families can use.",
    )
    approve_first = BooleanField("I approve a family's first appointment before it is confirmed")
    request_expiry_hours = IntegerField(
        "A request I don't answer expires after (hours)",
        default=72,
        validators=_limit(12, 336),
        description="The family is told, and the time is free again for others.",
    )
    max_requests_per_family = IntegerField(
        "Requests one family can have waiting",
        default=1,
        validators=_limit(1, 10),
    )
    max_upcoming_per_family = IntegerField(
        "Upcoming appointments one family can hold with me",
        default=2,
        validators=_limit(1, 20),
        description="So one family can't take every time.",
    )

    def rules(self) -> Rules:
        return Rules(
            open=bool(self.open.data),
            timezone=self.timezone.data,
            slot_minutes=self.slot_minutes.data,
            buffer_minutes=self.buffer_minutes.data,
            min_notice_hours=self.min_notice_hours.data,
            horizon_days=self.horizon_days.data,
            kind=self.kind.data,
            mode=self.mode.data,
            location=self.location.data or "",
            online_url=self.online_url.data or "",
            approve_first=bool(self.approve_first.data),
            change_cutoff_hours=self.change_cutoff_hours.data,
            contact=self.contact.data or "",
            max_requests_per_family=_or_default(self.max_requests_per_family),
            max_upcoming_per_family=_or_default(self.max_upcoming_per_family),
            request_expiry_hours=_or_default(self.request_expiry_hours),
        )


class WindowForm(FlaskForm):
    weekday = SelectField(
        "Every week on",
        choices=[SelectChoice("", "Not weekly (one date below)")]
        + [SelectChoice(str(i), name) for i, name in enumerate(WEEKDAYS)],
        default="",
        validate_choice=False,
    )
    day = DateField("Or on this date only", validators=[Optional()])
    starts = TimeField("From", validators=[InputRequired("Enter the start time.")])
    ends = TimeField("Until", validators=[InputRequired("Enter the end time.")])

    def validate_weekday(self, field: SelectField) -> None:
        if field.data and field.data not in {str(i) for i in range(7)}:
            raise ValidationError("Choose a weekday from the list.")
        if bool(field.data) == bool(self.day.data):
            raise ValidationError("Choose a weekday, or a date, not both.")


class BlackoutForm(FlaskForm):
    day = DateField(
        "Date", validators=[InputRequired("Enter the date.")], description="No slots that day."
    )
