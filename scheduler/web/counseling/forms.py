from typing import Any

from babel.dates import get_day_names
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
    meeting_mode_field,
    place_field,
    set_aside_unknown,
    strip,
)

#: Weekly hours as the counselor's list shows them, Monday first (``date.weekday()``).
#: Whole phrases, not "Every" + a day name: languages word them differently.
EVERY_WEEKDAY = (
    _l("Every Monday"),
    _l("Every Tuesday"),
    _l("Every Wednesday"),
    _l("Every Thursday"),
    _l("Every Friday"),
    _l("Every Saturday"),
    _l("Every Sunday"),
)
#: WTForms fills in %(min)s and %(max)s.
_RANGE = _l("Enter a whole number from %(min)s to %(max)s.")


def weekday_names() -> list[str]:
    """The days of the week in the reader's language, Monday first, as a list starts them."""
    names = get_day_names("wide", locale=get_locale() or "en")
    return [str(names[i])[:1].upper() + str(names[i])[1:] for i in range(7)]


def _whole(missing: str, low: int, high: int) -> list:
    """A required whole number: ``missing`` says what to enter, as a whole sentence."""
    return [InputRequired(missing), NumberRange(low, high, _RANGE)]


def _limit(low: int, high: int) -> list:
    """A number a counselor may leave out: the default then applies."""
    return [Optional(), NumberRange(low, high, _RANGE)]


def _or_default(field: IntegerField) -> int:
    value = field.data if field.data is not None else field.default
    return int(value)


class BookSlotForm(FlaskForm):
    note = TextAreaField(
        _l("A note for the counselor (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=2000), PlainText(multiline=True)],
        description=_l("Only the counselor sees it. You can leave it empty."),
    )


class SlotFilterForm(FlaskForm):
    """Which open times to show: read from the address, so it works without JavaScript."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    counselor = SelectField(_l("Counselor"), default="", validate_choice=False)
    kind = SelectField(
        _l("Kind of session"),
        choices=[
            SelectChoice("", _l("Any kind")),
            SelectChoice(SessionKind.FAMILY, _l("Family session")),
            SelectChoice(SessionKind.INDIVIDUAL, _l("Individual session")),
        ],
        default="",
        validate_choice=False,
    )
    mode = meeting_mode_field()

    #: What the page says when its address asks for a choice the lists don't have.
    UNKNOWN = {
        "counselor": _l("That counselor has no open times now, so we show every counselor."),
        "kind": _l("We don't know that kind of session, so we show both kinds."),
        "mode": _l("We don't know that way of meeting, so we show times in person and online."),
    }

    def offer(self, counselors: list[OpenCounselor]) -> None:
        """List the counselors families can book now."""
        self.counselor.choices = [SelectChoice("", _("Any counselor"))] + [
            SelectChoice(str(c.id), c.name) for c in counselors
        ]

    def chosen(self) -> tuple[SlotFilter, list[str]]:
        """The filter asked for, and a message for each value no list has (then: any)."""
        unknown = set_aside_unknown((self.counselor, self.kind, self.mode), self.UNKNOWN)
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
    slot_id = RadioField(_l("Choose a new time"), coerce=int, validate_choice=False)

    def validate_slot_id(self, field: RadioField) -> None:
        if not field.data:
            raise ValidationError(_("Choose one of the times."))


class RulesForm(FlaskForm):
    open = BooleanField(_l("Families can book counseling with me now"))
    timezone = TimezoneField(description=_l("Your hours below are read in this zone."))
    kind = RadioField(
        _l("Kind of session"),
        choices=[
            SelectChoice(SessionKind.FAMILY, _l("Family session")),
            SelectChoice(SessionKind.INDIVIDUAL, _l("Individual session")),
        ],
        default=SessionKind.FAMILY,
    )
    mode = RadioField(
        _l("Where"),
        choices=[
            SelectChoice(MeetingMode.IN_PERSON, _l("In person")),
            SelectChoice(MeetingMode.ONLINE, _l("Online")),
        ],
        default=MeetingMode.IN_PERSON,
    )
    location = place_field(_l("Address and room, for sessions in person."))
    online_url = meeting_link_field(_l("Only the family booked into a slot sees it."))
    slot_minutes = IntegerField(
        _l("Length of each slot (minutes)"),
        default=50,
        validators=_whole(_l("Enter the slot length."), 10, 480),
    )
    buffer_minutes = IntegerField(
        _l("Break between slots (minutes)"),
        default=10,
        validators=_whole(_l("Enter the break."), 0, 240),
    )
    min_notice_hours = IntegerField(
        _l("Minimum notice (hours)"),
        default=24,
        validators=_whole(_l("Enter the notice."), 0, 720),
        description=_l("How soon before a slot families can still book it."),
    )
    horizon_days = IntegerField(
        _l("Book up to (days ahead)"),
        default=28,
        validators=_whole(_l("Enter the days ahead."), 1, 366),
    )
    change_cutoff_hours = IntegerField(
        _l("Families can cancel or move until (hours before)"),
        default=24,
        validators=_whole(_l("Enter the hours."), 0, 336),
    )
    contact = StringField(
        _l("How to reach you after that"),
        filters=[strip],
        validators=[Optional(), Length(max=300), PlainText()],
        description=_l("A phone number or email address families can use."),
    )
    approve_first = BooleanField(
        _l("I approve a family's first appointment before it is confirmed")
    )
    request_expiry_hours = IntegerField(
        _l("A request I don't answer expires after (hours)"),
        default=72,
        validators=_limit(12, 336),
        description=_l("The family is told, and the time is free again for others."),
    )
    max_requests_per_family = IntegerField(
        _l("Requests one family can have waiting"),
        default=1,
        validators=_limit(1, 10),
    )
    max_upcoming_per_family = IntegerField(
        _l("Upcoming appointments one family can hold with me"),
        default=2,
        validators=_limit(1, 20),
        description=_l("So one family can't take every time."),
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
    weekday = SelectField(_l("Every week on"), default="", validate_choice=False)
    day = DateField(_l("Or on this date only"), validators=[Optional()])
    starts = TimeField(_l("From"), validators=[InputRequired(_l("Enter the start time."))])
    ends = TimeField(_l("Until"), validators=[InputRequired(_l("Enter the end time."))])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The day names are Babel's, in the language of this request.
        self.weekday.choices = [SelectChoice("", _("Not weekly (one date below)"))] + [
            SelectChoice(str(i), name) for i, name in enumerate(weekday_names())
        ]

    def validate_weekday(self, field: SelectField) -> None:
        if field.data and field.data not in {str(i) for i in range(7)}:
            raise ValidationError(_("Choose a weekday from the list."))
        if bool(field.data) == bool(self.day.data):
            raise ValidationError(_("Choose a weekday, or a date, not both."))


class BlackoutForm(FlaskForm):
    day = DateField(
        _l("Date"),
        validators=[InputRequired(_l("Enter the date."))],
        description=_l("No slots that day."),
    )
