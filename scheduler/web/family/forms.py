"""The household's account settings form."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from scheduler.services.notify import parse_offsets
from scheduler.web.fields import PlainText, TimezoneField, strip


class AccountForm(FlaskForm):
    name = StringField(
        "Your name or your family's name",
        filters=[strip],
        validators=[DataRequired("Tell us what to call you."), Length(max=120), PlainText()],
    )
    timezone = TimezoneField()
    reminders_enabled = BooleanField("Email me reminders before my bookings")
    reminder_offsets = StringField(
        "When to remind me",
        filters=[strip],
        validators=[Optional(), Length(max=100), PlainText()],
        description=(
            "How long before each session, separated by commas: for example 48h, 2h. "
            "Use m for minutes, h for hours, d for days. Leave empty for the usual 48h, 2h."
        ),
    )
    descriptive_titles = BooleanField(
        "Show workshop names in my calendar",
        description=(
            "Off: your calendar and downloads say only “Hearth appointment”, so anyone "
            "glancing at your phone sees nothing more. The details are behind the link."
        ),
    )

    def __init__(self, *args: Any, for_family: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not for_family:
            # Staff calendars are often synced to work accounts or shared with others.
            self.descriptive_titles.label.text = "Show families' names in my calendar"
            self.descriptive_titles.description = (
                "Off: appointments in your calendar say only “Counseling appointment” "
                "and the time, so a synced or shared calendar names no family. "
                "The names are behind the link."
            )

    def validate_reminder_offsets(self, field: StringField) -> None:
        if field.data:
            try:
                parse_offsets(field.data)
            except ValueError as error:
                raise ValidationError(f"{error}.") from error
